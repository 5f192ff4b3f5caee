"""Shim port of :mod:`tf1_recipes.recipes.batch_norm` (the model code: :mod:`tf1_recipes.shim.families.pitfalls`)."""

from tf1_recipes.shim import shim
from tf1_recipes.shim.families.pitfalls import BatchNormDNN


@shim("batch_norm")
class Shim(BatchNormDNN):
    """The batch_norm recipe's TF1 model code in a ``track_tf1_style_variables`` layer; the moving
    statistics update inside each training call, whichever ``update_ops`` wiring the preset names."""
