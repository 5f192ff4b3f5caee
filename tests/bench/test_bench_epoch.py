"""One epoch of a recipe three ways, and TensorFlow's matmul (pytest-benchmark).

Each ``one epoch: <recipe>`` group compares, for one recipe in its reference preset, a
whole one-epoch run from scratch of

* ``tf1``: the TF1 recipe through the harness (graph building and the first Session.run included);
* ``tf_function``: its TF2 port's own ``tf.function`` loop through the harness (tracing included);
* ``keras_fit``: the port's Keras 3 model and optimizer, compiled and fitted for one epoch.

The ``matmul`` group times ``tf.linalg.matmul`` at the recipes' first-layer shapes and at
2048x2048 (``extra_info`` has GFLOP/s). Timings only, never asserted:
``pytest tests/bench --benchmark-enable`` (or ``tox -e bench``, which also prints the
steady-state table of ``scripts/bench.py``). With the default ``--benchmark-disable`` each
runs once on ``bench.CHECK_TRAIN_SIZE`` images, as a check that it still works.
"""

import pytest

from benchmarks import bench  # the source tree's benchmarks/ (tests/bench/conftest.py)
from tf1_recipes.harness import run_recipe

RECIPES = ["batch_norm", "gradient_clipping", "dropout"]
MATMUL_SHAPES = [(50, 784, 300), (200, 784, 300), (2048, 2048, 2048)]


def plan(benchmark):
    """One epoch, no warm-up: the whole run from scratch is what is timed."""
    return bench.Plan(epochs=1, warmup=0, train_size=bench.CHECK_TRAIN_SIZE if benchmark.disabled else None)


def once(benchmark, fn):
    return benchmark.pedantic(fn, rounds=1 if benchmark.disabled else 3, iterations=1, warmup_rounds=0)


@pytest.mark.parametrize("tf2", [False, True], ids=["tf1", "tf_function"])
@pytest.mark.parametrize("recipe", RECIPES)
def test_recipe_epoch(benchmark, recipe, tf2):
    """One epoch of the TF1 recipe, or of its TF2 port's tf.function loop."""
    benchmark.group = f"one epoch: {recipe}"
    config = bench.Target.parse(recipe).config(plan(benchmark), tf2=tf2)
    result = once(benchmark, lambda: run_recipe(config))
    assert len(result.history) == 1
    benchmark.extra_info["epoch_seconds"] = result.epoch_seconds[0]


@pytest.mark.parametrize("recipe", RECIPES)
def test_keras_fit(benchmark, recipe):
    benchmark.group = f"one epoch: {recipe}"
    target = bench.Target.parse(recipe)
    steps = bench.batches_per_epoch(target, plan(benchmark))

    def fit():
        model, fit_args, _ = bench.keras_fit_setup(target, steps, plan(benchmark))
        times = bench.EpochTimes()
        model.fit(epochs=1, callbacks=[times], **fit_args)
        return times

    times = once(benchmark, fit)
    assert len(times.seconds) == 1
    benchmark.extra_info["epoch_seconds"] = times.seconds[0]


@pytest.mark.benchmark(group="matmul")
@pytest.mark.parametrize("shape", MATMUL_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matmul(benchmark, shape):
    m, k, n = shape
    r = 2 if m >= 1024 else 50
    run = bench.matmul_batch(m, k, n, r=r)
    benchmark.pedantic(run, rounds=1 if benchmark.disabled else 5, iterations=1, warmup_rounds=0)
    benchmark.extra_info["matmuls_per_round"] = r
    if not benchmark.disabled:
        benchmark.extra_info["gflops_best"] = round(2 * m * k * n * r / benchmark.stats.stats.min / 1e9, 1)
