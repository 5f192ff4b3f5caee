"""Ports of graph_session_basics, logistic_regression_tensorboard, the import_meta_graph reuse recipes,
reuse_other_framework and shared_variables, against their TF1 recipes.

The two import_meta_graph ports train an MNIST network from the pretrained checkpoint: the
parity probe watches them, so their forward-pass and K-step tests are the common ones in
test_equivalence.py; the tests here check what is particular to them (what is restored,
what trains, TF2 checkpoints). The other four are not MNIST networks the probe can watch
(test_equivalence.ELSEWHERE names the tests here that compare them instead); for each,
the "forward pass" and "K steps" become what is meaningful for it, as each test says.
"""

import numpy as np
import pytest
import tensorflow as tf

from tf1_recipes.tf2 import get_port, parity

TF1_FLOAT_TOLERANCE = parity.FORWARD_TOLERANCE


# --------------------------------------------------------------------------- helpers


def run_port_from(recipe, preset, values, out_dir, overrides=None):
    """(run, port): the port's run as ``run --tf2`` makes it (seeded, built, fitted), from TF1-named ``values``."""
    from tf1_recipes.harness import RecipeConfig, Run
    from tf1_recipes.tf2 import seed_everything

    config = RecipeConfig(recipe, preset=preset, overrides=dict(overrides or {}), quiet=True, progress=False, tf2=True)
    spec, preset, settings, hyper = config.resolve()
    run = Run(spec, preset, settings, hyper, config, out_dir)
    run.start()
    seed_everything(settings["seed"])
    port = get_port(recipe)(**hyper)
    port.set_tf1_values(values)
    port.fit(run)
    return run, port


def tf1_checkpoint_values(path, names):
    """{name: value} of the named variables of a TF1 Saver checkpoint."""
    reader = tf.train.load_checkpoint(path)
    return {name: reader.get_tensor(name) for name in names}


# --------------------------------------------------------------------------- graph_session_basics


def test_graph_session_basics_port_gives_the_tf1_values_step_by_step(run_quiet):
    """No network: the "forward pass" is the walkthrough's values. Every step's values equal
    the TF1 run's, under the TF1 name or its TF2 counterpart (graph_session_basics.TF1_COUNTERPARTS),
    but theta's: a random draw on each side, compared with its own round trips instead."""
    from tf1_recipes.tf2.graph_session_basics import TF1_COUNTERPARTS

    tf1_run = run_quiet("graph_session_basics", "book")
    tf2_run = run_quiet("graph_session_basics", "book", tf2=True)
    assert len(tf2_run.history) == len(tf1_run.history)
    theta = ("theta_saved", "theta_restored", "theta_imported")
    tf2_names = [TF1_COUNTERPARTS.get(name, name) for name in tf1_run.extras]
    assert tf2_names == list(tf2_run.extras)  # the same steps, in the same order
    for tf1_name, tf2_name in zip(tf1_run.extras, tf2_names):
        if tf1_name not in theta:
            assert tf2_run.extras[tf2_name] == tf1_run.extras[tf1_name], (tf1_name, tf2_name)
    for run in (tf1_run, tf2_run):
        saved, restored, imported = (run.extras[name] for name in theta)
        assert saved == restored == imported and all(-1 <= v < 1 for v in saved)
        assert run.extras["round_trip_exact"] == [1.0]


def test_graph_session_basics_port_round_trips_theta_through_its_checkpoint_and_saved_model(run_quiet, tmp_path):
    """The "steps" of this recipe are the save/restore round trips: after them theta is the saved
    value in the tf.train.Checkpoint and in the SavedModel (the import_meta_graph counterpart), for another seed too."""
    from tf1_recipes.tf2.graph_session_basics import SAVED_MODEL_DIR

    finals = []
    for seed in (42, 7):
        out = tmp_path / f"seed{seed}"
        result = run_quiet("graph_session_basics", "book", tf2=True, seed=seed, out_dir=str(out))
        saved = np.array(result.extras["theta_saved"], np.float32)
        assert np.array_equal(tf.train.load_checkpoint(result.checkpoint_path).get_tensor("theta/.ATTRIBUTES/VARIABLE_VALUE"), saved)
        assert np.array_equal(tf.saved_model.load(str(out / SAVED_MODEL_DIR)).theta.numpy(), saved)
        assert result.final == 1.0
        finals.append(saved)
    assert not np.array_equal(*finals)  # a real draw, not a constant


