"""L2 regularisation: contrib l2_regularizer(0.001) (scale * sum(W**2) / 2) on every kernel, 300/50 MLP.

One of the kernel-regularizer recipes (:mod:`tf1_recipes.recipes.families.kernel_regularizers`).
Run it: ``python -m tf1_recipes.recipes.l2_regularizer`` or ``tf1-recipes run l2_regularizer``.
"""

from tf1_recipes.recipes.families.kernel_regularizers import train_regularized
from tf1_recipes.registry import recipe


@recipe("l2_regularizer", presets={"book": dict(regularizer="l2")}, extends=train_regularized)
def l2_regularizer(run, **hyperparameters):
    """L2 regularisation: contrib l2_regularizer(0.001) (scale * sum(W**2) / 2) on every kernel, 300/50 MLP."""
    train_regularized(run, **hyperparameters)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("l2_regularizer")
