"""The reuse_partial_restore recipe: hidden1-3 restored from the pretrained checkpoint, every layer trains; found by name."""

import numpy as np
from recipe_helpers import FAMILY_HYPERPARAMETERS, assert_found_by_name
from saver_helpers import assert_all_moved, assert_same, layer_values, saved, updated_variables

REUSED, NEW = ["hidden1", "hidden2", "hidden3"], ["hidden4", "outputs"]


def test_restored_variables_equal_the_checkpoint_and_the_new_ones_do_not(pretrained, run_quiet, tmp_path):
    _, values = saved(run_quiet, tmp_path, "reuse_partial_restore", n_epochs=0)  # saved right after restoring
    assert_same(layer_values(pretrained, REUSED), values)
    assert values["hidden4/kernel"].shape == (50, 20) and values["outputs/kernel"].shape == (20, 10)
    assert not np.array_equal(values["hidden4/bias"][:20], pretrained["hidden4/bias"][:20])
    assert not np.array_equal(values["outputs/bias"], pretrained["outputs/bias"])


def test_partial_restore_trains_every_layer(pretrained, run_quiet, tmp_path):
    result, values = saved(run_quiet, tmp_path, "reuse_partial_restore")
    assert_all_moved(layer_values(pretrained, REUSED), values)
    assert updated_variables(result.graph) == {f"{layer}/{p}" for layer in REUSED + NEW for p in ("kernel", "bias")}


def test_reuse_partial_restore_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("reuse_partial_restore")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {},
                            'smoke': {'n_epochs': 3, 'train_size': None, 'pretrained_preset': 'smoke'}}
    assert spec.hyperparameters == FAMILY_HYPERPARAMETERS["reuse_hidden_layers"]
    assert spec.description == ('Restore only hidden1-3 of the pretrained model (Saver over the hidden[123] '
                                'variables); train new hidden4 and outputs.')
