"""Shim port of :mod:`tf1_recipes.recipes.logistic_regression_tensorboard`: the recipe's model, loss and summary op, eagerly.

The model code is the recipe's :func:`~tf1_recipes.recipes.logistic_regression_tensorboard.model`
(in the ``logistic_regression`` name scope, as ``logistic_regression()`` calls it), the loss its
``log_loss`` (``tf.compat.v1.losses.log_loss``), the optimizer TF1's ``GradientDescentOptimizer``;
the data, the batches (``random_batch``) and the loop are the native port's. What breaks at rung 2:

* ``theta`` is a bare ``tf.Variable``: the shim layer would neither track nor reuse it (a new
  random theta on every call). :class:`~tf1_recipes.shim.families.tf_variables.CreatedOnce`
  creates it once, under its TF1 name ``logistic_regression/model/theta``, and reuses it.
* TensorBoard: ``tf.compat.v1.summary.FileWriter`` refuses eager execution ("not compatible with
  eager execution. Use tf.summary.create_file_writer"). The recipe's summary op,
  ``tf.compat.v1.summary.scalar``, still runs eagerly and returns the serialized ``Summary``
  (tag ``logistic_regression/train/log_loss`` from the name scopes). Run under a default TF2
  writer with a step set, TensorFlow forwards it to ``tf.summary.scalar`` instead, which needs the
  ``tensorboard`` package (not a dependency here: ``TBNotInstalledError``). So the shim runs the op
  outside the writer and writes its string with ``tf.summary.experimental.write_raw_pb`` under
  ``tf.summary.create_file_writer(logdir)``: what ``file_writer.add_summary(summary_str, epoch)``
  did. The graph the ``FileWriter`` wrote becomes the traced training step's (``tf.summary.graph``).
* ``Saver(max_to_keep=None).save(sess, path, global_step=epoch)`` works eagerly with ``sess=None``
  and an explicit ``var_list`` (there is no graph to collect variables from), and without the
  ``.meta`` file (no graph to export): the numbered checkpoints ``logreg_model.ckpt-<epoch>`` keep
  the TF1 names and format.
* ``sess.run([loss, loss_summary], feed_dict=...)`` on the test set -> one ``tf.function`` call
  (:meth:`Shim.loss_and_proba`): eagerly the log loss was one ulp off the session's, traced it is the
  same bits (Grappler rewrites the graph in both).
* Placeholders ``X``/``y`` and ``feed_dict`` -> the batch passed to the traced step; ``init`` ->
  theta initialised when the layer first runs (the same ``random_uniform(seed=42)`` draw eagerly).
"""

import warnings

import numpy as np
import tensorflow as tf

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.logistic_regression_tensorboard import log_dir, log_loss, loss_summary, model, random_batch
from tf1_recipes.shim import shim
from tf1_recipes.shim.base import ShimPort
from tf1_recipes.shim.families.tf_variables import CreatedOnce, tf1_variable_names
from tf1_recipes.tf2 import logistic_regression_tensorboard as native

#: The name scopes ``logistic_regression()`` builds the model and the loss summary in.
SCOPE = "logistic_regression"


def scoped_model(X):
    """The recipe's ``model(X)`` in the ``logistic_regression`` name scope: float32 ``[B, 7]`` -> ``y_proba [B, 1]``."""
    with tf1.name_scope(SCOPE):
        return model(X)


