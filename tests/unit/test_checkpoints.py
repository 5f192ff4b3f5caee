"""The pretrained-checkpoint cache and the restore checks (tf1_recipes.checkpoints)."""

import json
import random

import numpy as np
import pytest
from saver_helpers import TINY_REUSE

from tf1_recipes import checkpoints, cli


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv(checkpoints.ENV_VAR, str(directory))
    return directory


def test_missing_checkpoint_is_produced_once_said_so_and_rngs_are_left_alone(fresh_cache, capsys):
    # reuse_other_framework stands in for a pretraining recipe: it saves a model instantly.
    np.random.seed(3)
    random.seed(3)
    numpy_before, python_before = np.random.get_state()[1].copy(), random.getstate()
    path = checkpoints.pretrained_checkpoint("reuse_other_framework", "assign_input")
    out = capsys.readouterr().out
    assert "No cached reuse_other_framework/assign_input checkpoint: training it first" in out
    assert "Cached reuse_other_framework/assign_input checkpoint" in out
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_before)
    assert random.getstate() == python_before

    assert path.startswith(str(fresh_cache)) and checkpoints.require_checkpoint(path, meta=True)
    record = json.loads((fresh_cache / path.split("/")[-2] / checkpoints.RECORD_NAME).read_text())
    assert (record["recipe"], record["preset"], record["history"]) == ("reuse_other_framework", "assign_input", [61, 83, 105])

    assert checkpoints.pretrained_checkpoint("reuse_other_framework", "assign_input") == path
    out = capsys.readouterr().out
    assert "Reusing the cached reuse_other_framework/assign_input checkpoint" in out and "training it first" not in out
    # Another preset is another configuration: its own entry.
    assert checkpoints.pretrained_checkpoint("reuse_other_framework", "assign_placeholders") != path


def test_a_cache_folder_that_is_a_file_is_one_line_before_anything_trains(tmp_path, monkeypatch, capsys):
    user_file = tmp_path / "notes.txt"
    user_file.write_text("mine\n")
    for named, cause in ((user_file, "exists and is not a directory"), (user_file / "cache", f"{user_file} is a file, not a directory")):
        monkeypatch.setenv(checkpoints.ENV_VAR, str(named))
        assert cli.main(["run", "reuse_partial_restore", "--preset", "smoke"]) == 2  # pretrains pretrain_5layer first
        captured = capsys.readouterr()
        assert "training it first" not in captured.out
        assert captured.err.splitlines() == [f"tf1-recipes: error: ${checkpoints.ENV_VAR} {named}: {cause}; give a directory "
                                             "for the pretrained checkpoints"]
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"] and user_file.read_text() == "mine\n"


def test_cache_key_changes_with_config_preset_and_threads():
    key = checkpoints.cache_key("pretrain_5layer", "book", {"n_epochs": 20}, 1)
    assert key == checkpoints.cache_key("pretrain_5layer", "book", {"n_epochs": 20}, 1)
    assert key != checkpoints.cache_key("pretrain_5layer", "book", {"n_epochs": 21}, 1)
    assert key != checkpoints.cache_key("pretrain_5layer", "smoke", {"n_epochs": 20}, 1)
    assert key != checkpoints.cache_key("pretrain_5layer", "book", {"n_epochs": 20}, 2)


def test_a_reuse_run_is_the_same_whether_the_cache_was_cold_or_warm(fresh_cache, run_quiet):
    cold = run_quiet("freeze_stop_gradient", overrides=TINY_REUSE)
    assert list(fresh_cache.glob("pretrain_5layer-smoke-*/model.ckpt.index"))
    warm = run_quiet("freeze_stop_gradient", overrides=TINY_REUSE)
    assert cold.history == warm.history


@pytest.fixture(scope="module")
def other_architecture(tmp_path_factory):
    """A pretrain_5layer checkpoint whose hidden2 has 40 units instead of 50."""
    from tf1_recipes.harness import RecipeConfig, run_recipe

    out = tmp_path_factory.mktemp("other_architecture")
    overrides = {"n_hidden2": 40, "n_epochs": 1, "train_size": 200}
    run_recipe(RecipeConfig("pretrain_5layer", "smoke", overrides=overrides, out_dir=str(out), quiet=True, progress=False))
    return str(out / "model.ckpt")


def test_checkpoint_of_another_architecture_names_the_mismatched_variables(other_architecture, run_quiet):
    with pytest.raises(checkpoints.CheckpointMismatchError) as error:
        run_quiet("reuse_partial_restore", overrides={**TINY_REUSE, "pretrained_checkpoint": other_architecture})
    message = str(error.value)
    assert "does not match this model" in message and "\n" not in message
    assert "hidden2/kernel has shape [300, 40] in the checkpoint but [300, 50] in this model" in message
    assert "hidden2/bias has shape [40] in the checkpoint but [50] in this model" in message
    assert "hidden3/kernel has shape [40, 50] in the checkpoint but [50, 50] in this model" in message
    assert "hidden1/" not in message  # hidden1 fits


def test_a_scope_regex_matching_nothing_restores_nothing_and_says_so(run_quiet):
    with pytest.raises(checkpoints.NothingToRestoreError, match=r"would restore nothing: the scope regex 'layer\[123\]' matches no variable"):
        run_quiet("reuse_partial_restore", overrides={**TINY_REUSE, "reuse_scope": "layer[123]"})


def test_missing_checkpoint_and_wrong_meta_graph_are_clear_errors(tmp_path, run_quiet):
    missing = str(tmp_path / "nope" / "model.ckpt")
    with pytest.raises(checkpoints.CheckpointNotFoundError, match=r"no checkpoint at .*model.ckpt.index"):
        run_quiet("freeze_var_list", overrides={**TINY_REUSE, "pretrained_checkpoint": missing})
    # reuse_other_framework's model has hidden1 only: no y, no dnn/hidden3.
    tiny = checkpoints.pretrained_checkpoint("reuse_other_framework", "assign_input")
    with pytest.raises(checkpoints.CheckpointMismatchError, match=r"is not the expected model: .*'y:0'"):
        run_quiet("reuse_import_meta_graph_new_layers", overrides={**TINY_REUSE, "pretrained_checkpoint": tiny})


def test_cli_prints_checkpoint_errors_as_one_line(capsys):
    def command(args):
        raise checkpoints.NothingToRestoreError("restoring from x would restore nothing")

    assert cli._dispatch(command, None) == cli.EXIT_USAGE
    assert capsys.readouterr().err == "tf1-recipes: error: restoring from x would restore nothing\n"
