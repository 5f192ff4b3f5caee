"""TF2 port of :mod:`tf1_recipes.recipes.gradient_clipping`: clipping between the tape and ``apply_gradients``.

TF1's ``optimizer.compute_gradients(loss)`` → ``tape.gradient(loss, variables)``; its
``apply_gradients(capped_gvs)`` → ``optimizer.apply_gradients(zip(capped, variables))``;
the clipping in between stays ``tf.clip_by_value`` (Keras' ``SGD(clipvalue=threshold)``
does the same clipping inside the optimizer; the explicit form reads like the TF1 code).
"""

import tensorflow as tf

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.base import Port
from tf1_recipes.tf2.models import dense_variables, mlp
from tf1_recipes.tf2.optimizers import FusedSGD


@port("gradient_clipping")
class GradientClipping(Port):
    """Five ReLU layers; each gradient clipped to [-threshold, threshold] before it is applied."""

    variables = dense_variables("hidden1", "hidden2", "hidden3", "hidden4", "hidden5", "outputs")

    def build(
        self, *, n_inputs, n_hidden1, n_hidden2, n_hidden3, n_hidden4, n_hidden5, n_outputs, learning_rate, threshold
    ):
        self.threshold = threshold
        hidden = [n_hidden1, n_hidden2, n_hidden3, n_hidden4, n_hidden5]
        model = mlp("gradient_clipping", n_inputs, hidden, n_outputs, activation="relu")
        return model, FusedSGD(learning_rate)

    def process_gradients(self, grads):
        return [tf.clip_by_value(grad, -self.threshold, self.threshold) for grad in grads]
