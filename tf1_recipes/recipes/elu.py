"""ELU (tf.nn.elu) as the 300/100 MLP's hidden activation.

One of the initialisation and activation recipes (:mod:`tf1_recipes.recipes.families.init_and_activations`).
Run it: ``python -m tf1_recipes.recipes.elu`` or ``tf1-recipes run elu``.
"""

from tf1_recipes.recipes.families.init_and_activations import train_300_100
from tf1_recipes.registry import recipe


@recipe("elu", presets={"book": dict(activation="elu")}, extends=train_300_100)
def elu(run, **hyperparameters):
    """ELU (tf.nn.elu) as the 300/100 MLP's hidden activation."""
    train_300_100(run, **hyperparameters)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("elu")
