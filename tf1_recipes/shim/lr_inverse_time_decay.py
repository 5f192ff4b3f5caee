"""Shim port of :mod:`tf1_recipes.recipes.lr_inverse_time_decay` (the model code: :mod:`tf1_recipes.shim.families.learning_rate_schedules`)."""

from tf1_recipes.recipes.lr_inverse_time_decay import learning_rate_at
from tf1_recipes.shim import shim
from tf1_recipes.shim.families.learning_rate_schedules import FedSchedule


@shim("lr_inverse_time_decay")
class Shim(FedSchedule):
    """The lr_inverse_time_decay recipe's TF1 model code in a ``track_tf1_style_variables`` layer; its rate assigned per epoch."""

    schedule = learning_rate_at
    SCHEDULE_HYPERPARAMETERS = ("initial_learning_rate", "decay")
