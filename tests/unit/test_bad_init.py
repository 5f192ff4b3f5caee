"""The bad_init recipe: N(0, 1) kernels on sigmoids: saturated from the start (on tiny runs), and it is found by name."""

import math

import numpy as np
import pytest
from recipe_helpers import assert_found_by_name, graph_variables

from tf1_recipes.compat import tf1

#: One tiny epoch (1,000 images): the pitfall shows its mechanism, not its full-length numbers.
TINY = {"n_epochs": 1, "train_size": 1000}


def _at_init(result, fetches, feed):
    graph = result.graph
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        return sess.run(fetches, feed_dict=feed)


def test_bad_init_starts_far_above_ln_10_with_unit_scale_kernels(recipe_run, mnist_dir):
    from tf1_recipes.data import load_mnist

    result = recipe_run("bad_init", overrides=TINY)
    valid = load_mnist(mnist_dir).validation
    feed = {"X:0": valid.images[:500], "y:0": valid.labels[:500]}
    loss, kernel = _at_init(result, ["loss/loss:0", graph_variables(result.graph)["hidden1/kernel"]], feed)
    assert loss > 3 * math.log(10)
    assert np.std(kernel) == pytest.approx(1.0, rel=0.05)
    kinds = {op.type for op in result.graph.get_operations() if op.name.startswith("dnn/hidden")}
    assert "Sigmoid" in kinds and "Relu" not in kinds


def test_bad_init_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("bad_init")
    assert spec.default_preset == 'bad' and spec.metric is None
    assert spec.presets == {'bad': {}, 'smoke': {'n_epochs': 2, 'train_size': 30000}}
    assert spec.hyperparameters == {'n_inputs': 784,
                                    'n_hidden': 100,
                                    'n_layers': 5,
                                    'n_outputs': 10,
                                    'learning_rate': 0.1,
                                    'init_stddev': 1.0,
                                    'n_epochs': 3,
                                    'batch_size': 50}
    assert spec.description == ('Five sigmoid layers of 100 units, GD 0.1, kernels drawn from N(0, 1): '
                                'saturated from the start.')
