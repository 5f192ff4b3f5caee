"""Shim port of :mod:`tf1_recipes.recipes.lr_exponential_decay` (the model code: :mod:`tf1_recipes.shim.families.learning_rate_schedules`)."""

from tf1_recipes.shim import shim
from tf1_recipes.shim.families.learning_rate_schedules import ExponentialDecay


@shim("lr_exponential_decay")
class Shim(ExponentialDecay):
    """The lr_exponential_decay recipe's TF1 model code in a ``track_tf1_style_variables`` layer; its decay of ``train/global_step``."""
