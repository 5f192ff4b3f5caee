"""``doctor`` on a user's own TF1 graph (issue 14): each reported finding, replayed, gives the right answer.

Every graph here is built the way a user builds one: ``tf.compat.v1`` placeholders,
``tf.compat.v1.layers.dense``, a ``tf.compat.v1.train`` optimiser, saved with a ``Saver``
(``PREFIX.meta`` + checkpoint) or ``export_meta_graph`` into ``tmp_path``, then examined
through ``tf1-recipes doctor --graph`` (or ``doctor.diagnose`` with the same options) on a
small slice of real MNIST saved as ``x``/``y`` in an ``.npz``. Checks not under test are
left out (``--check``), so each test runs in seconds.
"""

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tf1_recipes import cli, doctor, user_graph
from tf1_recipes.compat import seed_everything, tf, tf1

N_EXAMPLES = 512
QUICK = doctor.Budget.quick()


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    """The first 512 training images (float32 [512, 784] in [0, 1]) and labels (int64 [512]) of real MNIST."""
    from tf1_recipes.data import load_mnist

    train = load_mnist(mnist_dir).train
    return np.array(train.images[:N_EXAMPLES]), np.array(train.labels[:N_EXAMPLES])


def save_npz(path, x, y):
    np.savez(path, x=x, y=y)
    return str(path)


def one_hot(y, classes=10):
    return np.eye(classes, dtype=np.float32)[y]


def save_graph(graph, directory, session=None, train_steps=0, feed=None, fetch=None):
    """Save ``graph`` as a user would: with a session, a Saver checkpoint (``model.ckpt`` + ``.meta``), else
    ``export_meta_graph`` alone. ``train_steps`` runs ``fetch`` that often on ``feed`` first. Returns (meta, prefix)."""
    directory.mkdir(parents=True, exist_ok=True)
    with graph.as_default():
        if session is None:
            meta = str(directory / "model.meta")
            tf1.train.export_meta_graph(filename=meta)
            return meta, None
        saver = tf1.train.Saver()
        for _ in range(train_steps):
            session.run(fetch, feed_dict=feed)
        prefix = saver.save(session, str(directory / "model.ckpt"))
    return prefix + ".meta", prefix


def mlp(labels="sparse", n_outputs=10, optimizer=None, dropout=None, stop_gradient=False, batch_norm=False,
        train=True, seed=42):
    """A user's 784-100-n MLP with tf.compat.v1 layers; ``labels``: sparse, one_hot or sigmoid. Returns the graph."""
    graph = tf1.Graph()
    with graph.as_default():
        seed_everything(seed)  # the layers' initialisers draw their seeds from Python's RNG: a user's reset_graph()
        X = tf1.placeholder(tf.float32, [None, 784], name="X")
        if labels == "sparse":
            y = tf1.placeholder(tf.int64, [None], name="y")
        elif labels == "one_hot":
            y = tf1.placeholder(tf.float32, [None, n_outputs], name="y")
        else:
            y = tf1.placeholder(tf.float32, [None, 1], name="y")
        training = tf1.placeholder_with_default(False, (), name="training")
        hidden = tf1.layers.dense(X, 100, activation=tf.nn.relu, name="hidden1")
        if batch_norm:
            hidden = tf1.layers.batch_normalization(hidden, training=training, momentum=0.9)
        if dropout is not None:
            hidden = tf1.layers.dropout(hidden, rate=dropout, training=training)
        logits = tf1.layers.dense(hidden, 1 if labels == "sigmoid" else n_outputs, name="outputs")
        if stop_gradient:
            logits = tf.stop_gradient(logits)
        if labels == "sparse":
            xentropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        elif labels == "one_hot":
            xentropy = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits)
        else:
            xentropy = tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits)
        loss = tf.reduce_mean(xentropy, name="loss")
        if train:
            (optimizer or tf1.train.GradientDescentOptimizer(0.01)).minimize(loss, name="train_op")
    return graph


def doctor_cli(capsys, *argv):
    """``tf1-recipes doctor --quick --json ARGS``: (exit code, the JSON report, stdout, stderr)."""
    code = cli.main(["doctor", "--quick", "--json", *argv])
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    report = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else None
    return code, report, out, err


def finding(report, check):
    return next(c for c in report["checks"] if c["check"] == check)


def one_error_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tf1-recipes: error: ") and "Traceback" not in err, err
    return lines[0]


# ----------------------------------------------------------------------------- one-hot labels


def test_one_hot_float_labels_are_examined_not_a_broadcast_error(tmp_path, mnist, capsys):
    x, y = mnist
    meta, _ = save_graph(mlp("one_hot"), tmp_path / "model")
    for labels in (one_hot(y), y):  # the read_data_sets(one_hot=True) idiom, and integer labels fed to it
        data = save_npz(tmp_path / "data.npz", x, labels)
        code, report, out, _ = doctor_cli(capsys, "--graph", meta, "--data", data, "--check", "initial_loss")
        initial = finding(report, "initial_loss")
        assert code == 0 and initial["status"] == "PASS", out
        assert initial["numbers"]["kind"] == "softmax"
        assert initial["numbers"]["expected"] == pytest.approx(math.log(10))
        assert 0.0 <= initial["numbers"]["accuracy"] <= 0.3
        assert sum(initial["numbers"]["label_distribution"].values()) == pytest.approx(1.0)
    assert "takes one-hot rows [N, 10]: fed as one-hot" in out  # the integer labels, converted and said so


# ----------------------------------------------------------------------------- binary and C-class classifiers


@pytest.mark.parametrize("kind,classes", [("sigmoid", 2), ("softmax2", 2), ("softmax5", 5), ("softmax10", 10)])
def test_the_expected_initial_loss_is_ln_c_whatever_the_class_balance(tmp_path, mnist, kind, classes):
    x, digits = mnist
    if classes == 2:  # "is it a zero?": about 10% positives, far from balanced
        y = (digits == 0).astype(np.int64)
    else:
        keep = digits < classes
        x, y = x[keep], digits[keep]
    graph = mlp("sigmoid" if kind == "sigmoid" else "sparse", n_outputs=classes)
    meta, _ = save_graph(graph, tmp_path / "model")
    report = doctor.diagnose(meta, save_npz(tmp_path / "data.npz", x, y), budget=QUICK, checks=["initial_loss"])
    initial = report.finding("initial_loss")
    assert initial.numbers["expected"] == pytest.approx(math.log(classes))
    assert initial.status == "PASS", report.format()
    assert abs(initial.numbers["loss"] - math.log(classes)) < 0.25
    distribution = initial.numbers["label_distribution"]
    assert sorted(distribution) == [str(c) for c in range(classes)]
    assert sum(distribution.values()) == pytest.approx(1.0)
    if classes == 2:
        assert distribution["1"] < 0.2  # the imbalance is reported beside the unchanged ln 2
        assert ("ln 2 = 0.6931" if kind == "sigmoid" else "-ln(1/2) = 0.6931") in initial.summary
    assert "labels in this batch" in initial.details[0]


# ----------------------------------------------------------------------------- imported, restored batch norm


