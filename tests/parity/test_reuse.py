"""The reuse ports: partial restore by scope regex, var_list and stop_gradient freezing, hidden-layer caching."""

import numpy as np
import pytest
import tensorflow as tf

from tf1_recipes.tf2 import parity

FROZEN = ("hidden1/kernel", "hidden1/bias", "hidden2/kernel", "hidden2/bias")
SMOKE_PRETRAINED = {"pretrained_preset": "smoke"}


def changed(trace, name):
    return parity.max_abs_diff(trace.initial[name], trace.final[name]) > 0


@pytest.mark.parametrize("recipe", ["freeze_var_list", "freeze_stop_gradient"])
def test_frozen_layers_stay_put_on_both_sides_and_the_rest_trains(recipe, pair):
    tf1_trace, tf2_trace, result = pair(recipe, "book")
    assert result.k_steps_ok
    for trace in (tf1_trace, tf2_trace):
        assert not any(changed(trace, name) for name in FROZEN)
        assert changed(trace, "hidden3/kernel") and changed(trace, "outputs/kernel")


def test_partial_restore_trains_every_layer_from_the_checkpoints_values(pair):
    from tf1_recipes import checkpoints

    tf1_trace, tf2_trace, result = pair("reuse_partial_restore", "book")
    assert result.k_steps_ok and all(changed(tf2_trace, name) for name in FROZEN)
    reader = tf.train.load_checkpoint(checkpoints.pretrained_checkpoint("pretrain_5layer", "smoke"))
    for name in ("hidden1/kernel", "hidden3/bias"):  # restored: the K steps started from the checkpoint
        assert np.array_equal(tf1_trace.initial[name], reader.get_tensor(name))
    assert not np.array_equal(tf1_trace.initial["outputs/kernel"], reader.get_tensor("outputs/kernel")[:20])


def test_a_scope_matching_nothing_restores_nothing_and_says_so():
    from tf1_recipes import checkpoints
    from tf1_recipes.tf2.families.reuse_hidden_layers import restore_matching

    port = parity.build_port("reuse_partial_restore", "book", SMOKE_PRETRAINED)
    path = checkpoints.pretrained_checkpoint("pretrain_5layer", "smoke")
    assert restore_matching(port, path, "hidden[123]") == [f"hidden{i}/{k}" for i in (1, 2, 3) for k in ("kernel", "bias")]
    with pytest.raises(ValueError, match="matches none"):
        restore_matching(port, path, "nothing_here")


def test_cached_hidden_layers_port_reproduces_the_tf1_run_and_its_own_uncached_twin(run_quiet):
    """cache_frozen_layers' TF1 loop feeds the cache, not run.batches, so the probe cannot watch it:
    whole tiny runs are compared instead (TF1 vs port, and the port vs its stop_gradient twin,
    which the recipe says gives the same accuracies)."""
    tiny = {"n_epochs": 2, "train_size": 1000, **SMOKE_PRETRAINED}
    tf1_run = run_quiet("cache_frozen_layers", "book", overrides=tiny)
    tf2_run = run_quiet("cache_frozen_layers", "book", overrides=tiny, tf2=True)
    twin = run_quiet("freeze_stop_gradient", "book", overrides=tiny, tf2=True)
    assert np.allclose(tf2_run.history, tf1_run.history, atol=2e-4), (tf1_run.history, tf2_run.history)  # 1 image in 5000
    assert np.allclose(twin.history, tf2_run.history, atol=2e-4)
    assert len(tf2_run.history) == 2 and tf2_run.history[1] != tf2_run.history[0]  # it trained
