"""TF2 port of :mod:`tf1_recipes.recipes.transfer_digits_5_to_9`: early_stopping's hidden layers reused for digits 5-9.

TF1 → TF2:

* ``Saver(reuse_vars).restore(sess, <early_stopping checkpoint>)`` with ``reuse_vars`` the
  trainable variables matching ``hidden[12345]`` → the TF1 checkpoint read by name
  (:func:`~tf1_recipes.tf2.families.reuse_hidden_layers.restore_matching`), as the other reuse
  ports read theirs: the cached early_stopping checkpoint is the TF1 recipe's
  (:func:`tf1_recipes.checkpoints.pretrained_checkpoint`);
* ``minimize(var_list=TRAINABLE_VARIABLES matching train_scope)`` → ``trainable = False``
  on the other layers (Adam then has slots for the trained layers only, as TF1's);
* ``cache_frozen``: hidden5's output computed once and fed in place of ``X`` → a model of
  the frozen layers computes the cache, and the ``outputs`` layer alone (a second Keras
  model around the same layer object) trains on it.

The batches come from NumPy's global RNG as in the TF1 loop (the harness seeds it the same
way); the stopping rule and what is recorded are the TF1 recipe's own functions.
"""

import functools
import re
import time

import keras
import numpy as np
import tensorflow as tf

from tf1_recipes.data import DataSet
from tf1_recipes.recipes.early_stopping import EarlyStopping, record_epoch, report_best_model
from tf1_recipes.recipes.transfer_digits_5_to_9 import FROZEN_ALL, sample_n_instances_per_class
from tf1_recipes.tf2 import port
from tf1_recipes.tf2.base import mean_xentropy
from tf1_recipes.tf2.early_stopping import AdamELU, hidden_layer_names
from tf1_recipes.tf2.families.reuse_hidden_layers import restore_matching