@pytest.fixture(scope="module")
def batch_norm_run(tmp_path_factory):
    """``tf1-recipes run batch_norm --preset smoke --out DIR``: the suite's own trained checkpoint and .meta."""
    from tf1_recipes.harness import RecipeConfig, run_recipe

    out = tmp_path_factory.mktemp("batch_norm_smoke")
    run_recipe(RecipeConfig("batch_norm", preset="smoke", out_dir=str(out), quiet=True, progress=False))
    return out


def test_the_suites_batch_norm_checkpoint_imported_and_restored(batch_norm_run, tmp_path, mnist, capsys):
    data = save_npz(tmp_path / "data.npz", *mnist)
    code, report, out, _ = doctor_cli(capsys, "--graph", str(batch_norm_run / "model.ckpt.meta"), "--checkpoint",
                                      str(batch_norm_run / "model.ckpt"), "--data", data)
    assert code == 0 and report["status"] == "PASS", out
    gradient = finding(report, "gradient_check")  # through the imported cond_v2 branches of the batch-norm layers
    assert gradient["status"] == "PASS" and gradient["numbers"]["dtype"] == "float64"
    assert gradient["numbers"]["worst_relative_error"] < 1e-4
    initial = finding(report, "initial_loss")  # trained weights: below chance, and said so
    assert initial["status"] == "PASS" and initial["numbers"]["restored"] is True
    assert initial["numbers"]["loss"] < 0.5 * math.log(10) and "restored (trained) weights" in initial["summary"]
    norm = finding(report, "batch_norm")  # the reference preset fetches UPDATE_OPS beside its training op
    assert norm["status"] == "PASS"
    assert len(norm["numbers"]["restored_statistics_trained"]) == 3
    assert "variables restored from" in out and "train_op: train/GradientDescent" in out


def test_a_gradient_check_that_cannot_rebuild_the_slice_is_skipped_with_tensorflows_reason(
        batch_norm_run, tmp_path, mnist, monkeypatch):
    from tf1_recipes.doctor import gradcheck

    def fails(*args, **kwargs):  # what TensorFlow said on imported cond_v2 branches before the signature repair
        raise ValueError("Shapes must be equal rank, but are 1 and 0")

    monkeypatch.setattr(gradcheck.LossSlice, "__init__", fails)
    report = doctor.diagnose(str(batch_norm_run / "model.ckpt.meta"), save_npz(tmp_path / "data.npz", *mnist),
                             checkpoint=str(batch_norm_run / "model.ckpt"), budget=QUICK, checks=["gradient_check"])
    gradient = report.finding("gradient_check")
    assert gradient.status == "SKIP"
    assert gradient.summary == ("not checked: the loss's part of the graph cannot be rebuilt for finite differences "
                                "(ValueError: Shapes must be equal rank, but are 1 and 0)")
    assert "dropout" not in gradient.summary + gradient.advice


# ----------------------------------------------------------------------------- restored weights in general


def test_restored_weights_are_known_to_be_trained_and_fresh_ones_to_start_at_chance(tmp_path, mnist):
    x, y = mnist
    graph = mlp(optimizer=tf1.train.GradientDescentOptimizer(0.5))
    with tf1.Session(graph=graph) as session:
        session.run(tf1.variables_initializer(graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)))
        meta, prefix = save_graph(graph, tmp_path / "model", session, train_steps=60, feed={"X:0": x, "y:0": y},
                                  fetch=graph.get_operation_by_name("train_op"))
    data = save_npz(tmp_path / "data.npz", x, y)
    trained = doctor.diagnose(meta, data, checkpoint=prefix, budget=QUICK, checks=["initial_loss"])
    fresh = doctor.diagnose(meta, data, budget=QUICK, checks=["initial_loss"])
    assert trained.finding("initial_loss").status == "PASS" and trained.finding("initial_loss").numbers["restored"]
    assert trained.finding("initial_loss").numbers["loss"] < 0.75 * math.log(10)
    assert fresh.finding("initial_loss").status == "PASS" and "restored" not in fresh.finding("initial_loss").numbers
    assert any("no --checkpoint" in note for note in fresh.notes)
    # Labels in another encoding than in training (digit d saved as (d + 1) % 10): no better than chance.
    shifted = doctor.diagnose(meta, save_npz(tmp_path / "shifted.npz", x, (y + 1) % 10), checkpoint=prefix,
                              budget=QUICK, checks=["initial_loss"]).finding("initial_loss")
    assert shifted.status == "WARN" and shifted.numbers["loss"] > math.log(10)
    assert "do no better than chance" in shifted.summary and "another label encoding" in shifted.advice
    # The same trained loss, judged as fresh weights, is the FAIL the issue reported.
    graph, session = tf1.Graph(), None
    with graph.as_default():
        saver = tf1.train.import_meta_graph(meta)
        session = tf1.Session(graph=graph)
        saver.restore(session, prefix)
    as_fresh = doctor.diagnose(graph, (x, y), session=session, budget=QUICK, checks=["initial_loss"])
    assert as_fresh.finding("initial_loss").status == "FAIL"
    session.close()


# ----------------------------------------------------------------------------- UPDATE_OPS beside the training op


def test_update_ops_fetched_beside_the_train_op_count(tmp_path, mnist, capsys):
    meta, _ = save_graph(mlp(batch_norm=True), tmp_path / "model")
    data = save_npz(tmp_path / "data.npz", *mnist)
    code, report, out, _ = doctor_cli(capsys, "--graph", meta, "--data", data, "--check", "batch_norm",
                                      "--train-op", "train_op", "--train-op", "UPDATE_OPS")
    assert code == 0 and finding(report, "batch_norm")["status"] == "PASS", out
    assert min(finding(report, "batch_norm")["numbers"]["moving_statistics_change"].values()) > 1e-4
    # Not declared: the training op alone leaves them, and the FAIL says how to declare a loop that fetches them.
    code, report, out, _ = doctor_cli(capsys, "--graph", meta, "--data", data, "--check", "batch_norm")
    assert code == 1 and "UPDATE_OPS not run" in finding(report, "batch_norm")["summary"]
    assert "--train-op NAME --train-op UPDATE_OPS" in finding(report, "batch_norm")["summary"]


# ----------------------------------------------------------------------------- the learning rate


def test_the_learning_rate_is_read_from_the_graph_and_compared_with_the_sweep(tmp_path, mnist):
    meta, _ = save_graph(mlp(optimizer=tf1.train.GradientDescentOptimizer(30.0)), tmp_path / "model")
    report = doctor.diagnose(meta, save_npz(tmp_path / "data.npz", *mnist), budget=QUICK, checks=["learning_rate"])
    rate = report.finding("learning_rate")
    assert rate.numbers["model_rate"] == pytest.approx(30.0)
    assert rate.numbers["model_rate_in_graph"]["optimizer"] == "GradientDescent"
    assert rate.numbers["diverging_rate"] is not None and rate.numbers["diverging_rate"] <= 30.0
    assert rate.status == "WARN" and "the model's lr 30 is past where the loss diverges" in rate.summary


def _decaying(pass_global_step):
    graph = mlp(train=False)
    with graph.as_default():
        global_step = tf1.train.get_or_create_global_step()
        rate = tf1.train.exponential_decay(0.1, global_step, decay_steps=10, decay_rate=0.5)
        loss = graph.get_tensor_by_name("loss:0")
        optimizer = tf1.train.GradientDescentOptimizer(rate)
        optimizer.minimize(loss, global_step=global_step if pass_global_step else None, name="train_op")
    return graph


