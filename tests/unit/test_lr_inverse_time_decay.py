"""The lr_inverse_time_decay recipe: the rate fed each epoch is the closed form, and it is found by name."""

import pytest
from recipe_helpers import FAMILY_HYPERPARAMETERS, assert_found_by_name

#: Two batches of 50 per epoch: the schedules run their full length in seconds (the family's tests share these runs).
TINY = {"train_size": 100}


@pytest.fixture(scope="module")
def result(recipe_run):
    """The recipe over its full 20 epochs on 100 images."""
    return recipe_run("lr_inverse_time_decay", overrides=TINY)


def test_inverse_time_decay_feeds_the_closed_form_every_epoch(result):
    assert len(result.history) == 20
    expected = [0.1 / (1 + 0.1 * epoch) for epoch in range(20)]
    assert result.extras["learning_rate"] == pytest.approx(expected, rel=1e-12)


def test_the_schedule_is_the_ports_too():
    from tf1_recipes.recipes.lr_inverse_time_decay import learning_rate_at
    from tf1_recipes.tf2 import get_port

    assert get_port("lr_inverse_time_decay").schedule is learning_rate_at
    assert learning_rate_at(10, initial_learning_rate=0.1, decay=0.1) == pytest.approx(0.05)


def test_lr_inverse_time_decay_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("lr_inverse_time_decay")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {}, 'smoke': {'n_epochs': 2, 'train_size': 7500}}
    assert spec.hyperparameters == {**FAMILY_HYPERPARAMETERS["learning_rate_schedules"], 'decay': 0.1}
    assert spec.description == 'Inverse-time decay fed per epoch: lr = 0.1 / (1 + 0.1 * epoch), momentum 0.9.'
