"""Shim ports (rung 2) of the recipes that are not MNIST networks the parity probe can watch:
shared_variables, logistic_regression_tensorboard, graph_session_basics.

Each is compared with its TF1 recipe as its native port is in test_basics_and_import_ports.py:
what "forward pass" and "K steps" mean for it is said test by test. The generic tests of
test_shim_ports.py cover the rest (the TF1 Saver checkpoint loaded by name and written back,
the smoke run in the golden band).
"""

import numpy as np
import pytest
import tensorflow as tf

from tf1_recipes.tf2 import parity


def run_shim_from(recipe, preset, out_dir, tf1_checkpoint=None, overrides=None):
    """(run, shim): the shim's run as ``run --shim`` makes it (seeded, built, fitted), from a TF1 checkpoint if given."""
    from tf1_recipes.harness import RecipeConfig, Run
    from tf1_recipes.shim import get_shim
    from tf1_recipes.tf2 import seed_everything

    config = RecipeConfig(recipe, preset=preset, overrides=dict(overrides or {}), quiet=True, progress=False, shim=True)
    spec, preset, settings, hyper = config.resolve()
    run = Run(spec, preset, settings, hyper, config, out_dir)
    run.start()
    seed_everything(settings["seed"])
    shim = get_shim(recipe)(**hyper)
    if tf1_checkpoint is not None:
        shim.restore_tf1(tf1_checkpoint)
    shim.fit(run)
    return run, shim


def tf1_checkpoint_values(path):
    """{name: value} of every variable of a TF1 Saver checkpoint."""
    reader = tf.train.load_checkpoint(path)
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


# --------------------------------------------------------------------------- shared_variables


def test_shared_variables_shim_from_the_tf1_checkpoint_gives_the_tf1_output_at_every_threshold(run_quiet, tmp_path, record_property):
    """No training: the TF1 run's Saver checkpoint loads into the shim by name (no table); the
    "forward pass" and the "steps" are the summed output's mean after each assignment of the
    shared threshold, on the same NumPy inputs: the same float32 ops, so the same bits."""
    tf1_run = run_quiet("shared_variables", "book", out_dir=str(tmp_path / "tf1"))
    saved = tf1_checkpoint_values(tf1_run.checkpoint_path)
    own = parity.build_shim("shared_variables", "book")
    assert set(own.keras_variables()) == set(saved)  # relu/threshold, relu{,_1.._4}/weights and /bias
    assert parity.max_abs_diff({n: v.numpy() for n, v in own.keras_variables().items()}, saved) > 0.1  # the load matters
    run, shim = run_shim_from("shared_variables", "book", tmp_path / "shim", tf1_run.checkpoint_path)
    diff = parity.max_abs_diff(tf1_run.history, run.history)
    record_property("forward_max_abs_diff", diff)
    print(f"shared_variables/book TF1 -> shim: mean output per threshold max|diff| {diff:.3g}")
    assert len(run.history) == len(tf1_run.history) == 6 and diff == 0.0
    assert run.extras["threshold"] == tf1_run.extras["threshold"]
    assert run.history[-1] == 500.0 and len(set(run.history)) == 6


def test_shared_variables_shim_creates_relus_tf_variables_once_and_shares_one_threshold():
    """The recipe's relu() makes its weights and bias with bare tf.Variable: without CreatedOnce the
    shim layer tracks only the get_variable threshold and draws new weights on every call (the
    rung-2 finding); with it, 1 + 2 x 5 variables by their TF1 names, reused by every call, eager or
    traced, and assigning the one threshold moves all five units."""
    from tf1_recipes.recipes.shared_variables import summed_relus
    from tf1_recipes.shim.base import ShimLayer

    X = np.random.RandomState(0).randn(10, 3).astype(np.float32)
    tf.random.set_seed(0)
    bare = ShimLayer(lambda X, training: summed_relus(X, 5), name="bare")
    first = bare(X).numpy()
    assert [v.name for v in bare.variables] == ["relu/threshold:0"]
    assert np.abs(bare(X).numpy() - first).max() > 0.1  # new random weights on every call

    shim = parity.build_shim("shared_variables", "book")
    model = shim.model
    names = ["relu/threshold"] + [f"{scope}/{kind}" for scope in ("relu", "relu_1", "relu_2", "relu_3", "relu_4") for kind in ("weights", "bias")]
    assert sorted(shim.keras_variables()) == sorted(names) and len(model.trainable_variables) == 11
    before = {v.name: v for v in model.variables}
    eager = model(X).numpy()
    np.testing.assert_array_equal(model(X).numpy(), eager)
    np.testing.assert_array_equal(tf.function(model)(X).numpy(), eager)
    assert {v.name: v for v in model.variables} == before  # the same objects: nothing created since
    shim.threshold.assign(100.0)
    np.testing.assert_array_equal(model(X).numpy(), np.full((10, 1), 500.0, np.float32))  # all five units moved
