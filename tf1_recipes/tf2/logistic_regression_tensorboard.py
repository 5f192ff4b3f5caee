"""TF2 port of :mod:`tf1_recipes.recipes.logistic_regression_tensorboard`: logistic regression, TensorBoard, checkpoints.

TF1 → TF2:

* ``theta = tf.Variable(tf.random_uniform([n, 1], -1, 1, seed=42))`` and
  ``logits = tf.matmul(X, theta)`` → a Keras ``Dense(1, use_bias=False)`` layer named
  ``theta`` (the inputs carry their own bias column) whose kernel is initialised with
  ``tf.random.uniform(shape, -1, 1, seed=42)``. With the harness' global seed, TF2 uses the
  same (global seed, op seed) pair TF1 did, and draws the same initial ``theta``.
* ``tf.losses.log_loss(y, y_proba)`` → :func:`log_loss`, written out as TF1 defines it:
  ``-y log(p + eps) - (1 - y) log(1 - p + eps)``, averaged, eps = 1e-7. Keras'
  ``binary_crossentropy`` *clips* ``p`` to [eps, 1 - eps] instead of adding eps, which
  gives other values near 0 and 1.
* ``GradientDescentOptimizer(learning_rate).minimize(loss)`` → ``keras.optimizers.SGD``
  and the Port's ``GradientTape`` step.
* ``tf.summary.scalar("log_loss", loss)`` + ``FileWriter(logdir, graph)`` +
  ``add_summary(summary_str, epoch)`` → ``tf.summary.create_file_writer(logdir)`` and,
  under ``writer.as_default()``, the same tag (TF1 prefixed the name scopes:
  ``logistic_regression/train/log_loss``) at the same epochs; the graph TF1 wrote
  becomes the training step's traced graph (``tf.summary.graph``).
* ``Saver(max_to_keep=None).save(sess, path, global_step=epoch)`` every
  ``checkpoint_every`` epochs → ``tf.train.CheckpointManager(..., max_to_keep=None,
  checkpoint_name="logreg_model.ckpt").save(checkpoint_number=epoch)``; the final model
  is written to ``run.checkpoint_path`` as every port's is.
* The epoch's two evaluations of the test set, ``sess.run([loss, loss_summary])`` and
  ``y_proba.eval()``, are one traced call (:meth:`LogisticRegressionTensorBoard.test_values`).
"""

import functools

import keras
import numpy as np
import tensorflow as tf

from tf1_recipes.data import DataSet
from tf1_recipes.recipes.logistic_regression_tensorboard import enhance, log_dir, make_moons
from tf1_recipes.tf2 import port
from tf1_recipes.tf2.base import Port
from tf1_recipes.tf2.clip_by_global_norm import scalar
from tf1_recipes.tf2.optimizers import FusedSGD

#: ``tf.compat.v1.losses.log_loss``'s epsilon, added inside the logarithms.
LOG_LOSS_EPSILON = 1e-7
#: The op seed ``logistic_regression()`` gives ``tf.random_uniform`` (its ``seed=42`` default).
THETA_SEED = 42
#: The summary's tag as TF1 wrote it: ``summary.scalar("log_loss")`` inside the name scopes.
LOSS_TAG = "logistic_regression/train/log_loss"
CHECKPOINT_NAME = "logreg_model.ckpt"


def log_loss(labels, predictions, epsilon=LOG_LOSS_EPSILON):
    """``tf.compat.v1.losses.log_loss(labels, predictions)``: the mean of ``-y log(p + eps) - (1 - y) log(1 - p + eps)``."""
    losses = -labels * tf.math.log(predictions + epsilon) - (1 - labels) * tf.math.log(1 - predictions + epsilon)
    return tf.reduce_mean(losses)


def random_rows(n_rows, batch_size):
    """The rows :func:`~tf1_recipes.recipes.logistic_regression_tensorboard.random_batch` draws, by its own
    ``np.random.randint`` call: ``batch_size`` of ``range(n_rows)``, with replacement."""
    return np.random.randint(0, n_rows, batch_size)


def uniform_theta(shape, dtype=None):
    """``tf.random_uniform(shape, -1.0, 1.0, seed=42)``: the recipe's initial theta."""
    return tf.random.uniform(shape, -1.0, 1.0, seed=THETA_SEED, dtype=dtype or tf.float32)