@pytest.mark.parametrize("pass_global_step", [False, True])
def test_a_schedule_whose_global_step_does_not_advance_fails(tmp_path, mnist, pass_global_step):
    meta, _ = save_graph(_decaying(pass_global_step), tmp_path / "model")
    report = doctor.diagnose(meta, save_npz(tmp_path / "data.npz", *mnist), budget=QUICK, checks=["learning_rate"])
    rate = report.finding("learning_rate")
    facts = rate.numbers["model_rate_in_graph"]
    assert facts["schedule"] is True and facts["step_variables"] == ["global_step:0"]
    assert rate.numbers["model_rate"] == pytest.approx(0.1)
    if pass_global_step:
        assert rate.status == "PASS", rate.summary
        assert facts["step_advances"] and facts["rate_after_one_step"] == pytest.approx(0.1 * 0.5 ** 0.1, rel=1e-6)
    else:
        assert rate.status == "FAIL"
        assert not facts["step_advances"] and facts["rate_after_one_step"] == pytest.approx(0.1)
        assert "reads global_step:0, which the training step does not advance" in rate.summary
        assert "global_step=" in rate.advice


# ----------------------------------------------------------------------------- dropout


def test_dropout_rate_0_9_is_named_for_the_training_inference_gap(tmp_path, mnist):
    data = save_npz(tmp_path / "data.npz", *mnist)
    found = {}
    for rate in (0.9, 0.1):  # rate=0.9 written where keep_prob 0.9 was meant; and what was meant
        meta, _ = save_graph(mlp(dropout=rate), tmp_path / f"model{rate}")
        report = doctor.diagnose(meta, data, budget=QUICK, checks=["initial_loss"])
        found[rate] = report.finding("initial_loss")
        assert any(f"rate {rate:g} (in " in note for note in report.notes), report.notes  # listed
    bad, meant = found[0.9], found[0.1]
    assert bad.numbers["dropout"] == [{"scope": "dropout", "rate": pytest.approx(0.9), "in_training_mode_only": True}]
    assert bad.numbers["loss"] > 1.25 * math.log(10) > bad.numbers["inference_loss"]
    assert bad.status == "WARN" and "dropout" in bad.summary and "rate 0.9" in bad.summary
    assert "keep_prob 0.9 is rate=0.1" in bad.advice and "initialisation" not in bad.advice
    assert meant.status == "PASS", meant.summary


# ----------------------------------------------------------------------------- nothing gets a gradient


def test_nothing_gets_a_gradient_fails_saying_where_it_stops(tmp_path, mnist, capsys):
    # minimize() refuses a loss without gradients, so such a graph has no training op: exported without one.
    meta, _ = save_graph(mlp(stop_gradient=True, train=False), tmp_path / "model")
    data = save_npz(tmp_path / "data.npz", *mnist)
    code, report, out, _ = doctor_cli(capsys, "--graph", meta, "--data", data)
    wiring = finding(report, "wiring")
    assert code == 1 and wiring["status"] == "FAIL", out
    assert "nothing gets a gradient: 0/4 trainable variables" in wiring["summary"]
    assert "stops at StopGradient (StopGradient)" in wiring["summary"]
    assert "convention" not in out.lower().replace("by convention", "")
    for check in ("gradient_check", "overfit", "learning_rate"):
        assert finding(report, check)["status"] == "SKIP", finding(report, check)
    assert "nothing gets a gradient" in finding(report, "overfit")["summary"]


# ----------------------------------------------------------------------------- evaluation in training mode


def test_an_eval_feed_in_training_mode_fails_and_is_never_overwritten(tmp_path, mnist):
    meta, _ = save_graph(mlp(batch_norm=True), tmp_path / "model")
    data = save_npz(tmp_path / "data.npz", *mnist)
    options = dict(budget=QUICK, checks=["batch_norm"], train_op=["train_op", "UPDATE_OPS"])
    bad = doctor.diagnose(meta, data, eval_feed={"training:0": True}, **options).finding("batch_norm")
    assert bad.status == "FAIL"
    assert "the evaluation feed (eval_feed) with training:0 fed True" in bad.summary
    assert bad.numbers["evaluations_in_training_mode"] == 1
    good = doctor.diagnose(meta, data, eval_feed={"training:0": False}, **options).finding("batch_norm")
    assert good.status == "PASS", good.summary
    # The feed the doctor builds keeps the user's value.
    from tf1_recipes import user_graph
    from tf1_recipes.doctor import target as targets

    model = user_graph.load_model(meta)
    target = targets.from_graph(model.graph, mnist, eval_feed={"training:0": True}, session=model.session)
    assert target.feed(target.sample(4, np.random.RandomState(0)), mode="eval")[target.training] is True
    model.session.close()


# ----------------------------------------------------------------------------- placeholders besides X, y and the flag


def keep_prob_mlp(second_input=False):
    """The TF1 idiom before tf.layers.dropout: keep_prob and the learning rate fed as scalar placeholders.

    ``second_input``: the hidden layer also takes a second [None, 784] placeholder ``extra``.
    """
    graph = tf1.Graph()
    with graph.as_default():
        seed_everything(1)
        X = tf1.placeholder(tf.float32, [None, 784], name="X")
        y = tf1.placeholder(tf.int64, [None], name="y")
        keep_prob = tf1.placeholder(tf.float32, [], name="keep_prob")
        learning_rate = tf1.placeholder(tf.float32, [], name="learning_rate")
        inputs = X + tf1.placeholder(tf.float32, [None, 784], name="extra") if second_input else X
        hidden = tf1.nn.dropout(tf1.layers.dense(inputs, 100, activation=tf.nn.relu, name="hidden"), keep_prob=keep_prob)
        logits = tf1.layers.dense(hidden, 10, name="outputs")
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits), name="loss")
        tf1.train.GradientDescentOptimizer(learning_rate).minimize(loss, name="train_op")
    return graph


