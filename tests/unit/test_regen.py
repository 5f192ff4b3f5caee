"""The golden regeneration bookkeeping: the band rule, no silent widening, --extend, --add-platform.

The training runs themselves are replaced by a stand-in here (``regen.run_one``): these
tests pin what the script does with run results, not the results.
"""

import json
import subprocess
import sys

import pytest

from tf1_recipes import golden as golden_lib
from tf1_recipes import regen
from tf1_recipes.registry import get_recipe

RECIPE, PRESET = "graph_session_basics", "book"
REASON = ["--reason", "test"]


def _provenance(fingerprint="aaaa", tf_version="X"):
    return {"implementation": "tf1", "tf_version": tf_version, "intra_op_threads": 1, "numerics": {"fingerprint": fingerprint}}


def _run(seed, final, provenance=None):
    return {
        "seed": seed,
        "history": [final],
        "final": final,
        "epoch_seconds": [0.1],
        "provenance": provenance or _provenance(),
        "config": {**get_recipe(RECIPE).preset(PRESET)[0], **get_recipe(RECIPE).preset(PRESET)[1]},
        "metric": "valid_accuracy",
        "extras": {},
        "recipe": RECIPE,
        "preset": PRESET,
    }


def _golden(runs):
    return regen.build_golden([regen.pinned_record(runs[0], "python scripts/regen_golden.py x")], runs, "python scripts/regen_golden.py x")


def test_tolerance_factor_is_howes_k_and_shrinks_with_more_seeds():
    # NIST/SEMATECH e-Handbook 7.2.6.3: exact k = 4.433 for n = 10, 99% coverage, 95% confidence;
    # Howe's approximation is within 0.3% of it.
    assert regen.tolerance_factor(10, coverage=0.99) == pytest.approx(4.433, rel=0.003)
    ks = [regen.tolerance_factor(n) for n in (3, 5, 10, 20, 100)]
    assert ks == sorted(ks, reverse=True) and ks[-1] > 2.807  # never below the 99.5% normal quantile itself
    with pytest.raises(ValueError):
        regen.tolerance_factor(1)


def test_band_is_a_tolerance_interval_with_a_floor():
    finals = [0.910, 0.911, 0.912, 0.9105, 0.9115]
    mean, std, band = regen.seed_band(finals, "valid_accuracy")
    k = regen.tolerance_factor(5)
    assert band["half_width"] == pytest.approx(k * std, abs=1e-6) and band["low"] == pytest.approx(mean - k * std, abs=1e-6)
    assert f"over 5 seeds, k = {k:.3f}" in band["rule"] and "spread" not in band
    _, _, tight = regen.seed_band([0.5] * 10, "valid_accuracy")
    assert tight["half_width"] == regen.BAND_FLOOR


def test_band_never_leaves_the_metric_range_and_a_wide_one_states_its_spread():
    _, std, band = regen.seed_band([0.99, 0.97, 0.999, 0.95, 0.998], "test_accuracy")
    assert band["high"] == 1.0 and band["low"] < 0.95
    assert "spread" in band and f"std {std:.4g}" in band["spread"]
    _, _, loss = regen.seed_band([0.01, 0.2, 0.05, 0.3, 0.02], "valid_loss")
    assert loss["low"] == 0.0
    _, _, free = regen.seed_band([-1.0, 1.0, 0.0], "value")
    assert free["low"] < -1.0


def test_a_wider_band_is_refused_without_allow_widen_and_stored_with_its_reason():
    runs = [_run(42, 0.90), _run(43, 0.901), _run(44, 0.902)]
    old = _golden(runs)
    wide = [_run(42, 0.90), _run(43, 0.95), _run(44, 0.85)]
    pinned = [regen.pinned_record(wide[0], "c")]
    with pytest.raises(SystemExit, match="band would widen"):
        regen.build_golden(pinned, wide, "c", old)
    new = regen.build_golden(pinned, wide, "c", old, allow_widen=True, widen_reason="because")
    assert new["band"]["widened"] == {"from": old["band"]["half_width"], "to": new["band"]["half_width"], "reason": "because"}
    assert any("WIDENED" in line for line in regen.describe_change(old, new))
    assert any("(not wider)" in line for line in regen.describe_change(new, old))


@pytest.fixture
def golden_tmp(tmp_path, monkeypatch):
    """Goldens written to tmp_path by a regen whose runs are stand-ins; ``machine`` sets their numerics."""
    monkeypatch.setenv(golden_lib.GOLDEN_ENV, str(tmp_path))
    ran = []
    machine = {"fingerprint": "aaaa", "tf_version": "X", "shift": 0.0}

    def fake_run_one(recipe, preset, seed, threads=None, data_dir=None):
        ran.append(seed)
        provenance = _provenance(machine["fingerprint"], machine["tf_version"])
        return _run(seed, 0.9 + (seed - 42) / 1000 + machine["shift"], provenance)

    monkeypatch.setattr(regen, "run_one", fake_run_one)
    return tmp_path, ran, machine


