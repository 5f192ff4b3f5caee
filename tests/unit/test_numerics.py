"""The numerics fingerprint (tf1_recipes.numerics) and the pinned check it decides."""

import json
import os
import platform
import re
import subprocess
import sys

import pytest

from tf1_recipes import golden, numerics
from tf1_recipes.harness import RunResult
from tf1_recipes.provenance import provenance
from tf1_recipes.regen import build_golden, pinned_record


def test_fingerprint_is_cached_and_the_computation_reproduces_itself_bit_for_bit():
    first = numerics.fingerprint()
    assert re.fullmatch(r"[0-9a-f]{16}", first) and numerics.fingerprint() == first
    assert numerics.fingerprint_groups() is numerics.fingerprint_groups()  # computed once
    hashes = numerics.group_hashes()  # computed again: op determinism gives the same bits
    assert set(hashes) == {"dense", "activations", "batch_norm", "loss", *numerics.OPTIMIZERS} == set(numerics.GROUPS)
    assert numerics.combine(hashes) == first


#: A measurement's groups, for the tests of its reuse (what group_hashes returns, without the 1.3-2 s).
MEASURED = {group: "ab" * 32 for group in numerics.GROUPS}


@pytest.fixture
def new_process(tmp_path, monkeypatch):
    """This process as a new one: no fingerprint yet, an empty cache (tmp_path), ``group_hashes`` counted.

    Yields the list of ``group_hashes`` calls' results (each returns :data:`MEASURED`) and the kept files' folder.
    """
    if numerics.reuse_key() is None:
        pytest.skip("no boot_id to read here: every process measures")
    monkeypatch.setenv("TF1_RECIPES_CACHE", str(tmp_path))
    calls = []
    monkeypatch.setattr(numerics, "group_hashes", lambda: calls.append(dict(MEASURED)) or dict(MEASURED))
    numerics.fingerprint_groups.cache_clear()
    yield calls, tmp_path / "numerics"
    numerics.fingerprint_groups.cache_clear()


def test_a_later_process_of_this_boot_reads_what_the_first_measured(new_process):
    calls, kept = new_process
    assert numerics.fingerprint_groups() == MEASURED and len(calls) == 1
    assert [p.name for p in kept.iterdir()] == [f"{numerics.reuse_key()}.json"]
    numerics.fingerprint_groups.cache_clear()  # a later process: reads, does not measure
    assert numerics.fingerprint() == numerics.combine(MEASURED) and len(calls) == 1


def test_other_settings_a_damaged_file_or_no_boot_id_are_measured_again(new_process, monkeypatch, tmp_path):
    calls, kept = new_process
    numerics.fingerprint_groups()
    first_key = numerics.reuse_key()
    other = "SSE41" if os.environ.get("ONEDNN_MAX_CPU_ISA") == "AVX2" else "AVX2"
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", other)  # other numerics settings: another key, measured
    numerics.fingerprint_groups.cache_clear()
    numerics.fingerprint_groups()
    assert len(calls) == 2 and numerics.reuse_key() != first_key and len(list(kept.iterdir())) == 2
    for damage in ("{", json.dumps({**MEASURED, "dense": 3}), json.dumps({"dense": "ab" * 32})):
        (kept / f"{numerics.reuse_key()}.json").write_text(damage)
        numerics.fingerprint_groups.cache_clear()
        assert numerics.fingerprint_groups() == MEASURED  # measured again and kept whole
        assert json.loads((kept / f"{numerics.reuse_key()}.json").read_text()) == MEASURED
    assert len(calls) == 5
    monkeypatch.setattr(numerics, "BOOT_ID", tmp_path / "no_boot_id")
    numerics.fingerprint_groups.cache_clear()
    assert numerics.reuse_key() is None and numerics.fingerprint_groups() == MEASURED and len(calls) == 6
    assert len(list(kept.iterdir())) == 2  # nothing kept without a boot to keep it for


def test_a_cache_that_cannot_be_written_is_left_alone(new_process, monkeypatch, tmp_path):
    calls, _ = new_process
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("TF1_RECIPES_CACHE", str(tmp_path / "file"))
    assert numerics.fingerprint_groups() == MEASURED and len(calls) == 1
    assert not list(tmp_path.glob("**/*.tmp"))


def test_the_numerics_command_measures_in_its_process_and_says_an_earlier_measurement_differs(new_process, capsys):
    from tf1_recipes import cli

    calls, kept = new_process
    kept.mkdir()
    (kept / f"{numerics.reuse_key()}.json").write_text(json.dumps({**MEASURED, "Adam": "cd" * 32}))
    assert cli.main(["numerics"]) == 1 and len(calls) == 1  # measured, not read
    out = capsys.readouterr().out
    assert f"fingerprint {numerics.combine(MEASURED)}" in out
    assert "an earlier process of this boot measured other bits: Adam (this measurement is kept)" in out
    assert json.loads((kept / f"{numerics.reuse_key()}.json").read_text()) == MEASURED
    assert cli.main(["numerics"]) == 0 and len(calls) == 2
    assert "an earlier process of this boot measured the same bits" in capsys.readouterr().out


def test_a_rerun_on_the_same_numerics_is_bit_identical(run_quiet):
    first, second = run_quiet("he_init", "smoke"), run_quiet("he_init", "smoke")
    assert first.history == second.history  # exactly, not approximately
    assert first.provenance["numerics"] == second.provenance["numerics"]


