"""Shared fixtures: where MNIST is, TensorFlow configured once, and small helpers.

Tests read real MNIST from ``$TF1_RECIPES_DATA``; when it is unset and the workplace's
shared copy sits beside the project (``../shared/data/mnist``), that copy is used.

Under pytest-xdist every worker is a process of its own: each gets the intra-op threads
``$TF1_RECIPES_THREADS`` asks for (default 1, the goldens' count) only while workers x
threads fits the cores, fewer otherwise (:func:`tf1_recipes.compat.share_cores`), so
``pytest -n K`` never oversubscribes the machine through TensorFlow's thread pools.
Subprocesses a test starts inherit the worker's count.
"""

import os
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SHARED_MNIST = PROJECT.parent / "shared" / "data" / "mnist"

if not os.environ.get("TF1_RECIPES_DATA") and SHARED_MNIST.is_dir():
    os.environ["TF1_RECIPES_DATA"] = str(SHARED_MNIST)


def pytest_configure(config):
    """TensorFlow configured in every process that runs tests, before any test module loads it.

    Thread counts are part of the platform a golden was pinned on; they are set before any
    test can start TensorFlow's runtime with other values. The pytest-xdist controller runs
    no test: it does not load TensorFlow at all (3-4 s of every ``pytest -n`` run).
    """
    if config.getoption("numprocesses", None) and not hasattr(config, "workerinput"):
        return  # the xdist controller
    import tf1_recipes  # noqa: F401  (before TensorFlow: selects the legacy layers)
    from tf1_recipes.compat import configure_tensorflow, intra_op_threads_wanted, share_cores

    _, threads = share_cores(int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    if threads != intra_op_threads_wanted():
        os.environ["TF1_RECIPES_THREADS"] = str(threads)  # the worker's share, for the subprocesses it starts
    configure_tensorflow(threads)


@pytest.fixture(scope="session")
def mnist_dir():
    """The directory real MNIST is read from (skips nothing: a missing MNIST is an error)."""
    from tf1_recipes.data import locate

    return locate(download=False)


@pytest.fixture
def run_quiet(tmp_path):
    """run_recipe(...) with no printing and no progress bar, on the in-graph input path.

    The in-graph path gives the feed_dict path's numbers (tests/unit/test_in_graph.py) in
    less time; pass ``input_path="feed_dict"`` for the reference path.
    """
    from tf1_recipes.harness import RecipeConfig, run_recipe

    def _run(recipe, preset=None, **kwargs):
        overrides = kwargs.pop("overrides", {})
        kwargs.setdefault("input_path", "in_graph")
        return run_recipe(RecipeConfig(recipe, preset=preset, quiet=True, progress=False, overrides=overrides, **kwargs))

    return _run


@pytest.fixture
def compared_run(run_quiet, record_property):
    """compared_run(recipe, preset, cached=False, **kwargs): run_quiet's run compared with its golden (golden.compare).

    ``cached=True``: the run of :func:`tf1_recipes.checkpoints.cached_run` instead, the one a reuse
    recipe's pretraining trains into the session's cache (``checkpoint_cache``).

    Prints the comparison table and records the run's wall time (``seconds``) and the whole
    comparison (``comparison``, JSON) in the JUnit XML, where the golden table is read from.
    """
    import json
    import time

    from tf1_recipes import checkpoints, golden

    def _run(recipe, preset, cached=False, **kwargs):
        start = time.perf_counter()
        # cached: the run of the pretrained-checkpoint cache (trained there once per session, whoever asks first).
        result = checkpoints.cached_run(recipe, preset) if cached else run_quiet(recipe, preset, **kwargs)
        record_property("seconds", round(time.perf_counter() - start, 1))
        comparison = golden.compare(result)
        record_property("comparison", json.dumps(comparison.to_dict(), default=float))
        print(golden.format_table([comparison]))
        return comparison

    return _run


@pytest.fixture(scope="session")
def at_init(mnist_dir):
    """at_init(graph, fetches, X=None): ``fetches`` right after the graph's ``init`` op ran.

    Fed the first 500 validation images (or ``X``, e.g. standardised ones) and their labels:
    the step-0 loss checks use it.
    """
    from tf1_recipes.compat import tf1
    from tf1_recipes.data import load_mnist

    valid = load_mnist(mnist_dir).validation

    def _at_init(graph, fetches, X=None):
        feed = {"X:0": valid.images[:500] if X is None else X, "y:0": valid.labels[:500]}
        with tf1.Session(graph=graph) as sess:
            sess.run(graph.get_operation_by_name("init"))
            return sess.run(fetches, feed_dict=feed)

    return _at_init


def _session_root(tmp_path_factory):
    """The test session's temporary directory, shared by its pytest-xdist workers (each has its own below it)."""
    root = tmp_path_factory.getbasetemp()
    return root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root


@pytest.fixture(scope="session", autouse=True)
def checkpoint_cache(tmp_path_factory):
    """This session's cache of pretrained checkpoints (``$TF1_RECIPES_CACHE``), never the user's.

    Reuse recipes (tf1_recipes.checkpoints) train the checkpoint they build on into it the
    first time a test needs it; subprocesses inherit the variable. Under pytest-xdist the
    workers share one cache: one of them trains a checkpoint, the others wait on its lock.
    """
    directory = _session_root(tmp_path_factory) / "checkpoint_cache"
    directory.mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TF1_RECIPES_CACHE", str(directory))
        yield directory


#: How long a worker waits for another to finish a shared run (the longest smoke run takes well under a minute).
SHARED_RUN_WAIT = 600


def pretrained_configurations():
    """{(recipe, preset)} that some preset pretrains from (``tf1_recipes.checkpoints.pretrained_checkpoint``).

    Read from the presets' hyperparameters: ``pretrained_preset`` of ``pretrained_recipe``, or of
    ``pretrain_5layer`` where the recipe names none (the reuse families' source). A test of one of
    these runs asks for the cache's run (``checkpoints.cached_run``): the session trains it once.
    """
    from tf1_recipes.registry import list_recipes

    return {
        (hyper.get("pretrained_recipe", "pretrain_5layer"), hyper["pretrained_preset"])
        for spec in list_recipes() for _, hyper in map(spec.preset, spec.presets) if "pretrained_preset" in hyper
    }


@pytest.fixture(scope="session")
def pretrained():
    """:func:`pretrained_configurations`, for the tests that choose the cache's run of those."""
    return pretrained_configurations()


@pytest.fixture(scope="session")
def smoke_config():
    """smoke_config(recipe, out_dir=None): the RecipeConfig of :func:`shared_run`'s runs (in-graph path, quiet)."""
    from tf1_recipes.harness import RecipeConfig

    def _config(recipe, out_dir=None):
        return RecipeConfig(recipe, preset="smoke", quiet=True, progress=False, input_path="in_graph", out_dir=out_dir)

    return _config


@pytest.fixture(scope="session")
def shared_run(tmp_path_factory, checkpoint_cache, smoke_config):
    """shared_run(recipe): the recipe's TF1 run of its smoke preset (``smoke_config``), trained once per test session.

    Several tests check the same run: its golden (tests/unit/test_smoke_goldens.py), its Saver
    checkpoint restored into the shim (tests/parity/test_shim_ports.py), its upgraded code run
    against it (tests/unit/test_upgrade_v2.py). The first test to ask trains it into
    ``<session>/shared_runs/<recipe>`` while holding that folder's lock
    (:func:`tf1_recipes.checkpoints.directory_lock`), so under pytest-xdist one worker trains
    it and the others wait for it; every caller gets the :class:`~tf1_recipes.harness.RunResult`
    its ``runs.jsonl`` record holds (``graph`` None), ``checkpoint_path`` in that folder:
    read it, never write there. A smoke run a reuse recipe pretrains from
    (``pretrained_configurations``) is the one in the session's checkpoint cache
    (``checkpoints.cached_run``), trained once for both. Runs of one numerics give the same bits
    in any process (op determinism, one intra-op thread), so a test reading another worker's run
    sees what its own run would have given.
    """
    import json

    from tf1_recipes import checkpoints
    from tf1_recipes.harness import RunResult, run_recipe
    from tf1_recipes.runlog import RUN_RECORD

    folder = _session_root(tmp_path_factory) / "shared_runs"
    pretrained = pretrained_configurations()

    def _run(recipe):
        if (recipe, "smoke") in pretrained:  # a reuse recipe's smoke run pretrains from it: the cache's run
            return checkpoints.cached_run(recipe, "smoke")
        out = folder / recipe
        with checkpoints.directory_lock(folder / f"{recipe}.lock", f"the shared run {out}", wait=SHARED_RUN_WAIT):
            if not (out / RUN_RECORD).is_file():
                run_recipe(smoke_config(recipe, str(out)))
        record = json.loads((out / RUN_RECORD).read_text(encoding="utf-8").splitlines()[-1])
        assert record["status"] == "complete", f"the shared run {out} ended {record['status']}: {record.get('error')}"
        return RunResult.from_record(record)

    return _run


@pytest.fixture
def kill_when():
    """kill_when(process, condition, timeout=300): SIGKILL ``process`` as soon as ``condition()``
    holds and return its output; fails if the process ended first (the resume tests' killer)."""
    import signal
    import time

    def _kill_when(process, condition, timeout=300):
        deadline = time.monotonic() + timeout
        while not condition():
            assert process.poll() is None, "the run ended before it could be killed:\n" + process.communicate()[0]
            assert time.monotonic() < deadline, "timed out waiting to kill the run"
            time.sleep(0.0005)
        process.send_signal(signal.SIGKILL)
        output = process.communicate()[0]
        assert process.returncode == -signal.SIGKILL
        return output

    return _kill_when


@pytest.fixture
def sigkill_and_resume(kill_when, capsys):
    """sigkill_and_resume(flags, out, saved_epoch, writing_a_checkpoint, resume_dir, baseline): the
    early-stopping resume scenario, for the TF1 recipe and its TF2 port alike; returns the run record.

    ``flags(out)`` are the ``tf1-recipes run early_stopping`` flags of the smoke run writing to
    ``out``: the runs to be killed are ``python -m tf1_recipes.recipes.early_stopping`` processes
    (SIGKILL needs a process of its own), the last restart, which must finish, runs in this
    process (``cli.main``: the same command, without another TensorFlow start-up).
    ``saved_epoch(out)`` is the next epoch its newest complete resume checkpoint records (0
    before the first); ``writing_a_checkpoint(out, since_ns)`` holds while a checkpoint is being
    written; ``resume_dir`` is where they go under ``out``. The run is killed between epochs,
    restarted and killed while it writes a checkpoint, left with a torn checkpoint file,
    restarted again, and must end exactly like ``baseline`` (the uninterrupted run), its resume
    directory cleared.
    """
    import json
    import subprocess
    import sys
    import time

    from tf1_recipes import cli

    def _start(flags):
        command = [sys.executable, "-m", "tf1_recipes.recipes.early_stopping", *flags]
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def _scenario(flags, out, saved_epoch, writing_a_checkpoint, resume_dir, baseline):
        # 1. Killed part-way, between epochs.
        output = kill_when(_start(flags(out)), lambda: saved_epoch(out) >= 3)
        assert "Training was interrupted" not in output
        first_stop = saved_epoch(out)

        # 2. Restarted, then killed while it writes its next checkpoint.
        started = time.time_ns()
        output = kill_when(_start(flags(out)), lambda: writing_a_checkpoint(out, started))
        assert f"Training was interrupted. Continuing at epoch {first_stop}\n" in output
        second_stop = saved_epoch(out)
        assert second_stop >= first_stop
        (out / resume_dir / "model.ckpt-999.index").write_bytes(b"torn")  # debris of a torn write

        # 3. Restarted again: carries on from the recorded epoch and finishes.
        capsys.readouterr()
        code = cli.main(["run", "early_stopping", *flags(out)])
        output, err = capsys.readouterr()
        assert code == 0, output + err
        assert f"Training was interrupted. Continuing at epoch {second_stop}\n" in output
        lines = [line for line in output.splitlines() if "\tValidation loss:" in line]
        assert lines[0].startswith(f"{second_stop}\t")

        record = json.loads((out / "runs.jsonl").read_text().splitlines()[-1])
        assert record["history"] == baseline.history  # best loss and test accuracy, exactly
        for name in ("valid_loss", "valid_accuracy", "best_loss"):
            assert record["extras"][name] == baseline.extras[name], name  # no epoch lost or repeated
        assert not (out / resume_dir).exists()
        return record

    return _scenario


@pytest.fixture(scope="session")
def recipe_run(tmp_path_factory):
    """``recipe_run(recipe, preset=None, overrides=None)``: one quiet run per (recipe, preset, overrides) a session.

    A recipe's own test file (``tests/unit/test_<name>.py``) and the test file of the family
    body it shares (``tests/unit/test_family_<family>.py``) ask for the same tiny runs; each
    is trained once, its checkpoint and TensorBoard files in a folder of its own.
    """
    from tf1_recipes.harness import RecipeConfig, run_recipe

    cache = {}

    def _run(recipe, preset=None, overrides=None):
        key = (recipe, preset, tuple(sorted((overrides or {}).items())))
        if key not in cache:
            out = tmp_path_factory.mktemp(recipe)
            config = RecipeConfig(recipe, preset=preset, overrides=dict(overrides or {}), out_dir=str(out), quiet=True, progress=False)
            cache[key] = run_recipe(config)
        return cache[key]

    return _run
