"""The gradient-clipping recipes' shim model: ``five_relu_mlp`` of the TF1 body, ``GradientDescentOptimizer``.

The model is :func:`tf1_recipes.recipes.families.relu_mlp.five_relu_mlp`, the function the
TF1 graphs of ``gradient_clipping`` and ``clip_by_global_norm`` are built with. TF1's
``optimizer.compute_gradients(loss)`` becomes the tape's gradients, zipped with the shim
layer's trainable variables (the same variables, in the same order: ``hidden1/kernel``,
``hidden1/bias``, ...); the clipping between them is each recipe's own function; its
``apply_gradients`` is the TF1 optimizer's, applied eagerly.
"""

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.families.relu_mlp import five_relu_mlp
from tf1_recipes.shim.base import ShimPort


class FiveReLU(ShimPort):
    """The five-ReLU-layer MLP in a shim layer, trained with plain GD."""

    def forward(self, X, training):
        h = self.hyper
        return five_relu_mlp(X, h["n_hidden1"], h["n_hidden2"], h["n_hidden3"], h["n_hidden4"], h["n_hidden5"],
                             h["n_outputs"])

    def tf1_optimizer(self):
        return tf1.train.GradientDescentOptimizer(self.hyper["learning_rate"])
