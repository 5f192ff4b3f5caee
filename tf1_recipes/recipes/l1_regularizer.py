"""L1 regularisation: contrib l1_regularizer(0.001) on every kernel of the 300/50 ReLU MLP.

One of the kernel-regularizer recipes (:mod:`tf1_recipes.recipes.families.kernel_regularizers`).
Run it: ``python -m tf1_recipes.recipes.l1_regularizer`` or ``tf1-recipes run l1_regularizer``.
"""

from tf1_recipes.recipes.families.kernel_regularizers import train_regularized
from tf1_recipes.registry import recipe


@recipe("l1_regularizer", presets={"book": dict(regularizer="l1")}, extends=train_regularized)
def l1_regularizer(run, **hyperparameters):
    """L1 regularisation: contrib l1_regularizer(0.001) on every kernel of the 300/50 ReLU MLP."""
    train_regularized(run, **hyperparameters)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("l1_regularizer")
