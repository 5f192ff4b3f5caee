"""Shim port of :mod:`tf1_recipes.recipes.early_stopping`: the exercise's ELU network as TF1 code, TF1's Adam, eagerly.

The model is :func:`tf1_recipes.recipes.early_stopping.hidden_layers` then
:func:`~tf1_recipes.recipes.early_stopping.output_layer` with the exercise's
``tf.variance_scaling_initializer()``, the code the TF1 graph is built with; the optimizer is
its ``AdamOptimizer`` (slots ``hidden1/kernel/Adam``, ``train/beta1_power``). The loop, the
stopping rule and what is recorded are the native port's
(:class:`tf1_recipes.tf2.early_stopping.EarlyStoppingPort`, which calls the TF1 recipe's own
functions). TF1 → shim:

* ``saver.save(sess, path)`` of the best model / ``saver.restore`` → the same Saver, eagerly
  (:meth:`ShimPort.save`, :meth:`ShimPort.restore_tf1`): the best model is a TF1 checkpoint
  with the TF1 run's names.
* ``in_memory``: ``get_model_params`` (every ``GLOBAL_VARIABLES`` value by name) and
  ``restore_model_params`` (feeding the ``Assign`` ops' initial-value inputs) → the shim's
  variables and the Adam state read and assigned directly: there are no ``Assign`` ops to feed.
* the resume state (a ``Saver`` over every global variable, a session) → breaks at rung 2: no
  session, no collection of global variables. The shim resumes as the native port does, one
  object-based ``tf.train.CheckpointManager`` checkpoint of the shim layer, the TF1 optimizer
  (both trackable) and the loop's state (:mod:`tf1_recipes.tf2.resume`).
"""

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.early_stopping import check_keep_best, hidden_layers, output_layer
from tf1_recipes.shim import shim
from tf1_recipes.shim.base import ShimPort
from tf1_recipes.tf2 import early_stopping as native


class AdamELU(ShimPort):
    """The exercise's ELU network in a shim layer with TF1's ``AdamOptimizer`` (early_stopping, transfer_digits_5_to_9)."""

    def forward(self, X, training, part="all"):
        """The recipe's model code: ``X`` float32 ``[B, n_inputs]`` -> logits ``[B, n_outputs]``.

        ``part`` (for a shim whose layer runs halves, :mod:`tf1_recipes.shim.transfer_digits_5_to_9`):
        ``"frozen"`` returns the last hidden layer's output ``[B, n_neurons]``, ``"upper"``
        takes that output as ``X`` and runs the ``outputs`` layer alone.
        """
        h = self.hyper
        he_init = tf1.variance_scaling_initializer()  # the exercise's he_init
        hidden = X
        if part != "upper":
            hidden = hidden_layers(X, n_hidden_layers=h["n_hidden_layers"], n_neurons=h["n_neurons"], kernel_initializer=he_init)
            if part == "frozen":
                return hidden
        return output_layer(hidden, n_outputs=h["n_outputs"], kernel_initializer=he_init)

    def tf1_optimizer(self):
        return tf1.train.AdamOptimizer(self.hyper["learning_rate"])

    def restore_best(self, path):
        """``saver.restore(sess, path)``: the best model (and its Adam state) by TF1 name."""
        self.restore_tf1(path)

    def state_values(self):
        """Every variable of the model and of the TF1 optimizer, as NumPy arrays (TF1: every global variable)."""
        return [v.numpy() for v in self._state()]

    def assign_state_values(self, values):
        for variable, value in zip(self._state(), values):
            variable.assign(value)

    def _state(self):
        return [*self.keras_variables().values(), *self.state_variables().values()]


@shim("early_stopping")
class Shim(AdamELU, native.EarlyStoppingPort):
    """Five ELU layers (He init) in a shim layer, TF1's Adam, digits 0-4, early stopping on validation loss.

    Its loop draws its own batches, so tests/parity/test_shim_early_stopping.py compares it
    with the TF1 recipe instead of the probe (the generic K-step tests leave it out).
    """

    def build(self, *, learning_rate, max_checks_without_progress, keep_best, checkpoint_every, n_outputs, **model):
        check_keep_best(keep_best, checkpoint_every)
        self.n_outputs, self.max_checks_without_progress = n_outputs, max_checks_without_progress
        self.keep_best, self.checkpoint_every = keep_best, checkpoint_every
        return super().build()
