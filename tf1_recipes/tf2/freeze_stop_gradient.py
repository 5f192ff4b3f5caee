"""TF2 port of :mod:`tf1_recipes.recipes.freeze_stop_gradient` (the model: :mod:`tf1_recipes.tf2.families.reuse_hidden_layers`)."""

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.families.reuse_hidden_layers import ReuseHiddenLayers


@port("freeze_stop_gradient")
class FreezeStopGradient(ReuseHiddenLayers):
    """The freeze_stop_gradient recipe's port: its book preset picks the variant."""
