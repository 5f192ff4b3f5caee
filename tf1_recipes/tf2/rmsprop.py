"""TF2 port of :mod:`tf1_recipes.recipes.rmsprop`: ``RMSPropOptimizer(lr, momentum, decay, epsilon)`` → :class:`TF1RMSprop`.

``rho=decay``, accumulators from 1, ``epsilon`` 1e-10 where Keras defaults to 1e-7.
"""

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.families.faster_optimizers import ReluMLP
from tf1_recipes.tf2.optimizers import TF1RMSprop


@port("rmsprop")
class RMSProp(ReluMLP):
    tf1_slots = ("RMSProp", "RMSProp_1")

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate, momentum, decay, epsilon):
        optimizer = TF1RMSprop(learning_rate, rho=decay, momentum=momentum, epsilon=epsilon)
        return self.mlp(n_inputs, n_hidden1, n_hidden2, n_outputs), optimizer
