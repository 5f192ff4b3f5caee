"""The rmsprop recipe: its slots start where TF1 starts them, and it is found by name."""

import numpy as np
import pytest
from recipe_helpers import FAMILY_HYPERPARAMETERS, assert_found_by_name, initial_values

#: One epoch of two batches (100 images), the run the family's tests share (tests/unit/test_family_faster_optimizers.py).
TINY = {"n_epochs": 1, "train_size": 100}


@pytest.fixture(scope="module")
def result(recipe_run):
    """The recipe after its tiny run (shared with its family's tests)."""
    return recipe_run("rmsprop", overrides=TINY)


def test_rmsprop_mean_square_starts_at_one_and_momentum_at_zero(result):
    rms = initial_values(result.graph, ["hidden1/kernel/RMSProp:0", "hidden1/kernel/RMSProp_1:0"])
    np.testing.assert_array_equal(rms["hidden1/kernel/RMSProp:0"], 1.0)  # mean square from ones
    np.testing.assert_array_equal(rms["hidden1/kernel/RMSProp_1:0"], 0.0)  # momentum from zero


def test_the_lr_0_001_preset_is_the_book_one_with_a_tenth_of_the_rate():
    from tf1_recipes.registry import get_recipe

    spec = get_recipe("rmsprop")
    book, lr = spec.preset("book")[1], spec.preset("lr_0_001")[1]
    assert lr == {**book, "learning_rate": 0.001} and book["learning_rate"] == 0.01


def test_rmsprop_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("rmsprop")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {},
                            'lr_0_001': {'learning_rate': 0.001},
                            'smoke': {'n_epochs': 2, 'train_size': 30000, 'learning_rate': 0.001}}
    assert spec.hyperparameters == {**FAMILY_HYPERPARAMETERS["faster_optimizers"], 'learning_rate': 0.01, 'momentum': 0.9, 'decay': 0.9, 'epsilon': 1e-10}
    assert spec.description == ('RMSProp: RMSPropOptimizer(0.01, momentum=0.9, decay=0.9, epsilon=1e-10) on '
                                'the 300/50 ReLU MLP.')
