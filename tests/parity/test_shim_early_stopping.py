"""The early_stopping and transfer_digits_5_to_9 shims against their TF1 recipes.

Their loops draw their own batches (``RandomState(seed + epoch)``, NumPy's global RNG), so the
parity probe cannot watch them and the generic shim K-step tests leave them out (their
ports' ``probe_parity`` is False). As tests/parity/test_early_stopping_ports.py does for the
native ports: the TF1 recipe's tiny run, its graph's initial variables read back, and the
shim's own loop (``run --shim``'s ``fit``) from them on the same data; then one epoch's
validation loss, the best model's test accuracy and every weight. The shim runs the recipe's
model code with TF1's ``AdamOptimizer`` on the same kernels: the result is expected bit for bit.
"""

import numpy as np
import pytest
import tensorflow as tf

from test_early_stopping_ports import (  # the native ports' comparison's helpers: the same TF1 side
    HIDDEN,
    K_STEP_CASES,
    TINY,
    checkpoint_values,
    config_of,
    first_validation_images,
    tf1_start,
    tf1_tiny,  # noqa: F401 (a fixture)
    training_steps,
)
from tf1_recipes import checkpoints
from tf1_recipes.shim import get_shim
from tf1_recipes.tf2 import parity, seed_everything

CASES = [*K_STEP_CASES, ("early_stopping", "in_memory")]


def shim_from(recipe, preset, values, out_dir):
    """(run, shim): the shim's own loop as ``run --shim`` runs it (seeded, built, fitted), from TF1-named ``values``."""
    from tf1_recipes.harness import Run

    config = config_of(recipe, preset)
    spec, preset, settings, hyper = config.resolve()
    run = Run(spec, preset, settings, hyper, config, out_dir)
    run.start()
    seed_everything(settings["seed"])
    shim = get_shim(recipe)(**hyper)
    shim.set_tf1_values(values)
    shim.fit(run)
    return run, shim


@pytest.fixture(scope="module")
def shim_steps(tf1_tiny, tmp_path_factory):
    """shim_steps(recipe, preset) -> (TF1 RunResult, its output directory, initial values, shim's run, shim, its directory)."""
    cache = {}

    def _pair(recipe, preset):
        if (recipe, preset) not in cache:
            result, out = tf1_tiny(recipe, preset)
            X, y = first_validation_images(recipe)
            values, _, _ = tf1_start(result, X, y)
            shim_out = tmp_path_factory.mktemp(f"shim_{recipe}_{preset}")
            run, shim = shim_from(recipe, preset, values, str(shim_out))
            cache[recipe, preset] = result, out, values, run, shim, shim_out
        return cache[recipe, preset]

    return _pair


@pytest.mark.parametrize("recipe,preset", CASES, ids=[f"{r}-{p}" for r, p in CASES])
def test_one_epoch_of_the_shim_leaves_the_tf1_loss_accuracy_and_weights(recipe, preset, shim_steps, record_property):
    result, out, initial, run, shim, shim_out = shim_steps(recipe, preset)
    k = training_steps(recipe, run)
    tf1_final = checkpoint_values(str(out / "model.ckpt"), shim.keras_variables())
    weights = parity.max_abs_diff(tf1_final, shim.get_tf1_values())
    record_property("k", k)
    record_property("k_step_weights_max_abs_diff", weights)
    print(f"{recipe}/{preset} TF1 -> shim: K = {k}, weights max |diff| {weights:.3g}, history {result.history} / {run.history}")
    assert k >= 10
    assert parity.max_abs_diff(initial["outputs/kernel"], tf1_final["outputs/kernel"]) > 1e-3  # TF1 trained...
    assert weights == 0.0  # ...and the shim the same way, bit for bit (measured: 0 on every case)
    assert run.extras["valid_loss"] == result.extras["valid_loss"]
    assert run.history == result.history  # [best validation loss, test accuracy of the best model]


@pytest.mark.parametrize("recipe,preset", CASES, ids=[f"{r}-{p}" for r, p in CASES])
def test_the_shims_best_model_checkpoint_is_the_tf1_runs_names_and_shapes(recipe, preset, shim_steps):
    """The best model saved with the Saver, as TF1 does: model, Adam slots and beta powers by their TF1 names."""
    result, out, _, run, shim, _ = shim_steps(recipe, preset)
    assert dict(tf.train.list_variables(run.checkpoint_path)) == dict(tf.train.list_variables(str(out / "model.ckpt")))
    reader = tf.train.load_checkpoint(run.checkpoint_path)
    for name, variable in {**shim.keras_variables(), **shim.state_variables()}.items():  # read back: the best model
        np.testing.assert_array_equal(variable.numpy(), reader.get_tensor(name), err_msg=name)


