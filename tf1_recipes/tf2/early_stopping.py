"""TF2 port of :mod:`tf1_recipes.recipes.early_stopping`: early stopping on validation loss, resumable after a kill.

TF1 → TF2:

* five ``tf.layers.dense(..., activation=tf.nn.elu, kernel_initializer=tf.variance_scaling_initializer())``
  → Keras ``Dense(activation="elu")`` with ``VarianceScaling(1.0, "fan_in", "truncated_normal")``,
  a fresh initializer per layer (one Keras initializer object draws the same values at every call);
* ``AdamOptimizer(0.01)`` → ``TF1Adam(0.01, epsilon=1e-8)``: Keras' ``Adam`` with TF1's kernel and beta powers
  (:class:`~tf1_recipes.tf2.optimizers.TF1Adam`), TF1's numbers bit for bit; Keras' default epsilon is 1e-7;
* the best model ``saver.save(sess, path)`` / ``saver.restore`` → ``tf.train.Checkpoint(model=...,
  optimizer=...).write(path)`` / ``.read(path)``; kept in memory (``in_memory``), the
  variables' values are copied out and assigned back (TF1 fed the ``Assign`` ops' inputs);
* the resume state (a Saver checkpoint plus ``training_state.json``) → one
  ``tf.train.CheckpointManager`` checkpoint holding model, optimizer and the loop's state
  (:mod:`tf1_recipes.tf2.resume`); started again with the same ``--out`` it prints
  ``Training was interrupted. Continuing at epoch N`` and carries on.

The stopping rule, the batches (``RandomState(seed + epoch)``), the printed lines and what is
recorded are the TF1 recipe's own functions, so both stop by the same rule.
"""

import time

import keras
import numpy as np

from tf1_recipes.data import DataSet
from tf1_recipes.recipes.early_stopping import check_keep_best, RESUMED, SERIES, EarlyStopping, digits_below, record_epoch, report_best_model
from tf1_recipes.tf2 import port, resume
from tf1_recipes.tf2.base import Port
from tf1_recipes.tf2.defaults import tf1_variance_scaling
from tf1_recipes.tf2.adam import ADAM_EPSILON
from tf1_recipes.tf2.models import dense_variables
from tf1_recipes.tf2.optimizers import TF1Adam


def elu_layers(name, n_inputs, n_hidden_layers, n_neurons, n_outputs):
    """Input → ``hidden1`` ... ``hiddenN`` (ELU, ``tf.variance_scaling_initializer()``) → ``outputs`` (logits)."""
    layers = [keras.Input(shape=(n_inputs,))]
    for layer in range(1, n_hidden_layers + 1):
        layers.append(keras.layers.Dense(n_neurons, activation="elu", kernel_initializer=tf1_variance_scaling(), name=f"hidden{layer}"))
    layers.append(keras.layers.Dense(n_outputs, kernel_initializer=tf1_variance_scaling(), name="outputs"))
    return keras.Sequential(layers, name=name)


def hidden_layer_names(n_hidden_layers):
    return [f"hidden{layer}" for layer in range(1, n_hidden_layers + 1)]


class AdamELU(Port):
    """The exercise's ELU network with TF1's Adam; its loop draws its own batches (the probe cannot watch it)."""

    tf1_slots = ("Adam", "Adam_1")
    tf1_optimizer_globals = ("train/beta1_power", "train/beta2_power")
    probe_parity = False
    # Adam divides each gradient by its running RMS, so a weight whose gradient is a sum of a
    # few nearly cancelling terms (a pixel lit in 2-7 of the epoch's images) moves by up to
    # ~learning_rate per step whatever its last bits: 13 steps at 0.01 leave such weights up
    # to 7.3e-5 apart (observed; pixels lit in 20 images or more: under 1e-5). 1e-4 is 1% of
    # one step, as the adam port's 1e-5 is at 0.001. With more steps a gradient's sign can
    # flip on rounding alone (the port against itself from values one ulp away then drifts
    # by 5e-2 on a few such weights), so the parity runs stop at one epoch. With TF1Adam (TF1's
    # kernel and running beta powers) the port is TF1's bit for bit after that epoch under
    # oneDNN on, off and held to AVX2 (Keras' Adam: up to 1.04e-4 under AVX2); the tolerance
    # stays for numerics where the two graphs' kernels differ in their last bits.
    k_step_atol = 1e-4

    def elu_model(self, n_inputs, n_hidden_layers, n_neurons, n_outputs):
        self.variables = dense_variables(*hidden_layer_names(n_hidden_layers), "outputs")
        return elu_layers(self.recipe, n_inputs, n_hidden_layers, n_neurons, n_outputs)

    @staticmethod
    def adam(learning_rate):
        return TF1Adam(learning_rate, beta_1=0.9, beta_2=0.999, epsilon=ADAM_EPSILON)

    def restore_best(self, path):
        """Read the best model back from the checkpoint :meth:`save` wrote at ``path`` (TF1: ``saver.restore``)."""
        self.checkpoint().read(path).assert_consumed()

    def state_values(self):
        """Every variable of the model and the optimizer, as NumPy arrays (TF1: every global variable)."""
        return [v.numpy() for v in self.model.variables + self.optimizer.variables]

    def assign_state_values(self, values):
        for variable, value in zip(self.model.variables + self.optimizer.variables, values):
            variable.assign(value)


