"""Shim port of :mod:`tf1_recipes.recipes.l1_manual`: its ``dnn`` and its ``l1_loss``, eagerly.

The model is :func:`tf1_recipes.recipes.l1_manual.dnn` and the loss the recipe's own
:func:`tf1_recipes.recipes.l1_manual.l1_loss`. What breaks at rung 2:

* ``ref_variables`` (TF1 reference variables, so that ``get_tensor_by_name("hidden1/kernel:0")``
  is the kernel): eagerly TensorFlow refuses ``use_resource=False``; the shim calls ``dnn``
  without it, and its variables are resource variables.
* ``get_tensor_by_name``: no graph to look in; the shim hands ``l1_loss`` the kernels from
  :meth:`~tf1_recipes.shim.base.ShimPort.keras_variables` by the same TF1 names, and the
  penalty is computed from the current variables at every step, as the graph's was.
"""

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.l1_manual import dnn, l1_loss
from tf1_recipes.shim import shim
from tf1_recipes.shim.base import ShimPort

#: The kernels the recipe fetches with ``get_tensor_by_name`` (without ``:0``): W1, W2.
PENALISED = ("hidden1/kernel", "outputs/kernel")


@shim("l1_manual")
class Shim(ShimPort):
    """One 300-unit ReLU layer in a shim layer; loss = mean cross-entropy + scale * (sum|W1| + sum|W2|); GD."""

    def forward(self, X, training):
        return dnn(X, n_hidden1=self.hyper["n_hidden1"], n_outputs=self.hyper["n_outputs"])

    def tf1_optimizer(self):
        return tf1.train.GradientDescentOptimizer(self.hyper["learning_rate"])

    def loss(self, X, y, training=False):
        """The TF1 graph's ``loss/loss`` (float32 scalar) from ``X`` float32 [B, 784] and ``y`` int64 [B]."""
        kernels = self.keras_variables()
        W1, W2 = (kernels[name] for name in PENALISED)
        return l1_loss(y, self.logits(X, training=training), W1, W2, self.hyper["scale"])