def test_a_placeholder_nothing_feeds_is_one_line_naming_it_and_feeds_are_taken(tmp_path, mnist, capsys):
    """Before, each check WARNed 'could not run: InvalidArgumentError: Graph execution error:' and the doctor exited 0."""
    meta, _ = save_graph(keep_prob_mlp(), tmp_path / "model")
    data = save_npz(tmp_path / "data.npz", *mnist)
    feeds = ["--train-feed", "keep_prob:0=0.5", "--train-feed", "learning_rate:0=0.1"]
    cases = [
        ([], "the model needs placeholders keep_prob:0 (float32 [], which the loss needs); learning_rate:0 (float32 "
             "[], which a training step needs) that the runs do not feed (they feed --inputs X:0, --labels y:0, "
             "--training none); name it with --inputs, --labels or --training if it is one of those; give a scalar's "
             "value (a learning rate, keep_prob) with --train-feed NAME=VALUE (the training-mode runs) and --eval-feed "
             "NAME=VALUE (the inference-mode ones; doctor.diagnose: train_feed=, eval_feed=)"),
        (feeds, "the model needs placeholder keep_prob:0 (float32 [], which the loss needs, unfed in evaluations)"),
        (feeds + ["--eval-feed", "keep_prob:0=true"], "--eval-feed keep_prob:0=True: keep_prob:0 takes float32 []; "
                                                      "give a number of that shape"),
        (feeds + ["--eval-feed", "y:0=1"], "--eval-feed y:0: that is the model's labels, which the doctor feeds from "
                                          "--data; leave it out"),
        (feeds + ["--train-feed", "keep_prob:0=1"], "--train-feed keep_prob:0 is given twice (0.5 and 1); give it once"),
        (["--train-feed", "keep_prob=0.5x"], "argument --train-feed: expected NAME=VALUE with VALUE a finite number or "
                                             "true/false (e.g. keep_prob:0=0.5), got 'keep_prob=0.5x'"),
        (["--train-feed", "keep_prob:0=nan"], "got 'keep_prob:0=nan'"),
        # A rate outside [0, 1): keep_prob 0 meant as "no dropout", 50 meant as a percentage.
        (["--train-feed", "keep_prob:0=0", "--train-feed", "learning_rate:0=0.1", "--eval-feed", "keep_prob:0=1"],
         "--train-feed keep_prob:0=0 gives dropout 'dropout' a rate of 1, outside [0, 1): it drops every unit; "
         "keep_prob is the fraction of units kept (rate = 1 - keep_prob): give one in (0, 1]"),
        (feeds + ["--eval-feed", "keep_prob:0=50"], "--eval-feed keep_prob:0=50 gives dropout 'dropout' a rate of -49, "
                                                    "outside [0, 1): it keeps every unit and scales it by 0.02;"),
        (["--train-feed", "keep_prb:0=0.5"], "--train-feed 'keep_prb:0': " + meta + " has no tensor or op of that name "
                                             "(close matches: keep_prob:0"),
    ]
    for argv, expected in cases:
        code, report, out, err = doctor_cli(capsys, "--graph", meta, "--data", data, "--check", "learning_rate", *argv)
        line = one_error_line(err)
        assert code == 2 and report is None and expected in line, (argv, line)
    code, report, out, err = doctor_cli(capsys, "--graph", meta, "--data", data, "--check", "initial_loss", "--check",
                                        "learning_rate", *feeds, "--eval-feed", "keep_prob:0=1.0")
    assert code == 0 and report["status"] == "PASS", out
    assert "the model uses GradientDescent with lr 0.1" in finding(report, "learning_rate")["summary"]

    meta, _ = save_graph(keep_prob_mlp(second_input=True), tmp_path / "two_inputs")
    code, report, out, err = doctor_cli(capsys, "--graph", meta, "--data", data, *feeds, "--eval-feed", "keep_prob:0=1")
    assert code == 2 and ("the model needs placeholder extra:0 (float32 [?,784], which the loss needs)"
                          in one_error_line(err)), err
    assert "so a model with a second batch-shaped input cannot be examined as it is" in err


RATE_ADVICE = "a rate is the fraction of units dropped: give one in [0, 1)"


def fed_dropout_graph(build):
    """A tiny graph whose one dropout's rate is fed: ``rate`` (``tf.nn.dropout(rate=cast(placeholder))``), ``keep_prob``
    (``tf1.nn.dropout(keep_prob=placeholder)``), ``half_keep_prob`` (``keep_prob / 2``), ``cond_rate``
    (``tf1.layers.dropout(rate=placeholder, training=flag)``: the dropout inside a cond branch on the flag) and
    ``v1_cond_rate`` (the same with TF1's control flow, ``Switch`` and ``Merge``)."""
    graph = tf1.Graph()
    if build == "v1_cond_rate":
        tf1.disable_control_flow_v2()
    try:
        with graph.as_default():
            seed_everything(1)
            X = tf1.placeholder(tf.float32, [None, 4], name="X")
            training = tf1.placeholder_with_default(False, [], name="training")
            if build == "rate":
                hidden = tf.nn.dropout(X, rate=tf.cast(tf1.placeholder(tf.float64, [], name="rate"), tf.float32))
            elif build in ("cond_rate", "v1_cond_rate"):
                hidden = tf1.layers.dropout(X, rate=tf1.placeholder(tf.float32, [], name="rate"), training=training)
            else:
                keep_prob = tf1.placeholder(tf.float32, [], name="keep_prob")
                hidden = tf1.nn.dropout(X, keep_prob=keep_prob if build == "keep_prob" else keep_prob / 2.0)
            tf.reduce_mean(hidden, name="loss")
    finally:
        tf1.enable_control_flow_v2()
    return graph


@pytest.mark.parametrize("build,flag,feed,said", [
    ("rate", "train", {"rate:0": 1.0}, ("--train-feed rate:0=1.0 gives dropout 'dropout' a rate of 1, outside [0, 1): "
                                        "it drops every unit; " + RATE_ADVICE,)),
    ("rate", "train", {"rate:0": 0.5}, None),
    ("keep_prob", "train", {"keep_prob:0": float("nan")},
     ("--train-feed keep_prob:0=nan gives dropout 'dropout' a rate of nan, outside [0, 1): it makes every output NaN; "
      "keep_prob is the fraction",)),
    ("keep_prob", "train", {"keep_prob:0": 1.0000001}, None),  # rate -1.19e-7 in float32: 1 to within rounding
    ("keep_prob", "eval", {"keep_prob:0": 1.001}, ("--eval-feed keep_prob:0=1.001 gives dropout 'dropout' a rate of "
                                                   "-0.001",)),
    ("half_keep_prob", "train", {"keep_prob:0": 3.0},
     ("--train-feed keep_prob:0=3.0 gives dropout 'dropout' a rate of -0.5, outside [0, 1): it keeps every unit and "
      "scales it by 0.667; give values that make the rate one in [0, 1)",)),
    # Inside a cond on the training flag: checked where the training-mode runs take the branch, not in inference mode.
    ("cond_rate", "train", {"rate:0": 1.0}, ("--train-feed rate:0=1.0 gives dropout 'dropout' a rate of 1, outside "
                                             "[0, 1): it drops every unit; " + RATE_ADVICE,)),
    ("cond_rate", "eval", {"rate:0": 1.0}, None),
    ("v1_cond_rate", "train", {"rate:0": -2.0}, ("--train-feed rate:0=-2.0 gives dropout '", "' a rate of -2, outside "
                                                 "[0, 1): it keeps every unit and scales it by 0.333; " + RATE_ADVICE)),
    ("v1_cond_rate", "eval", {"rate:0": -2.0}, None),
])
def test_a_fed_rate_outside_0_1_is_refused_with_advice_for_how_the_rate_is_fed(build, flag, feed, said):
    """The advice follows the graph: a placeholder fed as the rate itself (``tf.nn.dropout(rate=...)``, through a cast
    or TF1's ``Switch``), ``1 - keep_prob``, or another computation of it (here ``1 - keep_prob / 2``), where neither
    range applies. A dropout in a cond on the training flag is checked in the mode that runs it."""
    graph = fed_dropout_graph(build)
    tensors = user_graph.find_tensors(graph, loss="loss", training="training:0")
    feeds = {f"{flag}_feed": feed}
    if said is None:
        resolved = tensors.resolve_feeds(graph, **feeds)[0 if flag == "train" else 1]
        assert list(resolved.values()) == list(feed.values())
        return
    with pytest.raises(user_graph.UserGraphError) as raised:
        tensors.resolve_feeds(graph, **feeds)
    assert all(part in str(raised.value) for part in said), str(raised.value)


