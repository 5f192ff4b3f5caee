"""As reuse_partial_restore with tf.stop_gradient after hidden2: hidden1-2 frozen, hidden3 trainable.

One of the partial-restore recipes (:mod:`tf1_recipes.recipes.families.reuse_hidden_layers`).
Run it: ``python -m tf1_recipes.recipes.freeze_stop_gradient [--preset book]`` or ``tf1-recipes run freeze_stop_gradient``.
"""

from tf1_recipes.recipes.families.reuse_hidden_layers import SMOKE, reuse_hidden_layers
from tf1_recipes.registry import recipe

#: What this variant fixes in reuse_hidden_layers.
VARIANT = dict(stop_gradient=True)


@recipe(
    "freeze_stop_gradient",
    presets={"book": VARIANT, "smoke": {**VARIANT, **SMOKE}},
    extends=reuse_hidden_layers,
)
def freeze_stop_gradient(run, **hyperparameters):
    """As reuse_partial_restore with tf.stop_gradient after hidden2: hidden1-2 frozen, hidden3 trainable."""
    reuse_hidden_layers(run, **hyperparameters)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("freeze_stop_gradient")
