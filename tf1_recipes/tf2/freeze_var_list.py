"""TF2 port of :mod:`tf1_recipes.recipes.freeze_var_list` (the model: :mod:`tf1_recipes.tf2.families.reuse_hidden_layers`)."""

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.families.reuse_hidden_layers import ReuseHiddenLayers


@port("freeze_var_list")
class FreezeVarList(ReuseHiddenLayers):
    """The freeze_var_list recipe's port: its book preset picks the variant."""