def test_a_feed_behind_no_dropout_opens_no_session(monkeypatch):
    """The rates are run in a session only where a fed placeholder is behind a dropout: a fed learning rate is not."""
    graph = keep_prob_mlp()
    tensors = user_graph.find_tensors(graph)
    opened = []
    session = tf1.Session
    monkeypatch.setattr(tf1, "Session", lambda *args, **kwargs: opened.append(1) or session(*args, **kwargs))
    tensors.resolve_feeds(graph, train_feed={"learning_rate:0": 0.1})
    assert opened == []
    tensors.resolve_feeds(graph, train_feed={"learning_rate:0": 0.1, "keep_prob:0": 0.5})
    assert opened == [1]


def test_trained_weights_with_keep_prob_dropout_are_judged_in_the_eval_feeds_mode(tmp_path, mnist):
    """With keep_prob fed 0.2 for training and 1.0 for evaluations, check 1 measured training mode only and WARNed
    that trained weights "do no better than chance" (the inference mode was measured only for a training flag)."""
    x, y = mnist
    graph = keep_prob_mlp()
    with tf1.Session(graph=graph) as session:
        session.run(tf1.variables_initializer(graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)))
        feed = {"X:0": x[:512], "y:0": y[:512], "keep_prob:0": 0.9, "learning_rate:0": 0.5}
        meta, prefix = save_graph(graph, tmp_path / "model", session, train_steps=60, feed=feed, fetch="train_op")
    data = save_npz(tmp_path / "data.npz", x[:512], y[:512])
    feeds = dict(train_feed={"learning_rate:0": 0.1, "keep_prob:0": 0.05}, eval_feed={"keep_prob:0": 1.0})
    found = doctor.diagnose(meta, data, checkpoint=prefix, budget=QUICK, checks=["initial_loss"], **feeds).finding("initial_loss")
    numbers = found.numbers
    assert numbers["loss"] > numbers["expected"] * 0.75 > numbers["inference_loss"], numbers  # only inference mode passes
    assert found.status == "PASS" and "below chance in inference mode" in found.summary, found
    same = doctor.diagnose(meta, data, checkpoint=prefix, budget=QUICK, checks=["initial_loss"],
                           train_feed=feeds["train_feed"], eval_feed={"keep_prob:0": 0.05}).finding("initial_loss")
    assert "inference_loss" not in same.numbers and same.status == "WARN"  # no inference mode to measure


def test_a_keep_prob_with_a_default_fed_in_training_only_gives_an_inference_mode(tmp_path, mnist):
    """keep_prob = placeholder_with_default(1.0) fed 0.2 by --train-feed alone: evaluations feed its default, yet
    check 1 measured no inference mode (it compared the eval feed's keys only)."""
    x, y = mnist
    graph = tf1.Graph()
    with graph.as_default():
        seed_everything(0)
        X = tf1.placeholder(tf.float32, [None, 784], name="X")
        labels = tf1.placeholder(tf.int64, [None], name="y")
        keep_prob = tf1.placeholder_with_default(1.0, [], name="keep_prob")
        hidden = tf1.nn.dropout(tf1.layers.dense(X, 100, activation=tf.nn.relu, name="hidden"), keep_prob=keep_prob)
        logits = tf1.layers.dense(hidden, 10, name="outputs")
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits), name="loss")
        tf1.train.GradientDescentOptimizer(0.1).minimize(loss, name="train_op")
    meta, _ = save_graph(graph, tmp_path / "model")
    data = save_npz(tmp_path / "data.npz", x[:256], y[:256])
    found = doctor.diagnose(meta, data, budget=QUICK, checks=["initial_loss"],
                            train_feed={"keep_prob:0": 0.2}).finding("initial_loss")
    assert "inference_loss" in found.numbers, found
    rate_only = doctor.diagnose(meta, data, budget=QUICK, checks=["initial_loss"]).finding("initial_loss")
    assert "inference_loss" not in rate_only.numbers  # nothing fed: one mode


def test_tensorflows_error_is_told_by_its_cause_not_its_heading():
    """A check that could not run said only 'InvalidArgumentError: Graph execution error:'."""
    from tf1_recipes.compat import error_cause

    graph = tf1.Graph()
    with graph.as_default():
        a = tf1.placeholder(tf.float32, [None, 3], name="a")
        total = a + tf1.placeholder(tf.float32, [None, None], name="b")
        with tf1.Session() as session:
            with pytest.raises(tf.errors.InvalidArgumentError) as unfed:
                session.run(total, {a: np.ones((1, 3))})
            with pytest.raises(tf.errors.InvalidArgumentError) as shapes:
                session.run(total, {a: np.ones((1, 3)), "b:0": np.ones((1, 2))})
    assert str(unfed.value).startswith("Graph execution error:")
    assert error_cause(unfed.value) == ("You must feed a value for placeholder tensor 'b' with dtype float and shape "
                                        "[?,?] (at node 'b')")
    assert error_cause(shapes.value) == "Incompatible shapes: [1,3] vs. [1,2] (at node 'add')"
    assert error_cause(ValueError("first\nsecond")) == "first" and error_cause(KeyError()) == "KeyError"


def test_fewer_examples_than_a_check_samples_are_used_once_each_and_said(tmp_path, mnist, capsys):
    """Three examples were drawn with replacement as "256 examples"."""
    meta, _ = save_graph(mlp(), tmp_path / "model")
    data = save_npz(tmp_path / "data.npz", mnist[0][:3], mnist[1][:3])
    code, report, out, err = doctor_cli(capsys, "--graph", meta, "--data", data, "--check", "initial_loss")
    assert code in (0, 1) and " on 3 examples vs " in finding(report, "initial_loss")["summary"], out
    assert ("the data hold 3 examples, fewer than the 256 a check samples: the checks take all of them, and their "
            "numbers are as noisy as that few examples make them") in report["notes"]


def test_one_example_through_batch_norm_is_not_called_a_dead_layer(tmp_path, mnist, capsys):
    """Wiring FAILed 'all-zero gradient (a frozen or dead layer)' below a batch norm fed one example, which it
    normalises to its beta whatever the weights; the note said "1 examples"."""
    meta, _ = save_graph(mlp(batch_norm=True), tmp_path / "model")
    data = save_npz(tmp_path / "data.npz", mnist[0][:1], mnist[1][:1])
    code, report, out, err = doctor_cli(capsys, "--graph", meta, "--data", data, "--check", "wiring")
    wiring = finding(report, "wiring")
    assert code == 0 and wiring["status"] == "WARN", out
    assert ("hidden1/kernel:0: all-zero gradient on one example: batch norm normalises a batch of 1 to its beta, so the "
            "layers below it get no gradient; give --data more examples") in wiring["summary"]
    assert "dead layer" not in out and any(n.startswith("the data hold 1 example, fewer") for n in report["notes"])
    assert "gets inf times" not in out and wiring["numbers"]["first_to_last_kernel_gradient_ratio"] is None  # 0 / 0
    data = save_npz(tmp_path / "two.npz", mnist[0][:2], mnist[1][:2])  # two examples: gradients again
    code, report, out, err = doctor_cli(capsys, "--graph", meta, "--data", data, "--check", "wiring")
    assert "all-zero gradient" not in out, out


