"""transfer_digits_5_to_9: early_stopping's hidden layers restored and frozen, a new softmax, the variants."""

import numpy as np
import pytest
from recipe_helpers import assert_found_by_name
from saver_helpers import assert_all_moved, assert_same, checkpoint_values, layer_values

from tf1_recipes import checkpoints
from tf1_recipes.recipes.transfer_digits_5_to_9 import sample_n_instances_per_class

HIDDEN = [f"hidden{i}" for i in range(1, 6)]
TINY = {"n_epochs": 3, "pretrained_preset": "smoke"}


@pytest.fixture(scope="module")
def pretrained():
    """The early_stopping smoke checkpoint (digits 0-4) the tiny runs reuse."""
    return checkpoint_values(checkpoints.pretrained_checkpoint("early_stopping", "smoke"))


def saved(run_quiet, out, preset="book", **overrides):
    result = run_quiet("transfer_digits_5_to_9", preset, overrides={**TINY, **overrides}, out_dir=str(out))
    return result, checkpoint_values(str(out / "model.ckpt"))


def test_hidden_layers_are_restored_and_frozen_and_the_softmax_is_new(pretrained, run_quiet, tmp_path):
    result, values = saved(run_quiet, tmp_path)
    assert_same(layer_values(pretrained, HIDDEN), values)
    assert values["outputs/kernel"].shape == (100, 5)
    assert not np.array_equal(values["outputs/kernel"], pretrained["outputs/kernel"])
    # Adam slots exist only for the trained output layer, and the old optimizer's were not restored.
    slots = sorted(name for name in values if name.endswith(("/Adam", "/Adam_1")))
    assert slots == ["outputs/bias/Adam", "outputs/bias/Adam_1", "outputs/kernel/Adam", "outputs/kernel/Adam_1"]
    assert len(result.history) == 2 and 0.0 <= result.final <= 1.0
    assert result.extras["training_seconds"] > 0 and len(result.extras["valid_loss"]) == 3


def test_unfreezing_the_top_two_moves_hidden4_and_hidden5_only(pretrained, run_quiet, tmp_path):
    _, values = saved(run_quiet, tmp_path, "unfreeze_top_two")
    assert_same(layer_values(pretrained, HIDDEN[:3]), values)
    assert_all_moved(layer_values(pretrained, HIDDEN[3:]), values)


def test_caching_the_frozen_layers_gives_the_same_run(run_quiet, tmp_path):
    direct, direct_values = saved(run_quiet, tmp_path / "direct")
    cached, cached_values = saved(run_quiet, tmp_path / "cached", "cache_frozen")
    np.testing.assert_allclose(cached.history, direct.history, rtol=0, atol=1e-6)
    np.testing.assert_allclose(cached.extras["valid_loss"], direct.extras["valid_loss"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(cached_values["outputs/kernel"], direct_values["outputs/kernel"], rtol=0, atol=1e-6)


def test_cache_with_trainable_hidden_layers_is_refused(run_quiet):
    with pytest.raises(ValueError, match="cache_frozen needs every hidden layer frozen"):
        run_quiet("transfer_digits_5_to_9", "unfreeze_top_two", overrides={**TINY, "cache_frozen": True})


def test_training_set_is_the_first_100_images_of_each_digit():
    y = np.array([7, 5, 7, 9, 5, 5, 7])
    X = np.arange(len(y))[:, None]
    X_small, y_small = sample_n_instances_per_class(X, y, n=2)
    assert y_small.tolist() == [5, 5, 7, 7, 9]
    assert X_small.ravel().tolist() == [1, 4, 0, 2, 3]


def test_the_books_chain_four_then_two_then_none_frozen_continues_from_each_checkpoint(pretrained, run_quiet, tmp_path):
    """four_frozen reuses hidden1-4; two_frozen continues from its best model with hidden3-4
    unfrozen; none_frozen continues from that one with every layer trained."""
    _, four = saved(run_quiet, tmp_path / "four", "four_frozen")
    assert "hidden5/kernel" not in four and four["outputs/kernel"].shape == (100, 5)
    assert_same(layer_values(pretrained, HIDDEN[:4]), four)

    _, two = saved(run_quiet, tmp_path / "two", "two_frozen", pretrained_checkpoint=str(tmp_path / "four" / "model.ckpt"))
    assert_same(layer_values(four, HIDDEN[:2]), two)
    assert_all_moved(layer_values(four, [*HIDDEN[2:4], "outputs"]), two)

    _, none = saved(run_quiet, tmp_path / "none", "none_frozen", pretrained_checkpoint=str(tmp_path / "two" / "model.ckpt"))
    assert_all_moved(layer_values(two, [*HIDDEN[:4], "outputs"]), none)


def test_transfer_digits_5_to_9_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("transfer_digits_5_to_9")
    assert spec.default_preset == 'book' and spec.metric == 'test_accuracy'
    assert spec.presets == {'book': {},
                            'cache_frozen': {'cache_frozen': True},
                            'unfreeze_top_two': {'train_scope': 'hidden[45]|outputs'},
                            'four_frozen': {'n_hidden_layers': 4, 'reuse_scope': 'hidden[1234]'},
                            'two_frozen': {'n_hidden_layers': 4,
                                           'pretrained_recipe': 'transfer_digits_5_to_9',
                                           'pretrained_preset': 'four_frozen',
                                           'reuse_scope': 'hidden[1234]|outputs',
                                           'train_scope': 'hidden[34]|outputs'},
                            'none_frozen': {'n_hidden_layers': 4,
                                            'pretrained_recipe': 'transfer_digits_5_to_9',
                                            'pretrained_preset': 'two_frozen',
                                            'reuse_scope': 'hidden[1234]|outputs',
                                            'train_scope': 'hidden[1234]|outputs'},
                            'smoke': {'pretrained_preset': 'small_lr_0_001',
                                      'n_epochs': 100,
                                      'n_train_per_digit': 300,
                                      'n_valid_per_digit': 200}}
    assert spec.hyperparameters == {'n_inputs': 784,
                                    'n_hidden_layers': 5,
                                    'n_neurons': 100,
                                    'n_outputs': 5,
                                    'learning_rate': 0.01,
                                    'n_epochs': 1000,
                                    'batch_size': 20,
                                    'max_checks_without_progress': 20,
                                    'n_train_per_digit': 100,
                                    'n_valid_per_digit': 30,
                                    'reuse_scope': 'hidden[12345]',
                                    'train_scope': 'outputs',
                                    'cache_frozen': False,
                                    'pretrained_checkpoint': None,
                                    'pretrained_recipe': 'early_stopping',
                                    'pretrained_preset': 'lr_0_001'}
    assert spec.description == ("early_stopping's hidden layers, frozen, with a new softmax for digits 5-9 "
                                'trained on 100 images per digit.')
