"""TF2 ports of :mod:`tf1_recipes.recipes.learning_rate_schedules`: schedules on a momentum optimizer.

* ``lr_exponential_decay``: ``tf.train.exponential_decay(lr0, global_step, decay_steps,
  decay_rate)`` with ``minimize(..., global_step=global_step)`` → a
  ``keras.optimizers.schedules.ExponentialDecay(lr0, decay_steps, decay_rate)`` given to the
  optimizer, which evaluates it at ``optimizer.iterations`` (the step count the optimizer
  keeps; TF1's separate ``global_step`` variable is gone). Both compute
  ``lr0 * rate ** (step / decay_steps)``, ``staircase=False`` by default in both.
* ``lr_inverse_time_decay`` / ``lr_step_decay``: the rate TF1 fed through a placeholder
  each epoch is assigned to ``optimizer.learning_rate`` at the start of each epoch.

All three use :class:`~tf1_recipes.tf2.optimizers.TF1Momentum`, not ``SGD(momentum=...)``:
with a changing rate TF1's MomentumOptimizer and Keras' SGD differ (see that module).
The schedule functions are the TF1 recipes' own (plain Python, no TF), so they cannot drift.
"""

import keras

from tf1_recipes.recipes.learning_rate_schedules import lr_inverse_time_decay, lr_step_decay
from tf1_recipes.tf2 import port
from tf1_recipes.tf2.base import Port
from tf1_recipes.tf2.models import dense_variables, mlp
from tf1_recipes.tf2.optimizers import TF1Momentum


class ScheduledMLP(Port):
    """The 300/50 ReLU MLP trained by TF1-rule momentum under a learning-rate schedule."""

    variables = dense_variables("hidden1", "hidden2", "outputs")
    tf1_slots = ("Momentum",)

    def mlp(self, n_inputs, n_hidden1, n_hidden2, n_outputs):
        return mlp(self.recipe, n_inputs, [n_hidden1, n_hidden2], n_outputs)


@port("lr_exponential_decay")
class ExponentialDecay(ScheduledMLP):
    tf1_optimizer_globals = ("train/global_step",)
    # decay_steps 10000 barely moves the rate within K steps; 5 divides it by 10 every 5 steps.
    parity_overrides = {"decay_steps": 5}

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, initial_learning_rate, decay_steps, decay_rate, momentum):
        self.schedule = keras.optimizers.schedules.ExponentialDecay(initial_learning_rate, decay_steps, decay_rate)
        return self.mlp(n_inputs, n_hidden1, n_hidden2, n_outputs), TF1Momentum(self.schedule, momentum=momentum)

    def report(self, run, epoch, X_eval, y_eval):
        # As TF1: the rate the next step will use, and the step count it is computed from.
        step = self.optimizer.iterations
        run.report(epoch, self.accuracy(X_eval, y_eval), global_step=int(step), learning_rate=float(self.schedule(step)))


class FedSchedule(ScheduledMLP):
    """A rate computed per epoch by ``schedule(epoch, **its hyperparameters)`` (TF1 fed it)."""

    schedule = None
    SCHEDULE_HYPERPARAMETERS = ()
    # The rate changes between epochs: the parity runs split their K steps into 4 epochs,
    # with a fast-changing schedule so the rate really moves.
    parity_epochs = 4

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, momentum, **schedule_hyper):
        if set(schedule_hyper) != set(self.SCHEDULE_HYPERPARAMETERS):
            raise TypeError(f"{type(self).__name__}: schedule hyperparameters {sorted(schedule_hyper)}")
        self.schedule_hyper = schedule_hyper
        return self.mlp(n_inputs, n_hidden1, n_hidden2, n_outputs), TF1Momentum(self.rate(0), momentum=momentum)

    def rate(self, epoch):
        return type(self).schedule(epoch, **self.schedule_hyper)

    def start_epoch(self, epoch):
        self.optimizer.learning_rate.assign(self.rate(epoch))

    def report(self, run, epoch, X_eval, y_eval):
        run.report(epoch, self.accuracy(X_eval, y_eval), learning_rate=self.rate(epoch))


@port("lr_inverse_time_decay")
class InverseTimeDecay(FedSchedule):
    schedule = lr_inverse_time_decay
    SCHEDULE_HYPERPARAMETERS = ("initial_learning_rate", "decay")
    parity_overrides = {"decay": 1.0}  # 0.1, 0.05, 0.033, 0.025 over the 4 parity epochs


@port("lr_step_decay")
class StepDecay(FedSchedule):
    schedule = lr_step_decay
    SCHEDULE_HYPERPARAMETERS = ("initial_learning_rate", "drop", "epochs_drop")
    parity_overrides = {"epochs_drop": 2}  # 0.1, 0.05, 0.05, 0.025 over the 4 parity epochs
