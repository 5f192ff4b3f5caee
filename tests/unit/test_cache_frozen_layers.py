"""The cache_frozen_layers recipe: the cache gives freeze_stop_gradient's numbers, and it is found by name."""

import numpy as np
from recipe_helpers import FAMILY_HYPERPARAMETERS, assert_found_by_name
from saver_helpers import saved


def test_cache_gives_freeze_stop_gradients_accuracies_per_epoch(run_quiet, tmp_path):
    config = {"n_epochs": 3, "train_size": 5000}
    direct, direct_values = saved(run_quiet, tmp_path, "freeze_stop_gradient", **config)
    cached, cached_values = saved(run_quiet, tmp_path, "cache_frozen_layers", **config)
    assert len(cached.history) == 3
    np.testing.assert_allclose(cached.history, direct.history, rtol=0, atol=1e-6)
    for name, value in direct_values.items():
        np.testing.assert_allclose(cached_values[name], value, rtol=0, atol=1e-6, err_msg=name)


def test_cache_frozen_layers_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("cache_frozen_layers")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {'stop_gradient': True, 'cache_hidden2': True},
                            'smoke': {'stop_gradient': True,
                                      'cache_hidden2': True,
                                      'n_epochs': 3,
                                      'train_size': None,
                                      'pretrained_preset': 'smoke'}}
    assert spec.hyperparameters == FAMILY_HYPERPARAMETERS["reuse_hidden_layers"]
    assert spec.description == ("As freeze_stop_gradient, feeding hidden2's output computed once for all "
                                "images (the frozen layers' cache).")
