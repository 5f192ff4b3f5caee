"""The l1_manual recipe: the L1 penalty added by hand on the kernels fetched by name, and it is found by name."""

import math

import numpy as np
import pytest
from recipe_helpers import assert_found_by_name, kernels, one_step

from tf1_recipes.compat import tf1

#: One epoch of two batches (400 images), the run the kernel-regularizer family's tests share.
TINY = {"n_epochs": 1, "train_size": 400}
SCALE = 0.001


@pytest.fixture(scope="module")
def result(recipe_run):
    """The recipe after its tiny run (shared with its family's tests)."""
    return recipe_run("l1_manual", overrides=TINY)


def test_l1_manual_penalises_exactly_the_two_kernels_fetched_by_name(result, at_init):
    graph = result.graph
    trainable = [v.name for v in graph.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES)]
    assert trainable == ["hidden1/kernel:0", "hidden1/bias:0", "outputs/kernel:0", "outputs/bias:0"]
    # The reference fetches the kernels with get_tensor_by_name: in TF1 that is the kernel itself.
    assert graph.get_tensor_by_name("hidden1/kernel:0").dtype.name == "float32_ref"
    assert graph.get_collection(tf1.GraphKeys.REGULARIZATION_LOSSES) == []
    W1, W2 = kernels(graph, ["hidden1", "outputs"])
    loss, base_loss, w1, w2 = at_init(graph, ["loss/loss:0", "loss/avg_xentropy:0", W1, W2])
    expected = SCALE * (np.abs(w1).sum() + np.abs(w2).sum())
    assert loss - base_loss == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("layer", ["hidden1", "outputs"])
def test_a_gradient_step_adds_the_l1_penalty_gradient(layer, result, mnist_dir):
    penalty_gradient = np.sign
    from tf1_recipes.data import load_mnist

    valid = load_mnist(mnist_dir).validation
    feed = {"X:0": valid.images[:200], "y:0": valid.labels[:200]}
    before, gradient, after = one_step(result.graph, layer, feed)
    learning_rate = result.config["learning_rate"]
    expected = before - learning_rate * (gradient + SCALE * penalty_gradient(before))
    np.testing.assert_allclose(after, expected, rtol=0, atol=5e-8)
    # The penalty's share of the step is well above that tolerance, so leaving it out fails.
    assert np.abs(learning_rate * SCALE * penalty_gradient(before)).mean() > 1e-7


def test_initial_data_loss_is_near_ln_10(result, at_init):
    base_loss = at_init(result.graph, "loss/avg_xentropy:0")
    assert abs(base_loss - math.log(10)) < 0.1


def test_l1_manual_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("l1_manual")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {}, 'smoke': {'n_epochs': 2, 'train_size': 30000}}
    assert spec.hyperparameters == {'n_inputs': 784,
                                    'n_hidden1': 300,
                                    'n_outputs': 10,
                                    'scale': 0.001,
                                    'learning_rate': 0.01,
                                    'n_epochs': 20,
                                    'batch_size': 200}
    assert spec.description == ('One 300-unit ReLU layer; loss = mean cross-entropy + scale * (sum|W1| + '
                                'sum|W2|), GD.')
