"""Leaky ReLU, tf.maximum(0.01 * z, z), as the 300/100 MLP's hidden activation.

One of the initialisation and activation recipes (:mod:`tf1_recipes.recipes.families.init_and_activations`).
Run it: ``python -m tf1_recipes.recipes.leaky_relu`` or ``tf1-recipes run leaky_relu``.
"""

from tf1_recipes.recipes.families.init_and_activations import train_300_100
from tf1_recipes.registry import recipe


@recipe("leaky_relu", presets={"book": dict(activation="leaky_relu")}, extends=train_300_100)
def leaky_relu(run, **hyperparameters):
    """Leaky ReLU, tf.maximum(0.01 * z, z), as the 300/100 MLP's hidden activation."""
    train_300_100(run, **hyperparameters)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("leaky_relu")
