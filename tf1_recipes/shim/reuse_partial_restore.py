"""Shim port of :mod:`tf1_recipes.recipes.reuse_partial_restore` (the model code: :mod:`tf1_recipes.shim.families.reuse_hidden_layers`)."""

from tf1_recipes.shim import shim
from tf1_recipes.shim.families.reuse_hidden_layers import ReuseHiddenLayers


@shim("reuse_partial_restore")
class Shim(ReuseHiddenLayers):
    """The reuse_partial_restore recipe's TF1 model code in a ``track_tf1_style_variables`` layer; its book preset picks the variant."""
