"""The kernel-regularizer recipes' shim: ``regularized_dnn`` of the TF1 body, ``GradientDescentOptimizer``.

The model is :func:`tf1_recipes.recipes.families.kernel_regularizers.regularized_dnn`, the
function the TF1 graph is built with: each ``tf.compat.v1.layers.dense`` gets its contrib
``kernel_regularizer``. What breaks at rung 2: the TF1 loss reads the penalties from the
``REGULARIZATION_LOSSES`` collection (``tf.get_collection``), and in eager code there is no
collection to read; ``track_tf1_style_variables`` puts each penalty in the shim layer's
``losses`` instead (recomputed from the current kernel at every read, so its gradient is on
the tape), and the port's loss (:meth:`tf1_recipes.tf2.base.Port.loss`) adds them to the mean
cross-entropy: ``base_loss + add_n(penalties)``, in the collection's order (hidden1, hidden2,
outputs). Measured against the TF1 graph's ``add_n([base_loss] + REGULARIZATION_LOSSES)``
(tests/parity/test_shim_ports.py, K steps): losses and weights bit-identical. Written
literally as ``add_n([base_loss] + penalties)`` in the shim, the K-step losses differed by
9.5e-7 (one float32 ulp at ~12) while the weights stayed identical: the two sums round
differently at some step, and the graph's equals the first.
"""

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.families.kernel_regularizers import regularized_dnn
from tf1_recipes.shim.base import ShimPort


class Regularized(ShimPort):
    """The 300/50 ReLU MLP with every kernel regularised, in a shim layer; plain GD."""

    def forward(self, X, training):
        h = self.hyper
        return regularized_dnn(X, n_hidden1=h["n_hidden1"], n_hidden2=h["n_hidden2"], n_outputs=h["n_outputs"],
                               regularizer=h["regularizer"], scale=h["scale"])

    def tf1_optimizer(self):
        return tf1.train.GradientDescentOptimizer(self.hyper["learning_rate"])
