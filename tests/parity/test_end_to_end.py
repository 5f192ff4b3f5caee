"""End to end: each port's full run of each preset lands inside its TF1 recipe's golden band.

A port is another platform (golden.compare says so: provenance implementation tf2), so
the pinned check is replaced by the band of the TF1 golden. These are full-length runs:
marked ``golden`` (they run with the golden tier and the README's command) and ``tf2_e2e``
(``pytest -m tf2_e2e`` runs them alone).
"""

import pytest

from tf1_recipes import golden
from tf1_recipes.registry import get_recipe
from tf1_recipes.tf2 import list_ports

CASES = [(name, p) for name in list_ports() for p in get_recipe(name).presets if p != "smoke"]


@pytest.mark.golden
@pytest.mark.tf2_e2e
@pytest.mark.parametrize("recipe,preset", CASES, ids=[f"{r}-{p}" for r, p in CASES])
def test_port_full_run_lands_in_the_tf1_golden_band(recipe, preset, compared_run):
    comparison = compared_run(recipe, preset, tf2=True)
    assert [c.kind for c in comparison.checks if c.kind != "reference"] == ["band"], comparison.notes
    assert any("TF2 port is another platform" in note for note in comparison.notes)
    assert comparison.status == "PASS", golden.format_table([comparison])
