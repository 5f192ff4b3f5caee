"""TF2 port of :mod:`tf1_recipes.recipes.l2_regularizer` (the model: :mod:`tf1_recipes.tf2.families.kernel_regularizers`)."""

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.families.kernel_regularizers import Regularized


@port("l2_regularizer")
class L2Regularizer(Regularized):
    """The l2_regularizer recipe's port: its book preset picks the variant."""
