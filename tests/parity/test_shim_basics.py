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


# --------------------------------------------------------------------------- logistic_regression_tensorboard

from test_basics_and_import_ports import LOGREG, THETA, events, logreg_pair  # noqa: E402,F401  (the TF1 graph's trace, shared)


def k_step_trace(port, batches):
    """What logreg_pair's TF1 trace holds, from ``port`` (at its current theta) on the same batches."""
    X0, y0 = batches[0]
    theta = lambda: port.keras_variables()[THETA].numpy() if hasattr(port, "created_once") else port.get_tf1_values()[THETA]  # noqa: E731
    # The shim's traced evaluation (its sess.run counterpart); the native port's eager one.
    evaluate = getattr(port, "loss_and_proba", lambda X, y: (port.loss(X, y), port.y_proba(X)))
    loss, proba = evaluate(X0, y0)
    trace = {"initial": theta(), "proba": proba.numpy(), "loss": float(loss)}
    trace["step_losses"] = [float(port.train_step(X_batch, y_batch)) for X_batch, y_batch in batches]
    trace["final"], trace["final_loss"] = theta(), float(evaluate(X0, y0)[0])
    return trace


@pytest.fixture(scope="module")
def logreg_traces(logreg_pair):
    """(TF1 trace, shim trace, native trace, the shim's own initial theta): K GD steps of each from the TF1 graph's initial theta."""
    tf1_trace, native_port, batches, _ = logreg_pair
    shim = parity.build_shim(LOGREG, "book", {"seed": 7})  # another seed: its own theta differs from TF1's
    own = shim.keras_variables()[THETA].numpy()
    shim.keras_variables()[THETA].assign(tf1_trace["initial"])
    return tf1_trace, k_step_trace(shim, batches), k_step_trace(native_port, batches), own


def trace_diffs(a, b):
    """(forward max|diff| of probabilities and loss, K-step losses max|diff|, final theta max|diff|)."""
    forward = max(parity.max_abs_diff(a["proba"], b["proba"]), abs(float(a["loss"]) - float(b["loss"])))
    losses = parity.max_abs_diff(list(a["step_losses"]) + [a["final_loss"]], list(b["step_losses"]) + [b["final_loss"]])
    return forward, losses, parity.max_abs_diff(a["final"], b["final"])


def test_logistic_regression_shim_gives_the_tf1_graphs_forward_pass_and_k_steps(logreg_traces, record_property):
    """The recipe's own model, log_loss and GradientDescentOptimizer, eagerly, from the TF1 graph's
    initial theta, K = parity.K_STEPS steps of 50 rows: the same ops in the same order, the same bits."""
    tf1_trace, shim_trace, _, own = logreg_traces
    assert parity.max_abs_diff(own, tf1_trace["initial"]) > 0.1  # the copy matters
    assert parity.max_abs_diff(shim_trace["initial"], tf1_trace["initial"]) == 0.0
    forward, losses, weights = trace_diffs(tf1_trace, shim_trace)
    record_property("forward_max_abs_diff", forward)
    record_property("k_step_weights_max_abs_diff", weights)
    print(f"{LOGREG} TF1 -> shim: forward max|diff| {forward:.3g}, K={len(shim_trace['step_losses'])} losses {losses:.3g}, theta {weights:.3g}")
    assert parity.max_abs_diff(tf1_trace["initial"], tf1_trace["final"]) > 1e-3 and tf1_trace["final_loss"] < tf1_trace["step_losses"][0]
    assert forward == losses == weights == 0.0


