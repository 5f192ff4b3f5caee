"""The max_norm_manual recipe: the clip ops on the kernels fetched by name, and it is found by name."""

import pytest
from recipe_helpers import FAMILY_HYPERPARAMETERS, assert_found_by_name, clip_ops

#: One tiny epoch, the run the family's tests share (tests/unit/test_family_max_norm.py).
TINY = {"n_epochs": 1, "train_size": 500}
HIDDEN = ["hidden1/kernel:0", "hidden2/kernel:0"]


@pytest.fixture(scope="module")
def result(recipe_run):
    """The recipe after its tiny run (shared with its family's tests)."""
    return recipe_run("max_norm_manual", overrides=TINY)


def test_the_manual_variant_clips_the_two_hidden_kernels_fetched_by_name(result):
    graph = result.graph
    assert sorted(clip_ops(graph)) == HIDDEN
    assert graph.get_collection("max_norm") == []
    assert graph.get_tensor_by_name("hidden1/kernel:0").dtype.name == "float32_ref"


def test_max_norm_manual_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("max_norm_manual")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {'clipping': 'manual'},
                            'smoke': {'clipping': 'manual', 'n_epochs': 2, 'train_size': 7500}}
    assert spec.hyperparameters == FAMILY_HYPERPARAMETERS["max_norm"]
    assert spec.description == ('Max-norm (1.0) by hand: assign(W, clip_by_norm(W, 1.0, axes=1)) after each '
                                'step, 300/50 MLP, momentum.')
