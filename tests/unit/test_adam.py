"""The adam recipe: its beta powers and slots, its checkpoint, and it is found by name."""

import numpy as np
import pytest
from recipe_helpers import FAMILY_HYPERPARAMETERS, assert_found_by_name, initial_values

from tf1_recipes.compat import tf1

#: One epoch of two batches (100 images), the run the family's tests share (tests/unit/test_family_faster_optimizers.py).
TINY = {"n_epochs": 1, "train_size": 100}


@pytest.fixture(scope="module")
def result(recipe_run):
    """The recipe after its tiny run (shared with its family's tests)."""
    return recipe_run("adam", overrides=TINY)


def test_adam_beta_powers_start_at_beta1_and_beta2(result):
    adam = initial_values(result.graph, ["train/beta1_power:0", "train/beta2_power:0"])
    assert (adam["train/beta1_power:0"], adam["train/beta2_power:0"]) == pytest.approx((0.9, 0.999))


def test_the_checkpoint_holds_the_trained_slots(tmp_path):
    from tf1_recipes.harness import RecipeConfig, run_recipe

    result = run_recipe(
        RecipeConfig("adam", overrides={"n_epochs": 1, "train_size": 100}, out_dir=str(tmp_path), quiet=True, progress=False)
    )
    reader = tf1.train.load_checkpoint(result.checkpoint_path)
    assert reader.get_tensor("train/beta1_power") == pytest.approx(0.9**3)  # two steps taken
    assert np.abs(reader.get_tensor("hidden1/kernel/Adam")).max() > 0


def test_adam_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("adam")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {}, 'smoke': {'n_epochs': 2, 'train_size': 7500}}
    assert spec.hyperparameters == {**FAMILY_HYPERPARAMETERS["faster_optimizers"], 'learning_rate': 0.001}
    assert spec.description == 'Adam: AdamOptimizer(learning_rate=0.001) on the 300/50 ReLU MLP.'