def test_logistic_regression_native_port_gives_the_shims_forward_pass_and_k_steps(logreg_traces, record_property):
    """Shim -> native (rung 2 -> rung 4): Keras' Dense and SGD, the log loss written out; the parity tolerances."""
    _, shim_trace, native_trace, _ = logreg_traces
    forward, losses, weights = trace_diffs(shim_trace, native_trace)
    record_property("forward_max_abs_diff", forward)
    record_property("k_step_weights_max_abs_diff", weights)
    print(f"{LOGREG} shim -> native: forward max|diff| {forward:.3g}, losses {losses:.3g}, theta {weights:.3g}")
    assert forward < parity.FORWARD_TOLERANCE and losses <= parity.LOSS_TOLERANCE
    np.testing.assert_allclose(native_trace["final"], shim_trace["final"], rtol=parity.WEIGHT_RTOL, atol=parity.WEIGHT_ATOL)


def test_logistic_regression_shim_logs_and_checkpoints_what_the_tf1_run_does(run_quiet, tmp_path):
    """End of the tiny whole runs, as for the native port: the same test log loss per epoch (here the
    same bits: the same initial draw, batches and ops), the same TensorBoard tag at the same steps with
    a graph, the same numbered checkpoints in TF1's format and names, the last holding the same theta."""
    from tf1_recipes.tf2.logistic_regression_tensorboard import CHECKPOINT_NAME, LOSS_TAG

    tiny = {"n_epochs": 4, "checkpoint_every": 2}
    tf1_run = run_quiet(LOGREG, "book", overrides=tiny, out_dir=str(tmp_path / "tf1"))
    shim_run = run_quiet(LOGREG, "book", overrides=tiny, out_dir=str(tmp_path / "shim"), shim=True)
    assert shim_run.history == tf1_run.history and shim_run.extras["test_accuracy"] == tf1_run.extras["test_accuracy"]
    (tf1_scalars, tf1_graph), (shim_scalars, shim_graph) = (events(tmp_path / side / "tf_logs") for side in ("tf1", "shim"))
    assert tf1_scalars == shim_scalars and set(shim_scalars) == {LOSS_TAG} and tf1_graph and shim_graph
    assert sorted(shim_scalars[LOSS_TAG]) == [0, 1, 2, 3]
    np.testing.assert_allclose([shim_scalars[LOSS_TAG][s] for s in range(4)], shim_run.history, rtol=1e-6)
    numbered = {side: sorted(p.name for p in (tmp_path / side).glob(f"{CHECKPOINT_NAME}-*.index")) for side in ("tf1", "shim")}
    assert numbered["tf1"] == numbered["shim"] == [f"{CHECKPOINT_NAME}-0.index", f"{CHECKPOINT_NAME}-2.index"]
    for epoch in (0, 2):
        tf1_saved, shim_saved = (tf1_checkpoint_values(str(tmp_path / side / f"{CHECKPOINT_NAME}-{epoch}")) for side in ("tf1", "shim"))
        assert set(shim_saved) == set(tf1_saved) == {THETA}
        np.testing.assert_array_equal(shim_saved[THETA], tf1_saved[THETA])


# --------------------------------------------------------------------------- graph_session_basics


def test_graph_session_basics_shim_gives_the_tf1_values_step_by_step(run_quiet, tmp_path):
    """No network: the "forward pass" is the walkthrough's values, each lesson's TF1 code run eagerly.
    Every step's values equal the TF1 run's, under the TF1 name or its rung-2 counterpart
    (graph_session_basics.TF1_COUNTERPARTS), but theta's: a random draw on each side, compared with
    its own round trips instead. The TF1 calls refused eagerly are reported refused."""
    from tf1_recipes.shim.graph_session_basics import RUNG2_ONLY, TF1_COUNTERPARTS

    tf1_run = run_quiet("graph_session_basics", "book", out_dir=str(tmp_path / "tf1"))
    shim_run = run_quiet("graph_session_basics", "book", out_dir=str(tmp_path / "shim"), shim=True)
    assert len(shim_run.history) == len(tf1_run.history)
    theta = ("theta_saved", "theta_restored", "theta_imported")
    shim_names = [TF1_COUNTERPARTS.get(name, name) for name in tf1_run.extras]
    assert shim_names == [name for name in shim_run.extras if name not in RUNG2_ONLY]  # the same steps, in the same order
    for tf1_name, shim_name in zip(tf1_run.extras, shim_names):
        if tf1_name not in theta:
            assert shim_run.extras[shim_name] == tf1_run.extras[tf1_name], (tf1_name, shim_name)
    assert all(shim_run.extras[name] == [1.0] for name in RUNG2_ONLY)
    for run in (tf1_run, shim_run):
        saved, restored, imported = (run.extras[name] for name in theta)
        assert saved == restored == imported and all(-1 <= v < 1 for v in saved)
        assert run.extras["round_trip_exact"] == [1.0]


