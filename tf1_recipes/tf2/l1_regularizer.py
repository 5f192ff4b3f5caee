"""TF2 port of :mod:`tf1_recipes.recipes.l1_regularizer` (the model: :mod:`tf1_recipes.tf2.families.kernel_regularizers`)."""

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.families.kernel_regularizers import Regularized


@port("l1_regularizer")
class L1Regularizer(Regularized):
    """The l1_regularizer recipe's port: its book preset picks the variant."""
