"""The kernel-regularizers ports' model: ``kernel_regularizer`` → Keras regularizers; each port is ``tf2/<name>.py``.

TF1's ``REGULARIZATION_LOSSES`` collection becomes ``model.losses`` (Keras recomputes each
regulariser from the current kernel whenever it is read, so the penalty's gradient is on
the tape), added to the mean cross-entropy as the TF1 code's ``add_n``. The scales differ:

* contrib ``l1_regularizer(scale)`` = ``scale * sum|W|`` = ``keras.regularizers.L1(scale)``;
* contrib ``l2_regularizer(scale)`` = ``scale * sum(W**2) / 2`` (``tf.nn.l2_loss``), but
  ``keras.regularizers.L2(l2)`` = ``l2 * sum(W**2)``: the port passes ``L2(scale / 2)``.
"""

import keras

from tf1_recipes.tf2.base import Port
from tf1_recipes.tf2.models import dense_variables, mlp
from tf1_recipes.tf2.optimizers import FusedSGD

#: contrib.l2_regularizer halves: scale * tf.nn.l2_loss(W) = scale * sum(W**2) / 2.
L2_FACTOR = 0.5


def keras_regularizer(kind, scale):
    """The Keras regulariser equal to contrib's ``<kind>_regularizer(scale)``."""
    if kind == "l1":
        return keras.regularizers.L1(scale)
    if kind == "l2":
        return keras.regularizers.L2(scale * L2_FACTOR)
    raise ValueError(f"unknown regularizer {kind!r}; choose one of l1, l2")


class Regularized(Port):
    """300/50 ReLU MLP with every kernel regularised; GD."""

    variables = dense_variables("hidden1", "hidden2", "outputs")

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, scale, learning_rate, regularizer):
        model = mlp(
            self.recipe, n_inputs, [n_hidden1, n_hidden2], n_outputs, kernel_regularizer=keras_regularizer(regularizer, scale)
        )
        return model, FusedSGD(learning_rate)
