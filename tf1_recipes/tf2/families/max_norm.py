"""The max-norm ports' model: max-norm after every step, two ways; each port is ``tf2/<name>.py``.

* ``max_norm_manual``: TF1 ran ``assign(W, clip_by_norm(W, threshold, axes=1))`` after each
  training op; the port assigns the same ``tf.clip_by_norm`` in :meth:`after_step`, inside
  the traced step.
* ``max_norm_regularizer``: TF1's ``kernel_regularizer`` filled a ``max_norm`` collection
  with the assign ops; Keras' place for this is a ``kernel_constraint``, which the
  optimizer applies after each update: ``MaxNorm(threshold, axis=MAX_NORM_AXIS)``.

The axis is the trap: ``clip_by_norm(W, axes=1)`` on a ``(inputs, units)`` kernel bounds each
*row* (one input's outgoing weights); ``keras.constraints.MaxNorm``'s default ``axis=0``
bounds each *column* (one unit's incoming weights), and its default ``max_value`` is 2.
"""

import keras
import tensorflow as tf

from tf1_recipes.tf2.base import Port
from tf1_recipes.tf2.models import dense_variables, mlp
from tf1_recipes.tf2.optimizers import FusedSGD

#: clip_by_norm(axes=1) on a (inputs, units) kernel: the norm of each row (keras MaxNorm default: 0).
MAX_NORM_AXIS = 1
CLIPPING = ("manual", "regularizer")


class MaxNormMLP(Port):
    """300/50 ReLU MLP, momentum; the hidden kernels' rows clipped to norm <= threshold after every step."""

    variables = dense_variables("hidden1", "hidden2", "outputs")
    tf1_slots = ("Momentum",)
    # Glorot rows of hidden1/hidden2 have norms ~0.74 and ~0.53: the reference threshold 1.0
    # clips nothing within K steps, 0.5 clips from the first step.
    parity_overrides = {"threshold": 0.5}

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate, momentum, threshold, clipping):
        if clipping not in CLIPPING:
            raise ValueError(f"unknown clipping {clipping!r}; choose one of {', '.join(CLIPPING)}")
        self.threshold, self.clipping = threshold, clipping
        constraint = {"kernel_constraint": keras.constraints.MaxNorm(threshold, axis=MAX_NORM_AXIS)}
        model = mlp(
            self.recipe,
            n_inputs,
            [n_hidden1, n_hidden2],
            n_outputs,
            hidden_kwargs=constraint if clipping == "regularizer" else {},
        )
        self.clipped = [model.get_layer("hidden1").kernel, model.get_layer("hidden2").kernel]
        return model, FusedSGD(learning_rate, momentum=momentum)

    def after_step(self):
        if self.clipping == "manual":
            for kernel in self.clipped:
                kernel.assign(tf.clip_by_norm(kernel, clip_norm=self.threshold, axes=[MAX_NORM_AXIS]))
