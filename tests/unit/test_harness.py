"""The harness: fresh graphs, determinism, preset resolution, interrupted runs, the legacy-Keras switch."""

import json
import os
import subprocess
import sys

import pytest

from tf1_recipes.compat import tf1
from tf1_recipes.harness import RecipeConfig, run_recipe
from tf1_recipes.registry import UnknownRecipeError, get_recipe, list_recipes

TINY = {"n_epochs": 2, "train_size": 1000}


def test_same_seed_gives_identical_history(run_quiet):
    first = run_quiet("gradient_clipping", overrides=TINY)
    second = run_quiet("gradient_clipping", overrides=TINY)
    assert first.history == second.history
    other_seed = run_quiet("gradient_clipping", seed=7, overrides=TINY)
    assert other_seed.history != first.history


def test_each_run_builds_its_own_graph_and_leaves_the_default_graph_empty(run_quiet):
    before = len(tf1.get_default_graph().get_operations())
    first = run_quiet("batch_norm", overrides=TINY)
    second = run_quiet("batch_norm", overrides=TINY)
    assert first.graph is not second.graph
    assert len(tf1.get_default_graph().get_operations()) == before
    # no layer got a "_1" suffix from a previous run's leftovers
    assert {v.op.name for v in second.graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)} == {
        v.op.name for v in first.graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)
    }


def test_graph_seed_is_the_preset_seed(run_quiet):
    result = run_quiet("gradient_clipping", overrides={"n_epochs": 1, "train_size": 100})
    assert result.graph.seed == 42
    assert result.config["seed"] == 42


def test_result_records_history_timings_and_provenance(run_quiet):
    result = run_quiet("batch_norm", overrides=TINY)
    assert len(result.history) == len(result.epoch_seconds) == 2
    assert all(0.0 <= h <= 1.0 for h in result.history) and result.final == result.history[-1]
    for key in ("tf_version", "tf_keras_version", "platform", "cpu", "device", "intra_op_threads"):
        assert result.provenance[key]
    assert result.metric == "test_accuracy"  # the reference preset evaluates on the test set
    json.dumps(result.to_dict())


def test_presets_resolve_with_reference_defaults():
    spec = get_recipe("batch_norm")
    settings, hyper = spec.preset("reference")
    assert (settings["reader"], settings["eval_split"], hyper["batch_size"], hyper["n_epochs"]) == ("next_batch", "test", 200, 20)
    settings, hyper = spec.preset("book")
    assert (settings["reader"], settings["eval_split"], hyper["initializer"]) == ("shuffle_batch", "valid", "variance_scaling")
    settings, hyper = spec.preset("smoke")
    assert (settings["train_size"], hyper["n_epochs"]) == (150 * 200, 2)
    assert get_recipe("gradient_clipping").preset("book")[1]["batch_size"] == 200


def test_unknown_recipe_preset_and_hyperparameter_are_clear_errors():
    with pytest.raises(UnknownRecipeError, match="unknown recipe 'nope'; known recipes: .*batch_norm"):
        get_recipe("nope")
    with pytest.raises(UnknownRecipeError, match="no preset 'zz'; presets: reference"):
        RecipeConfig("batch_norm", preset="zz").resolve()
    with pytest.raises(ValueError, match="no hyperparameter \\['n_hiden1'\\]"):
        RecipeConfig("batch_norm", overrides={"n_hiden1": 3}).resolve()
    with pytest.raises(ValueError, match="n_epochs must be at least 1"):
        RecipeConfig("batch_norm", n_epochs=0).resolve()


def test_every_recipe_is_listed_with_a_description():
    for spec in list_recipes():
        assert spec.description, spec.name
        assert spec.default_preset in spec.presets and "smoke" in spec.presets


