"""TF2 port of :mod:`tf1_recipes.recipes.nesterov`: ``MomentumOptimizer(..., use_nesterov=True)`` → ``FusedSGD(..., nesterov=True)`` (Keras' ``SGD``, one kernel per variable)."""

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.families.faster_optimizers import ReluMLP
from tf1_recipes.tf2.optimizers import FusedSGD


@port("nesterov")
class Nesterov(ReluMLP):
    tf1_slots = ("Momentum",)

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate, momentum):
        optimizer = FusedSGD(learning_rate, momentum=momentum, nesterov=True)
        return self.mlp(n_inputs, n_hidden1, n_hidden2, n_outputs), optimizer
