"""The rules every golden file keeps (tf1_recipes/golden/README.md), checked on every file in golden/.

Each preset of every recipe has a golden written by the regeneration script; each pinned
run records its numerics fingerprint, and at least two numerics are pinned; the band is
the rule's own output over enough seeds, inside the metric's range, and narrow enough to
fail.
"""

import re

import pytest

from tf1_recipes import golden, regen
from tf1_recipes.registry import list_recipes

ALL_PRESETS = [(r.name, p) for r in list_recipes() for p in r.presets]
IDS = [f"{r}-{p}" for r, p in ALL_PRESETS]


@pytest.fixture(params=ALL_PRESETS, ids=IDS)
def golden_file(request):
    recipe, preset = request.param
    data = golden.load_golden(recipe, preset)
    assert data is not None, f"no golden for {recipe}/{preset}: run scripts/regen_golden.py {recipe} --preset {preset}"
    return recipe, preset, data


def test_written_by_the_regen_script_for_this_preset(golden_file):
    recipe, preset, data = golden_file
    assert data["recipe"] == recipe and data["preset"] == preset
    for pinned in golden.pinned_runs(data):
        assert pinned["command"].startswith("python scripts/regen_golden.py")
        if "max_checks_without_progress" in data["config"]:
            # Early stopping: n_epochs is a maximum; history is [best validation loss, test accuracy].
            assert len(pinned["history"]) == 2
        elif "n_epochs" in data["config"]:
            assert len(pinned["history"]) == data["config"]["n_epochs"]
    assert data["tolerance"]["pinned_reason"] and data["band"]["reason"] and data["band"]["rule"]
    assert "test_determinism" not in data["tolerance"]["pinned_reason"]


def test_every_pinned_run_records_its_numerics_and_two_numerics_are_pinned(golden_file):
    _, _, data = golden_file
    runs = golden.pinned_runs(data)
    fingerprints = [golden.platform_of(p["provenance"])["fingerprint"] for p in runs]
    assert all(fp and re.fullmatch(r"[0-9a-f]{16}", fp) for fp in fingerprints), fingerprints
    assert len(set(fingerprints)) == len(fingerprints) >= 2  # e.g. oneDNN on and TF_ENABLE_ONEDNN_OPTS=0
    assert {p["seed"] for p in runs} == {data["seeds"]["seeds"][0]}
    onednn = {p["provenance"]["numerics"]["onednn"] for p in runs}
    assert onednn == {True, False}


def test_band_is_the_rules_output_over_enough_seeds_inside_the_metrics_range(golden_file):
    _, preset, data = golden_file
    seeds = data["seeds"]
    assert len(seeds["finals"]) >= regen.MIN_SEEDS["smoke" if preset == "smoke" else "full"]
    assert len(set(seeds["seeds"])) == len(seeds["seeds"]) == len(seeds["numerics"]) == len(seeds["histories"])
    _, _, band = regen.seed_band(seeds["finals"], data["metric"])
    for key in ("low", "high", "half_width", "k", "rule"):
        assert data["band"][key] == pytest.approx(band[key]) if key != "rule" else data["band"][key] == band[key]
    low, high = golden.metric_range(data["metric"])
    assert low is None or data["band"]["low"] >= low
    assert high is None or data["band"]["high"] <= high
    assert data["band"]["low"] <= seeds["mean"] <= data["band"]["high"]


def test_a_band_is_narrow_enough_to_fail_or_states_why_it_is_wide(golden_file):
    _, preset, data = golden_file
    width = data["band"]["high"] - data["band"]["low"]
    if preset == "smoke" and "accuracy" in data["metric"]:
        assert width <= regen.SMOKE_MAX_WIDTH, f"a smoke band {width:.3f} wide cannot tell a broken recipe from a working one"
    if width > regen.WIDE_BAND:
        assert "measured spread" in data["band"]["spread"]
    low, high = golden.metric_range(data["metric"])
    if low is not None and high is not None:
        assert width < high - low  # never the whole range


#: (pitfall preset, the fixed recipe's preset): the pitfall's band must exclude the fix's mean.
PITFALLS = [
    (("bn_pitfall_no_update_ops", "pitfall"), ("bn_pitfall_no_update_ops", "fixed")),
    (("bn_pitfall_training_flag", "pitfall"), ("batch_norm", "book")),
    (("bad_init", "bad"), ("he_init", "book")),
    (("bn_shared_between_towers", "shared"), ("bn_shared_between_towers", "separate")),
]


@pytest.mark.parametrize("pitfall,fixed", PITFALLS, ids=[f"{p[0]}-{p[1]}" for p, _ in PITFALLS])
def test_a_pitfalls_band_excludes_the_fixed_recipes_mean(pitfall, fixed):
    band = golden.load_golden(*pitfall)["band"]
    fixed_golden = golden.load_golden(*fixed)
    fixed_mean, fixed_band = fixed_golden["seeds"]["mean"], fixed_golden["band"]
    assert not band["low"] <= fixed_mean <= band["high"], f"{pitfall} band {band['low']:.4f}..{band['high']:.4f} holds {fixed}'s mean"
    # and the two bands do not even touch: every run of one is told from every run of the other
    assert band["high"] < fixed_band["low"] or fixed_band["high"] < band["low"]
