"""TF2 port of :mod:`tf1_recipes.recipes.nesterov`: ``MomentumOptimizer(..., use_nesterov=True)`` → ``SGD(..., nesterov=True)``."""

import keras

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.families.faster_optimizers import ReluMLP


@port("nesterov")
class Nesterov(ReluMLP):
    tf1_slots = ("Momentum",)

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate, momentum):
        optimizer = keras.optimizers.SGD(learning_rate, momentum=momentum, nesterov=True)
        return self.mlp(n_inputs, n_hidden1, n_hidden2, n_outputs), optimizer