def test_an_interrupted_run_is_recorded_as_interrupted(tmp_path, monkeypatch):
    from tf1_recipes import harness

    def interrupt(self, epoch, value, **extras):
        raise KeyboardInterrupt

    monkeypatch.setattr(harness.Run, "report", interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_recipe(RecipeConfig("gradient_clipping", overrides=TINY, out_dir=str(tmp_path), quiet=True))
    (record,) = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert record["status"] == "interrupted" and record["history"] == []


def test_a_run_that_fails_on_bad_data_is_recorded_as_failed_with_the_reason(tmp_path):
    from tf1_recipes.data import DataError

    with pytest.raises(DataError):
        run_recipe(RecipeConfig("gradient_clipping", overrides=TINY, out_dir=str(tmp_path / "out"),
                                data_dir=str(tmp_path / "no-mnist-here"), quiet=True))
    (record,) = [json.loads(line) for line in (tmp_path / "out" / "runs.jsonl").read_text().splitlines()]
    assert record["status"] == "failed" and record["history"] == []
    assert record["error"].startswith("DataError: ") and "no-mnist-here" in record["error"]


def test_a_failed_run_without_out_gathers_no_provenance(tmp_path, monkeypatch):
    """Nothing records it, so the user's error is not held up by the numerics fingerprint (1.3-2 s in a new process)."""
    from tf1_recipes import harness
    from tf1_recipes.data import DataError

    def gathered(*args, **kwargs):
        raise AssertionError("provenance gathered for a failed run that nothing records")

    monkeypatch.setattr(harness, "provenance", gathered)
    with pytest.raises(DataError, match="no-mnist-here"):
        run_recipe(RecipeConfig("gradient_clipping", overrides=TINY, data_dir=str(tmp_path / "no-mnist-here"), quiet=True))


def test_out_dir_keeps_the_checkpoint_and_a_run_record(tmp_path, run_quiet):
    result = run_quiet("gradient_clipping", out_dir=str(tmp_path), overrides=TINY)
    assert result.checkpoint_path == str(tmp_path / "model.ckpt")
    assert (tmp_path / "model.ckpt.index").exists() and (tmp_path / "model.ckpt.meta").exists()
    record = json.loads((tmp_path / "runs.jsonl").read_text().splitlines()[-1])
    assert record["history"] == result.history and record["status"] == "complete"


def test_progress_bar_is_shown_when_asked(capsys):
    run_recipe(RecipeConfig("gradient_clipping", overrides={"n_epochs": 1, "train_size": 500}, progress=True))
    out = capsys.readouterr().out
    assert "10/10" in out and "0 Test accuracy:" in out


def _python(code, env):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)


def test_legacy_keras_is_selected_on_import_before_tensorflow():
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    out = _python("import tf1_recipes.compat as c; print(c.tf1.layers.dense.__module__)", env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith("tf_keras")


def test_tensorflow_routed_to_keras_3_first_is_a_clear_error():
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    code = "import tensorflow as tf; hasattr(tf.compat.v1.layers, 'dense'); import tf1_recipes.compat"
    out = _python(code, env)
    assert out.returncode != 0
    assert "LegacyKerasError" in out.stderr and "TF_USE_LEGACY_KERAS=1" in out.stderr


def test_legacy_keras_switched_off_in_the_environment_is_a_clear_error_from_the_library():
    # The package imports (the command line must be able to say it in one line, see
    # test_legacy_keras_env.py); its public API refuses with the reason.
    out = _python("from tf1_recipes import run_recipe", {**os.environ, "TF_USE_LEGACY_KERAS": "0"})
    assert out.returncode != 0 and "LegacyKerasEnvError" in out.stderr and "TF_USE_LEGACY_KERAS='0'" in out.stderr


def test_a_run_with_another_configuration_is_not_compared_with_the_golden(run_quiet):
    from tf1_recipes import golden

    result = run_quiet("batch_norm", "smoke", overrides={"learning_rate": 0.02})
    comparison = golden.compare(result)
    assert comparison.status == "NOT_COMPARED"
    assert any("learning_rate 0.01 -> 0.02" in note for note in comparison.notes)


def test_a_run_records_its_input_path(run_quiet):
    assert run_quiet("gradient_clipping", overrides=TINY, input_path="feed_dict").provenance["input"] == "feed_dict"
    assert run_quiet("gradient_clipping", overrides=TINY, input_path="in_graph").provenance["input"] == "in_graph"
    with pytest.raises(ValueError, match="input_path must be one of feed_dict, in_graph"):
        run_quiet("gradient_clipping", overrides=TINY, input_path="queue")
