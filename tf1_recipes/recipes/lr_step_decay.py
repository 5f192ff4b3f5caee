"""Step decay fed per epoch: ``lr = 0.1 * 0.5 ** floor((1 + epoch) / 10)``, MomentumOptimizer(lr, momentum=0.9).

One of the fed-schedule recipes (:mod:`tf1_recipes.recipes.families.learning_rate_schedules`).
Run it: ``python -m tf1_recipes.recipes.lr_step_decay``.
"""

import functools
import math

from tf1_recipes.recipes.families.learning_rate_schedules import train_with_schedule
from tf1_recipes.registry import recipe


def learning_rate_at(epoch, *, initial_learning_rate, drop, epochs_drop):
    """The rate fed in ``epoch``."""
    return initial_learning_rate * drop ** math.floor((1 + epoch) / epochs_drop)


@recipe("lr_step_decay", presets={"book": {}}, extends=train_with_schedule)
def lr_step_decay(run, *, initial_learning_rate=0.1, drop=0.5, epochs_drop=10, **hyperparameters):
    """Step decay fed per epoch: lr = 0.1 * 0.5 ** floor((1 + epoch) / 10), momentum 0.9."""
    schedule = functools.partial(
        learning_rate_at, initial_learning_rate=initial_learning_rate, drop=drop, epochs_drop=epochs_drop
    )
    train_with_schedule(run, schedule, **hyperparameters)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("lr_step_decay")
