"""TF2 port of :mod:`tf1_recipes.recipes.he_init` (the model: :mod:`tf1_recipes.tf2.families.init_and_activations`)."""

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.families.init_and_activations import Train300x100


@port("he_init")
class HeInit(Train300x100):
    """The he_init recipe's port: its book preset picks the activation and initializer."""
