"""The partial-restore family (tf1_recipes/recipes/families/reuse_hidden_layers.py): what is frozen, what trains, what is refused.

Each recipe's own tests are in tests/unit/test_<name>.py (reuse_partial_restore, freeze_var_list,
freeze_stop_gradient, cache_frozen_layers).
"""

import pytest
from saver_helpers import TINY_REUSE, assert_all_moved, assert_same, layer_values, saved, updated_variables

REUSED, NEW = ["hidden1", "hidden2", "hidden3"], ["hidden4", "outputs"]


@pytest.mark.parametrize("recipe", ["freeze_var_list", "freeze_stop_gradient", "cache_frozen_layers"])
def test_frozen_layers_stay_bit_identical_while_the_others_move(recipe, pretrained, run_quiet, tmp_path):
    _, initial = saved(run_quiet, tmp_path / "initial", recipe, n_epochs=0)
    result, trained = saved(run_quiet, tmp_path, recipe)
    assert_same(layer_values(pretrained, ["hidden1", "hidden2"]), trained)
    assert_all_moved(layer_values(pretrained, ["hidden3"]), trained)
    assert_all_moved(layer_values(initial, NEW), trained)
    updated = updated_variables(result.graph)
    assert updated == {f"{layer}/{p}" for layer in ["hidden3"] + NEW for p in ("kernel", "bias")}


def test_both_freezings_train_identically(shared_run):
    """The frozen layers left out of the optimizer's var_list, or cut off by tf.stop_gradient: the same ops compute each
    step's numbers, so the two smoke runs (trained once a session for their goldens) have the same history, bit for bit.
    The golden tier trains freeze_var_list's book run for both (tests/golden/test_goldens.py, SAME_NUMBERS)."""
    var_list, stop_gradient = shared_run("freeze_var_list"), shared_run("freeze_stop_gradient")
    assert var_list.history == stop_gradient.history
    assert var_list.extras == stop_gradient.extras


def test_cache_without_frozen_layers_is_refused(run_quiet):
    with pytest.raises(ValueError, match="cache_hidden2 needs stop_gradient=True"):
        run_quiet("reuse_partial_restore", overrides={**TINY_REUSE, "cache_hidden2": True})
