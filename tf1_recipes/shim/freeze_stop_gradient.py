"""Shim port of :mod:`tf1_recipes.recipes.freeze_stop_gradient` (the model code: :mod:`tf1_recipes.shim.families.reuse_hidden_layers`)."""

from tf1_recipes.shim import shim
from tf1_recipes.shim.families.reuse_hidden_layers import ReuseHiddenLayers


@shim("freeze_stop_gradient")
class Shim(ReuseHiddenLayers):
    """The freeze_stop_gradient recipe's TF1 model code in a ``track_tf1_style_variables`` layer; its book preset picks the variant."""
