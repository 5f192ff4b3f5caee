"""Ports of early_stopping and transfer_digits_5_to_9 against their TF1 recipes, and the resumable port.

Both loops draw their own batches (``RandomState(seed + epoch)``, NumPy's global RNG) instead
of asking ``run.batches``, so the parity probe cannot watch them (test_equivalence.ELSEWHERE
names the tests here). Each comparison runs the TF1 recipe through the harness, reads the
graph's initial variables by running its ``init`` op again in a new session (the same graph
seeds give the same values), and runs the port's own loop from them on the same data:

1. forward pass: logits and loss on the first validation images, within FORWARD_TOLERANCE;
2. K steps: one epoch of the recipe's loop (K = its batches, at least 10), then the loss
   each side reported, the test accuracy and every weight (TF1's saved checkpoint against
   the port), within the port's stated Adam tolerance (``AdamELU.k_step_atol``);
3. end to end: test_end_to_end.py, as for every port.

Then the early_stopping port's own behaviour, mirroring tests/unit/test_early_stopping.py:
the stopping rule, the best checkpoint, the in-memory variant, refusing another run's
state, and a SIGKILL at any moment followed by a resume that ends exactly like an
uninterrupted run.
"""

import json
import os
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf1_recipes import checkpoints, resume as tf1_resume
from tf1_recipes.recipes.early_stopping import SERIES
from tf1_recipes.tf2 import get_port, parity, seed_everything
from tf1_recipes.tf2 import resume
from tf1_recipes.tf2.base import steps_function

TINY = {
    "early_stopping": {"n_epochs": 1, "train_size": 500},  # digits 0-4 of the first 500 images: 13 steps
    "transfer_digits_5_to_9": {"n_epochs": 1, "pretrained_preset": "smoke"},  # 500 images: 25 steps
}
K_STEP_CASES = [("early_stopping", "book"), ("transfer_digits_5_to_9", "book"),
                ("transfer_digits_5_to_9", "unfreeze_top_two"), ("transfer_digits_5_to_9", "cache_frozen")]
HIDDEN = [f"hidden{i}" for i in range(1, 6)]
#: One image of a test split of about 5,000 (digits 0-4 or 5-9): what an accuracy may differ by.
ONE_IMAGE = 1 / 4800


def config_of(recipe, preset, tf2=False, **overrides):
    from tf1_recipes.harness import RecipeConfig

    return RecipeConfig(recipe, preset=preset, overrides={**TINY[recipe], **overrides}, quiet=True, progress=False, tf2=tf2)


def tf1_start(result, X, y, loaded=None):
    """(variables by name, logits, loss on X, y) of a TF1 run's graph right after its init op, in a new session.

    ``loaded``: values assigned after the init op (what the recipe restored from a checkpoint).
    """
    from tf1_recipes.compat import tf1

    graph = result.graph
    loss = graph.get_tensor_by_name("loss/loss:0")
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        variables = {v.op.name: v for v in graph.get_collection("variables")}
        for name, value in (loaded or {}).items():
            variables[name].load(value, sess)
        values = sess.run(variables)
        logits_val, loss_val = sess.run([parity.logits_of_loss(graph, loss), loss], {"X:0": X, "y:0": y})
    return values, logits_val, float(loss_val)


def checkpoint_values(path, names):
    reader = tf.train.load_checkpoint(path)
    return {name: reader.get_tensor(name) for name in names}


def port_from(recipe, preset, values, out_dir, port=None, **overrides):
    """(run, port): the port's own loop as ``run --tf2`` runs it (seeded, built, fitted), from TF1-named ``values``."""
    from tf1_recipes.harness import Run

    config = config_of(recipe, preset, tf2=True, **overrides)
    spec, preset, settings, hyper = config.resolve()
    run = Run(spec, preset, settings, hyper, config, out_dir)
    run.start()
    seed_everything(settings["seed"])
    port = port or get_port(recipe)(**hyper)
    port.set_tf1_values(values)
    port.fit(run)
    return run, port


@pytest.fixture(scope="module")
def tf1_tiny(tmp_path_factory, mnist_dir):
    """tf1_tiny(recipe, preset) -> (RunResult, directory of its checkpoint): the TF1 recipe's tiny run, once."""
    from tf1_recipes.harness import run_recipe

    cache = {}

    def _run(recipe, preset):
        if (recipe, preset) not in cache:
            out = tmp_path_factory.mktemp(f"tf1_{recipe}_{preset}")
            cache[recipe, preset] = run_recipe(config_of(recipe, preset), out_dir=str(out)), out
        return cache[recipe, preset]

    return _run


