"""TF2 port of :mod:`tf1_recipes.recipes.cache_frozen_layers` (the model: :mod:`tf1_recipes.tf2.families.reuse_hidden_layers`)."""

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.families.reuse_hidden_layers import ReuseHiddenLayers


@port("cache_frozen_layers")
class CacheFrozenLayers(ReuseHiddenLayers):
    """The cache_frozen_layers recipe's port: its book preset picks the variant."""

    # Its TF1 loop feeds hidden2's cache and never asks run.batches for batches, so the
    # probe cannot watch it; tests/parity/test_reuse.py compares whole tiny runs instead.
    probe_parity = False
