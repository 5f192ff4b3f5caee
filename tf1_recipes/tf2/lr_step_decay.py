"""TF2 port of :mod:`tf1_recipes.recipes.lr_step_decay`: the fed rate assigned to ``optimizer.learning_rate`` each epoch."""

from tf1_recipes.recipes.lr_step_decay import learning_rate_at
from tf1_recipes.tf2 import port
from tf1_recipes.tf2.families.learning_rate_schedules import FedSchedule


@port("lr_step_decay")
class StepDecay(FedSchedule):
    schedule = learning_rate_at
    SCHEDULE_HYPERPARAMETERS = ("initial_learning_rate", "drop", "epochs_drop")
    parity_overrides = {"epochs_drop": 2}  # 0.1, 0.05, 0.05, 0.025 over the 4 parity epochs
