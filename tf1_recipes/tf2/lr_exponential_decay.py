"""TF2 port of :mod:`tf1_recipes.recipes.lr_exponential_decay`: ``tf.train.exponential_decay`` → ``keras.optimizers.schedules.ExponentialDecay``.

The optimizer evaluates the schedule at ``optimizer.iterations`` (TF1's separate
``global_step`` variable is gone); see :mod:`tf1_recipes.tf2.families.learning_rate_schedules`.
"""

import keras

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.families.learning_rate_schedules import ScheduledMLP
from tf1_recipes.tf2.optimizers import TF1Momentum


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
