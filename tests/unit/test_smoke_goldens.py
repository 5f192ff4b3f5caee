"""The fast tier's golden checks: every recipe's smoke preset (a few hundred steps).

The same comparison as the golden tier's (tf1_recipes.golden.compare): the pinned check
where this machine's numerics fingerprint is one a pinned run has, the band otherwise, so
a machine the goldens have never seen fails only when a band does. The golden files'
own rules are tests/unit/test_golden_files.py.
"""

import pytest

from tf1_recipes import golden
from tf1_recipes.registry import list_recipes

RECIPES = [r.name for r in list_recipes()]


@pytest.mark.parametrize("recipe", RECIPES)
def test_smoke_run_matches_golden(recipe, shared_run):
    result = shared_run(recipe)
    comparison = golden.compare(result)
    assert comparison.checks, f"{recipe}/smoke was compared with nothing: {comparison.notes}"
    assert comparison.status == "PASS", golden.format_table([comparison])
