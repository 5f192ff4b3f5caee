"""TF2 port of :mod:`tf1_recipes.recipes.shared_variables`: one variable shared by passing the object.

TF1 shares ``relu/threshold`` between five ``relu()`` calls by name: the first call
creates it with ``get_variable`` inside ``variable_scope("relu")``, the other four run
under ``variable_scope("relu", reuse=True)`` and get the same variable back. TF2 has no
variable scopes: a variable is a Python object, and sharing it means handing the same
object to every piece that uses it. Here the model creates the threshold once and gives
it to each of its five :class:`ReLU` layers; each layer creates its own weights and bias.
Keras tracks the shared variable once (the model has 1 + 2 x 5 variables, as the TF1
graph has), and assigning it moves all five units.

``tf.random_normal(w_shape)`` (stddev 1.0) → ``keras.initializers.RandomNormal(stddev=1.0)``
(Keras' default stddev is 0.05); ``threshold.load(value, sess)`` → ``threshold.assign(value)``.
"""

import keras
import numpy as np
import tensorflow as tf

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.computation import Computation

#: ``tf.random_normal``'s default stddev (Keras' RandomNormal defaults to 0.05).
RANDOM_NORMAL_STDDEV = 1.0


def unit_name(relu_index):
    """The TF1 name scope of the ``relu_index``-th relu() call: ``relu``, ``relu_1``, ... ``relu_4``."""
    return "relu" if relu_index == 0 else f"relu_{relu_index}"


class ReLU(keras.layers.Layer):
    """One ReLU unit, ``max(X w + b, threshold)``: its own ``weights`` and ``bias``, the threshold it is given."""

    def __init__(self, threshold, **kwargs):
        super().__init__(**kwargs)
        self.threshold = threshold  # the shared variable: the same object in every unit

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], 1), initializer=keras.initializers.RandomNormal(stddev=RANDOM_NORMAL_STDDEV), name="weights"
        )
        self.b = self.add_weight(shape=(), initializer="zeros", name="bias")

    def call(self, X):
        z = tf.matmul(X, self.w) + self.b
        return tf.maximum(z, self.threshold)


class SummedReLUs(keras.Model):
    """``n_relus`` ReLU units summed; the model owns the ``threshold`` they all use."""

    def __init__(self, n_relus, **kwargs):
        super().__init__(**kwargs)
        self.threshold = self.add_weight(shape=(), initializer="zeros", name="threshold", trainable=False)
        self.relus = [ReLU(self.threshold, name=unit_name(i)) for i in range(n_relus)]

    def build(self, input_shape):
        for relu in self.relus:
            relu.build(input_shape)

    def call(self, X):
        return tf.add_n([relu(X) for relu in self.relus])


@port("shared_variables")
class SharedVariables(Computation):
    """Five ReLU units sharing one threshold object; the mean summed output for each threshold."""

    def build(self, *, n_features, n_relus, n_samples, thresholds):
        self.n_features, self.n_samples, self.thresholds = n_features, n_samples, tuple(thresholds)
        # TF1's names: relu/threshold once, then each call's relu{_i}/weights and relu{_i}/bias.
        self.variables = {"relu/threshold": "threshold"}
        for i in range(n_relus):
            self.variables.update({f"{unit_name(i)}/{kind}": f"{unit_name(i)}/{kind}" for kind in ("weights", "bias")})
        model = SummedReLUs(n_relus, name=self.recipe)
        model.build((None, n_features))
        return model

    def fit(self, run):
        X_data = np.random.randn(self.n_samples, self.n_features).astype(np.float32)  # the TF1 run's draw
        for step, threshold_value in enumerate(self.thresholds):
            self.model.threshold.assign(threshold_value)
            output_val = self.model(X_data).numpy()
            run.report(step, output_val.mean(), threshold=threshold_value)
        self.checkpoint().write(run.checkpoint_path)
