"""TF2 port of :mod:`tf1_recipes.recipes.momentum`: ``MomentumOptimizer(lr, 0.9)`` → ``SGD(lr, momentum=0.9)`` (same rule at a constant rate)."""

import keras

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.families.faster_optimizers import ReluMLP


@port("momentum")
class Momentum(ReluMLP):
    tf1_slots = ("Momentum",)

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate, momentum):
        return self.mlp(n_inputs, n_hidden1, n_hidden2, n_outputs), keras.optimizers.SGD(learning_rate, momentum=momentum)
