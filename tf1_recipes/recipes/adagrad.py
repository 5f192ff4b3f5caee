"""AdaGrad: AdagradOptimizer(0.01) (accumulators start at 0.1) on the 300/50 ReLU MLP.

One of the faster-optimizer recipes (:mod:`tf1_recipes.recipes.families.faster_optimizers`).
Run it: ``python -m tf1_recipes.recipes.adagrad`` or ``tf1-recipes run adagrad``.
"""

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.families.faster_optimizers import train_with_optimizer
from tf1_recipes.registry import recipe


def optimizer(learning_rate):
    """AdaGrad's optimizer, built in the train scope."""
    return tf1.train.AdagradOptimizer(learning_rate=learning_rate)


@recipe("adagrad", presets={"book": {}}, extends=train_with_optimizer)
def adagrad(run, *, learning_rate=0.01, **hyperparameters):
    """AdaGrad: AdagradOptimizer(0.01) (accumulators start at 0.1) on the 300/50 ReLU MLP."""
    train_with_optimizer(run, lambda: optimizer(learning_rate=learning_rate), **hyperparameters)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("adagrad")
