"""Shim port of :mod:`tf1_recipes.recipes.he_init` (the model code: :mod:`tf1_recipes.shim.families.init_and_activations`)."""

from tf1_recipes.shim import shim
from tf1_recipes.shim.families.init_and_activations import Train300x100


@shim("he_init")
class Shim(Train300x100):
    """The he_init recipe's TF1 model code in a ``track_tf1_style_variables`` layer; its preset picks the activation and initializer."""
