"""The momentum recipe: plain momentum updates, and it is found by name."""

import pytest
from recipe_helpers import FAMILY_HYPERPARAMETERS, assert_found_by_name

#: One epoch of two batches (100 images), the run the family's tests share (tests/unit/test_family_faster_optimizers.py).
TINY = {"n_epochs": 1, "train_size": 100}


@pytest.fixture(scope="module")
def result(recipe_run):
    """The recipe after its tiny run (shared with its family's tests)."""
    return recipe_run("momentum", overrides=TINY)


def test_every_momentum_update_does_not_use_nesterov(result):
    applies = [op for op in result.graph.get_operations() if op.type == "ResourceApplyMomentum"]
    assert len(applies) == 6 and {op.get_attr("use_nesterov") for op in applies} == {False}


def test_momentum_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("momentum")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {}, 'smoke': {'n_epochs': 2, 'train_size': 7500}}
    assert spec.hyperparameters == {**FAMILY_HYPERPARAMETERS["faster_optimizers"], 'learning_rate': 0.01, 'momentum': 0.9}
    assert spec.description == ('Momentum optimization: MomentumOptimizer(0.01, momentum=0.9) on the 300/50 '
                                'ReLU MLP.')
