"""TF2 port of :mod:`tf1_recipes.recipes.dropout`: Keras ``Dropout`` layers, active when called with ``training=True``.

TF1's ``training`` placeholder (fed True for the training steps) becomes the ``training``
argument of the model call. ``tf.layers.dropout(x, rate)`` and ``keras.layers.Dropout(rate)``
both take the fraction *dropped*; ``tf.nn.dropout``'s old ``keep_prob`` argument was the
fraction *kept* (``rate = 1 - keep_prob``), the trap when porting older code.
"""

import keras

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.base import Port
from tf1_recipes.tf2.models import dense_variables
from tf1_recipes.tf2.optimizers import FusedSGD


@port("dropout")
class Dropout(Port):
    """Dropout on the inputs and after both ReLU layers; momentum."""

    variables = dense_variables("hidden1", "hidden2", "outputs")
    tf1_slots = ("Momentum",)
    has_training_mode = True
    has_dropout = True

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, dropout_rate, learning_rate, momentum):
        rate = dropout_rate  # the fraction dropped, in tf.layers.dropout and keras Dropout alike
        model = keras.Sequential(
            [
                keras.Input(shape=(n_inputs,)),
                keras.layers.Dropout(rate, name="X_drop"),
                keras.layers.Dense(n_hidden1, activation="relu", name="hidden1"),
                keras.layers.Dropout(rate, name="hidden1_drop"),
                keras.layers.Dense(n_hidden2, activation="relu", name="hidden2"),
                keras.layers.Dropout(rate, name="hidden2_drop"),
                keras.layers.Dense(n_outputs, name="outputs"),
            ],
            name=self.recipe,
        )
        return model, FusedSGD(learning_rate, momentum=momentum)