def test_labels_are_fed_with_a_note_saying_what_they_became(tmp_path, mnist, capsys):
    x, y = mnist
    meta, _ = save_graph(mlp(), tmp_path / "model")
    soft = np.full((len(y), 10), 0.1 / 9, dtype=np.float32)
    soft[np.arange(len(y)), y] = 0.9
    cases = [
        (soft, "y holds probability rows [N, 10] (soft labels, not 0/1); y:0 takes class indices: fed each row's most "
               "likely class (argmax), so the loss is not the one those rows would give"),
        (one_hot(y), "y is one-hot [N, 10]; y:0 takes class indices: fed their argmax"),
        (y == 1, "y is bool: True fed as class 1, False as class 0"),
    ]
    for labels, note in cases:
        code, report, out, err = doctor_cli(capsys, "--graph", meta, "--data", save_npz(tmp_path / "d.npz", x, labels),
                                            "--check", "initial_loss")
        assert note in report["notes"], report["notes"]
    code, report, out, err = doctor_cli(capsys, "--graph", meta, "--data", save_npz(tmp_path / "d.npz", x, one_hot(y, 11)))
    assert code == 2 and one_error_line(err).endswith(
        "y has 11 columns (one-hot rows, a column per class) but the model's logits (outputs/BiasAdd:0) have 10 "
        "classes; give rows of 10 columns"), err
    code, report, out, err = doctor_cli(capsys, "--graph", meta, "--data", save_npz(tmp_path / "d.npz", x, y),
                                        "--inputs", "y:0", "--labels", "X:0")
    assert code == 2 and one_error_line(err).endswith(
        "x has (784,) per example but y:0 takes one value; name the input placeholder with --inputs if y:0 is not it"), err


# ----------------------------------------------------------------------------- names and conventions


def test_tensors_are_found_by_convention_or_by_name_and_a_wrong_name_lists_close_matches(tmp_path, mnist, capsys):
    x, y = mnist
    graph = tf1.Graph()
    with graph.as_default():  # nothing named X, y or loss
        seed_everything(0)
        images = tf1.placeholder(tf.float32, [None, 784], name="images")
        digits = tf1.placeholder(tf.int32, [None], name="digits")
        logits = tf1.layers.dense(tf1.layers.dense(images, 50, tf.nn.relu), 10)
        cost = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=digits, logits=logits), name="cost")
        tf1.train.AdamOptimizer(1e-3).minimize(cost, name="step")
    meta, _ = save_graph(graph, tmp_path / "model")
    data = save_npz(tmp_path / "data.npz", x, y)
    code, report, out, _ = doctor_cli(capsys, "--graph", meta, "--data", data, "--check", "initial_loss")
    assert code == 0 and finding(report, "initial_loss")["status"] == "PASS", out
    assert "inputs: images:0 (by convention: the one non-scalar float placeholder" in out
    assert "labels: digits:0 (by convention: the one placeholder the loss depends on" in out
    assert "loss: cost:0 (by convention: what the training step's optimiser differentiates)" in out
    code, report, out, _ = doctor_cli(capsys, "--graph", meta, "--data", data, "--check", "initial_loss",
                                      "--inputs", "images:0", "--labels", "digits", "--loss", "cost:0")
    assert code == 0 and "inputs: images:0 (named)" in out and "labels: digits:0 (named)" in out
    code, report, out, err = doctor_cli(capsys, "--graph", meta, "--data", data, "--loss", "cots:0")
    line = one_error_line(err)
    assert code == 2 and report is None
    assert "--loss 'cots:0'" in line and "has no tensor or op of that name" in line and "cost:0" in line


# ----------------------------------------------------------------------------- bad input: one line, exit 2


def _damaged_files(tmp_path, mnist):
    x, y = mnist
    meta, prefix = None, None
    graph = mlp()
    with tf1.Session(graph=graph) as session:
        session.run(tf1.variables_initializer(graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)))
        meta, prefix = save_graph(graph, tmp_path / "model", session)
    other = mlp(n_outputs=5)
    with tf1.Session(graph=other) as session:
        session.run(tf1.variables_initializer(other.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)))
        _, other_prefix = save_graph(other, tmp_path / "other", session)
    return meta, prefix, other_prefix


def _npz_bytes(**arrays):
    import io

    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def user_files(tmp_path_factory, mnist):
    """A user's saved model (.meta + checkpoint), another model's checkpoint, and intact data."""
    tmp = tmp_path_factory.mktemp("user_model")
    meta, prefix, other = _damaged_files(tmp, mnist)
    data = save_npz(tmp / "data.npz", mnist[0][:64], mnist[1][:64])
    return {"meta": meta, "prefix": prefix, "other": other, "data": data}


def _bad_npz(mnist):
    x, y = mnist[0][:16], mnist[1][:16]
    nan = x.copy()
    nan[3, 7] = np.nan
    rows = one_hot(y)
    rows[5, 2] += 0.5
    return {
        "missing": (None, "no such file"),
        "empty": (b"", "not an .npz archive (an empty file)"),
        "html": (b"<html><body>Not found</body></html>", "not an .npz archive (an HTML/XML page)"),
        "truncated": (_npz_bytes(x=x, y=y)[:300], "damaged or unreadable .npz"),
        "no_y": (_npz_bytes(x=x, labels=y), "no array y (it holds x, labels)"),
        "n_mismatch": (_npz_bytes(x=x, y=y[:15]), "x has 16 examples but y has 15 labels"),
        "non_finite": (_npz_bytes(x=nan, y=y), "x holds 1 non-finite values (NaN or inf; the first in example 3)"),
        "negative": (_npz_bytes(x=x, y=y - 9), "is negative; labels are class indices"),
        "beyond_classes": (_npz_bytes(x=x, y=y + 10), "but the model's logits (outputs/BiasAdd:0) have 10 classes"),
        "row_sum": (_npz_bytes(x=x, y=rows), "y's row 5 sums to 1.5, not 1"),
        "pickled": (_npz_bytes(x=x, y=np.array([object()] * 16, dtype=object)), "pickled Python objects"),
        "wrong_shape": (_npz_bytes(x=x.reshape(16, 28, 28), y=y), "x has (28, 28) per example but X:0 takes (784,)"),
    }


DATA_DAMAGES = ["missing", "empty", "html", "truncated", "no_y", "n_mismatch", "non_finite", "negative",
                "beyond_classes", "row_sum", "pickled", "wrong_shape"]


@pytest.mark.parametrize("damage", DATA_DAMAGES)
def test_bad_data_is_one_line_naming_the_file_and_exit_2(tmp_path, mnist, user_files, capsys, damage):
    cases = _bad_npz(mnist)
    assert sorted(cases) == sorted(DATA_DAMAGES)
    content, expected = cases[damage]
    path = tmp_path / "data.npz"
    if content is not None:
        path.write_bytes(content)
    code, report, out, err = doctor_cli(capsys, "--graph", user_files["meta"], "--data", str(path))
    line = one_error_line(err)
    assert code == 2 and report is None and "[PASS]" not in out
    assert f"--data {path}: " in line and expected in line, line


