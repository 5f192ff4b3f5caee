"""The lr_exponential_decay recipe: global_step and the in-graph schedule, and it is found by name."""

import math

import numpy as np
import pytest
from recipe_helpers import assert_found_by_name

from tf1_recipes.compat import tf1

#: Two batches of 50 per epoch: the schedules run their full length in seconds (the family's tests share these runs).
TINY = {"train_size": 100}


@pytest.fixture(scope="module")
def result(recipe_run):
    """Three epochs of two batches."""
    return recipe_run("lr_exponential_decay", overrides={**TINY, "n_epochs": 3})


def test_global_step_advances_by_one_per_training_step(result):
    assert result.extras["global_step"] == [2.0, 4.0, 6.0]  # two batches an epoch
    graph = result.graph
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


def test_exponential_decay_rate_follows_the_closed_form(result):
    for step, lr in zip(result.extras["global_step"], result.extras["learning_rate"]):
        assert lr == pytest.approx(0.1 * 0.1 ** (step / 10000), rel=1e-6)
    graph = result.graph
    global_step = next(v for v in graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES) if v.name == "train/global_step:0")
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        for step in (0, 5000, 10000, 25000):
            global_step.load(step, sess)
            lr = sess.run("train/ExponentialDecay:0")
            assert lr == pytest.approx(0.1 * 0.1 ** (step / 10000), rel=1e-6), step
    applies = [op for op in graph.get_operations() if op.type == "ResourceApplyMomentum"]
    assert {op.inputs[2].name for op in applies} == {"train/ExponentialDecay:0"}


def test_initial_loss_is_near_ln_10(result, mnist_dir):
    from tf1_recipes.data import load_mnist

    graph = result.graph
    valid = load_mnist(mnist_dir).validation
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        loss = sess.run("loss/loss:0", feed_dict={"X:0": valid.images[:500], "y:0": valid.labels[:500]})
    assert abs(loss - math.log(10)) < 0.1


def test_lr_exponential_decay_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("lr_exponential_decay")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {}, 'smoke': {'n_epochs': 2, 'train_size': 7500}}
    assert spec.hyperparameters == {'n_inputs': 784,
                                    'n_hidden1': 300,
                                    'n_hidden2': 50,
                                    'n_outputs': 10,
                                    'initial_learning_rate': 0.1,
                                    'decay_steps': 10000,
                                    'decay_rate': 0.1,
                                    'momentum': 0.9,
                                    'n_epochs': 5,
                                    'batch_size': 50}
    assert spec.description == ('Exponential decay in the graph: lr = 0.1 * 0.1 ** (global_step / 10000), '
                                'momentum 0.9.')
