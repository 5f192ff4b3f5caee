"""SELU (tf.nn.selu) in the 300/100 MLP, inputs standardised with the training set's pixel means and stds.

One of the initialisation and activation recipes (:mod:`tf1_recipes.recipes.families.init_and_activations`).
Run it: ``python -m tf1_recipes.recipes.selu`` or ``tf1-recipes run selu``.
"""

from tf1_recipes.recipes.families.init_and_activations import train_300_100
from tf1_recipes.registry import recipe


@recipe("selu", presets={"book": dict(activation="selu", scale_inputs=True)}, extends=train_300_100)
def selu(run, **hyperparameters):
    """SELU (tf.nn.selu) in the 300/100 MLP, inputs standardised with the training set's pixel means and stds."""
    train_300_100(run, **hyperparameters)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("selu")