# --------------------------------------------------------------------------- reuse_other_framework

RANDOM_ARRAYS = {
    "original_w": np.random.RandomState(3).uniform(-2, 2, (2, 3)).round(3).tolist(),
    "original_b": np.random.RandomState(4).uniform(-1, 1, 3).round(3).tolist(),
    "X_new": np.random.RandomState(5).uniform(-3, 3, (4, 2)).round(3).tolist(),
}


@pytest.mark.parametrize("method", ["assign_input", "assign_placeholders"])
@pytest.mark.parametrize("arrays", [{}, RANDOM_ARRAYS], ids=["reference_arrays", "random_arrays"])
def test_reuse_other_framework_port_computes_tf1s_outputs_from_the_same_arrays(method, arrays, run_quiet, record_property):
    """No training: the "forward pass" is hidden1's output on X_new once the arrays are loaded
    (the reference arrays, and random ones with some units cut by the ReLU)."""
    tf1_run = run_quiet("reuse_other_framework", method, overrides=arrays)
    tf2_run = run_quiet("reuse_other_framework", method, overrides=arrays, tf2=True)
    diff = parity.max_abs_diff(tf1_run.history, tf2_run.history)
    record_property("forward_max_abs_diff", diff)
    print(f"reuse_other_framework/{method}: hidden1 output max|diff| {diff:.3g}")
    assert len(tf2_run.history) == len(tf1_run.history) == 3 * len(arrays.get("X_new", [[0, 0]]))
    assert diff < TF1_FLOAT_TOLERANCE
    if arrays:
        assert 0.0 in tf1_run.history and max(tf1_run.history) > 0  # the ReLU cut some units, not all


@pytest.mark.parametrize("method", ["assign_input", "assign_placeholders"])
def test_reuse_other_framework_port_holds_the_tf1_checkpoints_values_after_loading(method, run_quiet, tmp_path):
    """The "steps" are the loading (initializers, or assignments once the layer exists): after
    them the port's checkpoint holds exactly what the TF1 run's Saver saved, the given arrays."""
    tf1_run = run_quiet("reuse_other_framework", method, overrides=RANDOM_ARRAYS, out_dir=str(tmp_path / "tf1"))
    tf2_run = run_quiet("reuse_other_framework", method, overrides=RANDOM_ARRAYS, out_dir=str(tmp_path / "tf2"), tf2=True)
    fresh = parity.build_port("reuse_other_framework", method)  # the reference arrays, or Glorot: not these
    saved = tf1_checkpoint_values(tf1_run.checkpoint_path, fresh.variables)
    np.testing.assert_array_equal(saved["hidden1/kernel"], np.float32(RANDOM_ARRAYS["original_w"]))
    np.testing.assert_array_equal(saved["hidden1/bias"], np.float32(RANDOM_ARRAYS["original_b"]))
    assert parity.max_abs_diff(saved, fresh.get_tf1_values()) > 0.1
    fresh.checkpoint().read(tf2_run.checkpoint_path).assert_consumed()
    assert parity.max_abs_diff(saved, fresh.get_tf1_values()) == 0.0


# --------------------------------------------------------------------------- shared_variables


def test_shared_variables_port_from_the_tf1_variables_gives_the_same_output_at_every_threshold(run_quiet, tmp_path, record_property):
    """No training: the TF1 run's variables (its Saver checkpoint, through the port's table) go
    into the port; the "forward pass" and the "steps" are the summed output's mean after each
    assignment of the shared threshold, on the same NumPy inputs."""
    tf1_run = run_quiet("shared_variables", "book", out_dir=str(tmp_path / "tf1"))
    port = parity.build_port("shared_variables", "book")
    own = port.get_tf1_values()
    values = tf1_checkpoint_values(tf1_run.checkpoint_path, port.variables)
    assert parity.max_abs_diff(own, values) > 0.1  # the port's own draw differs: the copy matters
    run, port = run_port_from("shared_variables", "book", values, tmp_path / "tf2")
    diff = parity.max_abs_diff(tf1_run.history, run.history)
    record_property("forward_max_abs_diff", diff)
    print(f"shared_variables/book: mean output per threshold max|diff| {diff:.3g}")
    assert len(run.history) == len(tf1_run.history) == 6 and diff < TF1_FLOAT_TOLERANCE
    assert run.extras["threshold"] == tf1_run.extras["threshold"]
    assert run.history[-1] == 500.0 and len(set(run.history)) == 6


