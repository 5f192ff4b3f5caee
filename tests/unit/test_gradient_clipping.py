"""gradient_clipping's mechanics: names, and every applied gradient clipped to [-1, 1]."""

import math

import numpy as np
import pytest
from recipe_helpers import assert_found_by_name

from tf1_recipes.compat import tf1


@pytest.fixture(scope="module")
def result():
    from tf1_recipes.harness import RecipeConfig, run_recipe

    return run_recipe(
        RecipeConfig("gradient_clipping", overrides={"n_epochs": 1, "train_size": 200}, quiet=True, progress=False)
    )


def test_five_relu_layers_and_outputs_with_reference_names(result):
    graph = result.graph
    trainable = [v.name for v in graph.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES)]
    layers = [f"hidden{i}" for i in range(1, 6)] + ["outputs"]
    assert trainable == [f"{layer}/{p}:0" for layer in layers for p in ("kernel", "bias")]
    kernels = {v.op.name: v for v in graph.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES)}
    assert [kernels[f"{layer}/kernel"].shape[1] for layer in layers] == [300, 50, 50, 50, 50, 10]
    for i in range(1, 6):
        assert graph.get_operation_by_name(f"dnn/hidden{i}/Relu").type == "Relu"


def _raw_and_clipped(graph):
    """(raw gradient, clipped gradient) tensor pairs, from the clip ops in the train scope."""
    pairs = []
    for op in graph.get_operations():
        if op.type == "Minimum" and op.name.startswith("train/clip_by_value"):
            maximum = op.outputs[0].consumers()[0]
            pairs.append((op.inputs[0], maximum.outputs[0]))
    return pairs


def test_gradients_are_clipped_to_plus_minus_one_where_raw_gradients_exceed_it(result):
    graph = result.graph
    pairs = _raw_and_clipped(graph)
    assert len(pairs) == 12  # one per kernel and bias
    rng = np.random.RandomState(0)
    feed = {"X:0": rng.rand(50, 784).astype(np.float32) * 100.0, "y:0": rng.randint(0, 10, 50)}
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        values = sess.run(pairs, feed_dict=feed)
    raw_max = max(np.abs(raw).max() for raw, _ in values)
    assert raw_max > 1.0, "the batch must produce raw gradients beyond the threshold"
    for raw, clipped in values:
        assert np.abs(clipped).max() <= 1.0
        np.testing.assert_array_equal(clipped, np.clip(raw, -1.0, 1.0))


def test_apply_gradients_uses_the_clipped_gradients(result):
    graph = result.graph
    apply_ops = [op for op in graph.get_operations() if op.type == "ResourceApplyGradientDescent"]
    assert len(apply_ops) == 12
    # inputs: (variable, learning rate, delta): every delta is a clip op's output
    assert all(op.inputs[2].name.startswith("train/clip_by_value") for op in apply_ops)


def test_initial_loss_is_near_ln_10(result, mnist_dir):
    from tf1_recipes.data import load_mnist

    graph = result.graph
    batch = load_mnist(mnist_dir).validation
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        loss = sess.run("loss/loss:0", feed_dict={"X:0": batch.images[:500], "y:0": batch.labels[:500]})
    assert abs(loss - math.log(10)) < 0.1


def test_gradient_clipping_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("gradient_clipping")
    assert spec.default_preset == 'reference' and spec.metric is None
    assert spec.presets == {'reference': {'reader': 'next_batch', 'eval_split': 'test'},
                            'book': {'batch_size': 200},
                            'smoke': {'reader': 'next_batch',
                                      'eval_split': 'test',
                                      'n_epochs': 2,
                                      'train_size': 30000}}
    assert spec.hyperparameters == {'n_inputs': 784,
                                    'n_hidden1': 300,
                                    'n_hidden2': 50,
                                    'n_hidden3': 50,
                                    'n_hidden4': 50,
                                    'n_hidden5': 50,
                                    'n_outputs': 10,
                                    'learning_rate': 0.01,
                                    'threshold': 1.0,
                                    'n_epochs': 20,
                                    'batch_size': 50}
    assert spec.description == ('Five ReLU layers; every gradient clipped to [-threshold, threshold] before '
                                'it is applied.')
