"""Shim port of :mod:`tf1_recipes.recipes.gradient_clipping`: its model and its ``clip_by_value`` between the tape and ``apply_gradients``.

The model code: :mod:`tf1_recipes.shim.families.five_relu`. What changes at rung 2:
``compute_gradients`` / ``apply_gradients`` around the clipping become the tape's gradients
and the TF1 optimizer's ``apply_gradients`` in :meth:`Shim.apply_gradients`, with the
recipe's own :func:`tf1_recipes.recipes.gradient_clipping.clip_by_value` in between.
"""

from tf1_recipes.recipes.gradient_clipping import clip_by_value
from tf1_recipes.shim import shim
from tf1_recipes.shim.families.five_relu import FiveReLU


@shim("gradient_clipping")
class Shim(FiveReLU):
    """Five ReLU layers in a shim layer; every gradient clipped to [-threshold, threshold] before GD applies it."""

    def apply_gradients(self, grads, variables):
        """TF1's ``optimizer.apply_gradients(clip_by_value(compute_gradients(loss), threshold))``."""
        self.optimizer.apply_gradients(clip_by_value(zip(grads, variables), self.hyper["threshold"]))
