"""Shim port of :mod:`tf1_recipes.recipes.dropout_bn_order`: ``dropout_bn_dnn`` of the TF1 body, plain GD.

At rung 2 the ``UPDATE_OPS`` the recipe fetched with its training op are part of the
training call (see :mod:`tf1_recipes.shim.families.pitfalls`), and the ``hidden2`` tensor
it fetched for the variance-shift extra is a second output of the model function: the
shim keeps the last eager call's ``hidden2`` (:attr:`Shim.fetched`), as a session run
returned every fetched tensor.
"""

import numpy as np

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.dropout_bn_order import dropout_bn_dnn
from tf1_recipes.recipes.families.pitfalls import mean_variance_ratio
from tf1_recipes.shim import shim
from tf1_recipes.shim.base import ShimPort


@shim("dropout_bn_order")
class Shim(ShimPort):
    """Dense -> batch norm -> ELU twice, Dense logits (TF1 code), one dropout before or after the second batch norm."""

    has_training_mode = True
    has_dropout = True

    def forward(self, X, training):
        h = self.hyper
        hidden2, logits = dropout_bn_dnn(X, training, h["n_hidden1"], h["n_hidden2"], h["n_outputs"],
                                         h["batch_norm_momentum"], h["dropout_rate"], h["dropout_position"])
        #: {"hidden2": the second dense layer's output} of the last call (read after an eager call only).
        self.fetched = {"hidden2": hidden2}
        return logits

    def tf1_optimizer(self):
        return tf1.train.GradientDescentOptimizer(self.hyper["learning_rate"])

    def report(self, run, epoch, X_eval, y_eval):
        """The TF1 recipe's extras: ``variance_shift`` (batch_normalization_1's moving variance over hidden2's variance) and ``loss``."""
        accuracy_val, loss_val = self.evaluate(X_eval, y_eval)  # an eager call: self.fetched is the split's
        hidden2_val = self.fetched["hidden2"].numpy()
        moving_variance_val = self.keras_variables()["batch_normalization_1/moving_variance"].numpy()
        shift = mean_variance_ratio(moving_variance_val, np.var(hidden2_val, axis=0))
        run.report(epoch, accuracy_val, variance_shift=shift, loss=loss_val)