def test_one_threshold_object_is_shared_by_every_unit_as_the_tf1_graph_shares_one_variable(run_quiet, tmp_path):
    from tf1_recipes.tf2.migrate import plan

    tf1_run = run_quiet("shared_variables", "book", out_dir=str(tmp_path))
    port = parity.build_port("shared_variables", "book")
    # The TF1 checkpoint holds exactly the port's table: one relu/threshold, five weights and biases.
    plan(port, tf.train.load_checkpoint(tf1_run.checkpoint_path).get_variable_to_shape_map())
    model = port.model
    assert len(model.variables) == 1 + 2 * 5 and all(relu.threshold is model.threshold for relu in model.relus)
    X = np.random.RandomState(0).randn(10, 3).astype(np.float32)
    model.threshold.assign(100.0)
    np.testing.assert_array_equal(model(X).numpy(), np.full((10, 1), 500.0, np.float32))  # all five units moved


# --------------------------------------------------------------------------- logistic_regression_tensorboard

LOGREG = "logistic_regression_tensorboard"
THETA = "logistic_regression/model/theta"


@pytest.fixture(scope="module")
def logreg_pair():
    """(TF1 trace, TF2 port, batches): K steps of the recipe's own graph (built by its
    logistic_regression()) and of the port, from the TF1 graph's initial theta, on the same batches."""
    from tf1_recipes.compat import seed_everything, tf1
    from tf1_recipes.recipes.logistic_regression_tensorboard import logistic_regression

    port = parity.build_port(LOGREG, "book", {"seed": 7})  # another seed: its own theta differs from TF1's
    rng = np.random.RandomState(0)
    batches = [(port.X_train[i], port.y_train[i]) for i in rng.randint(0, len(port.X_train), (parity.K_STEPS, 50))]
    X0, y0 = batches[0]
    graph = tf1.Graph()
    with graph.as_default():
        seed_everything(42)
        X = tf1.placeholder(tf.float32, shape=(None, port.n_inputs), name="X")
        y = tf1.placeholder(tf.float32, shape=(None, 1), name="y")
        y_proba, loss, training_op, _, init, _ = logistic_regression(X, y, learning_rate=port.hyper["learning_rate"])
        theta = {v.op.name: v for v in tf1.global_variables()}[THETA]
        with tf1.Session() as sess:
            init.run()
            tf1_trace = {"initial": theta.eval()}
            tf1_trace["proba"], tf1_trace["loss"] = sess.run([y_proba, loss], {X: X0, y: y0})
            tf1_trace["step_losses"] = []
            for X_batch, y_batch in batches:
                tf1_trace["step_losses"].append(loss.eval({X: X_batch, y: y_batch}))
                sess.run(training_op, {X: X_batch, y: y_batch})
            tf1_trace["final"], tf1_trace["final_loss"] = theta.eval(), loss.eval({X: X0, y: y0})
    own = port.get_tf1_values()[THETA]
    port.set_tf1_values({THETA: tf1_trace["initial"]})
    return tf1_trace, port, batches, own


def test_logistic_regression_forward_pass_from_the_tf1_initial_theta(logreg_pair, record_property):
    tf1_trace, port, batches, own = logreg_pair
    assert parity.max_abs_diff(own, tf1_trace["initial"]) > 0.1  # the copy matters
    X0, y0 = batches[0]
    proba = port.y_proba(X0).numpy()
    loss = float(port.loss(X0, y0))
    diff = max(parity.max_abs_diff(proba, tf1_trace["proba"]), abs(loss - tf1_trace["loss"]))
    record_property("forward_max_abs_diff", diff)
    print(f"{LOGREG}: forward max|diff| {diff:.3g} (probabilities and log loss)")
    assert diff < parity.FORWARD_TOLERANCE