@pytest.mark.parametrize("preset,trained", [("book", ["outputs"]), ("cache_frozen", ["outputs"]),
                                            ("unfreeze_top_two", ["hidden4", "hidden5", "outputs"])])
def test_transfer_shim_trains_only_its_train_scope_from_the_restored_layers(preset, trained, shim_steps):
    _, _, initial, _, shim, _ = shim_steps("transfer_digits_5_to_9", preset)
    pretrained = checkpoint_values(checkpoints.pretrained_checkpoint("early_stopping", "smoke"), shim.keras_variables())
    final = shim.get_tf1_values()
    for name in final:
        layer = name.split("/")[0]
        if layer in trained:  # moved from where it started (TF1's init for outputs, the checkpoint for hidden4-5)
            start = initial[name] if layer == "outputs" else pretrained[name]
            assert not np.array_equal(final[name], start), name
        else:  # restored by name, then frozen
            np.testing.assert_array_equal(final[name], pretrained[name], err_msg=name)
    names = sorted(f"{layer}/{kind}" for layer in trained for kind in ("bias", "kernel"))
    assert sorted(v.name.split(":")[0] for v in shim.trained_variables()) == names
    # TF1's var_list: Adam's slots for the trained variables only, with TF1's names.
    slots = sorted(name for name in shim.state_variables() if name.endswith(("/Adam", "/Adam_1")))
    assert slots == sorted(f"{name}/{slot}" for name in names for slot in ("Adam", "Adam_1"))


def test_transfer_shim_restores_the_reuse_scope_by_name_and_refuses_a_scope_matching_nothing():
    shim = parity.build_shim("transfer_digits_5_to_9", "book", TINY["transfer_digits_5_to_9"])
    assert shim.restore_pretrained(None) == sorted(f"{layer}/{kind}" for layer in HIDDEN for kind in ("bias", "kernel"))
    shim = parity.build_shim("transfer_digits_5_to_9", "book", {**TINY["transfer_digits_5_to_9"], "reuse_scope": "nothing_here"})
    with pytest.raises(checkpoints.NothingToRestoreError, match="'nothing_here' matches no variable"):
        shim.restore_pretrained(None)


def test_the_shims_refuse_what_their_recipes_refuse():
    with pytest.raises(ValueError, match="cache_frozen needs every hidden layer frozen"):
        parity.build_shim("transfer_digits_5_to_9", "unfreeze_top_two", {**TINY["transfer_digits_5_to_9"], "cache_frozen": True})
    with pytest.raises(ValueError, match="keep_best='memory' keeps the best model only in memory"):
        parity.build_shim("early_stopping", "in_memory", {"checkpoint_every": 1})


def test_the_early_stopping_shim_resumes_an_interrupted_run_where_it_stopped(tmp_path, monkeypatch):
    """Rung 2 has no session for the TF1 resume state (a Saver of GLOBAL_VARIABLES): the shim keeps the
    native port's object-based one, its layer and TF1 optimizer in it; a run stopped after two epochs
    and started again with the same --out ends where an uninterrupted run ends."""
    from tf1_recipes.harness import RecipeConfig, Run, run_recipe

    def shim_run(out, **kwargs):
        overrides = {**TINY["early_stopping"], "n_epochs": 4, "max_checks_without_progress": 10}
        config = RecipeConfig("early_stopping", preset="book", overrides=overrides, shim=True, out_dir=str(out), quiet=True, progress=False)
        return run_recipe(config)

    uninterrupted = shim_run(tmp_path / "whole")
    record = Run.record

    def interrupt_at_epoch_2(run, epoch, **series):
        if epoch == 2:
            raise KeyboardInterrupt("killed at epoch 2")
        return record(run, epoch, **series)

    monkeypatch.setattr(Run, "record", interrupt_at_epoch_2)
    with pytest.raises(KeyboardInterrupt):
        shim_run(tmp_path / "resumed")
    epochs_run = []

    def count(run, epoch, **series):
        epochs_run.append(epoch)
        return record(run, epoch, **series)

    monkeypatch.setattr(Run, "record", count)
    resumed = shim_run(tmp_path / "resumed")
    assert epochs_run == [2, 3]  # it continued at epoch 2: epochs 0-1 came from the state it had saved
    assert resumed.extras["valid_loss"] == uninterrupted.extras["valid_loss"] and len(resumed.extras["valid_loss"]) == 4
    assert resumed.history == uninterrupted.history
