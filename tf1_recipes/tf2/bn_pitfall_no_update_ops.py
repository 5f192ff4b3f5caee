"""TF2 port of :mod:`tf1_recipes.recipes.bn_pitfall_no_update_ops`: the pitfall's numbers, reproduced on purpose.

In TF2 this pitfall cannot happen by accident: a Keras ``BatchNormalization`` called with
``training=True`` always updates its moving statistics. Its *numbers* (trained with batch
statistics, moving mean and variance frozen at 0 and 1) are a ``BatchNormalization`` whose
moving average keeps the old value entirely: ``momentum=1.0``
(``moving * 1.0 + batch * 0.0`` is ``moving`` exactly). The ``fixed`` preset
(``run_update_ops``) is batch_norm's model, momentum and all.

The metric, as the TF1 recipe computes it: hidden1's ``bn1`` moving variance over hidden1's
actual variance on the evaluation split, averaged over units.
"""

import functools

import numpy as np

import keras
import tensorflow as tf

from tf1_recipes.recipes.families.pitfalls import mean_variance_ratio
from tf1_recipes.tf2 import port
from tf1_recipes.tf2.base import Port, mean_xentropy
from tf1_recipes.tf2.batch_norm import BatchNorm, batch_norm_model
from tf1_recipes.tf2.optimizers import FusedSGD

#: The moving-average momentum at which the moving statistics never change, as when TF1's UPDATE_OPS never ran.
FROZEN_STATISTICS = 1.0


@port("bn_pitfall_no_update_ops")
class BNPitfallNoUpdateOps(Port):
    """batch_norm's network trained with batch statistics, moving statistics never updated."""

    variables = BatchNorm.variables
    has_training_mode = True

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate, batch_norm_momentum, run_update_ops):
        # batch_norm_momentum is what TF1 would have used had the update ops run; without them it is not.
        momentum = batch_norm_momentum if run_update_ops else FROZEN_STATISTICS
        model = batch_norm_model(self.recipe, n_inputs, n_hidden1, n_hidden2, n_outputs, momentum)
        #: (the logits, hidden1's pre-batch-norm output): what the TF1 recipe's evaluation fetches.
        self.report_model = keras.Model(model.inputs, [model.layers[-1].output, model.get_layer("hidden1").output])
        return model, FusedSGD(learning_rate)

    def _train_step(self, X, y):
        """One step; returns (loss, accuracy of the batch in training mode), as TF1 fetched [training_op, accuracy]."""
        loss, logits = self.gradient_step(self.model, X, y)
        return loss, tf.reduce_mean(tf.cast(tf.math.in_top_k(y, logits, 1), tf.float32))

    def report_outputs(self, X):
        """(logits, hidden1's pre-batch-norm output) on ``X`` in inference mode (TF1: ``logits`` and
        ``get_tensor_by_name("dnn/hidden1/BiasAdd:0")``): float32 ``[N, n_outputs]``, ``[N, n_hidden1]``."""
        return self.report_model(X, training=False)

    def moving_variance(self):
        """The first batch-norm layer's moving variance, NumPy."""
        return self.model.get_layer("bn1").moving_variance.numpy()

    @functools.cached_property
    def report_values(self):
        """``sess.run([accuracy, loss, hidden1, moving_variance], ...)``'s first three: one traced forward pass in inference mode.

        ``report_values(X, y)``: X float32 images ``[N, n_inputs]``, y int64 classes ``[N]``
        (:meth:`~tf1_recipes.tf2.base.Port.split_function`). Returns (accuracy, loss, hidden1) as tensors:
        float32 scalars (top-1 as ``in_top_k`` counts it; mean cross-entropy, the model having no
        regularisation losses) and hidden1's pre-batch-norm output ``[N, n_hidden1]``.
        """

        def values(X, y):
            logits, hidden1 = self.report_outputs(X)
            correct = tf.math.in_top_k(targets=y, predictions=logits, k=1)
            return tf.reduce_mean(tf.cast(correct, tf.float32)), mean_xentropy(y, logits), hidden1

        return self.split_function(values)

    def fit(self, run):
        """The recipe's loop: the moving-variance ratio per epoch, with valid/train accuracy and the loss."""
        X_eval, y_eval = run.eval_split()
        for epoch in range(self.n_epochs):
            train_accuracies = self.train_epoch(run)[:, 1]  # per step: (loss, accuracy)
            accuracy, loss, hidden1 = self.report_values(X_eval, y_eval)
            ratio = mean_variance_ratio(self.moving_variance(), np.var(hidden1.numpy(), axis=0))
            run.report(epoch, ratio, valid_accuracy=float(accuracy), train_accuracy=float(np.mean(train_accuracies)),
                       loss=float(loss))
        self.save(run.checkpoint_path)
