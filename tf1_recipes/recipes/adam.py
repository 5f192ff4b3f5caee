"""Adam: AdamOptimizer(learning_rate=0.001) on the 300/50 ReLU MLP.

One of the faster-optimizer recipes (:mod:`tf1_recipes.recipes.families.faster_optimizers`).
Run it: ``python -m tf1_recipes.recipes.adam`` or ``tf1-recipes run adam``.
"""

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.families.faster_optimizers import train_with_optimizer
from tf1_recipes.registry import recipe


def optimizer(learning_rate):
    """Adam's optimizer, built in the train scope."""
    return tf1.train.AdamOptimizer(learning_rate=learning_rate)


@recipe("adam", presets={"book": {}}, extends=train_with_optimizer)
def adam(run, *, learning_rate=0.001, **hyperparameters):
    """Adam: AdamOptimizer(learning_rate=0.001) on the 300/50 ReLU MLP."""
    train_with_optimizer(run, lambda: optimizer(learning_rate=learning_rate), **hyperparameters)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("adam")
