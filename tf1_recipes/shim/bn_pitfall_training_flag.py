"""Shim port of :mod:`tf1_recipes.recipes.bn_pitfall_training_flag`: batch statistics at test time, on purpose.

The model and its training are batch_norm's shim (the moving statistics updated inside
each training call). The pitfall is the evaluation: TF1 fed ``training=True`` while
evaluating 10 images at a time and did not fetch ``UPDATE_OPS``, so its moving statistics
stayed put. Called with ``training=True`` the shim's TF1 batch-norm layers update them
inside the call, so the evaluation restores them afterwards (one ``tf.function`` per
batch size: read, call, assign back).
"""

import tensorflow as tf

from tf1_recipes.shim import shim
from tf1_recipes.shim.families.pitfalls import BatchNormDNN
from tf1_recipes.tf2 import bn_pitfall_training_flag as native


@shim("bn_pitfall_training_flag")
class Shim(BatchNormDNN, native.BNPitfallTrainingFlag):
    """batch_norm's TF1 model code trained correctly, evaluated with batch statistics in batches of ``eval_batch_size``.

    The evaluation loop and the report are the native port's; only the training-mode accuracy differs.
    """

    def build(self, **hyper):
        self.eval_batch_size = hyper["eval_batch_size"]
        return super().build(**hyper)

    def training_mode_accuracy(self, X, y):
        """TF1's ``accuracy`` fetched with ``training`` fed True, no update ops run: the moving statistics put back."""
        moving = self.model.non_trainable_variables
        before = [v.read_value() for v in moving]
        logits = self.logits(X, training=True)
        for variable, value in zip(moving, before):
            variable.assign(value)
        return tf.reduce_mean(tf.cast(tf.math.in_top_k(targets=y, predictions=logits, k=1), tf.float32))