@port("early_stopping")
class EarlyStoppingPort(AdamELU):
    """Five ELU layers (He init), Adam, digits 0-4, early stopping on validation loss; resumable via --out.

    Its loop draws its own batches, so tests/parity/test_early_stopping_ports.py compares it
    with the TF1 recipe (forward pass, one epoch of steps, whole runs) instead of the probe.
    """

    def build(
        self, *, n_inputs, n_hidden_layers, n_neurons, n_outputs, learning_rate, max_checks_without_progress, keep_best, checkpoint_every
    ):
        check_keep_best(keep_best, checkpoint_every)
        self.n_outputs, self.max_checks_without_progress = n_outputs, max_checks_without_progress
        self.keep_best, self.checkpoint_every = keep_best, checkpoint_every
        return self.elu_model(n_inputs, n_hidden_layers, n_neurons, n_outputs), self.adam(learning_rate)

    def fit(self, run):
        X_train1, y_train1 = digits_below(*run.train_split(), self.n_outputs)
        train1 = DataSet(X_train1, y_train1)
        X_valid1, y_valid1 = digits_below(run.mnist.validation.images, run.mnist.validation.labels, self.n_outputs)
        X_test1, y_test1 = digits_below(run.mnist.test.images, run.mnist.test.labels, self.n_outputs)

        state = None
        if self.checkpoint_every:  # resumable: the loop's checkpoints in the run's directory
            config = resume.fingerprint(run.recipe, run.settings, run.hyper)
            state = resume.TrainingState(run.out_dir, config, model=self.model, optimizer=self.optimizer)

        seed = run.settings["seed"]
        stopper = EarlyStopping(self.max_checks_without_progress)
        start_epoch = 0
        best_values = None
        t0 = time.perf_counter()

        interrupted = state.load(required=RESUMED) if state else None
        if interrupted:
            run.log(f"Training was interrupted. Continuing at epoch {interrupted['epoch']}")
            state.restore()
            start_epoch = interrupted["epoch"]
            stopper = EarlyStopping(self.max_checks_without_progress, interrupted["best_loss"], interrupted["checks_without_progress"])
            run.extras.update(interrupted["series"])  # the epochs before the interruption

        for epoch in range(start_epoch, self.n_epochs):
            epoch_start = time.perf_counter()
            rnd_idx = np.random.RandomState(seed + epoch).permutation(len(X_train1))
            batches = np.array_split(rnd_idx, len(X_train1) // self.batch_size)
            self.train_held(run, train1, batches, outputs=False)
            acc_val, loss_val = self.evaluate(X_valid1, y_valid1)
            if stopper.check(loss_val):  # a new best model
                if self.keep_best == "memory":
                    best_values = self.state_values()
                else:
                    self.save(run.checkpoint_path)
            record_epoch(run, epoch, loss_val, acc_val, stopper.best_loss, time.perf_counter() - epoch_start)
            if stopper.should_stop:
                run.log("Early stopping!")
                break
            if state and (epoch + 1) % self.checkpoint_every == 0:
                state.save(
                    epoch + 1,
                    best_loss=stopper.best_loss,
                    checks_without_progress=stopper.checks_without_progress,
                    series={name: run.extras[name] for name in SERIES},
                )

        if self.keep_best == "memory":
            self.assign_state_values(best_values)
            self.save(run.checkpoint_path)
        else:
            self.restore_best(run.checkpoint_path)
        acc_test = self.accuracy(X_test1, y_test1)

        if state:
            state.clear()
        run.log(f"Total training time: {time.perf_counter() - t0:.1f}s")
        report_best_model(run, stopper.best_loss, acc_test)
