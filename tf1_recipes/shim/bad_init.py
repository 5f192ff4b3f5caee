"""Shim port of :mod:`tf1_recipes.recipes.bad_init`: ``sigmoid_dnn`` of the TF1 body, plain GD.

The kernels' ``tf.random_normal_initializer(stddev=1.0)`` draws eagerly from TensorFlow's
stateful random ops, its op seed derived from the global seed as in the graph (the parity
tests copy the graph's initial values in; the checkpoint test restores the recipe's).
"""

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.bad_init import sigmoid_dnn
from tf1_recipes.shim import shim
from tf1_recipes.shim.base import ShimPort
from tf1_recipes.tf2 import bad_init as native


@shim("bad_init")
class Shim(ShimPort, native.BadInit):
    """Five N(0, 1)-initialised sigmoid layers (TF1 code), GD; the native port's report (accuracy, validation loss)."""

    def forward(self, X, training):
        h = self.hyper
        return sigmoid_dnn(X, h["n_hidden"], h["n_layers"], h["n_outputs"], h["init_stddev"])

    def tf1_optimizer(self):
        return tf1.train.GradientDescentOptimizer(self.hyper["learning_rate"])
