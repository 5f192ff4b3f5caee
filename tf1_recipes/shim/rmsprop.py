"""Shim port of :mod:`tf1_recipes.recipes.rmsprop` (the model code: :mod:`tf1_recipes.shim.families.faster_optimizers`)."""

from tf1_recipes.shim import shim
from tf1_recipes.shim.families.faster_optimizers import ReluMLP


@shim("rmsprop")
class Shim(ReluMLP):
    """The rmsprop recipe's TF1 model code in a ``track_tf1_style_variables`` layer, trained by its ``optimizer``."""
