"""data_parallel_towers: towers on their own devices, shared variables, averaged gradients; towers vs one device.

The equivalence the recipe exists to show: with synchronised batch-norm statistics and
averaged gradients, N towers train exactly what one device trains on the whole batch (to
float32 rounding), while the classic tower-0 statistics do not. Tiny runs of K = 20 steps
of 200 real MNIST images.
"""

import subprocess
import sys

import numpy as np
import pytest
from recipe_helpers import assert_found_by_name, graph_variables

from tf1_recipes import compat
from tf1_recipes.compat import tf, tf1

K_STEPS = 20
#: K steps of the preset's batch (200), one epoch, evaluated on the validation split.
TINY = {"n_epochs": 1, "train_size": 200 * K_STEPS, "eval_split": "valid"}
#: |towers - one device| <= ATOL + RTOL |one device| for every variable after K steps: the
#: parity tests' bound (tf1_recipes.tf2.parity: WEIGHT_ATOL, WEIGHT_RTOL) and for the same
#: reason. Both sides compute the same sums in float32 (eps 1.2e-7) in another order: N towers
#: sum each gradient in N partial sums that average_gradients then averages; synchronised
#: statistics take the variance as E[x²] - E[x]² where the one device's tf.layers batch norm
#: takes mean((x - mean)²). A few ulps per step, summed by the moving averages' contracting
#: recursion; RTOL 1e-5 is ~80 ulps. Measured: 2.4e-7 at most (about 5% of the bound).
RTOL, ATOL = 1e-5, 1e-6
MODEL = [f"dnn/{layer}/{kind}" for layer in ("hidden1", "hidden2", "outputs") for kind in ("kernel", "bias")] + [
    f"dnn/{layer}/{kind}" for layer in ("bn1", "bn2", "logits_bn") for kind in ("gamma", "beta", "moving_mean", "moving_variance")
]


def tiny_run(recipe_run, n_towers, statistics):
    """The run (one per session) of K steps with ``n_towers`` towers and ``statistics``."""
    return recipe_run("data_parallel_towers", "2towers", {**TINY, "n_towers": n_towers, "batch_norm_statistics": statistics})


def trained(recipe_run, n_towers, statistics):
    """({variable: value} of the checkpoint after K steps with ``n_towers`` towers and ``statistics``, the run)."""
    result = tiny_run(recipe_run, n_towers, statistics)
    reader = tf.train.load_checkpoint(result.checkpoint_path)
    return {name: reader.get_tensor(name) for name in MODEL}, result


def excess(reference, other):
    """max over every element of |other - reference| / (ATOL + RTOL |reference|) (<= 1: within the bound)."""
    return max(float(np.max(np.abs(other[k] - reference[k]) / (ATOL + RTOL * np.abs(reference[k])))) for k in reference)


@pytest.fixture(scope="module")
def single_device(recipe_run):
    """One tower on /cpu:0 with the whole batch and tf.layers batch norm: plain single-device training."""
    return trained(recipe_run, 1, "tower0")


@pytest.mark.parametrize("n_towers", [2, 4])
def test_synchronous_averaging_with_synchronised_statistics_equals_one_device_on_the_whole_batch(
    recipe_run, single_device, n_towers
):
    one, one_result = single_device
    towers, result = trained(recipe_run, n_towers, "sync")
    moved = max(float(np.max(np.abs(towers[k] - (1.0 if "gamma" in k or "variance" in k else 0.0)))) for k in MODEL if "dnn/bn" in k)
    assert moved > 1e-3  # the statistics and scales did train
    assert excess(one, towers) <= 1.0, f"{n_towers} towers differ from one device by {excess(one, towers):.3g} of the bound"
    assert result.extras["loss"][0] == pytest.approx(one_result.extras["loss"][0], abs=1e-5)


