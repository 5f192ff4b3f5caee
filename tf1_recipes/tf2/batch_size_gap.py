"""TF2 port of :mod:`tf1_recipes.recipes.batch_size_gap`: the 300/100 ReLU MLP, GD 0.1, small vs large batches.

TF1's ``global_step`` (advanced by ``minimize``) is the optimizer's ``iterations`` counter.
The epoch's ``sess.run([accuracy, loss, global_step])`` is one traced forward pass
(:meth:`BatchSizeGap.report_values`).
"""

import functools

import tensorflow as tf

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.base import Port, mean_xentropy
from tf1_recipes.tf2.models import dense_variables, mlp
from tf1_recipes.tf2.optimizers import FusedSGD


@port("batch_size_gap")
class BatchSizeGap(Port):
    """ReLU 300/100 MLP, GD; validation accuracy, steps so far and validation loss per epoch."""

    variables = dense_variables("hidden1", "hidden2", "outputs")
    tf1_optimizer_globals = ("train/global_step",)

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate):
        return mlp(self.recipe, n_inputs, [n_hidden1, n_hidden2], n_outputs), FusedSGD(learning_rate)

    @functools.cached_property
    def report_values(self):
        """``sess.run([accuracy, loss, global_step], feed_dict={X: X, y: y})``: one traced forward pass in inference mode.

        ``report_values(X, y)``: X float32 images ``[N, n_inputs]``, y int64 classes ``[N]``
        (:meth:`~tf1_recipes.tf2.base.Port.split_function`). Returns (accuracy, loss, steps) as tensors: top-1
        as ``in_top_k`` counts it, the mean cross-entropy (the model has no regularisation losses), the
        optimizer's ``iterations``.
        """

        def values(X, y):
            logits = self.model(X, training=False)
            correct = tf.math.in_top_k(targets=y, predictions=logits, k=1)
            return tf.reduce_mean(tf.cast(correct, tf.float32)), mean_xentropy(y, logits), self.optimizer.iterations

        return self.split_function(values)

    def report(self, run, epoch, X_eval, y_eval):
        accuracy, loss, steps = self.report_values(X_eval, y_eval)
        run.report(epoch, float(accuracy), steps=int(steps), loss=float(loss))
