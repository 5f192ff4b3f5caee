"""Xavier initialisation: tf.layers.dense's default Glorot-uniform kernels in the 300/100 ReLU MLP.

One of the initialisation and activation recipes (:mod:`tf1_recipes.recipes.families.init_and_activations`).
Run it: ``python -m tf1_recipes.recipes.xavier_init`` or ``tf1-recipes run xavier_init``.
"""

from tf1_recipes.recipes.families.init_and_activations import train_300_100
from tf1_recipes.registry import recipe


@recipe(
    "xavier_init",
    presets={"book": dict(activation="relu", initializer="xavier", n_epochs=20)},
    extends=train_300_100,
)
def xavier_init(run, **hyperparameters):
    """Xavier initialisation: tf.layers.dense's default Glorot-uniform kernels in the 300/100 ReLU MLP."""
    train_300_100(run, **hyperparameters)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("xavier_init")
