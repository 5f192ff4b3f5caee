"""The learning-rate schedules (tf1_recipes/recipes/families/learning_rate_schedules.py): the fed rate every update uses.

Each recipe's own tests (its closed form; lr_exponential_decay's in-graph schedule) are in tests/unit/test_<name>.py.
"""

import math

import numpy as np
import pytest

from tf1_recipes.compat import tf1
from tf1_recipes.registry import get_recipe

NAMES = ["lr_exponential_decay", "lr_inverse_time_decay", "lr_step_decay"]
#: The recipes that share the fed-schedule body.
FED = ["lr_inverse_time_decay", "lr_step_decay"]
#: Two batches of 50 per epoch: the schedules run their full length in seconds.
TINY = {"train_size": 100}


@pytest.fixture(scope="module")
def fed_runs(recipe_run):
    """The two fed schedules over their full 20 epochs on 100 images."""
    return {name: recipe_run(name, overrides=TINY) for name in FED}


@pytest.mark.parametrize("name", FED)
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


def test_reference_lengths_and_momentum():
    lengths = {name: get_recipe(name).preset("book")[1] for name in NAMES}
    assert {name: h["n_epochs"] for name, h in lengths.items()} == {
        "lr_exponential_decay": 5,
        "lr_inverse_time_decay": 20,
        "lr_step_decay": 20,
    }
    assert {h["batch_size"] for h in lengths.values()} == {50}
    assert {h["momentum"] for h in lengths.values()} == {0.9}


@pytest.mark.parametrize("name", FED)
def test_initial_loss_is_near_ln_10(name, fed_runs, mnist_dir):
    from tf1_recipes.data import load_mnist

    graph = fed_runs[name].graph
    valid = load_mnist(mnist_dir).validation
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        loss = sess.run("loss/loss:0", feed_dict={"X:0": valid.images[:500], "y:0": valid.labels[:500]})
    assert abs(loss - math.log(10)) < 0.1
