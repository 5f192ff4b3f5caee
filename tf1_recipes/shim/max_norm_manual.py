"""Shim port of :mod:`tf1_recipes.recipes.max_norm_manual` (the model code: :mod:`tf1_recipes.shim.families.max_norm`)."""

from tf1_recipes.shim import shim
from tf1_recipes.shim.families.max_norm import MaxNormMLP


@shim("max_norm_manual")
class Shim(MaxNormMLP):
    """The max_norm_manual recipe's TF1 model code in a ``track_tf1_style_variables`` layer; its preset picks the clipping."""
