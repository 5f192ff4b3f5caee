"""The experiment log: run records, TensorBoard event files, ``tf1-recipes runs`` and ``doctor``'s CLI."""

import json
import sys
from pathlib import Path

import pytest

from test_golden_damage import make_record, write_runs

from tf1_recipes import golden, runlog
from tf1_recipes.cli import main
from tf1_recipes.compat import tf1

TINY = {"n_epochs": 2, "train_size": 4096}


def _scalars(log_dir):
    out = {}
    for path in Path(log_dir).glob("events.*"):
        for event in tf1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                out.setdefault(value.tag, {})[event.step] = value.simple_value
    return out


@pytest.fixture(scope="module")
def logged_run(tmp_path_factory):
    from tf1_recipes.harness import RecipeConfig, run_recipe

    out = tmp_path_factory.mktemp("runs")
    result = run_recipe(RecipeConfig("batch_size_gap", preset="large_batch", overrides=TINY, out_dir=str(out),
                                     quiet=True, progress=False))
    return out, result


def test_a_run_writes_a_record_and_tensorboard_scalars_per_epoch(logged_run):
    out, result = logged_run
    (line,) = (out / "runs.jsonl").read_text().splitlines()
    record = json.loads(line)
    assert record["recipe"] == "batch_size_gap" and record["preset"] == "large_batch"
    assert record["history"] == result.history and record["config"]["seed"] == 42
    assert {"tf_version", "platform", "git_revision"} <= set(record["provenance"])
    scalars = _scalars(record["tensorboard"])
    assert Path(record["tensorboard"]).parent == out / "tensorboard"
    assert scalars["valid_accuracy"] == pytest.approx(dict(enumerate(result.history)))
    assert scalars["loss"] == pytest.approx(dict(enumerate(result.extras["loss"])))
    assert scalars["learning_rate"] == pytest.approx({0: 0.1, 1: 0.1})


def test_runs_lists_the_records_as_a_table(logged_run, capsys):
    out, result = logged_run
    assert main(["runs", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == list(runlog.COLUMNS)
    row = dict(zip(runlog.COLUMNS, lines[2].split()))
    assert row["recipe"] == "batch_size_gap" and row["kind"] == "run" and row["epochs"] == "2"
    assert row["result"] == f"{result.final:.4f}" and row["metric"] == "valid_accuracy"


def test_runs_on_a_missing_directory_is_a_usage_error(tmp_path, capsys):
    assert main(["runs", str(tmp_path / "nowhere")]) == 2
    assert "no such directory" in capsys.readouterr().err
    assert main(["runs", str(tmp_path)]) == 0
    assert "no run records" in capsys.readouterr().out
    log = tmp_path / "out" / "runs.jsonl"  # the log itself named: was "no such directory"
    log.parent.mkdir()
    log.write_text("")
    for argv in (["runs", str(log)], ["report", str(log), "--out", str(tmp_path / "page")]):
        assert main(argv) == 2
        (line,) = capsys.readouterr().err.splitlines()
        assert f"{log}: a file, not a folder of runs; name its folder, {log.parent}" in line
    with pytest.raises(NotADirectoryError, match="a file, not a folder of runs"):  # the Python API: the OSError it is
        runlog.read_records(log)
    with pytest.raises(FileNotFoundError, match="no such directory"):
        runlog.read_records(tmp_path / "nowhere")


def test_a_folder_of_runs_that_cannot_be_listed_is_one_line_not_skipped(tmp_path, capsys, monkeypatch):
    """Path.rglob left such a folder out without a word (exit 0, its runs missing from the table)."""
    def refused(top, onerror=None):
        onerror(PermissionError(13, "Permission denied", str(tmp_path / "b")))
        yield from ()

    monkeypatch.setattr(runlog.os, "walk", refused)
    assert main(["runs", str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"tf1-recipes: error: {tmp_path / 'b'}: permission denied: it, or a folder on its path, is not open to this user; "
        "change the permissions or give another path"]


def test_doctor_exit_code_json_and_record(tmp_path, capsys):
    code = main(["doctor", "bad_init", "--quick", "--check", "initial_loss", "--out", str(tmp_path), "--json"])
    assert code == 1
    printed = capsys.readouterr().out.splitlines()
    report = json.loads(printed[-1])
    assert report["status"] == "FAIL" and report["checks"][0]["check"] == "initial_loss"
    assert report["checks"][0]["numbers"]["loss"] > report["checks"][0]["numbers"]["expected"]
    (line,) = (tmp_path / "runs.jsonl").read_text().splitlines()
    record = json.loads(line)
    assert record["kind"] == "doctor" and record["status"] == "FAIL" and record["recipe"] == "bad_init"
    assert main(["runs", str(tmp_path)]) == 0
    assert "doctor" in capsys.readouterr().out


def test_doctor_plots_and_a_passing_exit_code(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="doctor --plot draws with matplotlib")
    code = main(["doctor", "batch_size_gap", "--preset", "large_batch", "--quick", "--check", "wiring",
                 "--check", "learning_rate", "--plot", str(tmp_path)])
    assert code == 0, capsys.readouterr().out
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == ["batch_size_gap_large_batch_activations.png", "batch_size_gap_large_batch_lr_sweep.png"]
    assert all((tmp_path / p).read_bytes()[:4] == b"\x89PNG" for p in pngs)


def test_doctor_plot_without_matplotlib_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["doctor", "batch_size_gap", "--plot", str(tmp_path)]) == 2
    assert "pip install matplotlib" in capsys.readouterr().err


def test_doctor_unknown_recipe_or_preset_is_one_line(capsys):
    assert main(["doctor", "no_such_recipe"]) == 2
    assert main(["doctor", "bad_init", "--preset", "nope"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 2


def _rows(capsys):
    lines = capsys.readouterr().out.splitlines()
    return [dict(zip(runlog.COLUMNS, line.split())) for line in lines[2:]]


def test_runs_shows_the_epochs_trained_and_each_runs_comparison_status(tmp_path, capsys):
    pinned = golden.pinned_runs(json.loads(golden.golden_path("early_stopping", "smoke").read_text()))[0]
    stopped = make_record("early_stopping", "smoke", extras=pinned["extras"], time="2026-01-01T00:00:01+00:00")
    failed = make_record("gradient_clipping", "smoke", time="2026-01-01T00:00:02+00:00")
    failed["history"] = [*failed["history"][:-1], 0.5]  # far outside the band
    other = make_record("batch_norm", "smoke", time="2026-01-01T00:00:03+00:00")
    other["config"] = {**other["config"], "n_epochs": 7}  # not the golden's configuration
    interrupted = make_record("batch_norm", "smoke", status="interrupted", time="2026-01-01T00:00:04+00:00")
    write_runs(tmp_path, [stopped, failed, other, interrupted])
    assert main(["runs", str(tmp_path)]) == 0
    rows = _rows(capsys)
    assert [(r["recipe"], r["epochs"], r["status"]) for r in rows] == [
        # early_stopping's history is [best loss, test accuracy]; it trained one epoch per epoch_seconds entry
        ("early_stopping", str(len(pinned["extras"]["epoch_seconds"])), "PASS"),
        ("gradient_clipping", str(len(failed["history"])), "FAIL"),
        ("batch_norm", str(len(other["history"])), "NOT_COMPARED"),
        ("batch_norm", str(len(interrupted["history"])), "interrupted"),
    ]
    assert len(pinned["extras"]["epoch_seconds"]) != len(pinned["history"])
    assert main(["runs", str(tmp_path), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["comparison"] for r in listed] == ["PASS", "FAIL", "NOT_COMPARED", "interrupted"]
