"""TF2 port of :mod:`tf1_recipes.recipes.dropout_bn_order`: one Keras ``Dropout`` before or after the last batch norm.

TF1 → TF2: the layers as batch_norm's port (Keras ``BatchNormalization(momentum=0.9,
epsilon=1e-3)``, contrib He init), ``tf.layers.dropout(rate, training=training)`` →
``keras.layers.Dropout(rate)``, active when the model is called with ``training=True``.
The variance-shift extra needs the second dense layer's output: a second Keras model on
the same layers (``hidden2_model``: logits and ``hidden2``) computes it, as TF1 fetched the
``hidden2`` tensor with ``accuracy`` and ``loss`` in one ``sess.run``: one traced forward pass.
"""

import functools

import keras
import numpy as np
import tensorflow as tf

from tf1_recipes.recipes.families.pitfalls import mean_variance_ratio
from tf1_recipes.tf2 import port
from tf1_recipes.tf2.base import Port, mean_xentropy
from tf1_recipes.tf2.defaults import BATCH_NORM_EPSILON, contrib_he_init
from tf1_recipes.tf2.optimizers import FusedSGD

POSITIONS = ("before_bn", "after_bn")


@port("dropout_bn_order")
class DropoutBNOrder(Port):
    """Dense → batch norm → ELU twice, then Dense logits; one dropout layer before or after the second batch norm."""

    # tf.layers.batch_normalization names its layers batch_normalization, _1 in call order.
    variables = {
        "hidden1/kernel": "hidden1/kernel",
        "hidden1/bias": "hidden1/bias",
        **{f"batch_normalization/{v}": f"bn1/{v}" for v in ("gamma", "beta", "moving_mean", "moving_variance")},
        "hidden2/kernel": "hidden2/kernel",
        "hidden2/bias": "hidden2/bias",
        **{f"batch_normalization_1/{v}": f"bn2/{v}" for v in ("gamma", "beta", "moving_mean", "moving_variance")},
        "outputs/kernel": "outputs/kernel",
        "outputs/bias": "outputs/bias",
    }
    has_training_mode = True
    has_dropout = True

    def build(
        self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate, batch_norm_momentum, dropout_rate, dropout_position
    ):
        if dropout_position not in POSITIONS:
            raise ValueError(f"dropout_position must be one of {POSITIONS}, got {dropout_position!r}")

        def dense(units, name):
            return keras.layers.Dense(units, kernel_initializer=contrib_he_init(), name=name)

        def batch_norm(name):
            return keras.layers.BatchNormalization(momentum=batch_norm_momentum, epsilon=BATCH_NORM_EPSILON, name=name)

        X = keras.Input(shape=(n_inputs,))
        bn1 = keras.layers.Activation("elu")(batch_norm("bn1")(dense(n_hidden1, "hidden1")(X)))
        if dropout_position == "before_bn":
            bn1 = keras.layers.Dropout(dropout_rate, name="dropout")(bn1)  # feeds bn2: the variance shift
        hidden2 = dense(n_hidden2, "hidden2")(bn1)
        bn2 = keras.layers.Activation("elu")(batch_norm("bn2")(hidden2))
        if dropout_position == "after_bn":
            bn2 = keras.layers.Dropout(dropout_rate, name="dropout")(bn2)  # after the last batch norm: no shift
        logits = dense(n_outputs, "outputs")(bn2)
        self.hidden2_model = keras.Model(X, [logits, hidden2], name="hidden2")
        return keras.Model(X, logits, name=self.recipe), FusedSGD(learning_rate)

    @functools.cached_property
    def report_values(self):
        """``sess.run([accuracy, loss, hidden2], feed_dict={X: X, y: y})``: one traced forward pass in inference mode.

        ``report_values(X, y)``: X float32 images ``[N, n_inputs]``, y int64 classes ``[N]``
        (:meth:`~tf1_recipes.tf2.base.Port.split_function`). Returns (accuracy, loss, hidden2) as tensors:
        float32 scalars (top-1 as ``in_top_k`` counts it; mean cross-entropy, the model having no
        regularisation losses) and hidden2's output ``[N, n_hidden2]``.
        """

        def values(X, y):
            logits, hidden2 = self.hidden2_model(X, training=False)
            correct = tf.math.in_top_k(targets=y, predictions=logits, k=1)
            return tf.reduce_mean(tf.cast(correct, tf.float32)), mean_xentropy(y, logits), hidden2

        return self.split_function(values)

    def report(self, run, epoch, X_eval, y_eval):
        accuracy_val, loss_val, hidden2_val = self.report_values(X_eval, y_eval)
        accuracy_val, loss_val, hidden2_val = float(accuracy_val), float(loss_val), hidden2_val.numpy()
        moving_variance_val = self.model.get_layer("bn2").moving_variance.numpy()
        shift = mean_variance_ratio(moving_variance_val, np.var(hidden2_val, axis=0))
        run.report(epoch, accuracy_val, variance_shift=shift, loss=loss_val)