@port("transfer_digits_5_to_9")
class TransferDigits5To9(AdamELU):
    """early_stopping's hidden layers restored (and frozen, or the top two trained), a new softmax for digits 5-9.

    Its loop draws its own batches, so tests/parity/test_early_stopping_ports.py compares it
    with the TF1 recipe instead of the probe.
    """

    def build(
        self,
        *,
        n_inputs,
        n_hidden_layers,
        n_neurons,
        n_outputs,
        learning_rate,
        max_checks_without_progress,
        n_train_per_digit,
        n_valid_per_digit,
        reuse_scope,
        train_scope,
        cache_frozen,
        pretrained_checkpoint,
        pretrained_recipe,
        pretrained_preset,
    ):
        if cache_frozen and train_scope != FROZEN_ALL:
            raise ValueError(f"cache_frozen needs every hidden layer frozen (train_scope={FROZEN_ALL!r}), got {train_scope!r}")
        self.max_checks_without_progress = max_checks_without_progress
        self.n_train_per_digit, self.n_valid_per_digit = n_train_per_digit, n_valid_per_digit
        self.reuse_scope, self.cache_frozen = reuse_scope, cache_frozen
        self.pretrained_checkpoint, self.pretrained_preset = pretrained_checkpoint, pretrained_preset
        self.pretrained_recipe = pretrained_recipe
        model = self.elu_model(n_inputs, n_hidden_layers, n_neurons, n_outputs)
        for layer in model.layers:
            if not re.match(train_scope, f"{layer.name}/"):  # as get_collection(TRAINABLE_VARIABLES, scope=...) selects
                layer.trainable = False
        if cache_frozen:
            hidden = [model.get_layer(name) for name in hidden_layer_names(n_hidden_layers)]
            self.frozen = keras.Sequential([keras.Input(shape=(n_inputs,)), *hidden], name="frozen")
            self.head = keras.Sequential([keras.Input(shape=(n_neurons,)), model.get_layer("outputs")], name="head")
        return model, self.adam(learning_rate)

    def restore_pretrained(self, run):
        """Assign the reused layers from the TF1 checkpoint they come from (early_stopping's, or an earlier
        step of the chain; the cached one unless a path was given)."""
        from tf1_recipes import checkpoints

        path = self.pretrained_checkpoint or checkpoints.pretrained_checkpoint(
            self.pretrained_recipe, self.pretrained_preset, run
        )
        return restore_matching(self, path, self.reuse_scope)

    def training_inputs(self, X_train, X_valid):
        """(model, training step, training inputs, validation inputs) of the training loop.

        ``X_train``, ``X_valid``: float32 images ``[N, n_inputs]``. Without ``cache_frozen``: the
        whole model, None (the port's own ``_train_step``) and the images. With it (TF1: ``hidden5``
        fed its cached value): the ``outputs`` layer alone, its step (for :meth:`train_held`), and
        the frozen layers' output ``[N, n_neurons]`` computed once. ``model(inputs, training=False)`` -> logits.
        """
        if self.cache_frozen:  # the outputs layer alone, trained on the frozen layers' cached output
            head_step = functools.partial(self.gradient_loss, self.head)
            return self.head, head_step, self.frozen(X_train).numpy(), self.frozen(X_valid).numpy()
        return self.model, None, X_train, X_valid

    def fit(self, run):
        self.restore_pretrained(run)

        X_train, y_train = run.train_split()
        X_valid, y_valid = run.mnist.validation.images, run.mnist.validation.labels
        X_test, y_test = run.mnist.test.images, run.mnist.test.labels
        X_train2_full, y_train2_full = X_train[y_train >= 5], y_train[y_train >= 5] - 5
        X_valid2_full, y_valid2_full = X_valid[y_valid >= 5], y_valid[y_valid >= 5] - 5
        X_test2, y_test2 = X_test[y_test >= 5], y_test[y_test >= 5] - 5
        X_train2, y_train2 = sample_n_instances_per_class(X_train2_full, y_train2_full, n=self.n_train_per_digit)
        X_valid2, y_valid2 = sample_n_instances_per_class(X_valid2_full, y_valid2_full, n=self.n_valid_per_digit)

        stopper = EarlyStopping(self.max_checks_without_progress)
        t0 = time.perf_counter()

        model, step, inputs_train, inputs_valid = self.training_inputs(X_train2, X_valid2)
        train2 = DataSet(inputs_train, y_train2)
        evaluate = loss_and_accuracy(model)
        inputs_valid, y_valid2 = tf.constant(inputs_valid, tf.float32), tf.constant(y_valid2, tf.int64)

        for epoch in range(self.n_epochs):
            epoch_start = time.perf_counter()
            rnd_idx = np.random.permutation(len(X_train2))
            batches = np.array_split(rnd_idx, len(X_train2) // self.batch_size)
            self.train_held(run, train2, batches, step, outputs=False)
            loss_val, acc_val = (float(value) for value in evaluate(inputs_valid, y_valid2))
            if stopper.check(loss_val):  # a new best model
                self.save(run.checkpoint_path)
            record_epoch(run, epoch, loss_val, acc_val, stopper.best_loss, time.perf_counter() - epoch_start)
            if stopper.should_stop:
                run.log("Early stopping!")
                break

        t1 = time.perf_counter()
        run.log(f"Total training time: {t1 - t0:.1f}s")

        self.restore_best(run.checkpoint_path)
        acc_test = self.accuracy(X_test2, y_test2)

        run.extras["training_seconds"] = round(t1 - t0, 4)
        report_best_model(run, stopper.best_loss, acc_test)


def loss_and_accuracy(model):
    """``sess.run([loss, accuracy], feed_dict={...})`` of the TF1 loop as one ``tf.function``.

    Args:
        model: ``model(inputs, training=False)`` -> logits ``[N, n_outputs]`` (the port's model, or
            the ``outputs`` layer alone on the cached ``hidden5``).

    Returns:
        ``evaluate(inputs, y)`` -> (mean cross-entropy, top-1 accuracy as ``in_top_k`` counts it), float32
        scalar tensors from one forward pass (eagerly, each epoch's evaluation ran its ops one by one).
    """

    @tf.function
    def evaluate(inputs, y):
        logits = model(inputs, training=False)
        return mean_xentropy(y, logits), tf.reduce_mean(tf.cast(tf.math.in_top_k(y, logits, 1), tf.float32))

    return evaluate