def test_extend_keeps_the_recorded_seeds_runs_only_the_missing_ones_and_records_their_numerics(golden_tmp, capsys):
    directory, ran, machine = golden_tmp
    assert regen.main([RECIPE, "--preset", PRESET, "--seeds", "3"]) == 0
    before = golden_lib.load_golden(RECIPE, PRESET)
    ran.clear()
    machine["fingerprint"] = "bbbb"  # seeds from other numerics are samples of the same spread

    assert regen.main([RECIPE, "--preset", PRESET, "--seeds", "5", "--extend", "--allow-widen", *REASON]) == 0
    after = golden_lib.load_golden(RECIPE, PRESET)
    assert ran == [45, 46]
    assert after["pinned"] == before["pinned"]  # the pinned runs verbatim, command and date included
    assert after["seeds"]["seeds"] == [42, 43, 44, 45, 46]
    assert after["seeds"]["numerics"] == ["aaaa", "aaaa", "aaaa", "bbbb", "bbbb"]
    assert after["seeds"]["finals"][:3] == before["seeds"]["finals"]
    assert after["seeds"]["extended"][0]["added"] == [45, 46]
    assert "--extend" in after["seeds"]["extended"][0]["command"]
    assert after["regenerations"][-1]["reason"] == "test"

    ran.clear()
    assert regen.main([RECIPE, "--preset", PRESET, "--seeds", "5", "--extend"]) == 0
    assert ran == [] and "nothing to add" in capsys.readouterr().out


