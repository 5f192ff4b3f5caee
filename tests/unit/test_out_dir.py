"""``--out``: a folder holding another run's model is refused (``--overwrite`` replaces it), an
interrupted run of the same configuration still resumes, and one run at a time holds the
folder's lock (a stale lock of a dead process is taken over, with a note)."""

import hashlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tf1_recipes import cli, resume
from tf1_recipes.checkpoints import DirectoryLockedError, directory_lock
from tf1_recipes.harness import OUT_LOCK, OutDirInUseError, RecipeConfig, check_out_dir

TINY = {"n_epochs": 1, "train_size": 100}


def hashes(directory):
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.rglob("*")) if p.is_file()
    }


def one_error_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tf1-recipes: error: ") and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def occupied(tmp_path):
    """A folder holding an earlier run of gradient_clipping (a checkpoint and its record)."""
    out = tmp_path / "out"
    out.mkdir()
    for suffix in (".index", ".meta", ".data-00000-of-00001"):
        (out / f"model.ckpt{suffix}").write_bytes(b"earlier run " + suffix.encode())
    record = {"time": "2026-01-02T03:04:05+00:00", "recipe": "gradient_clipping", "preset": "reference"}
    (out / "runs.jsonl").write_text("not json\n" + json.dumps(record) + "\n")
    return out


def test_a_folder_holding_another_runs_model_is_refused_and_left_alone(occupied, capsys):
    before = hashes(occupied)
    code = cli.main(["run", "batch_norm", "--epochs", "1", "--out", str(occupied), "--no-progress"])
    line = one_error_line(capsys.readouterr().err)
    assert code == 2
    assert f"--out {occupied} holds a run of gradient_clipping/reference from 2026-01-02T03:04:05+00:00" in line
    assert "use another --out or pass --overwrite" in line
    assert hashes(occupied) == before and not (occupied / OUT_LOCK).exists()


def test_without_a_record_the_checkpoints_time_is_named(occupied):
    (occupied / "runs.jsonl").unlink()
    os.utime(occupied / "model.ckpt.data-00000-of-00001", (0, 0))
    with pytest.raises(OutDirInUseError, match=r"holds a run of an unrecorded recipe from 1970-01-01T00:00:00\+00:00"):
        check_out_dir(RecipeConfig("batch_norm", out_dir=str(occupied)))


def test_overwrite_replaces_the_earlier_run(occupied, run_quiet):
    result = run_quiet("gradient_clipping", "reference", overrides=TINY, out_dir=str(occupied), overwrite=True)
    assert result.checkpoint_path == str(occupied / "model.ckpt")
    assert b"earlier run" not in (occupied / "model.ckpt.index").read_bytes()
    records = (occupied / "runs.jsonl").read_text().splitlines()
    assert len(records) == 3 and json.loads(records[-1])["recipe"] == "gradient_clipping"  # appended, nothing lost
    assert not (occupied / OUT_LOCK).exists()


