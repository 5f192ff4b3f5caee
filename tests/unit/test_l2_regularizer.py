"""The l2_regularizer recipe: contrib's l2_regularizer on every kernel, and it is found by name."""

import pytest
from recipe_helpers import FAMILY_HYPERPARAMETERS, assert_found_by_name

from tf1_recipes.compat import tf1

#: One epoch of two batches (400 images), the run the kernel-regularizer family's tests share.
TINY = {"n_epochs": 1, "train_size": 400}
SCALE = 0.001


@pytest.fixture(scope="module")
def result(recipe_run):
    """The recipe after its tiny run (shared with its family's tests)."""
    return recipe_run("l2_regularizer", overrides=TINY)


def test_every_kernel_has_one_l2_regularization_loss(result):
    reg_losses = result.graph.get_collection(tf1.GraphKeys.REGULARIZATION_LOSSES)
    layers = ["hidden1", "hidden2", "outputs"]
    assert [t.name for t in reg_losses] == [f"dnn/{layer}/kernel/Regularizer/l2_regularizer:0" for layer in layers]


def test_l2_regularizer_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("l2_regularizer")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {'regularizer': 'l2'},
                            'smoke': {'regularizer': 'l2', 'n_epochs': 2, 'train_size': 30000}}
    assert spec.hyperparameters == FAMILY_HYPERPARAMETERS["kernel_regularizers"]
    assert spec.description == ('L2 regularisation: contrib l2_regularizer(0.001) (scale * sum(W**2) / 2) on '
                                'every kernel, 300/50 MLP.')
