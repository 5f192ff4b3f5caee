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

import numpy as np

import tensorflow as tf

from tf1_recipes.recipes.families.pitfalls import mean_variance_ratio
from tf1_recipes.tf2 import port
from tf1_recipes.tf2.base import Port
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
        return model, FusedSGD(learning_rate)

    def _train_step(self, X, y):
        """One step; returns (loss, accuracy of the batch in training mode), as TF1 fetched [training_op, accuracy]."""
        loss, logits = self.gradient_step(self.model, X, y)
        return loss, tf.reduce_mean(tf.cast(tf.math.in_top_k(y, logits, 1), tf.float32))

    def hidden1_output(self, X):
        """hidden1's pre-batch-norm output on ``X`` (TF1: ``get_tensor_by_name("dnn/hidden1/BiasAdd:0")``), NumPy."""
        return self.model.get_layer("hidden1")(tf.convert_to_tensor(X, tf.float32)).numpy()

    def moving_variance(self):
        """The first batch-norm layer's moving variance, NumPy."""
        return self.model.get_layer("bn1").moving_variance.numpy()

    def fit(self, run):
        """The recipe's loop: the moving-variance ratio per epoch, with valid/train accuracy and the loss."""
        X_eval, y_eval = run.eval_split()
        for epoch in range(self.n_epochs):
            train_accuracies = self.train_epoch(run)[:, 1]  # per step: (loss, accuracy)
            accuracy, loss = self.evaluate(X_eval, y_eval)
            ratio = mean_variance_ratio(self.moving_variance(), np.var(self.hidden1_output(X_eval), axis=0))
            run.report(epoch, ratio, valid_accuracy=accuracy, train_accuracy=float(np.mean(train_accuracies)), loss=loss)
        self.save(run.checkpoint_path)