BAD_INPUT = {
    "unknown recipe": ([RECIPE, "no_such_recipe"], "unknown recipe 'no_such_recipe'; known recipes: "),
    "a preset the named recipe lacks": ([RECIPE, "--preset", "no_such_preset"],
                                        "--preset no_such_preset: not a preset of graph_session_basics (tf1-recipes "
                                        "list shows each recipe's presets)"),
    "a preset no recipe has": (["--preset", "no_such_preset"], "--preset no_such_preset: not a preset of any recipe"),
    "--seeds 0": ([RECIPE, "--seeds", "0"], "argument --seeds: expected a positive whole number, got '0'"),
    "--jobs -1": ([RECIPE, "--jobs", "-1"], "argument --jobs: expected a positive whole number, got '-1'"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_one_line_and_exit_2_before_anything_runs(case, golden_tmp, capsys):
    """Before: an unknown recipe was a traceback, and a preset typo regenerated nothing with exit 0."""
    directory, ran, _ = golden_tmp
    argv, words = BAD_INPUT[case]
    with pytest.raises(SystemExit) as exit_:
        regen.main(argv)
    captured = capsys.readouterr()
    assert exit_.value.code == 2 and captured.out == "" and ran == [] and list(directory.iterdir()) == []
    (line,) = captured.err.splitlines()
    assert line.startswith(f"regen_golden.py: error: {words}") and line.endswith("; see regen_golden.py --help"), line


def test_through_the_cli_a_usage_error_is_the_cli_s_line(capsys):
    from tf1_recipes import cli

    with pytest.raises(SystemExit) as exit_:
        cli.main(["golden", "regen", RECIPE, "--preset", "no_such_preset", "--dry-run"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines() == [
        f"tf1-recipes: error: golden regen: --preset no_such_preset: not a preset of {RECIPE} (tf1-recipes list shows "
        "each recipe's presets); see tf1-recipes golden regen --help"]


@pytest.mark.parametrize("call", ["regen.main(['batchnom'])",
                                  "cli.main(['golden', 'regen', 'batchnom'])"])  # the CLI imported TensorFlow first
def test_a_mistyped_recipe_is_refused_before_tensorflow_loads(call):
    probe = (f"import sys\nfrom tf1_recipes import cli, regen\ntry:\n    {call}\nexcept SystemExit as e:\n"
             "    print('tensorflow' in sys.modules)\n    sys.exit(e.code)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert (out.returncode, out.stdout) == (2, "False\n"), out.stderr
    assert "unknown recipe 'batchnom' (did you mean 'batch_norm'?)" in out.stderr


def test_extend_refuses_a_golden_whose_configuration_changed(golden_tmp):
    directory, ran, _ = golden_tmp
    regen.main([RECIPE, "--preset", PRESET, "--seeds", "2"])
    path = golden_lib.golden_path(RECIPE, PRESET)
    stale = json.loads(path.read_text())
    stale["config"]["seed"] = 7
    path.write_text(json.dumps(stale))
    ran.clear()
    with pytest.raises(SystemExit, match="cannot --extend: config seed: golden 7, now 42"):
        regen.main([RECIPE, "--preset", PRESET, "--seeds", "4", "--extend"])
    with pytest.raises(SystemExit, match="cannot --add-platform: config seed"):
        regen.main([RECIPE, "--preset", PRESET, "--add-platform"])
    assert ran == [] and json.loads(path.read_text()) == stale


def test_extend_refuses_seeds_of_another_tensorflow_version(golden_tmp):
    directory, ran, machine = golden_tmp
    regen.main([RECIPE, "--preset", PRESET, "--seeds", "2"])
    before = golden_lib.golden_path(RECIPE, PRESET).read_text()
    machine["tf_version"] = "Y"
    with pytest.raises(SystemExit, match="another platform.*tf_version X -> Y"):
        regen.main([RECIPE, "--preset", PRESET, "--seeds", "3", "--extend"])
    assert golden_lib.golden_path(RECIPE, PRESET).read_text() == before


def test_add_platform_adds_a_pinned_run_and_leaves_the_seed_statistics_alone(golden_tmp, capsys):
    directory, ran, machine = golden_tmp
    regen.main([RECIPE, "--preset", PRESET, "--seeds", "3"])
    before = golden_lib.load_golden(RECIPE, PRESET)
    ran.clear()
    machine.update(fingerprint="bbbb", shift=0.001)  # another numerics: the same seed ends elsewhere

    assert regen.main([RECIPE, "--preset", PRESET, "--add-platform"]) == 0
    after = golden_lib.load_golden(RECIPE, PRESET)
    assert ran == [42]
    assert after["seeds"] == before["seeds"] and after["band"] == before["band"]
    assert after["pinned"][0] == before["pinned"][0]
    assert [p["provenance"]["numerics"]["fingerprint"] for p in after["pinned"]] == ["aaaa", "bbbb"]
    assert after["pinned"][1]["final"] == pytest.approx(0.901)

    # the same numerics again: reproduced bit for bit, nothing added
    assert regen.main([RECIPE, "--preset", PRESET, "--add-platform"]) == 0
    assert "already pinned for fingerprint bbbb" in capsys.readouterr().out
    assert len(golden_lib.load_golden(RECIPE, PRESET)["pinned"]) == 2

    # the same numerics, other bits: a real change, refused
    machine["shift"] = 0.002
    with pytest.raises(SystemExit, match="same numerics, different bits is a real change"):
        regen.main([RECIPE, "--preset", PRESET, "--add-platform"])


def test_regenerating_on_numerics_no_pinned_run_has_says_so_instead_of_repinning(golden_tmp):
    directory, ran, machine = golden_tmp
    regen.main([RECIPE, "--preset", PRESET, "--seeds", "3"])
    before = golden_lib.golden_path(RECIPE, PRESET).read_text()
    machine["fingerprint"] = "cccc"
    with pytest.raises(SystemExit, match="fingerprint cccc.*not those of any pinned run \\(aaaa\\).*--add-platform"):
        regen.main([RECIPE, "--preset", PRESET, "--seeds", "3"])
    assert golden_lib.golden_path(RECIPE, PRESET).read_text() == before
    assert regen.main([RECIPE, "--preset", PRESET, "--seeds", "3", "--repin"]) == 0
    # a whole regeneration cannot vouch for the other numerics' pinned runs: only this one's is kept
    assert [p["provenance"]["numerics"]["fingerprint"] for p in golden_lib.load_golden(RECIPE, PRESET)["pinned"]] == ["cccc"]


def test_add_platform_keeps_a_band_made_by_an_older_rule_verbatim(golden_tmp, monkeypatch):
    directory, ran, machine = golden_tmp
    regen.main([RECIPE, "--preset", PRESET, "--seeds", "5"])
    path = golden_lib.golden_path(RECIPE, PRESET)
    older = json.loads(path.read_text())
    older["band"]["half_width"] /= 2  # as an older, tighter rule left it
    path.write_text(json.dumps(older))
    machine["fingerprint"] = "bbbb"
    assert regen.main([RECIPE, "--preset", PRESET, "--add-platform"]) == 0
    after = golden_lib.load_golden(RECIPE, PRESET)
    assert after["band"] == older["band"] and after["seeds"] == older["seeds"]


def test_a_pinned_run_keeps_the_data_checksums_but_not_the_machines_data_folder():
    data = {"dir": "/home/someone/mnist", "origin": "--data-dir", "format": "idx.gz", "sha256": {"t10k-labels-idx1-ubyte": "ab"}}
    record = regen.pinned_record(_run(42, 0.9, {**_provenance(), "data": data}), "c")
    assert record["provenance"]["data"] == {key: value for key, value in data.items() if key != "dir"}
    assert record["provenance"]["numerics"] == {"fingerprint": "aaaa"}
