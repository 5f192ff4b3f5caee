"""Parallel runs share the cores: check --jobs and pytest-xdist workers never oversubscribe them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tf1_recipes import compat

PROJECT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "cores,processes,threads,expected",
    [
        (2, 2, None, (2, 1)),  # pytest -n auto / check --jobs 2 on two cores: one thread each
        (2, 1, None, (1, 1)),  # one process keeps the goldens' single thread (never raised)
        (2, 4, None, (2, 1)),  # more processes than cores: cut to the cores
        (2, 2, 2, (2, 1)),  # asked threads that do not fit: lowered to the cores' share
        (8, 2, 2, (2, 2)),  # ... kept when they fit
        (8, 3, 4, (3, 2)),
        (1, 3, 2, (1, 1)),
    ],
)
def test_share_cores_keeps_processes_times_threads_within_the_cores(monkeypatch, cores, processes, threads, expected):
    monkeypatch.setattr(compat, "available_cores", lambda: cores)
    assert compat.share_cores(processes, threads) == expected
    jobs, each = expected
    assert jobs * each <= cores


@pytest.mark.parametrize("value", ["abc", "0", "-2", "1.5"])
def test_a_bad_thread_count_in_the_environment_is_one_line_before_anything_runs(monkeypatch, capsys, value):
    """It was read with int() when the package loaded: a ValueError's traceback from any command."""
    from tf1_recipes import cli

    monkeypatch.setenv("TF1_RECIPES_THREADS", value)
    with pytest.raises(ValueError, match=f"TF1_RECIPES_THREADS='{value}': give a whole number of TensorFlow intra-op "
                                         r"threads >= 1 \(default 1\), or unset it"):
        compat.intra_op_threads_wanted()
    assert cli.main(["check", "elu", "--preset", "smoke", "--jobs", "2"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"tf1-recipes: error: TF1_RECIPES_THREADS='{value}': give a whole number of TensorFlow intra-op threads >= 1 "
        "(default 1), or unset it"]


def test_this_test_process_uses_its_share_of_the_cores():
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    threads = compat.configure_tensorflow()["intra_op_threads"]
    assert threads * min(workers, compat.available_cores()) <= compat.available_cores()


def test_xdist_workers_asking_for_more_threads_than_fit_get_their_share():
    pytest.importorskip("xdist")
    workers = 2
    env = {**os.environ, "TF1_RECIPES_THREADS": str(compat.available_cores())}  # more than each worker's share
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "xdist", "-n", str(workers), "-p", "no:cacheprovider",
         f"{Path(__file__).relative_to(PROJECT)}::test_this_test_process_uses_its_share_of_the_cores"],
        cwd=PROJECT, capture_output=True, text=True, env=env, timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 passed" in out.stdout
