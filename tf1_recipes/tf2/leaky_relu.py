"""TF2 port of :mod:`tf1_recipes.recipes.leaky_relu` (the model: :mod:`tf1_recipes.tf2.families.init_and_activations`)."""

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.families.init_and_activations import Train300x100


@port("leaky_relu")
class LeakyReLU(Train300x100):
    """The leaky_relu recipe's port: its book preset picks the activation and initializer."""