def _weights(checkpoint_path):
    """{variable name: its bytes} of a checkpoint: the bits a run ended on."""
    import tensorflow as tf

    reader = tf.train.load_checkpoint(checkpoint_path)
    return {name: reader.get_tensor(name).tobytes() for name in reader.get_variable_to_shape_map()}


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="oneDNN's CPU kernels are x86 only")
def test_onednn_the_other_way_is_other_numerics_exactly_where_it_changes_a_recipes_bits(run_quiet, tmp_path):
    """oneDNN switched the other way (TF_ENABLE_ONEDNN_OPTS) sends a recipe elsewhere on a CPU whose oneDNN kernels
    round otherwise than Eigen's (the AVX-512 EPYCs, family 25 model 17 and family 26 model 2), and changes nothing on
    one where they agree (an AVX2-only EPYC, where oneDNN is off unless asked for): the fingerprint differs exactly
    when the bits of the recipe's trained weights do. The test assumed the first kind of CPU, and failed on the second;
    it compared the accuracy history, which a last-bit difference leaves unchanged over two smoke epochs on family 26
    model 2, where it failed too. ``onednn`` is what TensorFlow runs, not the variable."""
    ours = numerics.describe()
    mine = run_quiet("he_init", "smoke", out_dir=str(tmp_path / "ours"))
    other = "1" if ours["onednn"] is False else "0"
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": other}
    code = ("import json, sys; from tf1_recipes import numerics; from tf1_recipes.harness import RecipeConfig, run_recipe; "
            "run = run_recipe(RecipeConfig('he_init', preset='smoke', quiet=True, progress=False, input_path='in_graph', "
            "out_dir=sys.argv[1])); "
            "print(json.dumps({'facts': numerics.describe(), 'history': run.history, 'checkpoint': run.checkpoint_path}))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "theirs")], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    theirs = measured["facts"]
    assert theirs["onednn"] is (other == "1") and theirs["env"]["TF_ENABLE_ONEDNN_OPTS"] == other
    our_weights, their_weights = _weights(mine.checkpoint_path), _weights(measured["checkpoint"])
    assert our_weights.keys() == their_weights.keys() and len(our_weights) >= 6  # 3 kernels, 3 biases at least
    assert (theirs["fingerprint"] != ours["fingerprint"]) == (their_weights != our_weights), (ours, theirs)
    if theirs["fingerprint"] == ours["fingerprint"]:
        assert measured["history"] == mine.history
    said = numerics.differences(ours, theirs)
    if theirs["fingerprint"] != ours["fingerprint"]:
        assert said[0].startswith(f"fingerprint {theirs['fingerprint']} -> {ours['fingerprint']}")
    assert any(line.startswith(f"onednn {theirs['onednn']} -> {ours['onednn']}") for line in said), said


def test_cpu_facts_name_the_generation_and_the_flags_that_change_kernels():
    facts = numerics.cpu_facts()
    assert set(facts) == {"vendor", "family", "model", "stepping", "model_name", "flags"}
    assert set(facts["flags"]) <= set(numerics.RELEVANT_CPU_FLAGS)


def _golden_here(tmp_path):
    """A golden pinned on this machine's numerics, in tmp_path (r/p.json)."""
    threads = {"intra_op_threads": 1}
    prov = provenance(threads)
    runs = [
        dict(recipe="r", preset="p", metric="test_accuracy", config={"seed": 42}, seed=42 + i, history=[0.9, f],
             final=f, epoch_seconds=[1, 1], provenance=prov)
        for i, f in enumerate([0.95, 0.951, 0.949, 0.95, 0.952])
    ]
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "p.json").write_text(json.dumps(build_golden([pinned_record(runs[0], "c")], runs, "c")))
    return prov


def test_a_changed_fingerprint_turns_the_pinned_check_into_the_band_check_with_a_note(tmp_path):
    prov = _golden_here(tmp_path)
    same = golden.compare(RunResult("r", "p", {"seed": 42}, "test_accuracy", [0.9, 0.95], [1, 1], prov), tmp_path)
    assert [c.kind for c in same.checks] == ["pinned", "band"] and same.status == "PASS"

    other = json.loads(json.dumps(prov))
    other["numerics"]["fingerprint"] = "9f3e000000000000"
    other["numerics"]["onednn"] = not prov["numerics"]["onednn"]
    moved = RunResult("r", "p", {"seed": 42}, "test_accuracy", [0.9, 0.9502], [1, 1], other)
    comparison = golden.compare(moved, tmp_path)
    assert [c.kind for c in comparison.checks] == ["band"] and comparison.status == "PASS"
    (note,) = comparison.notes
    assert note.startswith(f"numerics differ from the pinned runs': fingerprint 9f3e000000000000 vs {prov['numerics']['fingerprint']}")
    assert f"onednn {prov['numerics']['onednn']} -> {other['numerics']['onednn']}" in note
    assert note.endswith("pinned check replaced by the band")


def test_same_numerics_different_bits_fails_the_pinned_check(tmp_path):
    prov = _golden_here(tmp_path)
    moved = RunResult("r", "p", {"seed": 42}, "test_accuracy", [0.9, 0.9501], [1, 1], prov)
    comparison = golden.compare(moved, tmp_path)
    assert comparison.status == "FAIL" and not comparison.checks[0].passed and comparison.checks[0].kind == "pinned"
    assert comparison.checks[1].passed  # inside the band: only the pinned check sees a one-image change


def test_totals_count_pinned_band_only_and_failed_runs(tmp_path):
    prov = _golden_here(tmp_path)
    other = json.loads(json.dumps(prov))
    other["numerics"]["fingerprint"] = "9f3e000000000000"

    def compared(final, provenance):
        return golden.compare(RunResult("r", "p", {"seed": 42}, "test_accuracy", [0.9, final], [1, 1], provenance), tmp_path)

    comparisons = [compared(0.95, prov), compared(0.9502, other), compared(0.5, other)]
    assert golden.format_totals(comparisons) == (
        "1 pinned PASS, 1 band PASS (no pinned run for these numerics or seed), 1 FAIL, 0 NOT_COMPARED"
    )
