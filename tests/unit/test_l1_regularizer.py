"""The l1_regularizer recipe: contrib's l1_regularizer on every kernel, and it is found by name."""

import pytest
from recipe_helpers import FAMILY_HYPERPARAMETERS, assert_found_by_name

from tf1_recipes.compat import tf1

#: One epoch of two batches (400 images), the run the kernel-regularizer family's tests share.
TINY = {"n_epochs": 1, "train_size": 400}
SCALE = 0.001


@pytest.fixture(scope="module")
def result(recipe_run):
    """The recipe after its tiny run (shared with its family's tests)."""
    return recipe_run("l1_regularizer", overrides=TINY)


def test_every_kernel_has_one_l1_regularization_loss(result):
    reg_losses = result.graph.get_collection(tf1.GraphKeys.REGULARIZATION_LOSSES)
    layers = ["hidden1", "hidden2", "outputs"]
    assert [t.name for t in reg_losses] == [f"dnn/{layer}/kernel/Regularizer/l1_regularizer:0" for layer in layers]


def test_l1_regularizer_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("l1_regularizer")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {'regularizer': 'l1'},
                            'smoke': {'regularizer': 'l1', 'n_epochs': 2, 'train_size': 30000}}
    assert spec.hyperparameters == FAMILY_HYPERPARAMETERS["kernel_regularizers"]
    assert spec.description == ('L1 regularisation: contrib l1_regularizer(0.001) on every kernel of the '
                                '300/50 ReLU MLP.')
