"""The golden tier: every recipe's reference configurations, full length, on real MNIST.

Each (recipe, preset) with a golden file is run as it was pinned and compared with the
golden (pinned check, or cross-platform check on another platform) and, where a published
reference exists, with the reference's final value.
"""

import pytest

from tf1_recipes import golden
from tf1_recipes.registry import list_recipes

FULL_PRESETS = [(r.name, p) for r in list_recipes() for p in r.presets if p != "smoke"]


@pytest.mark.golden
@pytest.mark.parametrize("recipe,preset", FULL_PRESETS, ids=[f"{r}-{p}" for r, p in FULL_PRESETS])
def test_full_run_matches_golden(recipe, preset, compared_run, pretrained):
    # A configuration that other recipes pretrain from: the run the checkpoint cache holds (trained once a session).
    comparison = compared_run(recipe, preset, cached=(recipe, preset) in pretrained)
    assert comparison.checks, f"{recipe}/{preset} was compared with nothing: {comparison.notes}"
    assert comparison.status == "PASS", golden.format_table([comparison])
