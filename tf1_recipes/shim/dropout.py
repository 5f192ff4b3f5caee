"""Shim port of :mod:`tf1_recipes.recipes.dropout`: ``dropout_mlp`` of the TF1 body, ``MomentumOptimizer``.

The dropouts are ``tf.compat.v1.layers.dropout``, called with the shim's Python
``training`` flag where the graph had its placeholder: eagerly they draw a fresh mask
from TensorFlow's stateful random ops on every training call (TF1's ``tf.nn.dropout``
with an op seed derived from the graph seed), and pass the input through unchanged at
inference.
"""

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.dropout import dropout_mlp
from tf1_recipes.shim import shim
from tf1_recipes.shim.base import ShimPort


@shim("dropout")
class Shim(ShimPort):
    """Dropout on the inputs and after both ReLU layers (TF1 code); TF1 momentum."""

    has_training_mode = True
    has_dropout = True

    def forward(self, X, training):
        h = self.hyper
        return dropout_mlp(X, training, h["n_hidden1"], h["n_hidden2"], h["n_outputs"], h["dropout_rate"])

    def tf1_optimizer(self):
        return tf1.train.MomentumOptimizer(self.hyper["learning_rate"], momentum=self.hyper["momentum"])
