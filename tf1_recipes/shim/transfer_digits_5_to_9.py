"""Shim port of :mod:`tf1_recipes.recipes.transfer_digits_5_to_9`: early_stopping's TF1 model code, restored by name, for digits 5-9.

The model and optimizer are the early_stopping shim's (:class:`tf1_recipes.shim.early_stopping.AdamELU`:
the recipes' ``hidden_layers`` and ``output_layer``, TF1's ``AdamOptimizer``); the data, the
loop and the stopping rule are the native port's
(:class:`tf1_recipes.tf2.transfer_digits_5_to_9.TransferDigits5To9`). TF1 → shim:

* ``Saver(get_collection(TRAINABLE_VARIABLES, scope=reuse_scope)).restore(sess, <early_stopping
  checkpoint>)`` → a ``Saver`` over the shim's variables whose TF1 name matches, restored
  eagerly (:meth:`~tf1_recipes.shim.families.reuse_hidden_layers.PartedShimPort.restore_names`):
  the TF1 checkpoint, no table; the chain's later steps (``two_frozen``, ``none_frozen``)
  restore ``outputs`` too, from the previous step's checkpoint.
* ``minimize(var_list=get_collection(TRAINABLE_VARIABLES, scope=train_scope))`` →
  ``trained_variables()`` by TF1 name; Adam gets slots for those only, as TF1's did.
* ``cache_frozen``: ``hidden5`` evaluated once and fed in place of the tensor → the shim
  layer runs the frozen half (``part="frozen"``) once, then trains the ``outputs`` layer
  alone on the cache (``part="upper"``): the same variables by name.
* the best model saved and restored with the ``Saver`` → the same (a TF1 checkpoint).
"""

from tf1_recipes import checkpoints
from tf1_recipes.recipes.transfer_digits_5_to_9 import FROZEN_ALL
from tf1_recipes.shim import shim
from tf1_recipes.shim.early_stopping import AdamELU
from tf1_recipes.shim.families.reuse_hidden_layers import PartedShimPort
from tf1_recipes.tf2.transfer_digits_5_to_9 import TransferDigits5To9


@shim("transfer_digits_5_to_9")
class Shim(AdamELU, PartedShimPort, TransferDigits5To9):
    """early_stopping's hidden layers restored by TF1 name (frozen, or the top two trained), a new softmax for digits 5-9.

    Its loop draws its own batches, so tests/parity/test_shim_early_stopping.py compares it
    with the TF1 recipe instead of the probe (the generic K-step tests leave it out).
    """

    def build(self, *, max_checks_without_progress, n_train_per_digit, n_valid_per_digit, reuse_scope, train_scope,
              cache_frozen, pretrained_checkpoint, pretrained_recipe, pretrained_preset, **model):
        if cache_frozen and train_scope != FROZEN_ALL:
            raise ValueError(f"cache_frozen needs every hidden layer frozen (train_scope={FROZEN_ALL!r}), got {train_scope!r}")
        self.max_checks_without_progress = max_checks_without_progress
        self.n_train_per_digit, self.n_valid_per_digit = n_train_per_digit, n_valid_per_digit
        self.reuse_scope, self.train_scope, self.cache_frozen = reuse_scope, train_scope, cache_frozen
        self.pretrained_checkpoint, self.pretrained_preset = pretrained_checkpoint, pretrained_preset
        self.pretrained_recipe = pretrained_recipe
        return super().build()

    def restore_pretrained(self, run):
        """``Saver(reuse_vars).restore``: the variables matching ``reuse_scope``, by TF1 name, from the checkpoint they come
        from (early_stopping's, or an earlier step of the chain; the cached TF1 one unless a path was given).

        Returns the TF1 names restored (sorted).
        """
        path = self.pretrained_checkpoint or checkpoints.pretrained_checkpoint(self.pretrained_recipe, self.pretrained_preset, run)
        return self.restore_names(path, self.reuse_scope)

    def training_inputs(self, X_train, X_valid):
        """As the native port's; with ``cache_frozen``, the shim layer's halves: hidden5's output once, the outputs layer trained on it."""
        if not self.cache_frozen:
            return self.model, None, X_train, X_valid

        def outputs_layer(hidden5, training=False):
            return self.model(hidden5, training=training, part="upper")

        return outputs_layer, self._upper_step, self.frozen_output(X_train), self.frozen_output(X_valid)
