"""Shim port of :mod:`tf1_recipes.recipes.cache_frozen_layers` (the model code: :mod:`tf1_recipes.shim.families.reuse_hidden_layers`)."""

from tf1_recipes.shim import shim
from tf1_recipes.shim.families.reuse_hidden_layers import ReuseHiddenLayers


@shim("cache_frozen_layers")
class Shim(ReuseHiddenLayers):
    """The cache_frozen_layers recipe's TF1 model code in a ``track_tf1_style_variables`` layer; its book preset picks the variant."""

    # Its TF1 loop feeds hidden2's cache and never asks run.batches for batches, so the probe
    # cannot watch it: tests/parity/test_shim_reuse.py compares whole tiny runs instead.
    probe_parity = False
