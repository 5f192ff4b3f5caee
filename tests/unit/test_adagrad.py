"""The adagrad recipe: its accumulators start where TF1 starts them, and it is found by name."""

import numpy as np
import pytest
from recipe_helpers import FAMILY_HYPERPARAMETERS, assert_found_by_name, initial_values

#: One epoch of two batches (100 images), the run the family's tests share (tests/unit/test_family_faster_optimizers.py).
TINY = {"n_epochs": 1, "train_size": 100}


@pytest.fixture(scope="module")
def result(recipe_run):
    """The recipe after its tiny run (shared with its family's tests)."""
    return recipe_run("adagrad", overrides=TINY)


def test_adagrad_accumulators_start_at_0_1(result):
    adagrad = initial_values(result.graph, ["hidden1/kernel/Adagrad:0"])
    np.testing.assert_allclose(adagrad["hidden1/kernel/Adagrad:0"], 0.1, rtol=1e-7)


def test_adagrad_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("adagrad")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {}, 'smoke': {'n_epochs': 2, 'train_size': 7500}}
    assert spec.hyperparameters == {**FAMILY_HYPERPARAMETERS["faster_optimizers"], 'learning_rate': 0.01}
    assert spec.description == ('AdaGrad: AdagradOptimizer(0.01) (accumulators start at 0.1) on the 300/50 '
                                'ReLU MLP.')
