"""Restore only hidden1-3 of the pretrained model (Saver over the hidden[123] variables); train new hidden4 and outputs.

One of the partial-restore recipes (:mod:`tf1_recipes.recipes.families.reuse_hidden_layers`).
Run it: ``python -m tf1_recipes.recipes.reuse_partial_restore [--preset book]`` or ``tf1-recipes run reuse_partial_restore``.
"""

from tf1_recipes.recipes.families.reuse_hidden_layers import SMOKE, reuse_hidden_layers
from tf1_recipes.registry import recipe

#: What this variant fixes in reuse_hidden_layers.
VARIANT = dict()


@recipe(
    "reuse_partial_restore",
    presets={"book": VARIANT, "smoke": {**VARIANT, **SMOKE}},
    extends=reuse_hidden_layers,
)
def reuse_partial_restore(run, **hyperparameters):
    """Restore only hidden1-3 of the pretrained model (Saver over the hidden[123] variables); train new hidden4 and outputs."""
    reuse_hidden_layers(run, **hyperparameters)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("reuse_partial_restore")
