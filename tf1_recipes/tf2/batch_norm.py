"""TF2 port of :mod:`tf1_recipes.recipes.batch_norm`: Keras 3 ``BatchNormalization`` after every dense layer.

TF1 → TF2, line by line:

* ``training`` placeholder → the ``training`` argument of the model call;
* ``UPDATE_OPS`` fetched with the training op (or wired in with ``control_dependencies``)
  → nothing: a Keras ``BatchNormalization`` called with ``training=True`` updates its
  moving statistics itself, inside the traced step, so both wirings become the same code;
* ``momentum=batch_norm_momentum`` (0.9) must be passed: Keras' default is 0.99;
* contrib He init → :func:`~tf1_recipes.tf2.defaults.contrib_he_init` (not ``HeNormal``).
"""

import keras

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.base import Port
from tf1_recipes.tf2.defaults import BATCH_NORM_EPSILON, contrib_he_init, tf1_variance_scaling
from tf1_recipes.tf2.optimizers import FusedSGD

UPDATE_OPS_WIRINGS = ("fetch", "control_dependencies")
INITIALIZERS = {"contrib": contrib_he_init, "variance_scaling": tf1_variance_scaling}


@port("batch_norm")
class BatchNorm(Port):
    """Dense → BatchNormalization → ELU, twice, then Dense → BatchNormalization logits; plain GD."""

    has_training_mode = True
    # tf.layers.batch_normalization names its layers batch_normalization, _1, _2 in call order.
    variables = {
        "hidden1/kernel": "hidden1/kernel",
        "hidden1/bias": "hidden1/bias",
        "batch_normalization/gamma": "bn1/gamma",
        "batch_normalization/beta": "bn1/beta",
        "batch_normalization/moving_mean": "bn1/moving_mean",
        "batch_normalization/moving_variance": "bn1/moving_variance",
        "hidden2/kernel": "hidden2/kernel",
        "hidden2/bias": "hidden2/bias",
        "batch_normalization_1/gamma": "bn2/gamma",
        "batch_normalization_1/beta": "bn2/beta",
        "batch_normalization_1/moving_mean": "bn2/moving_mean",
        "batch_normalization_1/moving_variance": "bn2/moving_variance",
        "outputs/kernel": "outputs/kernel",
        "outputs/bias": "outputs/bias",
        "batch_normalization_2/gamma": "logits_bn/gamma",
        "batch_normalization_2/beta": "logits_bn/beta",
        "batch_normalization_2/moving_mean": "logits_bn/moving_mean",
        "batch_normalization_2/moving_variance": "logits_bn/moving_variance",
    }

    def build(
        self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate, batch_norm_momentum, initializer, update_ops
    ):
        if update_ops not in UPDATE_OPS_WIRINGS:
            raise ValueError(f"update_ops must be one of {UPDATE_OPS_WIRINGS}, got {update_ops!r}")
        if initializer not in INITIALIZERS:
            raise ValueError(f"initializer must be one of {sorted(INITIALIZERS)}, got {initializer!r}")
        model = batch_norm_model(
            self.recipe, n_inputs, n_hidden1, n_hidden2, n_outputs, batch_norm_momentum, INITIALIZERS[initializer]
        )
        return model, FusedSGD(learning_rate)


def batch_norm_model(name, n_inputs, n_hidden1, n_hidden2, n_outputs, batch_norm_momentum, he_init=contrib_he_init,
                     batch_normalization=keras.layers.BatchNormalization, **batch_norm_options):
    """Dense → BatchNormalization → ELU, twice, then Dense → BatchNormalization (the logits).

    ``batch_normalization``: the batch-norm layer class (a subclass of Keras'
    ``BatchNormalization``), given ``momentum``, ``epsilon`` and ``batch_norm_options``
    (e.g. ``synchronized=True``: the data-parallel port's synchronised statistics).
    """

    def dense(units, layer_name):
        return keras.layers.Dense(units, kernel_initializer=he_init(), name=layer_name)

    def batch_norm(layer_name):
        return batch_normalization(momentum=batch_norm_momentum, epsilon=BATCH_NORM_EPSILON, name=layer_name,
                                   **batch_norm_options)

    return keras.Sequential(
        [
            keras.Input(shape=(n_inputs,)),
            dense(n_hidden1, "hidden1"),
            batch_norm("bn1"),
            keras.layers.Activation("elu"),
            dense(n_hidden2, "hidden2"),
            batch_norm("bn2"),
            keras.layers.Activation("elu"),
            dense(n_outputs, "outputs"),
            batch_norm("logits_bn"),
        ],
        name=name,
    )
