"""dropout's mechanics: three dropout layers, active only when ``training`` is fed True; momentum."""

import math

import numpy as np
import pytest
from recipe_helpers import assert_found_by_name

from tf1_recipes.compat import tf1

#: The three dropout outputs and what each one drops: the inputs and the two ReLU layers.
DROPOUTS = {
    "dropout/cond/Identity:0": "X:0",
    "dnn/dropout/cond/Identity:0": "dnn/hidden1/Relu:0",
    "dnn/dropout_1/cond/Identity:0": "dnn/hidden2/Relu:0",
}


@pytest.fixture(scope="module")
def result():
    from tf1_recipes.harness import RecipeConfig, run_recipe

    return run_recipe(RecipeConfig("dropout", overrides={"n_epochs": 1, "train_size": 100}, quiet=True, progress=False))


@pytest.fixture(scope="module")
def images(mnist_dir):
    from tf1_recipes.data import load_mnist

    return load_mnist(mnist_dir).validation.images[:200]


def _evaluate(graph, fetches, X, training=None):
    feed = {"X:0": X} if training is None else {"X:0": X, "training:0": training}
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        return sess.run(fetches, feed_dict=feed)


def test_training_is_a_placeholder_defaulting_to_false(result):
    training = result.graph.get_operation_by_name("training")
    assert training.type == "PlaceholderWithDefault"
    assert training.inputs[0].op.get_attr("value").bool_val == [False]


def test_dropout_sits_on_the_inputs_and_after_both_hidden_layers(result):
    graph = result.graph
    for dropped, source in DROPOUTS.items():
        cond = graph.get_tensor_by_name(dropped).op.inputs[0].op
        assert cond.type == "If"
        assert [t.name for t in cond.inputs] == ["training:0", source]
    assert graph.get_operation_by_name("dnn/hidden1/MatMul").inputs[0].name == "dropout/cond/Identity:0"
    assert graph.get_operation_by_name("dnn/hidden2/MatMul").inputs[0].name == "dnn/dropout/cond/Identity:0"
    assert graph.get_operation_by_name("dnn/outputs/MatMul").inputs[0].name == "dnn/dropout_1/cond/Identity:0"


@pytest.mark.parametrize("training", [None, False])
def test_without_training_true_every_dropout_is_the_identity(result, images, training):
    graph = result.graph
    values = _evaluate(graph, {**{k: k for k in DROPOUTS}, **{v: v for v in DROPOUTS.values()}}, images, training)
    for dropped, source in DROPOUTS.items():
        np.testing.assert_array_equal(values[dropped], values[source])


def test_with_training_true_half_the_units_drop_and_the_rest_double(result, images):
    graph = result.graph
    values = _evaluate(graph, {**{k: k for k in DROPOUTS}, **{v: v for v in DROPOUTS.values()}}, images, True)
    for dropped, source in DROPOUTS.items():
        kept = values[dropped] != 0
        active = values[source] != 0
        assert 0.45 < kept[active].mean() < 0.55, dropped
        np.testing.assert_allclose(values[dropped][kept], 2.0 * values[source][kept], rtol=1e-6)


def test_outputs_change_only_when_training_is_true(result, images):
    graph = result.graph
    logits = "dnn/outputs/BiasAdd:0"
    default, fed_false = _evaluate(graph, logits, images), _evaluate(graph, logits, images, False)
    np.testing.assert_array_equal(default, fed_false)
    assert np.abs(_evaluate(graph, logits, images, True) - default).max() > 1e-3


def test_momentum_optimizer_with_the_reference_settings_trains_every_layer(result):
    graph = result.graph
    names = [v.name for v in graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)]
    model = [f"{layer}/{p}:0" for layer in ("hidden1", "hidden2", "outputs") for p in ("kernel", "bias")]
    assert names == model + [n.replace(":0", "/Momentum:0") for n in model]
    constant = graph.get_operation_by_name("train/Momentum/momentum").get_attr("value").float_val
    assert constant == pytest.approx([0.9])
    assert graph.get_operation_by_name("train/Momentum/learning_rate").get_attr("value").float_val == pytest.approx(
        [0.01]
    )


def test_initial_loss_is_near_ln_10(result, at_init):
    assert abs(at_init(result.graph, "loss/loss:0") - math.log(10)) < 0.1


def test_dropout_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("dropout")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {}, 'smoke': {'n_epochs': 2, 'train_size': 7500}}
    assert spec.hyperparameters == {'n_inputs': 784,
                                    'n_hidden1': 300,
                                    'n_hidden2': 50,
                                    'n_outputs': 10,
                                    'dropout_rate': 0.5,
                                    'learning_rate': 0.01,
                                    'momentum': 0.9,
                                    'n_epochs': 20,
                                    'batch_size': 50}
    assert spec.description == ('Dropout (rate 0.5) on the inputs and after both ReLU layers, only when '
                                'training is fed True.')