@shim("logistic_regression_tensorboard")
class Shim(ShimPort, native.LogisticRegressionTensorBoard):
    """Logistic regression on two moons: the recipe's TF1 model in a shim layer, TF1's GD, its summary op to a TF2 writer."""

    # Its own batches (random_batch), not run.batches: tests/parity/test_shim_basics.py compares it with TF1's graph.
    probe_parity = False
    optimizer_scope = f"{SCOPE}/train"

    def build(self, *, n_samples, noise, data_seed, test_ratio, learning_rate, checkpoint_every):
        self.load_moons(n_samples, noise, data_seed, test_ratio)
        self.checkpoint_every = checkpoint_every
        self.created_once = CreatedOnce(tf1_variable_names(scoped_model, tf.TensorSpec([None, self.n_inputs], tf.float32)))
        shim_layer, optimizer = ShimPort.build(self)
        self.created_once.adopt(shim_layer)
        #: One traced run of the loss and the probabilities, as TF1's ``sess.run([loss, ...])`` (see :meth:`loss_and_proba`).
        self._loss_and_proba = tf.function(lambda X, y: (self.loss(X, y), self.y_proba(X)), input_signature=self.step_signature())
        return shim_layer, optimizer

    def forward(self, X, training):
        """The recipe's model: float32 ``X [B, 7]`` -> ``y_proba [B, 1]`` (the layer's output is the probability)."""
        with self.created_once.scope():
            return scoped_model(X)

    def tf1_optimizer(self):
        return tf1.train.GradientDescentOptimizer(learning_rate=self.hyper["learning_rate"])

    def input_width(self):
        return self.n_inputs

    def step_signature(self):
        return native.LogisticRegressionTensorBoard.step_signature(self)

    def y_proba(self, X):
        return self.model(tf.convert_to_tensor(X, tf.float32))

    def loss(self, X, y, training=False):
        """The recipe's ``log_loss(y, y_proba)`` (``tf.compat.v1.losses.log_loss``)."""
        return log_loss(tf.convert_to_tensor(y, tf.float32), self.y_proba(X))

    def loss_and_proba(self, X, y):
        """(log loss, float32 ``y_proba [B, 1]``) of a split, from one ``tf.function`` call.

        Traced, not eager: eagerly ``tf.compat.v1.losses.log_loss`` came out one float32 ulp off the
        TF1 session's value (1.2e-7 on the test loss of the initial theta); the traced graph gets
        Grappler's rewrites as the TF1 session's did, and the same bits.
        """
        loss, y_proba = self._loss_and_proba(tf.convert_to_tensor(X, tf.float32), tf.convert_to_tensor(y, tf.float32))
        return loss, y_proba

    def summary(self, loss):
        """The recipe's ``loss_summary(loss)`` in its name scopes: the serialized ``Summary`` (tag ``logistic_regression/train/log_loss``)."""
        with warnings.catch_warnings():
            # Run with no default writer on purpose (see the module docstring): TF1's op then warns
            # that it cannot forward itself to one, and returns the string the shim writes.
            warnings.filterwarnings("ignore", message="Cannot activate TF2 compatibility support for TF1 summary ops")
            with tf1.name_scope(SCOPE), tf1.name_scope("train"):
                return loss_summary(loss)

    def fit(self, run):
        writer = tf.summary.create_file_writer(log_dir(run.out_dir / "tf_logs", "logreg"))
        with writer.as_default():
            tf.summary.graph(self.train_step.get_concrete_function().graph)
        saver = tf1.train.Saver(var_list={**self.keras_variables(), **self.state_variables()}, max_to_keep=None)
        checkpoint_path = str(run.out_dir / native.CHECKPOINT_NAME)
        n_batches = int(np.ceil(len(self.X_train) / self.batch_size))
        for epoch in range(self.n_epochs):
            self.train_batches(random_batch(self.X_train, self.y_train, self.batch_size) for batch_index in range(n_batches))
            loss, y_proba = self.loss_and_proba(self.X_test, self.y_test)
            summary_str = self.summary(loss)
            with writer.as_default():
                tf.summary.experimental.write_raw_pb(summary_str, step=epoch)  # TF1: file_writer.add_summary(summary_str, epoch)
            if epoch % self.checkpoint_every == 0:
                saver.save(None, checkpoint_path, global_step=epoch, write_meta_graph=False)
            y_pred = y_proba.numpy() >= 0.5
            run.report(epoch, float(loss), test_accuracy=np.mean(y_pred == self.y_test))
        self.save(run.checkpoint_path)
        writer.close()
