"""Inverse-time decay fed per epoch: ``lr = 0.1 / (1 + 0.1 * epoch)``, MomentumOptimizer(lr, momentum=0.9).

One of the fed-schedule recipes (:mod:`tf1_recipes.recipes.families.learning_rate_schedules`).
Run it: ``python -m tf1_recipes.recipes.lr_inverse_time_decay``.
"""

import functools

from tf1_recipes.recipes.families.learning_rate_schedules import train_with_schedule
from tf1_recipes.registry import recipe


def learning_rate_at(epoch, *, initial_learning_rate, decay):
    """The rate fed in ``epoch``."""
    return initial_learning_rate / (1 + decay * epoch)


@recipe("lr_inverse_time_decay", presets={"book": {}}, extends=train_with_schedule)
def lr_inverse_time_decay(run, *, initial_learning_rate=0.1, decay=0.1, **hyperparameters):
    """Inverse-time decay fed per epoch: lr = 0.1 / (1 + 0.1 * epoch), momentum 0.9.

    The reference exercise leaves lr0 and the decay open. lr0 = 0.1 starts where the other
    two schedules start; decay = 0.1 per epoch halves the rate after 10 epochs (0.05 at
    epoch 10, like the step schedule's first drop) and ends at 0.1 / 2.9 = 0.0345 at epoch 19.
    """
    schedule = functools.partial(learning_rate_at, initial_learning_rate=initial_learning_rate, decay=decay)
    train_with_schedule(run, schedule, **hyperparameters)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("lr_inverse_time_decay")