def test_a_file_as_out_is_refused(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("mine")
    code = cli.main(["run", "batch_norm", "--out", str(target)])
    assert code == 2 and "exists and is not a directory" in one_error_line(capsys.readouterr().err)
    assert target.read_text() == "mine"


#: (command, entry in --out, made as a directory?, the refusal's words): a thing of the wrong kind where the run
#: writes, refused before the run trains (found when writing, it cost the run and was a traceback).
WRONG_KIND = {
    "runs.jsonl a directory": (["run", "graph_session_basics", "--preset", "smoke"], "runs.jsonl", True,
                               "is a directory where a file is written (the run record)"),
    "checkpoint a directory": (["run", "gradient_clipping", "--preset", "smoke"], "checkpoint", True,
                               "is a directory where a file is written (the Saver's state file)"),
    "tensorboard a file": (["run", "logistic_regression_tensorboard", "--preset", "smoke"], "tensorboard", False,
                           "is a file where a directory is made (the TensorBoard events)"),
    "doctor: runs.jsonl a directory": (["doctor", "graph_session_basics", "--preset", "smoke", "--quick"], "runs.jsonl",
                                       True, "is a directory where a file is written (the doctor's record)"),
}


@pytest.mark.parametrize("case", list(WRONG_KIND))
def test_a_wrong_kind_of_thing_where_the_run_writes_is_refused_before_it_runs(case, tmp_path, capsys):
    argv, name, as_directory, words = WRONG_KIND[case]
    out = tmp_path / "out"
    (out / name).mkdir(parents=True) if as_directory else (out.mkdir(), (out / name).write_text("mine"))
    before = hashes(out)
    code = cli.main([*argv, "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""  # nothing trained or checked
    assert one_error_line(captured.err) == (f"tf1-recipes: error: --out {out}: {out / name} {words}; move it away or "
                                            "give another directory")
    assert hashes(out) == before and sorted(p.name for p in out.iterdir()) == [name]


def test_an_interrupted_run_of_a_resumable_recipe_is_let_through_to_its_own_state_check(occupied):
    (occupied / resume.STATE_NAME).write_text("{}")
    check_out_dir(RecipeConfig("early_stopping", "smoke", out_dir=str(occupied)))  # the recipe decides: resume or refuse
    with pytest.raises(OutDirInUseError):  # a recipe that does not resume still may not write over it
        check_out_dir(RecipeConfig("batch_norm", out_dir=str(occupied)))


def test_check_refuses_an_occupied_recipe_folder_before_anything_trains(tmp_path, occupied, capsys):
    root = tmp_path / "runs"
    root.mkdir()
    os.replace(occupied, root / "batch_norm-default")
    code = cli.main(["check", "gradient_clipping", "batch_norm", "--out", str(root), "--no-progress"])
    line = one_error_line(capsys.readouterr().err)
    assert code == 2 and f"--out {root / 'batch_norm-default'} holds a run of" in line
    assert not (root / "gradient_clipping-default").exists()  # the first recipe never started


def test_check_writes_each_recipe_into_its_own_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TF1_RECIPES_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "runs"
    from tf1_recipes import harness

    real = harness.RecipeConfig.resolve

    def tiny(self):  # the check's recipes, a few steps each
        spec, preset, settings, hyper = real(self)
        hyper.update(n_epochs=1)
        settings.update(train_size=1000)
        return spec, preset, settings, hyper

    monkeypatch.setattr(harness.RecipeConfig, "resolve", tiny)
    assert cli.main(["check", "gradient_clipping", "l1_manual", "--out", str(root), "--no-progress"]) in (0, 1)
    capsys.readouterr()
    for name in ("gradient_clipping", "l1_manual"):
        assert (root / f"{name}-default" / "model.ckpt.index").is_file() and not (root / f"{name}-default" / OUT_LOCK).exists()
    code = cli.main(["check", "gradient_clipping", "l1_manual", "--out", str(root), "--no-progress"])
    assert code == 2 and "gradient_clipping-default holds a run of gradient_clipping/reference" in capsys.readouterr().err


# --------------------------------------------------------------------------- the lock


def test_a_second_run_into_a_locked_folder_refuses_at_once(tmp_path, capsys):
    out = tmp_path / "out"
    with directory_lock(out / OUT_LOCK, f"--out {out}") as lock:
        holder = json.loads(lock.read_text())
        (out / "model.ckpt.index").write_bytes(b"the running run's first save")  # in use, not "holds a run"
        code = cli.main(["run", "gradient_clipping", "--epochs", "1", "--out", str(out), "--no-progress"])
        line = one_error_line(capsys.readouterr().err)
        assert code == 2 and f"--out {out} is in use: {lock} is held by process {os.getpid()} on {socket.gethostname()}" in line
        assert "wait for that run to end or use another directory" in line
        assert json.loads(lock.read_text()) == holder  # the holder's lock is untouched
    assert not lock.exists() and sorted(p.name for p in out.iterdir()) == ["model.ckpt.index"]


def test_a_directory_where_the_lock_goes_is_one_line_before_the_run(tmp_path, capsys):
    out = tmp_path / "out"
    (out / OUT_LOCK).mkdir(parents=True)
    code = cli.main(["run", "graph_session_basics", "--preset", "smoke", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.splitlines() == [
        f"tf1-recipes: error: --out {out}: {out / OUT_LOCK} is a directory where the lock file goes; move it away "
        "or use another directory"]
    assert sorted(p.name for p in out.iterdir()) == [OUT_LOCK]  # nothing trained, nothing written


def test_the_lock_is_removed_on_keyboard_interrupt(tmp_path):
    lock = tmp_path / OUT_LOCK
    with pytest.raises(KeyboardInterrupt):
        with directory_lock(lock, "here"):
            assert lock.is_file()
            raise KeyboardInterrupt
    assert not lock.exists()


def test_a_stale_lock_of_a_dead_process_is_taken_over_with_a_note(tmp_path, capsys):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = tmp_path / OUT_LOCK
    lock.write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "started": "2026-01-01T00:00:00+00:00"}))
    with directory_lock(lock, "here"):
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    err = capsys.readouterr().err
    assert f"tf1-recipes: note: took over the lock {lock} (process {dead.pid} on {socket.gethostname()}" in err
    assert "is no longer running" in err and not lock.exists()


def test_an_empty_leftover_lock_is_taken_over_but_a_fresh_one_is_respected(tmp_path, capsys):
    lock = tmp_path / "cache.lock"
    lock.write_text("")  # what the earlier flock-based cache lock left behind
    with pytest.raises(DirectoryLockedError, match="held by a process that wrote no details yet"):
        with directory_lock(lock, "here"):
            pass
    os.utime(lock, (0, 0))
    with directory_lock(lock, "here"):
        pass
    assert "an unreadable lock file" in capsys.readouterr().err and not lock.exists()


def test_another_hosts_lock_is_waited_for_then_refused_never_forever(tmp_path):
    lock = tmp_path / OUT_LOCK
    lock.write_text(json.dumps({"pid": 1, "host": "elsewhere.example", "started": "2026-01-01T00:00:00+00:00"}))
    with pytest.raises(DirectoryLockedError, match="held by process 1 on elsewhere.example since 2026-01-01"):
        with directory_lock(lock, "here", wait=0.3, poll=0.1):
            pass
    assert json.loads(lock.read_text())["host"] == "elsewhere.example"


def test_a_locked_folder_is_one_line_from_a_new_process_too(tmp_path):
    out = tmp_path / "out"
    project = Path(cli.__file__).resolve().parent.parent  # this checkout, not an installed copy
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(project), os.environ.get("PYTHONPATH", "")])}
    with directory_lock(out / OUT_LOCK, f"--out {out}"):
        done = subprocess.run([sys.executable, "-m", "tf1_recipes", "run", "gradient_clipping", "--out", str(out)],
                              capture_output=True, text=True, env=env, timeout=300)
    ours = [line for line in done.stderr.splitlines() if line.startswith("tf1-recipes")]
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert len(ours) == 1 and "is in use" in ours[0]