def test_a_bad_model_or_checkpoint_is_one_line_and_exit_2(tmp_path, user_files, capsys):
    meta, prefix, data = user_files["meta"], user_files["prefix"], user_files["data"]
    cut = tmp_path / "cut.meta"
    cut.write_bytes(open(meta, "rb").read()[:200])
    html = tmp_path / "page.meta"
    html.write_text("<html>Not found</html>")
    shard = tmp_path / "ckpt"
    shard.mkdir()
    for suffix in (".index", ".data-00000-of-00001"):
        content = open(prefix + suffix, "rb").read()
        (shard / f"model.ckpt{suffix}").write_bytes(content[: len(content) // 2] if suffix != ".index" else content)
    cases = [
        (["--graph", str(tmp_path / "nope.meta")], "no such file; give the model's .meta file"),
        (["--graph", str(cut)], "damaged or not a MetaGraphDef"),
        (["--graph", str(html)], "damaged or not a MetaGraphDef"),
        (["--graph", prefix + ".index"], f"--graph {prefix}.index: is a file of a Saver checkpoint (the weights), not "
                                         f"the graph; give {meta}, beside it"),
        (["--graph", meta, "--checkpoint", str(tmp_path / "gone" / "model.ckpt")], "no checkpoint there"),
        (["--graph", meta, "--checkpoint", user_files["other"]],
         "does not fit the graph in " + meta + ": outputs/kernel has shape [100, 5] in it but [100, 10] in the graph; "
         "outputs/bias has shape [5] in it but [10] in the graph; give the checkpoint saved from this graph"),
        (["--graph", meta, "--checkpoint", str(shard / "model.ckpt")], "is damaged"),
    ]
    for argv, expected in cases:
        code, report, out, err = doctor_cli(capsys, *argv, "--data", data)
        line = one_error_line(err)
        assert code == 2 and report is None and expected in line, (argv, line)


def test_a_meta_without_its_variable_collections_or_a_folder_is_one_line_and_exit_2(tmp_path, user_files, capsys):
    """A .meta exported with collection_list=[] ran every check on nothing ('restored (0 of 0)', exit 0)."""
    meta, prefix, data = user_files["meta"], user_files["prefix"], user_files["data"]
    bare = tmp_path / "bare.meta"
    graph = tf1.Graph()
    with graph.as_default():
        tf1.train.import_meta_graph(meta)
        tf1.train.export_meta_graph(str(bare), collection_list=[])
    code, report, out, err = doctor_cli(capsys, "--graph", str(bare), "--checkpoint", prefix, "--data", data)
    assert code == 2 and report is None and out == ""
    assert one_error_line(err) == (
        f"tf1-recipes: error: --graph {bare}: lists none of its 4 variables (hidden1/kernel, hidden1/bias, outputs/kernel, "
        "...) in a variable collection (it was exported with collection_list=[], or they were made with collections=[]), "
        "so they cannot be initialised or restored; export it again with its collections (Saver.save writes PREFIX.meta; "
        "tf.compat.v1.train.export_meta_graph keeps them by default)")
    for folder, held in ((tmp_path, "it holds bare.meta"), (tmp_path / "empty.meta", "it holds no .meta file")):
        folder.mkdir(exist_ok=True)
        code, report, out, err = doctor_cli(capsys, "--graph", str(folder), "--data", data)
        assert code == 2 and one_error_line(err) == (f"tf1-recipes: error: --graph {folder}: is a directory ({held}); "
                                                     "give the model's .meta file")


def test_local_variables_are_initialised_and_a_variable_in_no_collection_is_refused(tmp_path, mnist, capsys):
    """A graph whose variables were LOCAL_VARIABLES passed the collection check but only global variables were
    initialised: every check WARNed 'uninitialized', exit 0."""
    x, y = mnist
    for where in ("local", "nowhere"):
        graph = tf1.Graph()
        with graph.as_default():
            seed_everything(0)
            X = tf1.placeholder(tf.float32, [None, 784], name="X")
            labels = tf1.placeholder(tf.int64, [None], name="y")
            collections = [tf1.GraphKeys.LOCAL_VARIABLES] if where == "local" else []
            W = tf1.Variable(tf.zeros([784, 10]), name="W", collections=collections)
            logits = tf1.layers.dense(X, 10, name="outputs") + tf.matmul(X, W)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits), name="loss")
            tf1.train.GradientDescentOptimizer(0.01).minimize(loss, name="train_op")
        meta, _ = save_graph(graph, tmp_path / where)
        data = save_npz(tmp_path / "data.npz", x[:64], y[:64])
        code, report, out, err = doctor_cli(capsys, "--graph", meta, "--data", data, "--check", "initial_loss")
        if where == "local":
            assert code == 0 and finding(report, "initial_loss")["status"] == "PASS", out + err
        else:
            assert code == 2 and one_error_line(err) == (
                f"tf1-recipes: error: --graph {meta}: lists 1 of its 3 variables (W) in no variable collection (it was "
                "exported with collection_list=[], or they were made with collections=[]), so they cannot be initialised "
                "or restored; export it again with its collections (Saver.save writes PREFIX.meta; "
                "tf.compat.v1.train.export_meta_graph keeps them by default)")


def test_a_copied_folder_is_read_from_its_own_checkpoint_and_the_note_names_it(tmp_path, user_files, capsys):
    """The folder's note named the prefix in its state file (the original folder's), not the one used."""
    copy = tmp_path / "copy"
    shutil.copytree(Path(user_files["prefix"]).parent, copy)  # its state file names the original's absolute path
    code, report, out, err = doctor_cli(capsys, "--graph", str(copy / "model.ckpt.meta"), "--checkpoint", str(copy),
                                        "--data", user_files["data"], "--check", "initial_loss")
    assert code in (0, 1) and report is not None
    assert f"which is outside this directory (folder moved or copied?): using {copy / 'model.ckpt'} beside it" in err
    assert f"note: --checkpoint {copy} is a folder: using its latest checkpoint, {copy / 'model.ckpt'}" in out


def test_the_conventions_x_and_y_are_placeholders_only():
    """A constant named X in front of the real input was taken as the input: every check WARNed 'Cannot feed'."""
    graph = tf1.Graph()
    with graph.as_default():
        images = tf1.placeholder(tf.float32, [None, 784], name="images")
        tf.constant(0.0, shape=[1, 784], name="X")  # a name the conventions look for, not a placeholder
        labels = tf1.placeholder(tf.int64, [None], name="labels")
        logits = tf1.layers.dense(images, 10, name="outputs")
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits), name="loss")
        tf1.train.GradientDescentOptimizer(0.1).minimize(loss, name="train_op")
    tensors = user_graph.find_tensors(graph)
    assert tensors.inputs.name == "images:0" and tensors.labels.name == "labels:0", tensors.found


def test_a_variable_named_as_inputs_or_labels_is_one_line_and_exit_2(user_files, capsys):
    """--labels dense/kernel:0 (a resource handle) ended in a KeyError traceback from the dtype's NumPy lookup."""
    meta, data = user_files["meta"], user_files["data"]
    end = {"--inputs": "name the placeholder x of --data is fed to (X:0 by convention)",
           "--labels": "name the placeholder y of --data is fed to (y:0 by convention)"}
    for flag, value in (("--labels", "outputs/kernel:0"), ("--labels", "outputs/kernel"), ("--inputs", "hidden1/bias:0")):
        code, report, out, err = doctor_cli(capsys, "--graph", meta, "--data", data, flag, value)
        name = value.removesuffix(":0") + ":0"
        assert code == 2 and report is None and out == ""
        assert one_error_line(err) == (f"tf1-recipes: error: {flag} {name}: the variable {name[:-2]} (VarHandleOp), not a "
                                       f"tensor a value can be fed to; {end[flag]}")


