"""As freeze_stop_gradient, feeding hidden2's output computed once for all images (the frozen layers' cache).

One of the partial-restore recipes (:mod:`tf1_recipes.recipes.families.reuse_hidden_layers`).
Run it: ``python -m tf1_recipes.recipes.cache_frozen_layers [--preset book]`` or ``tf1-recipes run cache_frozen_layers``.
"""

from tf1_recipes.recipes.families.reuse_hidden_layers import SMOKE, reuse_hidden_layers
from tf1_recipes.registry import recipe

#: What this variant fixes in reuse_hidden_layers.
VARIANT = dict(stop_gradient=True, cache_hidden2=True)


@recipe(
    "cache_frozen_layers",
    presets={"book": VARIANT, "smoke": {**VARIANT, **SMOKE}},
    extends=reuse_hidden_layers,
)
def cache_frozen_layers(run, **hyperparameters):
    """As freeze_stop_gradient, feeding hidden2's output computed once for all images (the frozen layers' cache)."""
    reuse_hidden_layers(run, **hyperparameters)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("cache_frozen_layers")