@port("logistic_regression_tensorboard")
class LogisticRegressionTensorBoard(Port):
    """Logistic regression on enhanced two-moons features; test log loss to TensorBoard each epoch; checkpoints."""

    variables = {"logistic_regression/model/theta": "theta/kernel"}
    # Its loop draws random_batch() rows of two moons, not run.batches: the probe cannot watch it;
    # tests/parity/test_basics_and_import_ports.py compares the recipe's own graph step by step instead.
    probe_parity = False

    def step_signature(self):
        # The labels are a (batch, 1) float column here, not the MNIST ports' int64 classes.
        return tf.TensorSpec([None, self.n_inputs], tf.float32), tf.TensorSpec([None, 1], tf.float32)

    def load_moons(self, n_samples, noise, data_seed, test_ratio):
        """The recipe's split: ``X_train``/``X_test`` enhanced float32 ``[n, 7]``, ``y_train``/``y_test`` float32 ``[n, 1]``."""
        X_moons, y_moons = make_moons(n_samples, noise=noise, random_state=data_seed)
        test_size = int(n_samples * test_ratio)
        self.X_train, self.X_test = enhance(X_moons[:-test_size]), enhance(X_moons[-test_size:])
        self.y_train = y_moons[:-test_size].reshape(-1, 1).astype(np.float32)
        self.y_test = y_moons[-test_size:].reshape(-1, 1).astype(np.float32)
        self.n_inputs = self.X_train.shape[1]  # including the bias column

    def build(self, *, n_samples, noise, data_seed, test_ratio, learning_rate, checkpoint_every):
        self.load_moons(n_samples, noise, data_seed, test_ratio)
        self.checkpoint_every = checkpoint_every
        theta = keras.layers.Dense(1, use_bias=False, kernel_initializer=uniform_theta, name="theta")
        model = keras.Sequential([keras.Input(shape=(self.n_inputs,)), theta], name=self.recipe)
        return model, FusedSGD(learning_rate)

    def y_proba(self, X):
        return tf.sigmoid(self.logits(X))

    def loss(self, X, y, training=False):
        """What the TF1 graph calls ``logistic_regression/train/loss``: the log loss of the sigmoid."""
        return log_loss(y, self.y_proba(X))

    @functools.cached_property
    def test_values(self):
        """The epoch's ``sess.run([loss, loss_summary], ...)`` and ``y_proba.eval(...)`` on the test set: one traced call.

        ``test_values(X, y)``: X float32 ``[N, n_inputs]`` (enhanced, bias column included), y float32
        ``[N, 1]`` (:meth:`~tf1_recipes.tf2.base.Port.split_function`). Returns (log loss, y_proba) as tensors:
        the scalar :func:`log_loss` of the sigmoid, and the sigmoid ``[N, 1]``.
        """

        def values(X, y):
            y_proba = self.y_proba(X)
            return log_loss(y, y_proba), y_proba

        return self.split_function(values)

    def fit(self, run):
        writer = tf.summary.create_file_writer(log_dir(run.out_dir / "tf_logs", "logreg"))
        with writer.as_default():
            tf.summary.graph(self.train_step.get_concrete_function().graph)
        manager = tf.train.CheckpointManager(self.checkpoint(), str(run.out_dir), max_to_keep=None, checkpoint_name=CHECKPOINT_NAME)
        n_batches = int(np.ceil(len(self.X_train) / self.batch_size))
        moons = DataSet(self.X_train, self.y_train)
        for epoch in range(self.n_epochs):  # random_batch's rows, each batch X_train[rows], y_train[rows]
            self.train_held(run, moons, (random_rows(len(self.X_train), self.batch_size) for batch_index in range(n_batches)), outputs=False)
            loss_val, y_proba = self.test_values(self.X_test, self.y_test)
            loss_val = float(loss_val)
            with writer.as_default():
                scalar(LOSS_TAG, loss_val, epoch)
            if epoch % self.checkpoint_every == 0:
                manager.save(checkpoint_number=epoch)
            y_pred = y_proba.numpy() >= 0.5
            run.report(epoch, loss_val, test_accuracy=np.mean(y_pred == self.y_test))
        self.checkpoint().write(run.checkpoint_path)
        writer.close()
