"""The learning-rate schedule recipes: the rate each epoch (or step) uses, against its closed form."""

import math

import numpy as np
import pytest

from tf1_recipes.compat import tf1
from tf1_recipes.registry import get_recipe

NAMES = ["lr_exponential_decay", "lr_inverse_time_decay", "lr_step_decay"]
#: Two batches of 50 per epoch: the schedules run their full length in seconds.
TINY = {"train_size": 100}


def run_tiny(name, **overrides):
    from tf1_recipes.harness import RecipeConfig, run_recipe

    return run_recipe(RecipeConfig(name, overrides={**TINY, **overrides}, quiet=True, progress=False))


@pytest.fixture(scope="module")
def fed_runs():
    """The two fed schedules over their full 20 epochs on 100 images."""
    return {name: run_tiny(name) for name in ("lr_inverse_time_decay", "lr_step_decay")}


@pytest.fixture(scope="module")
def exponential():
    return run_tiny("lr_exponential_decay", n_epochs=3)


def test_step_decay_feeds_the_closed_form_every_epoch(fed_runs):
    result = fed_runs["lr_step_decay"]
    assert len(result.history) == 20
    expected = [0.1 * 0.5 ** math.floor((1 + epoch) / 10) for epoch in range(20)]
    assert result.extras["learning_rate"] == pytest.approx(expected, rel=1e-12)
    assert sorted(set(result.extras["learning_rate"]), reverse=True) == pytest.approx([0.1, 0.05, 0.025])


def test_inverse_time_decay_feeds_the_closed_form_every_epoch(fed_runs):
    result = fed_runs["lr_inverse_time_decay"]
    assert len(result.history) == 20
    expected = [0.1 / (1 + 0.1 * epoch) for epoch in range(20)]
    assert result.extras["learning_rate"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", ["lr_inverse_time_decay", "lr_step_decay"])
def test_the_fed_placeholder_is_the_rate_every_update_uses(name, fed_runs):
    graph = fed_runs[name].graph
    placeholder = graph.get_operation_by_name("train/learning_rate")
    assert placeholder.type == "Placeholder"
    applies = [op for op in graph.get_operations() if op.type == "ResourceApplyMomentum"]
    assert len(applies) == 6
    assert {op.inputs[2].name for op in applies} == {"train/learning_rate:0"}
    assert {op.get_attr("use_nesterov") for op in applies} == {False}


def test_a_fed_rate_of_zero_leaves_the_weights_alone_and_a_positive_one_moves_them(fed_runs):
    graph = fed_runs["lr_step_decay"].graph
    kernel = next(v for v in graph.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES) if v.name == "hidden1/kernel:0")
    train = graph.get_operation_by_name("train/Momentum")
    rng = np.random.RandomState(0)
    feed = {"X:0": rng.rand(20, 784).astype(np.float32), "y:0": rng.randint(0, 10, 20)}
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        before = sess.run(kernel)
        sess.run(train, feed_dict={**feed, "train/learning_rate:0": 0.0})
        np.testing.assert_array_equal(sess.run(kernel), before)
        sess.run(train, feed_dict={**feed, "train/learning_rate:0": 0.1})
        assert np.abs(sess.run(kernel) - before).max() > 1e-5


def test_global_step_advances_by_one_per_training_step(exponential):
    assert exponential.extras["global_step"] == [2.0, 4.0, 6.0]  # two batches an epoch
    graph = exponential.graph
    global_step = next(v for v in graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES) if v.name == "train/global_step:0")
    assert not global_step.trainable
    train = graph.get_operation_by_name("train/Momentum")
    rng = np.random.RandomState(0)
    feed = {"X:0": rng.rand(10, 784).astype(np.float32), "y:0": rng.randint(0, 10, 10)}
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        steps = []
        for _ in range(3):
            sess.run(train, feed_dict=feed)
            steps.append(sess.run(global_step))
    assert steps == [1, 2, 3]


def test_exponential_decay_rate_follows_the_closed_form(exponential):
    for step, lr in zip(exponential.extras["global_step"], exponential.extras["learning_rate"]):
        assert lr == pytest.approx(0.1 * 0.1 ** (step / 10000), rel=1e-6)
    graph = exponential.graph
    global_step = next(v for v in graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES) if v.name == "train/global_step:0")
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        for step in (0, 5000, 10000, 25000):
            global_step.load(step, sess)
            lr = sess.run("train/ExponentialDecay:0")
            assert lr == pytest.approx(0.1 * 0.1 ** (step / 10000), rel=1e-6), step
    applies = [op for op in graph.get_operations() if op.type == "ResourceApplyMomentum"]
    assert {op.inputs[2].name for op in applies} == {"train/ExponentialDecay:0"}


def test_reference_lengths_and_momentum():
    lengths = {name: get_recipe(name).preset("book")[1] for name in NAMES}
    assert {name: h["n_epochs"] for name, h in lengths.items()} == {
        "lr_exponential_decay": 5,
        "lr_inverse_time_decay": 20,
        "lr_step_decay": 20,
    }
    assert {h["batch_size"] for h in lengths.values()} == {50}
    assert {h["momentum"] for h in lengths.values()} == {0.9}


@pytest.mark.parametrize("name", NAMES)
def test_initial_loss_is_near_ln_10(name, fed_runs, exponential, mnist_dir):
    from tf1_recipes.data import load_mnist

    graph = {**fed_runs, "lr_exponential_decay": exponential}[name].graph
    valid = load_mnist(mnist_dir).validation
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        loss = sess.run("loss/loss:0", feed_dict={"X:0": valid.images[:500], "y:0": valid.labels[:500]})
    assert abs(loss - math.log(10)) < 0.1