def test_logistic_regression_k_steps_leave_the_same_losses_and_theta(logreg_pair, record_property):
    """K = parity.K_STEPS GD steps of 50 rows; the parity tolerances (float32, the same formula, a few ulps a step)."""
    tf1_trace, port, batches, _ = logreg_pair
    X0, y0 = batches[0]
    losses = [float(port.train_step(X_batch, y_batch)) for X_batch, y_batch in batches]
    final = port.get_tf1_values()[THETA]
    loss_diff = parity.max_abs_diff(losses + [float(port.loss(X0, y0))], tf1_trace["step_losses"] + [tf1_trace["final_loss"]])
    weight_diff = parity.max_abs_diff(final, tf1_trace["final"])
    record_property("k_step_losses_max_abs_diff", loss_diff)
    record_property("k_step_weights_max_abs_diff", weight_diff)
    print(f"{LOGREG}: K={len(batches)} losses max|diff| {loss_diff:.3g}, theta max|diff| {weight_diff:.3g}")
    assert parity.max_abs_diff(tf1_trace["initial"], tf1_trace["final"]) > 1e-3 and tf1_trace["final_loss"] < tf1_trace["step_losses"][0]
    assert loss_diff <= parity.LOSS_TOLERANCE
    np.testing.assert_allclose(final, tf1_trace["final"], rtol=parity.WEIGHT_RTOL, atol=parity.WEIGHT_ATOL)


def test_log_loss_is_tf1s_not_keras_binary_crossentropy():
    """tf.losses.log_loss adds epsilon inside the logarithms; Keras' binary_crossentropy clips instead."""
    import keras

    from tf1_recipes.compat import tf1
    from tf1_recipes.tf2.logistic_regression_tensorboard import log_loss

    labels = np.array([[0.0], [1.0], [1.0], [0.0]], np.float32)
    probabilities = np.array([[1e-7], [1e-7], [0.5], [0.99]], np.float32)
    graph = tf1.Graph()
    with graph.as_default(), tf1.Session() as sess:
        expected = sess.run(tf1.losses.log_loss(labels, probabilities))
    assert float(log_loss(labels, probabilities)) == pytest.approx(float(expected), rel=1e-6)
    keras_value = float(keras.losses.binary_crossentropy(labels.ravel(), probabilities.ravel()))
    assert abs(keras_value - expected) > 0.1


def events(directory):
    """(scalars {tag: {step: value}}, whether a graph was written) of the event files under ``directory``."""
    scalars, graph = {}, False
    for path in sorted(directory.rglob("events.out.tfevents*")):
        for record in tf.data.TFRecordDataset(str(path)):
            event = tf.compat.v1.Event.FromString(record.numpy())
            graph = graph or bool(event.graph_def)
            for value in event.summary.value:
                number = value.simple_value if value.HasField("simple_value") else tf.make_ndarray(value.tensor)
                scalars.setdefault(value.tag, {})[event.step] = float(number)
    return scalars, graph


