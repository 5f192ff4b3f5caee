"""The batch_size_gap recipe: the presets differ only in batch size (on tiny runs), and it is found by name."""

import pytest
from recipe_helpers import assert_found_by_name

#: One tiny epoch (1,000 images): the pitfall shows its mechanism, not its full-length numbers.
TINY = {"n_epochs": 1, "train_size": 1000}


@pytest.mark.parametrize("preset,batch_size", [("small_batch", 32), ("large_batch", 2048)])
def test_batch_size_gap_presets_differ_only_in_batch_size(recipe_run, preset, batch_size):
    from tf1_recipes.registry import get_recipe

    spec = get_recipe("batch_size_gap")
    small, large = spec.preset("small_batch")[1], spec.preset("large_batch")[1]
    assert {k for k in small if small[k] != large[k]} == {"batch_size"}
    result = recipe_run("batch_size_gap", preset, {**TINY, "train_size": 4096})
    assert result.extras["steps"] == [4096 // batch_size]


def test_batch_size_gap_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("batch_size_gap")
    assert spec.default_preset == 'small_batch' and spec.metric is None
    assert spec.presets == {'small_batch': {'batch_size': 32},
                            'large_batch': {'batch_size': 2048},
                            'smoke': {'batch_size': 32, 'n_epochs': 2, 'train_size': 4800}}
    assert spec.hyperparameters == {'n_inputs': 784,
                                    'n_hidden1': 300,
                                    'n_hidden2': 100,
                                    'n_outputs': 10,
                                    'learning_rate': 0.1,
                                    'n_epochs': 5,
                                    'batch_size': 32}
    assert spec.description == ('ReLU 300/100 MLP, GD 0.1, 5 epochs; only the batch size differs between '
                                'presets.')
