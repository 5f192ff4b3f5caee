"""Shim port of :mod:`tf1_recipes.recipes.l2_regularizer` (the model code: :mod:`tf1_recipes.shim.families.kernel_regularizers`)."""

from tf1_recipes.shim import shim
from tf1_recipes.shim.families.kernel_regularizers import Regularized


@shim("l2_regularizer")
class Shim(Regularized):
    """The l2_regularizer recipe's TF1 model code in a ``track_tf1_style_variables`` layer; its preset picks the regularizer."""
