"""The he_init recipe: its kernels' spread, and it is found by name."""

import math

import numpy as np
import pytest
from recipe_helpers import FAMILY_HYPERPARAMETERS, assert_found_by_name, initial_kernels

#: One epoch on 500 images, the run the family's tests share (tests/unit/test_family_init_and_activations.py).
TINY = {"n_epochs": 1, "train_size": 500}
TRUNCATED = 0.87962566103423978  # std of a standard normal truncated at +-2 sigma


@pytest.fixture(scope="module")
def result(recipe_run):
    """The recipe after its tiny run (shared with its family's tests)."""
    return recipe_run("he_init", overrides=TINY)


def test_he_init_kernels_have_the_variance_scaling_fan_in_scale_2_spread(result):
    kernels = initial_kernels(result.graph)
    for layer, fan_in in (("hidden1", 784), ("hidden2", 300)):
        std = math.sqrt(2.0 / fan_in)  # scale 2 over fan-in; truncation is corrected for
        assert np.std(kernels[layer]) == pytest.approx(std, rel=0.02)
        assert np.abs(kernels[layer]).max() <= 2.0 * std / TRUNCATED * (1 + 1e-6)  # truncated at 2 sigma
    # The linear output layer keeps dense's Glorot-uniform default.
    assert np.abs(kernels["outputs"]).max() <= math.sqrt(6.0 / (100 + 10))


def test_he_init_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("he_init")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {'activation': 'relu', 'initializer': 'he', 'n_epochs': 20},
                            'smoke': {'activation': 'relu',
                                      'initializer': 'he',
                                      'n_epochs': 2,
                                      'train_size': 7500}}
    assert spec.hyperparameters == FAMILY_HYPERPARAMETERS["init_and_activations"]
    assert spec.description == ('He initialisation: variance_scaling_initializer(scale=2.0) (fan-in) kernels '
                                'in the 300/100 ReLU MLP.')
