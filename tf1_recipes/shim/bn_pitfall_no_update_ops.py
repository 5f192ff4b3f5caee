"""Shim port of :mod:`tf1_recipes.recipes.bn_pitfall_no_update_ops`: the pitfall, which rung 2 cannot make by accident.

The TF1 recipe's pitfall is a collection nobody ran: ``minimize(loss)`` without
``UPDATE_OPS``. In the shim that collection is gone: the TF1 batch-norm layers, called
with ``training=True``, assign their moving statistics inside the call (tf-keras warns
``UPDATE_OPS`` is ignored), so the same TF1 code now *does* update them. To keep the
recipe's numbers (preset ``pitfall``) the shim's step puts the moving statistics back to
what they were before the step, which is what never running the update ops amounted to;
``run_update_ops`` (preset ``fixed``) leaves the in-call update alone. The step returns
the batch's training-mode accuracy with its loss, as TF1 fetched ``[training_op, accuracy]``.

``get_tensor_by_name("dnn/hidden1/BiasAdd:0")`` (the metric reads hidden1's output) has no
eager counterpart: the shim computes hidden1 from its variables by their TF1 names
(``MatMul`` + ``BiasAdd``, the ops ``tf.layers.dense`` runs).
"""

import tensorflow as tf

from tf1_recipes.shim import shim
from tf1_recipes.shim.families.pitfalls import BatchNormDNN
from tf1_recipes.tf2 import bn_pitfall_no_update_ops as native
from tf1_recipes.tf2.base import mean_xentropy


@shim("bn_pitfall_no_update_ops")
class Shim(BatchNormDNN, native.BNPitfallNoUpdateOps):
    """batch_norm's TF1 model code trained with batch statistics; the moving statistics restored after each step (pitfall).

    The loop and its report are the native port's; the step, hidden1's output and the moving variance are the shim's.
    """

    def _train_step(self, X, y):
        """One GD step; returns (loss, training-mode accuracy of the batch); undoes the moving-statistics update unless ``run_update_ops``."""
        moving = [] if self.hyper["run_update_ops"] else self.model.non_trainable_variables
        before = [v.read_value() for v in moving]
        variables = self.model.trainable_variables
        with tf.GradientTape() as tape:
            logits = self.logits(X, training=True)
            loss = mean_xentropy(y, logits)
        self.apply_gradients(tape.gradient(loss, variables), variables)
        for variable, value in zip(moving, before):
            variable.assign(value)  # the update ops never ran
        return loss, tf.reduce_mean(tf.cast(tf.math.in_top_k(y, logits, 1), tf.float32))

    def report_outputs(self, X):
        """(logits, hidden1's output) in inference mode, hidden1 from its variables by their TF1 names (``MatMul`` +
        ``BiasAdd``, as ``tf.layers.dense``)."""
        named = self.keras_variables()
        return self.logits(X, training=False), tf.nn.bias_add(tf.matmul(X, named["hidden1/kernel"]), named["hidden1/bias"])

    def moving_variance(self):
        return self.keras_variables()["batch_normalization/moving_variance"].numpy()
