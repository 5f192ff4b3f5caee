"""Mechanics of the pitfall recipes: each shows its pitfall for the reason it claims, on tiny runs."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from tf1_recipes.compat import tf, tf1

TINY = {"n_epochs": 1, "train_size": 1000}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One tiny run per (recipe, preset), with its checkpoint and TensorBoard files on disk."""
    from tf1_recipes.harness import RecipeConfig, run_recipe

    cache = {}

    def _run(recipe, preset=None, **overrides):
        key = (recipe, preset, tuple(sorted(overrides.items())))
        if key not in cache:
            out = tmp_path_factory.mktemp(recipe)
            cache[key] = run_recipe(RecipeConfig(recipe, preset=preset, overrides={**TINY, **overrides},
                                                 out_dir=str(out), quiet=True, progress=False))
        return cache[key]

    return _run


def _variables(graph):
    return {v.op.name: v for v in graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)}


def _at_init(result, fetches, feed):
    graph = result.graph
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        return sess.run(fetches, feed_dict=feed)


def test_no_update_ops_leaves_the_moving_statistics_at_their_initial_values(runs):
    result = runs("bn_pitfall_no_update_ops", n_epochs=2, train_size=20000)  # 2 x 100 steps
    assert len(result.graph.get_collection(tf1.GraphKeys.UPDATE_OPS)) == 6  # they exist, and are never run
    reader = tf.train.load_checkpoint(result.checkpoint_path)
    for layer in ("batch_normalization", "batch_normalization_1", "batch_normalization_2"):
        np.testing.assert_array_equal(reader.get_tensor(f"{layer}/moving_mean"), 0.0)
        np.testing.assert_array_equal(reader.get_tensor(f"{layer}/moving_variance"), 1.0)
    # Training mode (batch statistics) is fine; inference with the stale statistics is far worse.
    assert result.extras["train_accuracy"][-1] > result.extras["valid_accuracy"][-1] + 0.05
    # The metric pinned: the moving variance (1) against hidden1's real variance, far below it.
    assert result.metric == "moving_variance_ratio" and result.history[-1] > 2.0


def test_training_flag_model_is_trained_right_and_single_examples_collapse_in_training_mode(runs, mnist_dir):
    from tf1_recipes.data import load_mnist
    from tf1_recipes.pitfalls import accuracy_in_batches

    result = runs("bn_pitfall_training_flag")
    reader = tf.train.load_checkpoint(result.checkpoint_path)
    assert np.abs(reader.get_tensor("batch_normalization/moving_mean")).max() > 1e-3
    assert result.metric == "valid_accuracy_training_mode" and "inference_accuracy" in result.extras
    graph = result.graph
    valid = load_mnist(mnist_dir).validation
    X_eval, y_eval = valid.images[:200], valid.labels[:200]
    X, y, training = (graph.get_tensor_by_name(n) for n in ("X:0", "y:0", "training:0"))
    accuracy = graph.get_tensor_by_name("eval/accuracy:0")
    with tf1.Session(graph=graph) as sess:
        with graph.as_default():
            tf1.train.Saver().restore(sess, result.checkpoint_path)
        with sess.as_default():
            one_at_a_time = accuracy_in_batches(accuracy, X, y, X_eval, y_eval, 1, feed={training: True})
            inference = accuracy_in_batches(accuracy, X, y, X_eval, y_eval, 1)
    # One example normalises to all zeros in training mode: every image gets the same class.
    majority = np.bincount(y_eval).max() / len(y_eval)
    assert one_at_a_time <= majority + 1e-9
    assert inference > one_at_a_time + 0.1


@pytest.mark.parametrize("preset", ["shared", "separate"])
def test_towers_share_dense_weights_and_batch_norm_only_when_asked(runs, preset):
    result = runs("bn_shared_between_towers", preset)
    names = _variables(result.graph)
    assert {"dnn/hidden1/kernel", "dnn/hidden2/kernel", "dnn/outputs/kernel"} <= set(names)
    assert not any(n.startswith("tower_") for n in names)  # no per-tower copies of the dense layers
    bn = sorted(n for n in names if n.endswith("moving_mean"))
    if preset == "shared":
        assert bn == ["dnn/bn1/moving_mean", "dnn/bn2/moving_mean"]
    else:
        assert bn == ["dnn/tower_a_bn1/moving_mean", "dnn/tower_a_bn2/moving_mean",
                      "dnn/tower_b_bn1/moving_mean", "dnn/tower_b_bn2/moving_mean"]
    assert len(result.graph.get_collection(tf1.GraphKeys.UPDATE_OPS)) == 8  # 2 towers x 2 layers x 2


