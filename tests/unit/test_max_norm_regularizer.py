"""The max_norm_regularizer recipe: the max_norm collection holds the clip ops, and it is found by name."""

import pytest
from recipe_helpers import FAMILY_HYPERPARAMETERS, assert_found_by_name, clip_ops

from tf1_recipes.compat import tf1

#: One tiny epoch, the run the family's tests share (tests/unit/test_family_max_norm.py).
TINY = {"n_epochs": 1, "train_size": 500}
HIDDEN = ["hidden1/kernel:0", "hidden2/kernel:0"]


@pytest.fixture(scope="module")
def result(recipe_run):
    """The recipe after its tiny run (shared with its family's tests)."""
    return recipe_run("max_norm_regularizer", overrides=TINY)


def test_the_regularizer_variant_collects_exactly_the_two_clip_ops_and_no_loss(result):
    graph = result.graph
    collection = graph.get_collection("max_norm")
    assert [t.op for t in collection] == [clip_ops(graph)[name] for name in HIDDEN]
    assert [t.op.name for t in collection] == [
        "dnn/hidden1/kernel/Regularizer/max_norm",
        "dnn/hidden2/kernel/Regularizer/max_norm",
    ]
    assert graph.get_collection(tf1.GraphKeys.REGULARIZATION_LOSSES) == []


def test_max_norm_regularizer_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("max_norm_regularizer")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {'clipping': 'regularizer'},
                            'smoke': {'clipping': 'regularizer', 'n_epochs': 2, 'train_size': 7500}}
    assert spec.hyperparameters == FAMILY_HYPERPARAMETERS["max_norm"]
    assert spec.description == ('Max-norm (1.0) through a kernel_regularizer that fills the max_norm '
                                'collection, 300/50 MLP, momentum.')
