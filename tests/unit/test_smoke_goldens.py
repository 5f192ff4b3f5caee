"""The fast tier's golden checks: every recipe's smoke preset (a few hundred steps), pinned tightly."""

import pytest

from tf1_recipes import golden
from tf1_recipes.registry import list_recipes

RECIPES = [r.name for r in list_recipes()]
ALL_PRESETS = [(r.name, p) for r in list_recipes() for p in r.presets]


@pytest.mark.parametrize("recipe", RECIPES)
def test_smoke_run_matches_golden(recipe, run_quiet):
    result = run_quiet(recipe, "smoke")
    comparison = golden.compare(result)
    assert comparison.checks, f"{recipe}/smoke was compared with nothing: {comparison.notes}"
    assert comparison.status == "PASS", golden.format_table([comparison])


@pytest.mark.parametrize("recipe,preset", ALL_PRESETS, ids=[f"{r}-{p}" for r, p in ALL_PRESETS])
def test_every_preset_has_a_golden_written_by_the_regen_script(recipe, preset):
    data = golden.load_golden(recipe, preset)
    assert data is not None, f"no golden for {recipe}/{preset}: run scripts/regen_golden.py {recipe} --preset {preset}"
    assert data["pinned"]["command"].startswith("python scripts/regen_golden.py")
    assert data["recipe"] == recipe and data["preset"] == preset
    if "max_checks_without_progress" in data["config"]:
        # Early stopping: n_epochs is a maximum; history is [best validation loss, test accuracy].
        assert len(data["pinned"]["history"]) == 2
    elif "n_epochs" in data["config"]:
        assert len(data["pinned"]["history"]) == data["config"]["n_epochs"]
    assert data["tolerance"]["pinned_reason"] and data["band"]["reason"] and data["band"]["rule"]
    assert data["band"]["low"] <= data["seeds"]["mean"] <= data["band"]["high"]
    assert data["seeds"]["seeds"][0] == data["pinned"]["seed"] and len(data["seeds"]["finals"]) >= 3