def first_validation_images(recipe, n=parity.BATCH_SIZE):
    """The first ``n`` validation images of the recipe's task, with its labels (digits 0-4, or 5-9 as 0-4)."""
    from tf1_recipes.data import load_mnist

    valid = load_mnist().validation
    keep = valid.labels < 5 if recipe == "early_stopping" else valid.labels >= 5
    return valid.images[keep][:n], valid.labels[keep][:n] - (0 if recipe == "early_stopping" else 5)


# --------------------------------------------------------------------------- forward pass


def test_early_stopping_forward_pass_from_the_tf1_initial_variables(tf1_tiny, record_property):
    X, y = first_validation_images("early_stopping")
    values, tf1_logits, tf1_loss = tf1_start(tf1_tiny("early_stopping", "book")[0], X, y)
    port = parity.build_port("early_stopping", "book")
    port.set_tf1_values(values)
    diff = max(parity.max_abs_diff(port.logits(X).numpy(), tf1_logits), abs(float(port.loss(X, y)) - tf1_loss))
    record_property("forward_max_abs_diff", diff)
    assert tf1_logits.shape == (parity.BATCH_SIZE, 5)
    assert diff < parity.FORWARD_TOLERANCE


def test_transfer_forward_pass_from_the_restored_hidden_layers_and_the_tf1_softmax(tf1_tiny, record_property):
    """TF1's start: its init op, then hidden1-5 restored from early_stopping's checkpoint; the
    port is given TF1's initial values and restores hidden1-5 itself, from the same checkpoint."""
    X, y = first_validation_images("transfer_digits_5_to_9")
    result, _ = tf1_tiny("transfer_digits_5_to_9", "book")
    values, _, _ = tf1_start(result, X, y)
    pretrained = checkpoints.pretrained_checkpoint("early_stopping", "smoke")
    restored = checkpoint_values(pretrained, [f"{layer}/{kind}" for layer in HIDDEN for kind in ("kernel", "bias")])
    port = parity.build_port("transfer_digits_5_to_9", "book", TINY["transfer_digits_5_to_9"])
    port.set_tf1_values(values)
    assert sorted(port.restore_pretrained(None)) == sorted(restored)
    for name, value in port.get_tf1_values().items():
        np.testing.assert_array_equal(value, restored.get(name, values[name]), err_msg=name)
    # TF1's logits from the same start: the init op's values, the checkpoint's loaded over them.
    _, tf1_logits, tf1_loss = tf1_start(result, X, y, loaded=restored)
    diff = max(parity.max_abs_diff(port.logits(X).numpy(), tf1_logits), abs(float(port.loss(X, y)) - tf1_loss))
    record_property("forward_max_abs_diff", diff)
    assert diff < parity.FORWARD_TOLERANCE


# --------------------------------------------------------------------------- K steps


@pytest.fixture(scope="module")
def k_steps(tf1_tiny, tmp_path_factory):
    """k_steps(recipe, preset) -> (TF1 RunResult, TF1 final weights, port's run, port, K), once per case."""
    cache = {}

    def _pair(recipe, preset):
        if (recipe, preset) not in cache:
            result, out = tf1_tiny(recipe, preset)
            X, y = first_validation_images(recipe)
            values, _, _ = tf1_start(result, X, y)
            run, port = port_from(recipe, preset, values, tmp_path_factory.mktemp(f"tf2_{recipe}_{preset}"))
            tf1_final = checkpoint_values(str(out / "model.ckpt"), port.variables)
            cache[recipe, preset] = result, tf1_final, values, run, port
        return cache[recipe, preset]

    return _pair


def training_steps(recipe, run):
    """The number of batches in the tiny run's one epoch (the K of the comparison)."""
    X_train, y_train = run.train_split()
    n_train = int(np.sum(y_train < 5)) if recipe == "early_stopping" else 5 * run.hyper["n_train_per_digit"]
    return n_train // run.hyper["batch_size"]


def weight_ratio(tf1_values, tf2_values, atol):
    """max over every element of |tf1 - tf2| / (atol + WEIGHT_RTOL |tf1|): at most 1 is within tolerance."""
    return max(
        float(np.max(np.abs(tf1_values[k] - tf2_values[k]) / (atol + parity.WEIGHT_RTOL * np.abs(tf1_values[k])))) for k in tf1_values
    )