def test_graph_session_basics_shim_saves_a_tf1_checkpoint_with_the_tf1_runs_names_and_live_values(run_quiet, tmp_path):
    """The "steps" are the Saver round trips: the shim's checkpoint is a TF1 Saver checkpoint with the
    TF1 run's names, shapes and dtypes (the variables its steps created, named as TF1 named them);
    theta is the saved draw, for another seed too. The other values are the variables' live ones:
    nothing re-initialises x at rung 2 (10), where TF1's last session had just run init (3)."""
    finals = []
    for seed in (42, 7):
        tf1_run = run_quiet("graph_session_basics", "book", seed=seed, out_dir=str(tmp_path / f"tf1-{seed}"))
        shim_run = run_quiet("graph_session_basics", "book", seed=seed, out_dir=str(tmp_path / f"shim-{seed}"), shim=True)
        tf1_reader, shim_reader = (tf.train.load_checkpoint(run.checkpoint_path) for run in (tf1_run, shim_run))
        assert shim_reader.get_variable_to_shape_map() == tf1_reader.get_variable_to_shape_map()
        assert shim_reader.get_variable_to_dtype_map() == tf1_reader.get_variable_to_dtype_map()
        assert set(tf1_reader.get_variable_to_shape_map()) == {"x", "y", "x_evaluations", "x1", "theta"}
        saved = np.array(shim_run.extras["theta_saved"], np.float32)
        assert np.array_equal(shim_reader.get_tensor("theta"), saved) and shim_run.final == 1.0
        assert (shim_reader.get_tensor("x"), tf1_reader.get_tensor("x")) == (10, 3)
        assert not (tmp_path / f"shim-{seed}" / "model.ckpt.meta").exists()  # no graph to export eagerly
        finals.append(saved)
    assert not np.array_equal(*finals)  # a real draw, not a constant


# --------------------------------------------------------------------------- CreatedOnce's refusals


def test_created_once_refuses_code_that_creates_other_variables_than_on_its_first_call():
    """The i-th tf.Variable call gets the i-th variable back only if the calls line up: more or fewer
    calls than the first one, or a first call creating variables in another order than the TF1
    graph did, is an error naming the counts or the names, never a silently shifted variable."""
    from tf1_recipes.shim.families.tf_variables import TF1Code

    def code(n):
        return [tf.Variable(float(i), name=f"v{i}") for i in range(n)]

    calls = {"n": 2}
    flexible = TF1Code(lambda: code(calls["n"]), name="flexible")
    assert [v.numpy() for v in flexible()] == [0.0, 1.0] and sorted(flexible.tf1_variables()) == ["v0", "v1"]
    calls["n"] = 3
    with pytest.raises(RuntimeError, match="more than the 2 times"):
        flexible()
    calls["n"] = 1
    with pytest.raises(RuntimeError, match="fewer than the 2 times"):
        flexible()
    swapped = TF1Code(lambda: [tf.Variable(1.0, name="b"), tf.Variable(0.0, name="a")], name="swapped")
    swapped.created_once.tf1_names = ["a", "b"]  # as if the TF1 graph had created them the other way round
    with pytest.raises(ValueError, match="variable 0 of the model code is 'b'; the TF1 graph's is 'a'"):
        swapped()
