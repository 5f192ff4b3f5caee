"""The learning-rate-schedule recipes' shim: ``relu_mlp`` of the TF1 body; the rate in the graph or fed per epoch.

The model is :func:`tf1_recipes.recipes.families.relu_mlp.relu_mlp`, the function the TF1
graphs are built with; the optimizer is TF1's ``MomentumOptimizer``, built by the recipes'
own functions. What breaks at rung 2:

* ``global_step`` (``lr_exponential_decay``): the recipe's
  :func:`~tf1_recipes.recipes.lr_exponential_decay.decaying_optimizer` runs unchanged, in the
  ``train`` name scope, so the counter keeps its TF1 name (``train/global_step``) and its
  checkpoint entry. Eagerly ``tf.train.exponential_decay`` returns a callable, not a tensor;
  the TF1 optimizer calls it at every step, and the shim calls it to report the rate.
  ``apply_gradients(..., global_step=global_step)`` increments it as ``minimize`` did.
* The ``learning_rate`` placeholder (``lr_inverse_time_decay``, ``lr_step_decay``): nothing
  to feed. The shim gives the optimizer (the recipe's
  :func:`~tf1_recipes.recipes.families.learning_rate_schedules.fed_rate_optimizer`) a float32
  variable and assigns it the recipe's ``learning_rate_at(epoch)`` at the start of each
  epoch: a Python float would be frozen into the traced step. The variable is no part of
  the checkpoint (the placeholder was not either).
"""

import tensorflow as tf

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.families.learning_rate_schedules import fed_rate_optimizer
from tf1_recipes.recipes.families.relu_mlp import relu_mlp
from tf1_recipes.recipes.lr_exponential_decay import decaying_optimizer
from tf1_recipes.shim.base import ShimPort


class ScheduledMLP(ShimPort):
    """The 300/50 ReLU MLP in a shim layer, trained by TF1's MomentumOptimizer under a learning-rate schedule."""

    def forward(self, X, training):
        h = self.hyper
        return relu_mlp(X, h["n_hidden1"], h["n_hidden2"], h["n_outputs"])


class ExponentialDecay(ScheduledMLP):
    """``tf.train.exponential_decay`` of ``global_step``, as the recipe builds it."""

    def tf1_optimizer(self):
        h = self.hyper
        with tf1.name_scope(self.optimizer_scope):
            self.global_step, self.learning_rate, optimizer = decaying_optimizer(
                h["initial_learning_rate"], h["decay_steps"], h["decay_rate"], h["momentum"])
        return optimizer

    def report(self, run, epoch, X_eval, y_eval):
        # As TF1: the rate the next step will use, and the step count it is computed from.
        run.report(epoch, self.accuracy(X_eval, y_eval), global_step=int(self.global_step.numpy()),
                   learning_rate=float(self.learning_rate()))


class FedSchedule(ScheduledMLP):
    """A rate computed per epoch by ``schedule(epoch, **its hyperparameters)`` (the recipe's ``learning_rate_at``), assigned where TF1 fed it."""

    schedule = None
    SCHEDULE_HYPERPARAMETERS = ()

    def rate(self, epoch):
        """The recipe's rate for ``epoch`` (a Python float)."""
        return type(self).schedule(epoch, **{name: self.hyper[name] for name in self.SCHEDULE_HYPERPARAMETERS})

    def tf1_optimizer(self):
        #: Where TF1 fed ``train/learning_rate``: a float32 scalar variable, assigned each epoch.
        self.learning_rate = tf.Variable(self.rate(0), dtype=tf.float32, trainable=False, name="learning_rate")
        return fed_rate_optimizer(self.learning_rate, self.hyper["momentum"])

    def start_epoch(self, epoch):
        self.learning_rate.assign(self.rate(epoch))

    def report(self, run, epoch, X_eval, y_eval):
        run.report(epoch, self.accuracy(X_eval, y_eval), learning_rate=self.rate(epoch))
