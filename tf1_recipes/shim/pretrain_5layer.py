"""Shim port of :mod:`tf1_recipes.recipes.pretrain_5layer`: the gradient_clipping shim under its own name.

The model is :func:`tf1_recipes.recipes.families.relu_mlp.five_relu_mlp` and the clipping
between the tape and ``apply_gradients`` is :func:`tf1_recipes.recipes.gradient_clipping.clip_by_value`,
the code the TF1 graph is built with (TF1's ``compute_gradients`` → ``tape.gradient``). Its
checkpoint is a TF1 ``Saver`` checkpoint with the recipe's names, which the reuse recipes'
TF1 graphs and shims restore as they restore the TF1 recipe's.
"""

from tf1_recipes.shim import shim
from tf1_recipes.shim.gradient_clipping import Shim as GradientClipping


@shim("pretrain_5layer")
class Shim(GradientClipping):
    """Five ReLU layers in a shim layer, TF1's GD on gradients clipped to [-threshold, threshold], the model saved."""
