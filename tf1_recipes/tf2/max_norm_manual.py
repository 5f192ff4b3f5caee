"""TF2 port of :mod:`tf1_recipes.recipes.max_norm_manual` (the model: :mod:`tf1_recipes.tf2.families.max_norm`)."""

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.families.max_norm import MaxNormMLP


@port("max_norm_manual")
class MaxNormManual(MaxNormMLP):
    """The max_norm_manual recipe's port: its book preset picks the variant."""
