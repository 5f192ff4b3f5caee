"""The xavier_init recipe: Glorot-uniform kernels, and it is found by name."""

import math

import numpy as np
import pytest
from recipe_helpers import FAMILY_HYPERPARAMETERS, assert_found_by_name, initial_kernels

#: One epoch on 500 images, the run the family's tests share (tests/unit/test_family_init_and_activations.py).
TINY = {"n_epochs": 1, "train_size": 500}


@pytest.fixture(scope="module")
def result(recipe_run):
    """The recipe after its tiny run (shared with its family's tests)."""
    return recipe_run("xavier_init", overrides=TINY)


def test_xavier_init_kernels_are_glorot_uniform(result):
    kernels = initial_kernels(result.graph)
    for layer, fan_in, fan_out in (("hidden1", 784, 300), ("hidden2", 300, 100)):
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        assert np.std(kernels[layer]) == pytest.approx(limit / math.sqrt(3.0), rel=0.02)
        assert np.abs(kernels[layer]).max() <= limit
        assert np.abs(kernels[layer]).max() > 0.99 * limit  # uniform: the edges are reached


def test_xavier_init_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("xavier_init")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {'activation': 'relu', 'initializer': 'xavier', 'n_epochs': 20},
                            'smoke': {'activation': 'relu',
                                      'initializer': 'xavier',
                                      'n_epochs': 2,
                                      'train_size': 7500}}
    assert spec.hyperparameters == FAMILY_HYPERPARAMETERS["init_and_activations"]
    assert spec.description == ("Xavier initialisation: tf.layers.dense's default Glorot-uniform kernels in "
                                'the 300/100 ReLU MLP.')
