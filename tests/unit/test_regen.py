"""The golden regeneration bookkeeping: the band rule, no silent widening, and --extend.

The training runs themselves are replaced by a stand-in here (``regen.run_one``): these
tests pin what the script does with run results, not the results.
"""

import json

import pytest

from tf1_recipes import golden as golden_lib
from tf1_recipes import regen
from tf1_recipes.registry import get_recipe

RECIPE, PRESET = "graph_session_basics", "book"


def _run(seed, final, provenance=None):
    return {
        "seed": seed,
        "history": [final],
        "final": final,
        "epoch_seconds": [0.1],
        "provenance": provenance or {"implementation": "tf1", "tf_version": "X", "intra_op_threads": 1},
        "config": {**get_recipe(RECIPE).preset(PRESET)[0], **get_recipe(RECIPE).preset(PRESET)[1]},
        "metric": "m",
        "extras": {},
        "recipe": RECIPE,
        "preset": PRESET,
    }


def test_band_is_mean_plus_minus_four_std_with_a_floor():
    mean, std, band = regen.seed_band([0.90, 0.91, 0.92])
    assert mean == pytest.approx(0.91) and std == pytest.approx(0.01)
    assert band["half_width"] == pytest.approx(0.04) and band["low"] == pytest.approx(0.87)
    _, _, tight = regen.seed_band([0.5, 0.5, 0.5])
    assert tight["half_width"] == regen.BAND_FLOOR
    assert "4.0 x std over 3 seeds" in tight["rule"]


def test_a_wider_band_is_refused_without_allow_widen_and_stored_with_its_reason():
    old = regen.build_golden(_run(42, 0.90), [_run(43, 0.901), _run(44, 0.902)], "python scripts/regen_golden.py x")
    wide = ([_run(42, 0.90), _run(43, 0.95), _run(44, 0.85)], "python scripts/regen_golden.py x")
    with pytest.raises(SystemExit, match="band would widen"):
        regen.build_golden(wide[0][0], wide[0][1:], wide[1], old)
    new = regen.build_golden(wide[0][0], wide[0][1:], wide[1], old, allow_widen=True, widen_reason="because")
    assert new["band"]["widened"] == {"from": old["band"]["half_width"], "to": new["band"]["half_width"], "reason": "because"}
    assert any("WIDENED" in line for line in regen.describe_change(old, new))
    assert any("(not wider)" in line for line in regen.describe_change(new, old))


@pytest.fixture
def golden_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv(golden_lib.GOLDEN_ENV, str(tmp_path))
    ran = []

    def fake_run_one(recipe, preset, seed, threads=None, data_dir=None):
        ran.append(seed)
        return _run(seed, 0.9 + (seed - 42) / 1000)

    monkeypatch.setattr(regen, "run_one", fake_run_one)
    return tmp_path, ran


def test_extend_keeps_the_recorded_seeds_and_runs_only_the_missing_ones(golden_tmp, capsys):
    directory, ran = golden_tmp
    assert regen.main([RECIPE, "--preset", PRESET, "--seeds", "3"]) == 0
    before = golden_lib.load_golden(RECIPE, PRESET)
    ran.clear()

    assert regen.main([RECIPE, "--preset", PRESET, "--seeds", "5", "--extend", "--allow-widen", "--reason", "5 seeds"]) == 0
    after = golden_lib.load_golden(RECIPE, PRESET)
    assert ran == [45, 46]
    assert after["pinned"] == before["pinned"]  # the pinned record verbatim, its command and date included
    assert after["seeds"]["seeds"] == [42, 43, 44, 45, 46]
    assert after["seeds"]["finals"][:3] == before["seeds"]["finals"]
    assert after["seeds"]["extended"][0]["added"] == [45, 46]
    assert "--extend" in after["seeds"]["extended"][0]["command"]

    ran.clear()
    assert regen.main([RECIPE, "--preset", PRESET, "--seeds", "5", "--extend"]) == 0
    assert ran == [] and "nothing to add" in capsys.readouterr().out


def test_extend_refuses_a_golden_whose_configuration_changed(golden_tmp):
    directory, ran = golden_tmp
    regen.main([RECIPE, "--preset", PRESET, "--seeds", "2"])
    path = golden_lib.golden_path(RECIPE, PRESET)
    stale = json.loads(path.read_text())
    stale["config"]["seed"] = 7
    path.write_text(json.dumps(stale))
    ran.clear()
    with pytest.raises(SystemExit, match="cannot --extend: config seed: golden 7, now 42"):
        regen.main([RECIPE, "--preset", PRESET, "--seeds", "4", "--extend"])
    assert ran == [] and json.loads(path.read_text()) == stale


def test_extend_refuses_seeds_run_on_another_platform(golden_tmp, monkeypatch):
    directory, ran = golden_tmp
    regen.main([RECIPE, "--preset", PRESET, "--seeds", "2"])
    before = golden_lib.golden_path(RECIPE, PRESET).read_text()
    monkeypatch.setattr(
        regen, "run_one", lambda recipe, preset, seed, threads=None, data_dir=None: _run(seed, 0.9, {"tf_version": "Y"})
    )
    with pytest.raises(SystemExit, match="another platform.*tf_version X -> Y"):
        regen.main([RECIPE, "--preset", PRESET, "--seeds", "3", "--extend"])
    assert golden_lib.golden_path(RECIPE, PRESET).read_text() == before
