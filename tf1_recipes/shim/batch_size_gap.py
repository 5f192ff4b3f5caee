"""Shim port of :mod:`tf1_recipes.recipes.batch_size_gap`: ``relu_mlp`` of the TF1 body, GD with a ``global_step``.

The recipe's ``global_step`` (``tf.Variable(0, name="global_step")`` in the ``train`` scope,
advanced by ``minimize``) is the shim's :attr:`ShimPort.global_step`: the same name
(``train/global_step``), advanced by the TF1 optimizer's ``apply_gradients``, saved and
restored with the model; the ``steps`` extra reads it.
"""

import tensorflow as tf

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.families.relu_mlp import relu_mlp
from tf1_recipes.shim import shim
from tf1_recipes.shim.base import ShimPort


@shim("batch_size_gap")
class Shim(ShimPort):
    """The 300/100 ReLU MLP (TF1 code), GD; accuracy, steps so far and validation loss per epoch."""

    def forward(self, X, training):
        h = self.hyper
        return relu_mlp(X, h["n_hidden1"], h["n_hidden2"], h["n_outputs"])

    def tf1_optimizer(self):
        with tf1.name_scope(self.optimizer_scope):
            self.global_step = tf.Variable(0, trainable=False, name="global_step")
        return tf1.train.GradientDescentOptimizer(self.hyper["learning_rate"])

    def report(self, run, epoch, X_eval, y_eval):
        accuracy, loss = self.evaluate(X_eval, y_eval)
        run.report(epoch, accuracy, steps=int(self.global_step.numpy()), loss=loss)
