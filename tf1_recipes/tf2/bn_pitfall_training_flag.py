"""TF2 port of :mod:`tf1_recipes.recipes.bn_pitfall_training_flag`: batch statistics at test time, on purpose.

The model and its training are batch_norm's port (:func:`~tf1_recipes.tf2.batch_norm.batch_norm_model`,
plain GD, the moving statistics updated in every training step). The pitfall is the
evaluation: TF1 fed the ``training`` placeholder True while evaluating, 10 images at a time.

TF1 → TF2:

* ``accuracy.eval(feed_dict={training: True, X: X_batch, ...})`` → the model called in
  training mode, but **not** as ``model(X, training=True)``: in Keras that call also updates
  the moving statistics, where TF1's evaluation left them alone (the update ops were not
  fetched). The port evaluates with ``model.stateless_call(..., training=True)``, which
  returns the new statistics instead of assigning them, and throws them away;
* ``sess.run([accuracy, loss])`` with ``training`` at its default (False) →
  ``Port.evaluate`` (inference mode, the moving statistics).
"""

import tensorflow as tf

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.base import Port
from tf1_recipes.tf2.batch_norm import BatchNorm, batch_norm_model
from tf1_recipes.tf2.defaults import contrib_he_init
from tf1_recipes.tf2.optimizers import FusedSGD


@port("bn_pitfall_training_flag")
class BNPitfallTrainingFlag(Port):
    """batch_norm's network trained correctly, evaluated with batch statistics in batches of ``eval_batch_size``."""

    variables = BatchNorm.variables
    has_training_mode = True

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate, batch_norm_momentum, eval_batch_size):
        self.eval_batch_size = eval_batch_size
        model = batch_norm_model(self.recipe, n_inputs, n_hidden1, n_hidden2, n_outputs, batch_norm_momentum, contrib_he_init)
        return model, FusedSGD(learning_rate)

    def training_mode_logits(self, X):
        """The logits with each batch normalised by its own statistics, the moving ones untouched."""
        trainable = [v.value for v in self.model.trainable_variables]
        non_trainable = [v.value for v in self.model.non_trainable_variables]
        logits, _updated_statistics = self.model.stateless_call(trainable, non_trainable, X, training=True)
        return logits

    def training_mode_accuracy(self, X, y):
        """TF1's ``accuracy`` fetched with ``training`` fed True (no update ops run)."""
        return tf.reduce_mean(tf.cast(tf.math.in_top_k(targets=y, predictions=self.training_mode_logits(X), k=1), tf.float32))

    def training_mode_accuracies(self, X, y, batch_size):
        """:meth:`training_mode_accuracy` of each ``batch_size`` rows of ``X``, ``y`` in order (the last
        slice may be shorter), float32 ``[n_slices]``: a whole split's slices in one ``tf.while_loop``."""
        starts = tf.range(0, tf.shape(X)[0], batch_size)
        accuracies = tf.TensorArray(tf.float32, size=tf.size(starts))
        for i in tf.range(tf.size(starts)):
            start = starts[i]
            accuracies = accuracies.write(i, self.training_mode_accuracy(X[start : start + batch_size], y[start : start + batch_size]))
        return accuracies.stack()

    def accuracy_in_batches(self, X, y, batch_size):
        """The training-mode accuracy over a split, ``batch_size`` images at a time, weighted by batch size.

        One call of :meth:`training_mode_accuracies` (a ``tf.function``) for the whole split, not
        one per 10 images; the weighted sum is TF1's (``families.pitfalls.accuracy_in_batches``), in Python floats.
        """
        if getattr(self, "_accuracies", None) is None:
            X_spec, y_spec = self.step_signature()
            self._accuracies = tf.function(self.training_mode_accuracies,
                                           input_signature=(X_spec, y_spec, tf.TensorSpec([], tf.int32)))
        accuracies = self._accuracies(tf.convert_to_tensor(X, tf.float32), tf.convert_to_tensor(y, tf.int64),
                                      tf.constant(batch_size, tf.int32)).numpy()
        total = 0.0
        for start, accuracy in zip(range(0, len(X), batch_size), accuracies):
            total += float(accuracy) * len(X[start : start + batch_size])
        return total / len(X)

    def report(self, run, epoch, X_eval, y_eval):
        training_mode_val = self.accuracy_in_batches(X_eval, y_eval, self.eval_batch_size)
        accuracy_val, loss_val = self.evaluate(X_eval, y_eval)
        run.report(epoch, training_mode_val, inference_accuracy=accuracy_val, loss=loss_val)