def test_shared_moving_mean_sits_between_the_two_towers_means(runs, mnist_dir):
    from tf1_recipes.data import load_mnist

    result = runs("bn_shared_between_towers", "shared")
    reader = tf.train.load_checkpoint(result.checkpoint_path)
    moving_mean = reader.get_tensor("dnn/bn1/moving_mean")
    kernel, bias = reader.get_tensor("dnn/hidden1/kernel"), reader.get_tensor("dnn/hidden1/bias")
    X = load_mnist(mnist_dir).validation.images[:1000]
    mean_a, mean_b = (X @ kernel + bias).mean(axis=0), ((1 - X) @ kernel + bias).mean(axis=0)
    # Units whose two tower means are far apart: the shared moving mean lies between them.
    apart = np.abs(mean_a - mean_b) > 1.0
    assert apart.sum() > 10
    low, high = np.minimum(mean_a, mean_b)[apart], np.maximum(mean_a, mean_b)[apart]
    inside = (moving_mean[apart] > low) & (moving_mean[apart] < high)
    assert inside.mean() > 0.8
    assert result.history[0] > runs("bn_shared_between_towers", "separate").history[0]


def _upstream_names(tensor, stop_types=("Placeholder",)):
    seen, stack = set(), [tensor.op]
    while stack:
        op = stack.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        if op.type not in stop_types:
            stack.extend(t.op for t in op.inputs)
    return seen


@pytest.mark.parametrize("preset", ["before_bn", "after_bn"])
def test_dropout_sits_before_or_after_the_second_batch_norm(runs, preset):
    graph = runs("dropout_bn_order", preset).graph
    into_bn2 = _upstream_names(graph.get_operation_by_name("dnn/hidden2/MatMul").outputs[0])
    into_outputs = _upstream_names(graph.get_operation_by_name("dnn/outputs/MatMul").outputs[0])
    dropout_into_bn2 = any("dropout" in name for name in into_bn2)
    assert dropout_into_bn2 == (preset == "before_bn")
    assert any("dropout" in name for name in into_outputs)


def test_dropout_before_batch_norm_inflates_its_moving_variance(runs):
    before = runs("dropout_bn_order", "before_bn", n_epochs=2, train_size=5000)
    after = runs("dropout_bn_order", "after_bn", n_epochs=2, train_size=5000)
    assert before.extras["variance_shift"][-1] > 1.3
    assert abs(after.extras["variance_shift"][-1] - 1.0) < 0.2


def test_bad_init_starts_far_above_ln_10_with_unit_scale_kernels(runs, mnist_dir):
    from tf1_recipes.data import load_mnist

    result = runs("bad_init")
    valid = load_mnist(mnist_dir).validation
    feed = {"X:0": valid.images[:500], "y:0": valid.labels[:500]}
    loss, kernel = _at_init(result, ["loss/loss:0", _variables(result.graph)["hidden1/kernel"]], feed)
    assert loss > 3 * math.log(10)
    assert np.std(kernel) == pytest.approx(1.0, rel=0.05)
    kinds = {op.type for op in result.graph.get_operations() if op.name.startswith("dnn/hidden")}
    assert "Sigmoid" in kinds and "Relu" not in kinds


@pytest.mark.parametrize("preset", ["global_norm", "by_value"])
def test_clipping_logs_the_global_norm_before_and_after_every_step(runs, preset):
    result = runs("clip_by_global_norm", preset)
    records = (Path(result.checkpoint_path).parent / "runs.jsonl").read_text().splitlines()
    scalars = _scalars(json.loads(records[-1])["tensorboard"])
    before, after = scalars["per_step/global_norm_before"], scalars["per_step/global_norm_after"]
    steps = TINY["train_size"] // result.config["batch_size"]
    assert len(before) == len(after) == steps
    threshold = result.config["threshold"]
    if preset == "global_norm":
        assert max(after) <= threshold * (1 + 1e-5)
        assert all(a == pytest.approx(min(b, threshold), rel=1e-4) for a, b in zip(after, before))
        assert result.extras["clipped_fraction"][0] > 0
    else:
        assert all(a <= b + 1e-6 for a, b in zip(after, before))
    # The harness's per-epoch scalars land in the same run directory.
    assert {"valid_accuracy", "loss", "learning_rate"} <= set(scalars)


def _scalars(log_dir):
    """{tag: [values in step order]} from every event file in a TensorBoard run directory."""
    out = {}
    for path in sorted(Path(log_dir).glob("events.*")):
        for event in tf1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                out.setdefault(value.tag, []).append((event.step, value.simple_value))
    return {tag: [v for _, v in sorted(pairs, key=lambda p: p[0])] for tag, pairs in out.items()}


@pytest.mark.parametrize("preset,batch_size", [("small_batch", 32), ("large_batch", 2048)])
def test_batch_size_gap_presets_differ_only_in_batch_size(runs, preset, batch_size):
    from tf1_recipes.registry import get_recipe

    spec = get_recipe("batch_size_gap")
    small, large = spec.preset("small_batch")[1], spec.preset("large_batch")[1]
    assert {k for k in small if small[k] != large[k]} == {"batch_size"}
    result = runs("batch_size_gap", preset, train_size=4096)
    assert result.extras["steps"] == [4096 // batch_size]
