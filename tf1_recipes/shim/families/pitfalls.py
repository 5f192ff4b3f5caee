"""The batch-norm and pitfall recipes' shim (after :mod:`tf1_recipes.recipes.families.pitfalls`): their TF1 model functions, their TF1 optimizers.

The model is :func:`tf1_recipes.recipes.families.pitfalls.batch_norm_dnn`, the function
``batch_norm``, ``bn_pitfall_no_update_ops`` and ``bn_pitfall_training_flag`` build their
graphs with: ``tf.compat.v1.layers.batch_normalization`` layers named
``batch_normalization``, ``_1``, ``_2`` as in the graph, their variables by the TF1 names.

What changes at rung 2 is ``UPDATE_OPS``: called eagerly (or in the loop's
``tf.function``) with ``training=True``, a TF1 batch-norm layer assigns its moving mean and
variance inside the call (``m -= (m - batch) * (1 - momentum)``, TF1's formula); there is
no collection to fetch or to wire in with ``control_dependencies`` (tf-keras warns that
``UPDATE_OPS`` is ignored). Both of ``batch_norm``'s wirings (``fetch``,
``control_dependencies``) become the same shim.
"""

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.families.pitfalls import batch_norm_dnn
from tf1_recipes.shim.base import ShimPort


class BatchNormDNN(ShimPort):
    """Dense -> batch norm -> ELU twice, Dense -> batch norm logits (TF1 code), trained with plain GD."""

    has_training_mode = True

    def forward(self, X, training):
        h = self.hyper
        return batch_norm_dnn(X, training, h["n_hidden1"], h["n_hidden2"], h["n_outputs"], h["batch_norm_momentum"],
                              h.get("initializer", "contrib"))

    def tf1_optimizer(self):
        return tf1.train.GradientDescentOptimizer(self.hyper["learning_rate"])