@pytest.mark.parametrize("n_towers", [2, 4])
def test_tower_zeros_statistics_are_not_one_devices(recipe_run, single_device, n_towers):
    one, _ = single_device
    towers, _ = trained(recipe_run, n_towers, "tower0")
    statistics = [k for k in MODEL if "moving" in k]
    weights = [k for k in MODEL if "moving" not in k]
    # Each tower normalises with its own slice's moments, and the moving statistics follow
    # tower 0's slice alone: far outside the float-rounding bound, the moving statistics most.
    assert excess({k: one[k] for k in weights}, {k: towers[k] for k in weights}) > 10.0
    assert max(float(np.max(np.abs(towers[k] - one[k]))) for k in statistics) > 1e-2


@pytest.mark.parametrize("statistics", ["tower0", "sync"])
def test_one_step_moves_the_moving_mean_towards_tower_0s_slice_or_the_whole_batch(recipe_run, mnist_dir, statistics):
    from tf1_recipes.data import load_mnist

    result = tiny_run(recipe_run, 4, statistics)
    graph = result.graph
    variables = graph_variables(graph)
    train = load_mnist(mnist_dir).train
    feed = {"X:0": train.images[:200], "y:0": train.labels[:200], "training:0": True}
    update_ops = graph.get_collection(tf1.GraphKeys.UPDATE_OPS, scope="tower_0")
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        kernel, bias = sess.run([variables["dnn/hidden1/kernel"], variables["dnn/hidden1/bias"]])
        sess.run([graph.get_operation_by_name("train/GradientDescent"), update_ops], feed)
        moving_mean = sess.run(variables["dnn/bn1/moving_mean"])
    hidden1 = train.images[:200] @ kernel + bias
    rows = hidden1[:50] if statistics == "tower0" else hidden1  # tower 0's 50 rows, or all 200
    np.testing.assert_allclose(moving_mean, 0.1 * rows.mean(axis=0), rtol=1e-4, atol=1e-5)
    other = hidden1 if statistics == "tower0" else hidden1[:50]
    assert np.max(np.abs(moving_mean - 0.1 * other.mean(axis=0))) > 1e-3


@pytest.mark.parametrize("n_towers", [2, 4])
def test_each_tower_runs_on_its_own_device_and_shares_one_set_of_variables(recipe_run, mnist_dir, n_towers):
    from tf1_recipes.data import load_mnist

    result = tiny_run(recipe_run, n_towers, "tower0")
    graph = result.graph
    variables = graph_variables(graph)
    assert sorted(variables) == sorted(MODEL)  # reuse: no tower has copies of its own
    for i in range(n_towers):
        ops = [op for op in graph.get_operations() if op.name.startswith(f"tower_{i}/")]
        # A read of a shared variable is colocated with the variable (tower 0's device); the rest is the tower's.
        assert ops and {op.device for op in ops if op.type != "ReadVariableOp"} == {f"/device:CPU:{i}"}
        reads = [op for op in ops if op.type == "ReadVariableOp"]
        assert reads and {op.inputs[0].op.name for op in reads} <= set(MODEL)
    # Tower 0's UPDATE_OPS are the ones the training step runs; every tower has its own.
    assert len(graph.get_collection(tf1.GraphKeys.UPDATE_OPS, scope="tower_0")) == 6
    assert len(graph.get_collection(tf1.GraphKeys.UPDATE_OPS)) == 6 * n_towers
    # Where the step really ran: TensorFlow's own trace of one training step names every device.
    train = load_mnist(mnist_dir).train
    feed = {"X:0": train.images[:200], "y:0": train.labels[:200], "training:0": True}
    options = tf1.RunOptions(trace_level=tf1.RunOptions.FULL_TRACE)
    metadata = tf1.RunMetadata()
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        sess.run(graph.get_operation_by_name("train/GradientDescent"), feed, options=options, run_metadata=metadata)
    ran_on = {stats.device.rsplit("/", 1)[-1] for stats in metadata.step_stats.dev_stats if stats.node_stats}
    assert {f"device:CPU:{i}" for i in range(n_towers)} <= ran_on


