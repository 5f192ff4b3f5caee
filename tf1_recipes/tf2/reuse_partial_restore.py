"""TF2 port of :mod:`tf1_recipes.recipes.reuse_partial_restore` (the model: :mod:`tf1_recipes.tf2.families.reuse_hidden_layers`)."""

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.families.reuse_hidden_layers import ReuseHiddenLayers


@port("reuse_partial_restore")
class ReusePartialRestore(ReuseHiddenLayers):
    """The reuse_partial_restore recipe's port: its book preset picks the variant."""
