"""Shim port of :mod:`tf1_recipes.recipes.leaky_relu` (the model code: :mod:`tf1_recipes.shim.families.init_and_activations`)."""

from tf1_recipes.shim import shim
from tf1_recipes.shim.families.init_and_activations import Train300x100


@shim("leaky_relu")
class Shim(Train300x100):
    """The leaky_relu recipe's TF1 model code in a ``track_tf1_style_variables`` layer; its preset picks the activation and initializer."""
