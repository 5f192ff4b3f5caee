"""Max-norm (1.0) by hand: assign(W, clip_by_norm(W, 1.0, axes=1)) after each step, 300/50 MLP, momentum.

One of the max-norm recipes (:mod:`tf1_recipes.recipes.families.max_norm`).
Run it: ``python -m tf1_recipes.recipes.max_norm_manual`` or ``tf1-recipes run max_norm_manual``.
"""

from tf1_recipes.recipes.families.max_norm import train_max_norm
from tf1_recipes.registry import recipe


@recipe("max_norm_manual", presets={"book": dict(clipping="manual")}, extends=train_max_norm)
def max_norm_manual(run, **hyperparameters):
    """Max-norm (1.0) by hand: assign(W, clip_by_norm(W, 1.0, axes=1)) after each step, 300/50 MLP, momentum."""
    train_max_norm(run, **hyperparameters)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("max_norm_manual")
