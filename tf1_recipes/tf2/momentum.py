"""TF2 port of :mod:`tf1_recipes.recipes.momentum`: ``MomentumOptimizer(lr, 0.9)`` → ``FusedSGD(lr, momentum=0.9)``: Keras' ``SGD`` (the same rule at a constant rate), one kernel per variable."""

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.families.faster_optimizers import ReluMLP
from tf1_recipes.tf2.optimizers import FusedSGD


@port("momentum")
class Momentum(ReluMLP):
    tf1_slots = ("Momentum",)

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate, momentum):
        return self.mlp(n_inputs, n_hidden1, n_hidden2, n_outputs), FusedSGD(learning_rate, momentum=momentum)
