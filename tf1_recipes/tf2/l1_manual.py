"""TF2 port of :mod:`tf1_recipes.recipes.l1_manual`: the penalty written into the loss from the kernels.

TF1 fetched the kernels by tensor name (``get_tensor_by_name("hidden1/kernel:0")``); in
TF2 the layers are Python objects, so the loss reads ``layer.kernel`` directly.
"""

import tensorflow as tf

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.base import Port
from tf1_recipes.tf2.models import dense_variables, mlp
from tf1_recipes.tf2.optimizers import FusedSGD


@port("l1_manual")
class L1Manual(Port):
    """One 300-unit ReLU layer; loss = mean cross-entropy + scale * (sum|W1| + sum|W2|); GD."""

    variables = dense_variables("hidden1", "outputs")

    def build(self, *, n_inputs, n_hidden1, n_outputs, scale, learning_rate):
        self.scale = scale
        model = mlp(self.recipe, n_inputs, [n_hidden1], n_outputs)
        self.W1, self.W2 = model.get_layer("hidden1").kernel, model.get_layer("outputs").kernel
        return model, FusedSGD(learning_rate)

    def loss(self, X, y, training=False):
        base_loss = super().loss(X, y, training)
        reg_losses = tf.reduce_sum(tf.abs(self.W1)) + tf.reduce_sum(tf.abs(self.W2))
        return base_loss + self.scale * reg_losses