@pytest.mark.parametrize("recipe,preset", K_STEP_CASES, ids=[f"{r}-{p}" for r, p in K_STEP_CASES])
def test_one_epoch_of_steps_leaves_the_same_loss_accuracy_and_weights(recipe, preset, k_steps, record_property):
    result, tf1_final, initial, run, port = k_steps(recipe, preset)
    k = training_steps(recipe, run)
    tf2_final = port.get_tf1_values()
    weights = parity.max_abs_diff(tf1_final, tf2_final)
    losses = abs(run.extras["valid_loss"][0] - result.extras["valid_loss"][0])
    record_property("k", k)
    record_property("k_step_weights_max_abs_diff", weights)
    record_property("k_step_loss_abs_diff", losses)
    print(f"{recipe}/{preset}: K = {k}, valid loss |diff| {losses:.3g}, weights max |diff| {weights:.3g}")
    assert k >= 10
    assert parity.max_abs_diff(initial["outputs/kernel"], tf1_final["outputs/kernel"]) > 1e-3  # TF1 trained...
    assert losses <= parity.LOSS_TOLERANCE, (result.extras["valid_loss"], run.extras["valid_loss"])
    assert abs(run.history[1] - result.history[1]) <= ONE_IMAGE, (result.history, run.history)
    assert weight_ratio(tf1_final, tf2_final, port.k_step_atol) <= 1.0, weights  # ...and the port the same way


def test_the_keras_default_adam_epsilon_would_leave_the_tolerance(k_steps, tmp_path):
    """The Adam tolerance is not loose: the port with Keras' epsilon (1e-7) is far outside it after the same steps."""
    result, tf1_final, initial, _, _ = k_steps("early_stopping", "book")
    _, _, _, settings, hyper = parity.resolve("early_stopping", "book", TINY["early_stopping"])
    seed_everything(settings["seed"])
    port = get_port("early_stopping")(**hyper)
    port.optimizer = keras.optimizers.Adam(hyper["learning_rate"], epsilon=keras.optimizers.Adam().epsilon)
    port.optimizer.build(port.model.trainable_variables)
    port.train_steps = steps_function(port._train_step, port.step_signature())  # the loop's function, with this optimizer
    run, port = port_from("early_stopping", "book", initial, tmp_path, port=port)
    assert weight_ratio(tf1_final, port.get_tf1_values(), port.k_step_atol) > 10


@pytest.mark.parametrize("preset,trained", [("book", ["outputs"]), ("cache_frozen", ["outputs"]),
                                            ("unfreeze_top_two", ["hidden4", "hidden5", "outputs"])])
def test_transfer_port_trains_only_its_train_scope_from_the_restored_layers(preset, trained, k_steps):
    result, tf1_final, initial, run, port = k_steps("transfer_digits_5_to_9", preset)
    pretrained = checkpoint_values(checkpoints.pretrained_checkpoint("early_stopping", "smoke"), tf1_final)
    tf2_final = port.get_tf1_values()
    for name in tf2_final:
        layer = name.split("/")[0]
        if layer in trained:  # moved from where it started (TF1's init for outputs, the checkpoint for hidden4-5)
            start = initial[name] if layer == "outputs" else pretrained[name]
            assert not np.array_equal(tf2_final[name], start), name
        else:  # restored, then frozen
            np.testing.assert_array_equal(tf2_final[name], pretrained[name], err_msg=name)
    assert sorted(v.path.split("/", 1)[1] for v in port.model.trainable_variables) == sorted(
        f"{layer}/{kind}" for layer in trained for kind in ("kernel", "bias"))
    slots = [v for v in port.optimizer.variables if v.path.endswith(("_momentum", "_velocity"))]
    assert len(slots) == 2 * 2 * len(trained)  # Adam's slots for the trained layers only, as TF1's var_list
    assert result.extras["training_seconds"] > 0 and run.extras["training_seconds"] > 0


def test_transfer_cache_needs_every_hidden_layer_frozen():
    with pytest.raises(ValueError, match="cache_frozen needs every hidden layer frozen"):
        parity.build_port("transfer_digits_5_to_9", "unfreeze_top_two", TINY["transfer_digits_5_to_9"], cache_frozen=True)


# --------------------------------------------------------------------------- the early_stopping port's own loop

SMOKE = "smoke"


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, mnist_dir):
    """The port's smoke run start to finish with an output directory (the baseline)."""
    from tf1_recipes.harness import RecipeConfig, run_recipe

    out = tmp_path_factory.mktemp("tf2_smoke_out")
    result = run_recipe(RecipeConfig("early_stopping", SMOKE, out_dir=str(out), quiet=True, progress=False, tf2=True))
    return result, out


