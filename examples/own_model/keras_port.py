"""The Keras 3 port of ``train_tf1.py``'s model: what ``migrate-ckpt --to`` and ``parity --tf2`` are given.

``build()`` returns ``(model, optimizer)``. What makes it the same model (each one a
default where Keras 3 and TF1 differ; MIGRATION.md has the full table):

* the layers in TF1's order, so the automatic mapping pairs ``dense`` → the first Dense,
  ``batch_normalization`` → the BatchNormalization, ``dense_1``, ``dense_2`` → the next Dense layers;
* ``BatchNormalization(momentum=0.9)`` as the TF1 script passed (both default to 0.99 and
  epsilon 1e-3), no activation inside the first Dense (TF1 applied ELU after the batch norm);
* ``Adam(epsilon=1e-8)``: ``tf.compat.v1.train.AdamOptimizer``'s default, Keras' is 1e-7;
* the outputs are the logits: no softmax.
"""

import keras


class TransposedDense(keras.layers.Dense):
    """A Dense layer that multiplies by its kernel transposed: a mistake only a square kernel lets load unseen."""

    def call(self, inputs):
        return self.activation(keras.ops.matmul(inputs, keras.ops.transpose(self.kernel)) + self.bias)


def _model(second_layer=keras.layers.Dense, epsilon=1e-3):
    return keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(100, use_bias=False),
            keras.layers.BatchNormalization(momentum=0.9, epsilon=epsilon),
            keras.layers.Activation("elu"),
            second_layer(100, activation="elu"),
            keras.layers.Dense(10),
        ],
        name="own_model",
    )


def _adam():
    return keras.optimizers.Adam(learning_rate=0.001, epsilon=1e-8)


def build():
    """(the Keras 3 model, its Adam optimizer), the model built for 784 inputs."""
    return _model(), _adam()


def build_wrong_epsilon():
    """A deliberately wrong port: batch norm's epsilon 1e-5 instead of TF1's 1e-3 (parity must FAIL it)."""
    return _model(epsilon=1e-5), _adam()


def build_transposed_kernel():
    """A deliberately wrong port: the square 100 x 100 kernel of the second layer applied transposed (parity must FAIL it)."""
    return _model(second_layer=TransposedDense), _adam()
