"""Momentum optimization: MomentumOptimizer(0.01, momentum=0.9) on the 300/50 ReLU MLP.

One of the faster-optimizer recipes (:mod:`tf1_recipes.recipes.families.faster_optimizers`).
Run it: ``python -m tf1_recipes.recipes.momentum`` or ``tf1-recipes run momentum``.
"""

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.families.faster_optimizers import train_with_optimizer
from tf1_recipes.registry import recipe


def optimizer(learning_rate, momentum):
    """Momentum's optimizer, built in the train scope."""
    return tf1.train.MomentumOptimizer(learning_rate=learning_rate, momentum=momentum)


@recipe("momentum", presets={"book": {}}, extends=train_with_optimizer)
def momentum(run, *, learning_rate=0.01, momentum=0.9, **hyperparameters):
    """Momentum optimization: MomentumOptimizer(0.01, momentum=0.9) on the 300/50 ReLU MLP."""
    train_with_optimizer(run, lambda: optimizer(learning_rate=learning_rate, momentum=momentum), **hyperparameters)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("momentum")
