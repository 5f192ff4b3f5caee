"""The leaky_relu recipe: a Maximum with slope 0.01, and it is found by name."""

import numpy as np
import pytest
from recipe_helpers import FAMILY_HYPERPARAMETERS, assert_found_by_name

#: One epoch on 500 images, the run the family's tests share (tests/unit/test_family_init_and_activations.py).
TINY = {"n_epochs": 1, "train_size": 500}


@pytest.fixture(scope="module")
def result(recipe_run):
    """The recipe after its tiny run (shared with its family's tests)."""
    return recipe_run("leaky_relu", overrides=TINY)


def test_leaky_relu_is_a_maximum_with_slope_0_01(result, at_init):
    graph = result.graph
    for layer in ("hidden1", "hidden2"):
        maximum = graph.get_operation_by_name(f"dnn/{layer}/Maximum")
        assert maximum.type == "Maximum"
        scaled, z = maximum.inputs
        assert scaled.op.type == "Mul" and z.op.type == "BiasAdd"
        assert z.op in [t.op for t in scaled.op.inputs]
    z, out = at_init(graph, ["dnn/hidden1/BiasAdd:0", "dnn/hidden1/Maximum:0"])
    assert (z < 0).any() and (z > 0).any()
    np.testing.assert_allclose(out, np.where(z > 0, z, 0.01 * z), rtol=1e-6)


def test_leaky_relu_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("leaky_relu")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {'activation': 'leaky_relu'},
                            'smoke': {'activation': 'leaky_relu', 'n_epochs': 2, 'train_size': 7500}}
    assert spec.hyperparameters == FAMILY_HYPERPARAMETERS["init_and_activations"]
    assert spec.description == "Leaky ReLU, tf.maximum(0.01 * z, z), as the 300/100 MLP's hidden activation."