@pytest.mark.parametrize("feed,said", [
    ("outputs/bias:0=1", "the variable outputs/bias (VarHandleOp), not a tensor a value can be fed to"),
    ("loss:0=1", "computed by the graph (Mean), not a placeholder"),
    ("outputs/BiasAdd:0=0.5", "computed by the graph (BiasAdd), not a placeholder"),
])
@pytest.mark.parametrize("flag", ["--train-feed", "--eval-feed"])
def test_a_feed_of_anything_but_a_placeholder_is_one_line_and_exit_2(flag, feed, said, user_files, capsys):
    """A fed loss was taken: check 1 PASSed on the fed value, and a fed logits made the checks measure a constant."""
    code, report, out, err = doctor_cli(capsys, "--graph", user_files["meta"], "--data", user_files["data"], flag, feed)
    name = feed.split("=")[0]
    line = one_error_line(err)
    assert code == 2 and report is None and out == ""
    assert line.startswith(f"tf1-recipes: error: {flag} {name}: {said}")
    assert line.endswith("give a placeholder (a keep_prob, a fed learning rate)")


def test_a_feed_of_an_identity_over_a_placeholder_names_the_placeholder():
    graph = keep_prob_mlp()
    with graph.as_default():
        tf.identity(graph.get_tensor_by_name("keep_prob:0"), name="keep_prob_read")
    tensors = user_graph.find_tensors(graph)
    with pytest.raises(user_graph.UserGraphError) as err:
        tensors.resolve_feeds(graph, {"keep_prob_read:0": 0.5})
    assert str(err.value) == ("--train-feed keep_prob_read:0: computed by the graph (Identity), not a placeholder, and its "
                              "fed value would replace what the runs measure; give a placeholder (a keep_prob, a fed "
                              "learning rate); it reads the placeholder keep_prob:0: feed that")


def test_a_tf1_ref_variable_is_no_labels_either():
    graph = tf1.Graph()
    with graph.as_default():
        X = tf1.placeholder(tf.float32, [None, 4], name="X")
        y = tf1.placeholder(tf.int64, [None], name="y")
        W = tf1.Variable(tf.zeros([4, 3]), name="W", use_resource=False)  # TF1's VariableV2, dtype float32_ref
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=tf.matmul(X, W)), name="loss")
        tf1.train.GradientDescentOptimizer(0.1).minimize(loss, name="train_op")
    assert W.op.type == "VariableV2"
    with pytest.raises(user_graph.UserGraphError, match=r"^--labels W:0: the variable W \(VariableV2\), not a tensor"):
        user_graph.find_tensors(graph, labels="W:0")
    assert user_graph.find_tensors(graph).labels.name == "y:0"


@pytest.mark.parametrize("train_op,why", [
    ("save/control_dependency", "runs the Saver's save/SaveV2 (a save or restore, which writes or reads checkpoint files)"),
    ("init", "runs variable initializers (hidden1/bias/Assign, ...)"),
    ("loss", "updates no variable"),
])
def test_a_train_op_that_is_no_training_step_is_one_line_and_runs_nothing(train_op, why, tmp_path, user_files, capsys,
                                                                           monkeypatch):
    """The Saver's save op as the step wrote model.index into the current folder; init reset what the checks measure."""
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.iterdir())
    code, report, out, err = doctor_cli(capsys, "--graph", user_files["meta"], "--checkpoint", user_files["prefix"],
                                        "--data", user_files["data"], "--check", "overfit", "--train-op", train_op)
    assert code == 2 and report is None and one_error_line(err) == (
        f"tf1-recipes: error: --train-op {train_op}: in {user_files['meta']}, it {why}: it is not a training step; "
        "name the op your training loop runs (what optimizer.minimize or apply_gradients returned)")
    assert sorted(tmp_path.iterdir()) == before


@pytest.mark.parametrize("argv,expected", [
    (["batch_norm", "--graph", "m.meta", "--data", "d.npz"], "give a recipe or --graph, not both"),
    ([], "give a recipe (tf1-recipes list) or your own model with --graph"),
    (["--graph", "m.meta"], "--graph needs --data FILE.npz"),
    (["batch_norm", "--checkpoint", "x"], "--checkpoint goes with --graph MODEL.meta, not with a recipe"),
    (["batch_norm", "--checkpoint", "x", "--train-feed", "a:0=1"],
     "--checkpoint, --train-feed go with --graph MODEL.meta, not with a recipe"),
    (["--graph", "m.meta", "--data", "d.npz", "--preset", "book"], "--preset goes with a recipe, not with --graph"),
])
def test_the_recipe_and_graph_forms_exclude_each_other_in_one_line(capsys, argv, expected):
    code = cli.main(["doctor", *argv])
    line = one_error_line(capsys.readouterr().err)
    assert code == 2 and expected in line and "see tf1-recipes doctor --help" in line


def test_a_real_process_prints_one_line_and_no_traceback(tmp_path, user_files):
    process = subprocess.run([sys.executable, "-m", "tf1_recipes", "doctor", "--graph", user_files["meta"],
                              "--data", str(tmp_path / "absent.npz")], capture_output=True, text=True, timeout=300)
    assert process.returncode == 2
    assert one_error_line(process.stderr).endswith("save it with numpy.savez(FILE, x=inputs, y=labels))")


def test_the_graph_form_writes_its_run_record(tmp_path, user_files, capsys):
    out_dir = tmp_path / "runs"
    code, report, out, _ = doctor_cli(capsys, "--graph", user_files["meta"], "--checkpoint", user_files["prefix"],
                                      "--data", user_files["data"], "--check", "wiring", "--out", str(out_dir))
    assert code == 0, out
    record = json.loads((out_dir / "runs.jsonl").read_text().splitlines()[-1])
    assert record["kind"] == "doctor" and record["recipe"] == f"graph:{user_files['meta']}"
    assert record["preset"] == "checkpoint" and len(record["config"]["sha256"]["data"]) == 64
    assert record["status"] == report["status"] == "PASS"


def test_a_regression_models_float_targets_are_fed_as_saved(tmp_path, mnist):
    x, digits = mnist
    graph = tf1.Graph()
    with graph.as_default():  # predict the digit's value (a regression, not a classifier)
        seed_everything(0)
        X = tf1.placeholder(tf.float32, [None, 784], name="X")
        y = tf1.placeholder(tf.float32, [None, 1], name="y")
        prediction = tf1.layers.dense(tf1.layers.dense(X, 20, tf.nn.relu), 1)
        mse = tf.reduce_mean(tf.square(prediction - y), name="mse")
        tf1.train.GradientDescentOptimizer(0.01).minimize(mse)
    meta, _ = save_graph(graph, tmp_path / "model")
    targets = (digits / 9.0 + 0.05).astype(np.float32).reshape(-1, 1)  # not class indices: fractional values
    report = doctor.diagnose(meta, save_npz(tmp_path / "data.npz", x, targets), budget=QUICK,
                             checks=["initial_loss", "wiring"])
    assert report.finding("initial_loss").status == "SKIP" and report.finding("wiring").status == "PASS", report.format()
    assert any(note.startswith("loss: mse:0") for note in report.notes)
