"""TF2 port of :mod:`tf1_recipes.recipes.pretrain_5layer`: the gradient_clipping port under its own name.

The reuse ports read the *TF1* pretrained checkpoint (a name-based Saver checkpoint), as a
migration reuses models trained before it; this port's own run writes a TF2 checkpoint.
"""

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.gradient_clipping import GradientClipping


@port("pretrain_5layer")
class Pretrain5Layer(GradientClipping):
    """Five ReLU layers, gradients clipped to [-threshold, threshold], the model saved."""