def test_logistic_regression_port_logs_and_checkpoints_what_the_tf1_run_does(run_quiet, tmp_path):
    """End of the tiny whole runs: the same test log loss per epoch, the same TensorBoard tag at the
    same steps with a graph, the same numbered checkpoints, and the last one holds the same theta."""
    from tf1_recipes.tf2.logistic_regression_tensorboard import CHECKPOINT_NAME, LOSS_TAG

    tiny = {"n_epochs": 4, "checkpoint_every": 2}
    tf1_run = run_quiet(LOGREG, "book", overrides=tiny, out_dir=str(tmp_path / "tf1"))
    tf2_run = run_quiet(LOGREG, "book", overrides=tiny, out_dir=str(tmp_path / "tf2"), tf2=True)
    np.testing.assert_allclose(tf2_run.history, tf1_run.history, rtol=1e-5)
    assert tf2_run.extras["test_accuracy"] == tf1_run.extras["test_accuracy"]
    (tf1_scalars, tf1_graph), (tf2_scalars, tf2_graph) = (events(tmp_path / side / "tf_logs") for side in ("tf1", "tf2"))
    assert set(tf1_scalars) == set(tf2_scalars) == {LOSS_TAG} and tf1_graph and tf2_graph
    assert sorted(tf1_scalars[LOSS_TAG]) == sorted(tf2_scalars[LOSS_TAG]) == [0, 1, 2, 3]
    np.testing.assert_allclose([tf2_scalars[LOSS_TAG][s] for s in range(4)], tf2_run.history, rtol=1e-6)
    numbered = {side: sorted(p.name for p in (tmp_path / side).glob(f"{CHECKPOINT_NAME}-*.index")) for side in ("tf1", "tf2")}
    assert numbered["tf1"] == numbered["tf2"] == [f"{CHECKPOINT_NAME}-0.index", f"{CHECKPOINT_NAME}-2.index"]
    port = parity.build_port(LOGREG, "book", tiny)
    port.checkpoint().read(str(tmp_path / "tf2" / f"{CHECKPOINT_NAME}-2")).assert_existing_objects_matched()
    tf1_theta = tf1_checkpoint_values(str(tmp_path / "tf1" / f"{CHECKPOINT_NAME}-2"), [THETA])[THETA]
    np.testing.assert_allclose(port.get_tf1_values()[THETA], tf1_theta, rtol=parity.WEIGHT_RTOL, atol=parity.WEIGHT_ATOL)


# --------------------------------------------------------------------------- import_meta_graph

PRETRAINED_VARIABLES = [f"{layer}/{kind}" for layer in ("hidden1", "hidden2", "hidden3", "hidden4", "hidden5", "outputs") for kind in ("kernel", "bias")]
OLD_HEAD = [name for name in PRETRAINED_VARIABLES if name.split("/")[0] in ("hidden4", "hidden5", "outputs")]


def smoke_pretrained_checkpoint():
    from tf1_recipes import checkpoints

    return checkpoints.pretrained_checkpoint("pretrain_5layer", "smoke")


def test_import_meta_graph_port_restores_the_whole_pretrained_model_and_trains_it_on(pair):
    tf1_trace, tf2_trace, result = pair("reuse_import_meta_graph", "book")
    saved = tf1_checkpoint_values(smoke_pretrained_checkpoint(), PRETRAINED_VARIABLES)
    for trace in (tf1_trace, tf2_trace):
        assert parity.max_abs_diff(trace.initial, saved) == 0.0  # both started from the checkpoint, every variable
        assert all(parity.max_abs_diff(trace.initial[n], trace.final[n]) > 0 for n in PRETRAINED_VARIABLES)
    print(f"reuse_import_meta_graph/book: {result.summary()}")
    assert result.k_steps_ok and result.forward_max < parity.FORWARD_TOLERANCE


#: Inputs scaled so the pretrained model's first gradients exceed its clipping threshold (1.0).
BITING_INPUT_SCALE = 10.0


def test_the_recovered_training_step_keeps_the_pretrained_models_clipping():
    """TF1 recovers train/GradientDescent, gradients clipped to [-1, 1] inside; the port trains on
    with the pretrain port's step. On inputs scaled so the clipping bites, K steps still agree,
    and the same port without its clipping leaves the tolerance (a negative control)."""
    recipe = "reuse_import_meta_graph"
    overrides = get_port(recipe).parity_overrides
    batches = [(X * BITING_INPUT_SCALE, y) for X, y in parity.fixed_batches(parity.K_STEPS, parity.BATCH_SIZE)]
    tf1_trace = parity.trace_tf1(recipe, batches, "book", overrides)
    tf1_trace.extras.update(batch_list=batches, overrides=overrides)
    tf2_trace, result = parity.against(tf1_trace, recipe, "book")
    port = tf2_trace.extras["port"]
    port.set_tf1_values(tf1_trace.initial)
    with tf.GradientTape() as tape:
        loss = port.loss(*batches[0])
    assert max(float(tf.reduce_max(tf.abs(g))) for g in tape.gradient(loss, port.model.trainable_variables)) > 1.5 * port.threshold
    print(f"{recipe}/book, clipping biting: {result.summary()}")
    assert result.k_steps_ok and result.forward_max < parity.FORWARD_TOLERANCE
    unclipped = parity.build_port(recipe, "book", overrides)
    unclipped.process_gradients = lambda grads: grads
    _, control = parity.against(tf1_trace, recipe, "book", unclipped)
    assert not control.k_steps_ok and control.weights > 1e-3


