"""The kernel-regularizer family (tf1_recipes/recipes/families/kernel_regularizers.py): which kernels are penalised, by how much.

l1_manual (the L1 penalty by hand) and each regularizer recipe have their own tests in tests/unit/test_<name>.py.
"""

import math

import numpy as np
import pytest
from recipe_helpers import kernels, one_step

from tf1_recipes import contrib
from tf1_recipes.compat import tf1

NAMES = ["l1_regularizer", "l2_regularizer"]
TINY = {"n_epochs": 1, "train_size": 400}
SCALE = 0.001


@pytest.fixture(scope="module")
def results(recipe_run):
    """Each recipe after one epoch of two batches (400 images)."""
    return {name: recipe_run(name, overrides=TINY) for name in NAMES}


@pytest.mark.parametrize(
    "name,penalty",
    [
        ("l1_regularizer", lambda w: SCALE * np.abs(w).sum()),
        # contrib's l2_regularizer is tf.nn.l2_loss: half the sum of squares (tf_keras' l2 is not halved).
        ("l2_regularizer", lambda w: SCALE * np.square(w).sum() / 2),
    ],
)
def test_regularization_losses_hold_one_term_per_layer_and_the_loss_adds_them(name, penalty, results, at_init):
    graph = results[name].graph
    layers = ["hidden1", "hidden2", "outputs"]
    reg_losses = graph.get_collection(tf1.GraphKeys.REGULARIZATION_LOSSES)
    kind = name.split("_")[0]
    assert [t.name for t in reg_losses] == [f"dnn/{layer}/kernel/Regularizer/{kind}_regularizer:0" for layer in layers]
    layer_kernels = kernels(graph, layers)
    values = at_init(graph, {"loss": "loss/loss:0", "base": "loss/avg_xentropy:0", "reg": reg_losses, "W": layer_kernels})
    for reg, w in zip(values["reg"], values["W"]):
        assert reg == pytest.approx(penalty(w), rel=1e-4)
    assert values["loss"] == pytest.approx(values["base"] + sum(values["reg"]), rel=1e-6)
    assert graph.get_operation_by_name("loss/loss").type == "AddN"


@pytest.mark.parametrize(
    "name,layer,penalty_gradient",
    [
        ("l1_regularizer", "hidden2", np.sign),
        ("l2_regularizer", "hidden2", lambda w: w),
    ],
)
def test_a_gradient_step_adds_the_penalty_gradient(name, layer, penalty_gradient, results, mnist_dir):
    from tf1_recipes.data import load_mnist

    valid = load_mnist(mnist_dir).validation
    feed = {"X:0": valid.images[:200], "y:0": valid.labels[:200]}
    before, gradient, after = one_step(results[name].graph, layer, feed)
    learning_rate = results[name].config["learning_rate"]
    expected = before - learning_rate * (gradient + SCALE * penalty_gradient(before))
    np.testing.assert_allclose(after, expected, rtol=0, atol=5e-8)
    # The penalty's share of the step is well above that tolerance, so leaving it out fails.
    assert np.abs(learning_rate * SCALE * penalty_gradient(before)).mean() > 1e-7


@pytest.mark.parametrize("name", NAMES)
def test_initial_data_loss_is_near_ln_10(name, results, at_init):
    base_loss = at_init(results[name].graph, "loss/avg_xentropy:0")
    assert abs(base_loss - math.log(10)) < 0.1


def test_scale_zero_turns_the_regularizer_off_as_contrib_did(run_quiet, at_init):
    result = run_quiet("l1_regularizer", overrides={**TINY, "scale": 0.0})
    graph = result.graph
    assert graph.get_collection(tf1.GraphKeys.REGULARIZATION_LOSSES) == []
    loss, base_loss = at_init(graph, ["loss/loss:0", "loss/avg_xentropy:0"])
    assert loss == base_loss
    assert abs(loss - math.log(10)) < 0.1


@pytest.mark.parametrize("make", [contrib.l1_regularizer, contrib.l2_regularizer])
def test_contrib_regularizers_refuse_integer_and_negative_scales(make):
    with pytest.raises(ValueError, match="scale cannot be an integer"):
        make(1)
    with pytest.raises(ValueError, match="less than 0"):
        make(-0.1)


def test_unknown_regularizer_is_a_clear_error(run_quiet):
    with pytest.raises(ValueError, match="unknown regularizer 'l3'"):
        run_quiet("l2_regularizer", overrides={**TINY, "regularizer": "l3"})
