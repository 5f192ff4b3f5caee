"""The learning-rate-schedule ports' model and fed-schedule training; each port is ``tf2/<name>.py``.


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
The fed schedules are the TF1 recipes' own ``learning_rate_at`` (plain Python, no TF), so they cannot drift.
"""

from tf1_recipes.tf2.base import Port
from tf1_recipes.tf2.models import dense_variables, mlp
from tf1_recipes.tf2.optimizers import TF1Momentum


class ScheduledMLP(Port):
    """The 300/50 ReLU MLP trained by TF1-rule momentum under a learning-rate schedule."""

    variables = dense_variables("hidden1", "hidden2", "outputs")
    tf1_slots = ("Momentum",)

    def mlp(self, n_inputs, n_hidden1, n_hidden2, n_outputs):
        return mlp(self.recipe, n_inputs, [n_hidden1, n_hidden2], n_outputs)


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
