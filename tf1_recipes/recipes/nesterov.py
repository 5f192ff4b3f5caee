"""Nesterov accelerated gradient: MomentumOptimizer(0.01, 0.9, use_nesterov=True) on the 300/50 MLP.

One of the faster-optimizer recipes (:mod:`tf1_recipes.recipes.families.faster_optimizers`).
Run it: ``python -m tf1_recipes.recipes.nesterov`` or ``tf1-recipes run nesterov``.
"""

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.families.faster_optimizers import train_with_optimizer
from tf1_recipes.registry import recipe


def optimizer(learning_rate, momentum):
    """Nesterov's optimizer, built in the train scope."""
    return tf1.train.MomentumOptimizer(learning_rate=learning_rate, momentum=momentum, use_nesterov=True)


@recipe("nesterov", presets={"book": {}}, extends=train_with_optimizer)
def nesterov(run, *, learning_rate=0.01, momentum=0.9, **hyperparameters):
    """Nesterov accelerated gradient: MomentumOptimizer(0.01, 0.9, use_nesterov=True) on the 300/50 MLP."""
    train_with_optimizer(run, lambda: optimizer(learning_rate=learning_rate, momentum=momentum), **hyperparameters)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("nesterov")