def test_new_layers_port_trains_hidden1_to_3_and_the_new_layers_and_keeps_the_unused_old_head(pair):
    tf1_trace, tf2_trace, result = pair("reuse_import_meta_graph_new_layers", "book")
    saved = tf1_checkpoint_values(smoke_pretrained_checkpoint(), PRETRAINED_VARIABLES)
    assert tf1_trace.logits["inference"].shape == (parity.BATCH_SIZE, 10)
    for trace in (tf1_trace, tf2_trace):
        assert parity.max_abs_diff({n: trace.initial[n] for n in saved}, saved) == 0.0
        for name in trace.final:
            moved = parity.max_abs_diff(trace.initial[name], trace.final[name]) > 0
            assert moved == (name not in OLD_HEAD), name
    print(f"reuse_import_meta_graph_new_layers/book: {result.summary()}")
    assert result.k_steps_ok and result.forward_max < parity.FORWARD_TOLERANCE


def test_the_pretrained_model_is_restored_from_a_tf1_or_a_tf2_checkpoint_and_another_model_is_refused(run_quiet, tmp_path):
    """TF1 Saver checkpoint: by name through the table; the pretrain port's own TF2 checkpoint:
    object by object; a checkpoint of another model: CheckpointMismatchError listing the differences."""
    from tf1_recipes.tf2.migrate import CheckpointMismatchError
    from tf1_recipes.tf2.families.import_meta_graph import restore_pretrained

    tf1_path = smoke_pretrained_checkpoint()
    tf2_run = run_quiet("pretrain_5layer", "smoke", overrides={"n_epochs": 1, "train_size": 1000}, out_dir=str(tmp_path / "tf2"), tf2=True)
    trained = parity.build_port("pretrain_5layer", "smoke")
    trained.checkpoint().read(tf2_run.checkpoint_path).assert_consumed()
    for path, how, expected in [
        (tf1_path, "name-based", tf1_checkpoint_values(tf1_path, PRETRAINED_VARIABLES)),
        (tf2_run.checkpoint_path, "object-based", trained.get_tf1_values()),
    ]:
        for recipe in ("reuse_import_meta_graph", "reuse_import_meta_graph_new_layers"):
            port = parity.build_port(recipe, "smoke")
            target = port if recipe == "reuse_import_meta_graph" else port.pretrained
            assert parity.max_abs_diff(target.get_tf1_values(), expected) > 1e-4  # not there before the restore
            assert restore_pretrained(target, path) == how
            assert parity.max_abs_diff(target.get_tf1_values(), expected) == 0.0, (recipe, how)
    other = run_quiet("shared_variables", "book", out_dir=str(tmp_path / "other"))
    with pytest.raises(CheckpointMismatchError, match=r"missing from the checkpoint: hidden1/bias.*not variables of reuse_import_meta_graph: relu/bias"):
        restore_pretrained(parity.build_port("reuse_import_meta_graph", "smoke"), other.checkpoint_path)


def test_the_ports_random_rows_are_the_rows_random_batch_draws():
    """The logistic regression port gathers ``random_rows``: the same NumPy draw as the recipe's ``random_batch``."""
    from tf1_recipes.recipes.logistic_regression_tensorboard import random_batch
    from tf1_recipes.tf2.logistic_regression_tensorboard import random_rows

    X, y = np.arange(800 * 3, dtype=np.float32).reshape(800, 3), np.arange(800, dtype=np.float32).reshape(800, 1)
    np.random.seed(7)
    drawn = [random_batch(X, y, 50) for _ in range(16)]
    np.random.seed(7)
    rows = [random_rows(len(X), 50) for _ in range(16)]
    for (X_batch, y_batch), r in zip(drawn, rows):
        np.testing.assert_array_equal(X_batch, X[r])
        np.testing.assert_array_equal(y_batch, y[r])