def test_port_stops_after_more_than_max_checks_without_progress_and_reports_the_best_model(uninterrupted):
    result, out = uninterrupted
    losses, best = result.extras["valid_loss"], result.extras["best_loss"]
    patience = result.config["max_checks_without_progress"]
    assert result.provenance["implementation"] == "tf2"
    assert len(losses) < result.config["n_epochs"], "the smoke run must stop early to test the rule"
    assert len(losses) == int(np.argmin(losses)) + patience + 2  # the reference's `checks_without_progress > max`
    assert best == list(np.minimum.accumulate(losses))
    assert result.history[0] == pytest.approx(min(losses), abs=1e-7)
    assert len(result.history) == 2 and 0.9 < result.final <= 1.0
    assert set(SERIES) <= set(result.extras)
    assert (out / "model.ckpt.index").is_file()
    assert not (out / resume.RESUME_DIR).exists()  # the resume state is gone once training ended


def test_port_best_checkpoint_holds_the_best_epochs_model(uninterrupted):
    from tf1_recipes.data import load_mnist

    result, out = uninterrupted
    valid = load_mnist().validation
    keep = valid.labels < 5
    port = parity.build_port("early_stopping", SMOKE)
    port.checkpoint().read(str(out / "model.ckpt")).assert_consumed()
    _, loss = port.evaluate(valid.images[keep], valid.labels[keep])
    assert loss == pytest.approx(result.history[0], abs=1e-6)


def test_port_in_memory_variant_gives_the_same_result(uninterrupted, run_quiet):
    result = run_quiet("early_stopping", SMOKE, overrides={"keep_best": "memory", "checkpoint_every": 0}, tf2=True)
    assert result.history == uninterrupted[0].history
    assert result.extras["valid_loss"] == uninterrupted[0].extras["valid_loss"]


def test_port_in_memory_cannot_resume_and_says_why(run_quiet):
    with pytest.raises(ValueError, match="cannot resume: set checkpoint_every=0"):
        run_quiet("early_stopping", "in_memory", overrides={"checkpoint_every": 1, "n_epochs": 1}, tf2=True)


def test_port_refuses_the_state_of_another_configuration_or_of_the_tf1_recipe(tmp_path, run_quiet):
    other = tmp_path / "other"
    port = parity.build_port("early_stopping", SMOKE)
    resume.TrainingState(other, "another fingerprint", model=port.model, optimizer=port.optimizer).save(3, best_loss=1.0)
    with pytest.raises(tf1_resume.ResumeStateError, match="interrupted run of another configuration"):
        run_quiet("early_stopping", SMOKE, out_dir=str(other), tf2=True)
    tf1_state = tmp_path / "tf1"
    tf1_state.mkdir()
    (tf1_state / tf1_resume.STATE_NAME).write_text(json.dumps({"fingerprint": "x", "epoch": 3, "checkpoint": "x"}))
    with pytest.raises(tf1_resume.ResumeStateError, match="interrupted run of the TF1 recipe"):
        run_quiet("early_stopping", SMOKE, out_dir=str(tf1_state), tf2=True)


def _flags(out):
    """The port's smoke run writing to ``out`` (``tf1-recipes run early_stopping`` flags), allowed
    one epoch less than the preset's: it stops long before either, and the configuration then
    differs from the smoke golden's, so the exit code says whether the run completed, not whether
    it met the TF1 smoke band (the port is not held to it: only full-length presets are, in
    test_end_to_end.py)."""
    from tf1_recipes.registry import get_recipe

    epochs = str(get_recipe("early_stopping").preset(SMOKE)[1]["n_epochs"] - 1)
    return ["--tf2", "--preset", SMOKE, "--epochs", epochs, "--out", str(out), "--no-progress"]


def _saved_epoch(out):
    """The next epoch recorded by the newest complete resume checkpoint (CheckpointManager's index), or 0."""
    try:
        index = (out / resume.RESUME_DIR / "checkpoint").read_text()
    except FileNotFoundError:
        return 0
    found = re.search(r'^model_checkpoint_path: "model\.ckpt-(\d+)"', index, re.MULTILINE)
    return int(found.group(1)) if found else 0


def _writing_a_checkpoint(out, since_ns):
    """True while (or just after) a resume checkpoint is written by a process started at ``since_ns``."""
    try:
        entries = list(os.scandir(out / resume.RESUME_DIR))
    except FileNotFoundError:
        return False
    # "_temp" / ".tempstate": TensorFlow is writing a checkpoint's shards or its index right now.
    return any("_temp" in entry.name or ".tempstate" in entry.name or entry.stat().st_mtime_ns > since_ns for entry in entries)


def test_port_sigkill_then_resume_ends_exactly_like_an_uninterrupted_run(uninterrupted, tmp_path, sigkill_and_resume):
    baseline, _ = uninterrupted
    record = sigkill_and_resume(_flags, tmp_path / "run", _saved_epoch, _writing_a_checkpoint, resume.RESUME_DIR, baseline)
    assert record["provenance"]["implementation"] == "tf2"
