"""The initialisation and activation ports' model: the 300/100 MLP, GD; each port is ``tf2/<name>.py``.


TF1 → Keras 3:

* He init ``tf.variance_scaling_initializer(scale=2.0)`` → ``VarianceScaling(scale=2.0,
  mode="fan_in", distribution="truncated_normal")`` (the same thing as ``HeNormal()``);
  Xavier: ``tf.layers.dense``'s default and ``Dense``'s default are both Glorot uniform.
* The reference's leaky ReLU ``tf.maximum(0.01 * z, z)`` → ``leaky_relu`` with
  ``negative_slope=LEAKY_RELU_SLOPE``: Keras' defaults are 0.2 (``keras.activations.leaky_relu``)
  and 0.3 (``keras.layers.LeakyReLU``), TF's ``tf.nn.leaky_relu`` 0.2.
* ``selu``'s standardised inputs: the same training-set means and stds, applied to each
  batch and to the evaluated split.
"""

import functools

import keras

from tf1_recipes.tf2.base import Port
from tf1_recipes.tf2.models import dense_variables, mlp
from tf1_recipes.tf2.optimizers import FusedSGD

#: The reference code's leaky ReLU slope: tf.maximum(0.01 * z, z).
LEAKY_RELU_SLOPE = 0.01


def activation_named(name):
    """The Keras activation playing the TF1 activation ``name``."""
    if name == "leaky_relu":
        return functools.partial(keras.activations.leaky_relu, negative_slope=LEAKY_RELU_SLOPE)
    if name in ("relu", "elu", "selu"):
        return name
    raise ValueError(f"unknown activation {name!r}; choose one of relu, leaky_relu, elu, selu")


def kernel_initializer_named(name):
    if name == "he":
        return keras.initializers.VarianceScaling(scale=2.0, mode="fan_in", distribution="truncated_normal")
    if name == "xavier":
        return "glorot_uniform"
    raise ValueError(f"unknown initializer {name!r}; choose one of xavier, he")


class Train300x100(Port):
    """The 300/100 MLP of train_300_100, the hidden layers' activation and initializer chosen by name."""

    variables = dense_variables("hidden1", "hidden2", "outputs")

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate, activation, initializer, scale_inputs):
        self.scale_inputs = scale_inputs
        model = mlp(
            self.recipe,
            n_inputs,
            [n_hidden1, n_hidden2],
            n_outputs,
            activation=activation_named(activation),
            hidden_kwargs={"kernel_initializer": kernel_initializer_named(initializer)},
        )
        return model, FusedSGD(learning_rate)

    def fit(self, run):
        if self.scale_inputs:
            X_train, _ = run.train_split()
            self.means = X_train.mean(axis=0, keepdims=True)
            self.stds = X_train.std(axis=0, keepdims=True) + 1e-10
        super().fit(run)

    def prepare(self, X):
        return (X - self.means) / self.stds if self.scale_inputs else X
