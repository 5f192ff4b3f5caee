"""TF2 port of :mod:`tf1_recipes.recipes.clip_by_global_norm`: clipping by global norm, norms to TensorBoard.

* ``compute_gradients`` / ``clip_by_global_norm`` / ``apply_gradients`` → the tape's
  gradients through the same ``tf.clip_by_global_norm`` (a TF2 API), then ``apply_gradients``.
* ``tf.summary.scalar`` ops merged and written with ``summary.FileWriter.add_summary(s, step)``
  → ``tf.summary.create_file_writer(run.log_dir)`` and, under ``writer.as_default()``, one
  scalar per tag and step: the same tags, the same steps. (``tf.summary.scalar`` is
  TensorBoard's implementation and needs the ``tensorboard`` package, which this project
  does not install; :func:`scalar` writes the same record with TF's own ``tf.summary.write``.)
"""

import numpy as np
import tensorflow as tf

from tensorflow.core.framework import summary_pb2

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.base import Port
from tf1_recipes.tf2.models import dense_variables, mlp
from tf1_recipes.tf2.optimizers import FusedSGD

CLIPPING = ("global_norm", "by_value")
#: What TensorBoard's scalar summary attaches to its records: its scalars plugin reads them.
SCALAR_METADATA = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))


def scalar(tag, value, step):
    """``tf.summary.scalar(tag, value, step)`` without TensorBoard installed: a float32 scalar record."""
    return tf.summary.write(tag, tf.cast(value, tf.float32), step=step, metadata=SCALAR_METADATA)


@port("clip_by_global_norm")
class ClipByGlobalNorm(Port):
    """Five ReLU layers; gradients clipped by global norm (or by value) before they are applied."""

    variables = dense_variables("hidden1", "hidden2", "hidden3", "hidden4", "hidden5", "outputs")

    def build(
        self, *, n_inputs, n_hidden1, n_hidden2, n_hidden3, n_hidden4, n_hidden5, n_outputs, learning_rate, threshold, clipping
    ):
        if clipping not in CLIPPING:
            raise ValueError(f"unknown clipping {clipping!r}; choose one of {', '.join(CLIPPING)}")
        self.threshold, self.clipping = threshold, clipping
        hidden = [n_hidden1, n_hidden2, n_hidden3, n_hidden4, n_hidden5]
        return mlp(self.recipe, n_inputs, hidden, n_outputs), FusedSGD(learning_rate)

    def _train_step(self, X, y):
        """One step; returns (loss, global norm before clipping, global norm after)."""
        variables = self.model.trainable_variables
        with tf.GradientTape() as tape:
            loss = self.loss(X, y, training=True)
        grads = tape.gradient(loss, variables)
        if self.clipping == "global_norm":
            capped, global_norm = tf.clip_by_global_norm(grads, self.threshold)
        else:
            capped = [tf.clip_by_value(grad, -self.threshold, self.threshold) for grad in grads]
            global_norm = tf.linalg.global_norm(grads)
        self.optimizer.apply_gradients(zip(capped, variables))
        return loss, global_norm, tf.linalg.global_norm(capped)

    @staticmethod
    def write_norms(norms, first_step):
        """An epoch's per-step ``[before, after]`` norms, as TF1 added them: both tags at steps ``first_step``,
        ``first_step + 1``, ... (:meth:`fit` calls it as one ``tf.function`` per epoch under its writer, which
        the function holds from its first trace: not two eager writes per step)."""
        for i in tf.range(tf.shape(norms)[0]):
            step = first_step + tf.cast(i, tf.int64)
            scalar("per_step/global_norm_before", norms[i, 0], step)
            scalar("per_step/global_norm_after", norms[i, 1], step)

    def fit(self, run):
        writer = tf.summary.create_file_writer(run.log_dir)
        X_eval, y_eval = run.eval_split()
        write_norms = tf.function(self.write_norms, input_signature=[tf.TensorSpec([None, 2], tf.float32),
                                                                    tf.TensorSpec([], tf.int64)])
        step = 0
        for epoch in range(self.n_epochs):
            norms = self.train_epoch(run)[:, 1:]  # per step: (loss, before, after)
            with writer.as_default():
                write_norms(norms, tf.constant(step, tf.int64))
            step += len(norms)
            accuracy, loss = self.evaluate(X_eval, y_eval)
            before, after = np.mean(norms, axis=0)
            clipped = np.mean([a < b for b, a in norms])
            run.report(epoch, accuracy, global_norm_before=before, global_norm_after=after, clipped_fraction=clipped, loss=loss)
        self.save(run.checkpoint_path)
        writer.close()
