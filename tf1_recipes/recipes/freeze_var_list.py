"""As reuse_partial_restore, training only the hidden[34]|outputs variables: hidden1-2 frozen via minimize(var_list).

One of the partial-restore recipes (:mod:`tf1_recipes.recipes.families.reuse_hidden_layers`).
Run it: ``python -m tf1_recipes.recipes.freeze_var_list [--preset book]`` or ``tf1-recipes run freeze_var_list``.
"""

from tf1_recipes.recipes.families.reuse_hidden_layers import SMOKE, reuse_hidden_layers
from tf1_recipes.registry import recipe

#: What this variant fixes in reuse_hidden_layers.
VARIANT = dict(train_scope="hidden[34]|outputs")


@recipe(
    "freeze_var_list",
    presets={"book": VARIANT, "smoke": {**VARIANT, **SMOKE}},
    extends=reuse_hidden_layers,
)
def freeze_var_list(run, **hyperparameters):
    """As reuse_partial_restore, training only the hidden[34]|outputs variables: hidden1-2 frozen via minimize(var_list)."""
    reuse_hidden_layers(run, **hyperparameters)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("freeze_var_list")