def test_average_gradients_is_the_mean_over_towers():
    from tf1_recipes.recipes.data_parallel_towers import average_gradients

    rng = np.random.RandomState(0)
    grads = [rng.randn(3, 2).astype(np.float32) for _ in range(4)]
    with tf1.Graph().as_default():
        variable = tf1.get_variable("w", [3, 2], initializer=tf1.zeros_initializer())
        ((mean, same),) = average_gradients([[(tf.constant(g), variable)] for g in grads])
        assert same is variable
        with tf1.Session() as sess:
            np.testing.assert_allclose(sess.run(mean), np.mean(grads, axis=0), rtol=1e-6)


def test_a_batch_the_towers_cannot_split_evenly_is_refused(run_quiet):
    with pytest.raises(ValueError, match="batch_size 202 does not split evenly into n_towers 4"):
        run_quiet("data_parallel_towers", "4towers", overrides={**TINY, "batch_size": 202})


def test_more_towers_than_devices_is_refused_naming_the_variable():
    have = len(compat.cpu_devices())
    assert have >= 4  # the package splits the CPU into TF1_RECIPES_CPU_DEVICES (default 4) logical devices
    assert compat.require_cpu_devices(4, "x") == ["/cpu:0", "/cpu:1", "/cpu:2", "/cpu:3"]
    with pytest.raises(compat.TooFewDevicesError, match=f"needs {have + 1} CPU devices and TensorFlow has {have} .*"
                       f"TF1_RECIPES_CPU_DEVICES={have + 1}"):
        compat.require_cpu_devices(have + 1, "x")


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_device_count_is_one_clear_error(monkeypatch, value):
    monkeypatch.setenv("TF1_RECIPES_CPU_DEVICES", value)
    with pytest.raises(ValueError, match=f"TF1_RECIPES_CPU_DEVICES='{value}': give a whole number"):
        compat.cpu_devices_wanted()


def test_a_process_with_too_few_devices_says_one_line_and_exits_2(tmp_path):
    env_run = subprocess.run(
        [sys.executable, "-m", "tf1_recipes", "run", "data_parallel_towers", "--preset", "4towers", "--out", str(tmp_path / "out")],
        env={**__import__("os").environ, "TF1_RECIPES_CPU_DEVICES": "2"},
        capture_output=True, text=True, timeout=300,
    )
    assert env_run.returncode == 2, env_run.stderr
    assert env_run.stderr.splitlines() == [
        "tf1-recipes: error: data_parallel_towers with 4 towers needs 4 CPU devices and TensorFlow has 2 in this process; "
        "set TF1_RECIPES_CPU_DEVICES=4 (or more) before TensorFlow starts, in a new process"
    ]
    assert not list((tmp_path / "out").glob("model.ckpt*"))


def test_data_parallel_towers_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("data_parallel_towers")
    assert spec.default_preset == "2towers" and spec.metric is None
    assert spec.presets == {
        "2towers": {"reader": "next_batch", "eval_split": "test", "n_towers": 2},
        "4towers": {"reader": "next_batch", "eval_split": "test", "n_towers": 4},
        "4towers_sync": {"reader": "next_batch", "eval_split": "test", "n_towers": 4, "batch_norm_statistics": "sync"},
        "smoke": {"reader": "next_batch", "eval_split": "test", "n_towers": 2, "n_epochs": 2, "train_size": 30000},
    }
    assert spec.hyperparameters == {
        "n_inputs": 784,
        "n_hidden1": 300,
        "n_hidden2": 100,
        "n_outputs": 10,
        "learning_rate": 0.01,
        "batch_norm_momentum": 0.9,
        "n_epochs": 3,
        "batch_size": 200,
        "n_towers": 2,
        "batch_norm_statistics": "tower0",
    }
    assert spec.description == (
        "batch_norm's MLP on N towers (logical CPU devices): per-tower gradients averaged, one update."
    )
