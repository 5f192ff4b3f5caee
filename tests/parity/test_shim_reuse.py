"""The partial-restore shims: "restore these names" from the TF1 checkpoint, var_list and stop_gradient freezing, the cache.

The generic shim tests (test_shim_ports.py) compare the K-step traces; these check what the
reuse recipes are about, on the shim side, as tests/parity/test_reuse.py does for the native ports.
"""

import numpy as np
import pytest
import tensorflow as tf

from tf1_recipes import checkpoints
from tf1_recipes.tf2 import parity

FROZEN = ("hidden1/kernel", "hidden1/bias", "hidden2/kernel", "hidden2/bias")
SMOKE_PRETRAINED = {"pretrained_preset": "smoke"}


def changed(trace, name):
    return parity.max_abs_diff(trace.initial[name], trace.final[name]) > 0


@pytest.fixture(scope="module")
def shim_trace(pair):
    """shim_trace(recipe) -> (TF1 trace, shim trace, Parity) of the book preset's K steps."""
    cache = {}

    def _trace(recipe):
        if recipe not in cache:
            tf1_trace, _, _ = pair(recipe, "book")
            shim = parity.build_shim(recipe, "book", tf1_trace.extras["overrides"])
            cache[recipe] = (tf1_trace, *parity.against(tf1_trace, recipe, "book", port=shim))
        return cache[recipe]

    return _trace


@pytest.mark.parametrize("recipe", ["freeze_var_list", "freeze_stop_gradient"])
def test_the_shims_frozen_layers_stay_put_and_the_rest_trains_as_in_tf1(recipe, shim_trace):
    tf1_trace, trace, result = shim_trace(recipe)
    assert result.weights == 0.0, result.summary()  # the same code, the same kernels: bit for bit
    assert not any(changed(trace, name) for name in FROZEN)
    assert changed(trace, "hidden3/kernel") and changed(trace, "outputs/kernel")


def test_freeze_var_list_shim_steps_only_the_var_list():
    shim = parity.build_shim("freeze_var_list", "book", SMOKE_PRETRAINED)
    assert sorted(v.name for v in shim.trained_variables()) == [
        f"{layer}/{kind}:0" for layer in ("hidden3", "hidden4", "outputs") for kind in ("bias", "kernel")
    ]
    everything = parity.build_shim("reuse_partial_restore", "book", SMOKE_PRETRAINED)
    assert len(everything.trained_variables()) == 10


def test_the_shim_restores_the_scopes_names_from_the_tf1_checkpoint_and_nothing_else():
    shim = parity.build_shim("reuse_partial_restore", "book", SMOKE_PRETRAINED)
    before = {name: v.numpy() for name, v in shim.keras_variables().items()}
    path = checkpoints.pretrained_checkpoint("pretrain_5layer", "smoke")
    restored = shim.restore_pretrained(None)
    assert restored == [f"hidden{i}/{k}" for i in (1, 2, 3) for k in ("bias", "kernel")]
    reader = tf.train.load_checkpoint(path)
    for name, variable in shim.keras_variables().items():
        if name in restored:
            np.testing.assert_array_equal(variable.numpy(), reader.get_tensor(name), err_msg=name)
        else:  # hidden4 and outputs are new (the checkpoint's hidden4 has 50 units, this one 20): left as initialised
            np.testing.assert_array_equal(variable.numpy(), before[name], err_msg=name)


def test_a_scope_matching_nothing_or_a_mismatched_checkpoint_is_refused_by_name():
    shim = parity.build_shim("reuse_partial_restore", "book", {**SMOKE_PRETRAINED, "reuse_scope": "nothing_here"})
    with pytest.raises(checkpoints.NothingToRestoreError, match="'nothing_here' matches no variable"):
        shim.restore_pretrained(None)
    # hidden4 has 20 units here, 50 in the pretrained checkpoint: TF1's check_restorable says so before any restore.
    shim = parity.build_shim("reuse_partial_restore", "book", {**SMOKE_PRETRAINED, "reuse_scope": "hidden[1234]"})
    with pytest.raises(checkpoints.CheckpointMismatchError, match=r"hidden4/kernel has shape \[50, 50\] in the checkpoint but \[50, 20\]"):
        shim.restore_pretrained(None)


def test_cached_hidden_layers_shim_reproduces_the_tf1_run_and_its_own_uncached_twin(run_quiet, tmp_path):
    """cache_frozen_layers' TF1 loop feeds the cache, not run.batches, so the probe cannot watch it
    (the generic K-step tests leave it out: its port's probe_parity is False): whole tiny runs
    are compared instead, TF1 vs shim, and the shim vs its stop_gradient twin, which the recipe
    says gives the same accuracies."""
    tiny = {"n_epochs": 2, "train_size": 1000, **SMOKE_PRETRAINED}
    tf1_run = run_quiet("cache_frozen_layers", "book", overrides=tiny, out_dir=str(tmp_path / "tf1"))
    shim_run = run_quiet("cache_frozen_layers", "book", overrides=tiny, shim=True, out_dir=str(tmp_path / "shim"))
    twin = run_quiet("freeze_stop_gradient", "book", overrides=tiny, shim=True)
    assert shim_run.history == tf1_run.history  # the same code on the same kernels: bit for bit (measured)
    assert np.allclose(twin.history, shim_run.history, atol=2e-4)
    assert len(shim_run.history) == 2 and shim_run.history[1] != shim_run.history[0]  # it trained
    # Its checkpoint is a TF1 Saver checkpoint with the TF1 run's names and shapes.
    assert dict(tf.train.list_variables(shim_run.checkpoint_path)) == dict(tf.train.list_variables(tf1_run.checkpoint_path))
