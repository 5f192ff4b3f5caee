"""The elu recipe: ELU in the hidden layers only, and it is found by name."""

import numpy as np
import pytest
from recipe_helpers import FAMILY_HYPERPARAMETERS, assert_found_by_name

#: One epoch on 500 images, the run the family's tests share (tests/unit/test_family_init_and_activations.py).
TINY = {"n_epochs": 1, "train_size": 500}


@pytest.fixture(scope="module")
def result(recipe_run):
    """The recipe after its tiny run (shared with its family's tests)."""
    return recipe_run("elu", overrides=TINY)


def test_elu_is_the_hidden_activation_and_keeps_negative_values(result, at_init):
    graph = result.graph
    assert [graph.get_operation_by_name(f"dnn/{layer}/Elu").type for layer in ("hidden1", "hidden2")] == ["Elu", "Elu"]
    z, out = at_init(graph, ["dnn/hidden1/BiasAdd:0", "dnn/hidden1/Elu:0"])
    assert (z < 0).any() and (z > 0).any()
    np.testing.assert_allclose(out, np.where(z > 0, z, np.expm1(np.minimum(z, 0))), rtol=1e-5, atol=1e-6)


def test_elu_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("elu")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {'activation': 'elu'},
                            'smoke': {'activation': 'elu', 'n_epochs': 2, 'train_size': 7500}}
    assert spec.hyperparameters == FAMILY_HYPERPARAMETERS["init_and_activations"]
    assert spec.description == "ELU (tf.nn.elu) as the 300/100 MLP's hidden activation."
