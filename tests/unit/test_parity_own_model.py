"""``tf1-recipes parity`` on a user's own TF1 model and Keras 3 port, and the README's worked example.

The user's model is ``examples/own_model/train_tf1.py`` (a TF1 script, not a recipe: default
``tf.layers`` names, batch norm with a training flag and UPDATE_OPS, Adam with
``global_step``), trained here for a few steps on real MNIST; its port is
``examples/own_model/keras_port.py``. The worked example (README, "Your own model") takes it
through doctor → migrate-ckpt → parity; :func:`test_the_readme_worked_example_runs_as_written`
runs the README's own command lines, so the documentation cannot drift from the tools.
"""

import json
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from tf1_recipes import cli

PROJECT = Path(__file__).resolve().parents[2]
EXAMPLE = PROJECT / "examples" / "own_model"
PORT = str(EXAMPLE / "keras_port.py")
TRAIN_STEPS = 60


@pytest.fixture(scope="module")
def own_model(tmp_path_factory, mnist_dir):
    """The user's trained TF1 model: its folder (model.ckpt, model.ckpt.meta, valid.npz)."""
    out = tmp_path_factory.mktemp("own")
    assert _script(EXAMPLE / "train_tf1.py").main([str(out), "--data-dir", str(mnist_dir), "--steps", str(TRAIN_STEPS)]) == 0
    return out


def _parity(capsys, *argv):
    code = cli.main(["parity", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _report(out):
    return json.loads(out.strip().splitlines()[-1])


def test_a_faithful_port_passes_with_ulp_scale_differences(own_model, capsys):
    code, out, err = _parity(capsys, "--tf1", str(own_model / "model.ckpt"), "--tf2", f"{PORT}:build",
                             "--data", str(own_model / "valid.npz"), "--steps", "5", "--json")
    assert code == 0, out + err
    report = _report(out)
    assert report["status"] == "PASS"
    checks = {c["name"]: c for c in report["checks"]}
    assert set(checks) == {"forward, inference mode: logits and loss", "forward, training mode: logits and loss",
                           "5 training steps: loss at every step", "5 training steps: every variable after the last"}
    for check in checks.values():
        assert check["status"] == "PASS"
        assert check["ulps"] <= 16, check  # the same sums in another order: a few ulps, not a different computation
    # Every TF1 variable went somewhere: the model's to Keras paths, Adam's m/v and step count into the optimizer.
    rows = {r["tf1"]: r for r in report["mapping"]}
    assert rows["dense_1/kernel"]["tf2"].endswith("/kernel") and rows["batch_normalization/moving_mean"]["tf2"]
    assert "optimizer" in rows["dense/kernel/Adam"]["tf2"] and "iterations" in rows["global_step"]["tf2"]
    assert "Traceback" not in err


@pytest.mark.parametrize("factory,why", [("build_wrong_epsilon", "batch norm epsilon 1e-5 instead of 1e-3"),
                                          ("build_transposed_kernel", "a square kernel applied transposed")])
def test_a_wrong_port_fails(own_model, capsys, factory, why):
    code, out, err = _parity(capsys, "--tf1", str(own_model / "model.ckpt"), "--tf2", f"{PORT}:{factory}",
                             "--data", str(own_model / "valid.npz"), "--steps", "3", "--json")
    assert code == 1, why
    report = _report(out)
    assert report["status"] == "FAIL"
    forward = report["checks"][0]
    assert forward["status"] == "FAIL" and forward["ulps"] > 1000, (why, forward)
    assert "[FAIL] forward, inference mode" in out


def _port_variant(tmp_path, *body):
    """A port file whose ``build()`` runs ``body`` (lines) with the example port loaded as ``p``: a user's variant."""
    port = tmp_path / "variant_port.py"
    port.write_text(f"import importlib.util, keras\n"
                    f"spec = importlib.util.spec_from_file_location('p', {PORT!r}); p = importlib.util.module_from_spec(spec)\n"
                    "spec.loader.exec_module(p)\n"
                    "def build():\n" + "".join(f"    {line}\n" for line in body))
    return port


def test_outputs_that_are_probabilities_are_named(own_model, capsys, tmp_path):
    port = _port_variant(tmp_path, "model, optimizer = p.build()",
                         "model.layers[-1].activation = keras.activations.softmax", "return model, optimizer")
    code, out, err = _parity(capsys, "--tf1", str(own_model / "model.ckpt"), "--tf2", f"{port}:build",
                             "--data", str(own_model / "valid.npz"))
    assert code == 1
    assert "outputs are probabilities" in out


def test_an_optimizer_setting_other_than_tf1s_is_named(own_model, capsys, tmp_path):
    """Adam at 0.01 where TF1 trained at 0.001: the steps FAIL and the report says which setting differs."""
    port = _port_variant(tmp_path, "model, _ = p.build()",
                         "return model, keras.optimizers.Adam(learning_rate=0.01, epsilon=1e-8)")
    code, out, err = _parity(capsys, "--tf1", str(own_model / "model.ckpt"), "--tf2", f"{port}:build",
                             "--data", str(own_model / "valid.npz"), "--steps", "3", "--json")
    assert code == 1
    report = _report(out)
    failed = [c for c in report["checks"] if c["status"] == "FAIL"]
    assert failed and all("training steps" in c["name"] for c in failed)
    assert any("learning_rate=0.001" in c["detail"] and "learning_rate=0.01" in c["detail"] for c in failed)
    assert any("learning_rate=0.001" in line for line in err.splitlines())


def _one_line_error(code, err, *needles):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tf1-recipes: error: "), err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_bad_input_is_one_line(own_model, capsys, tmp_path):
    ckpt, data = str(own_model / "model.ckpt"), str(own_model / "valid.npz")
    code, _, err = _parity(capsys, "--tf1", ckpt, "--tf2", "no_such_module:build", "--data", data)
    _one_line_error(code, err, "--tf2 no_such_module:build", "no module named")
    code, _, err = _parity(capsys, "--tf1", ckpt, "--tf2", f"{PORT}:nothing", "--data", data)
    _one_line_error(code, err, "--tf2", "nothing does not exist")
    code, _, err = _parity(capsys, "--tf1", ckpt, "--tf2", f"{PORT}:build", "--data", str(tmp_path / "none.npz"))
    _one_line_error(code, err, "none.npz", "no such file")
    code, _, err = _parity(capsys, "--tf1", str(tmp_path / "nothing.ckpt"), "--tf2", f"{PORT}:build", "--data", data)
    _one_line_error(code, err, "--tf1", "nothing.ckpt")
    code, _, err = _parity(capsys, "--tf1", ckpt, "--tf2", f"{PORT}:build", "--data", data, "--batch-size", "5000")
    _one_line_error(code, err, "fewer than --batch-size 5000")
    code, _, err = _parity(capsys, "--tf1", ckpt, "--tf2", f"{PORT}:build", "--data", data, "--inputs", "X_typo:0")
    _one_line_error(code, err, "X_typo")
    code, _, err = _parity(capsys, "--tf1", ckpt, "--tf2", f"{PORT}:build", "--data", data, "--map", "nonsense")
    _one_line_error(code, err, "--map")
    code, _, err = _parity(capsys, "--tf1", ckpt, "--tf2", f"{PORT}:build", "--data", data, "--labels", "X:0")
    _one_line_error(code, err, "the model needs placeholder y:0 (int64 [?], which the loss needs) that the runs do not "
                    "feed (they feed --inputs X:0, --labels X:0", "with --train-feed NAME=VALUE (the training-mode forward pass")
    exits = tmp_path / "exits.py"
    exits.write_text("def build():\n    import sys\n    sys.exit(0)\n")  # was exit 0, no output: a PASS of nothing
    code, _, err = _parity(capsys, "--tf1", ckpt, "--tf2", f"{exits}:build", "--data", data)
    _one_line_error(code, err, f"--tf2 {exits}:build: calling build() exited (sys.exit(0)); return the model")


def test_a_meta_less_checkpoint_is_one_line(own_model, capsys, tmp_path):
    import shutil

    for f in own_model.glob("model.ckpt.*"):
        if not f.name.endswith(".meta"):
            shutil.copy(f, tmp_path / f.name)
    code, _, err = _parity(capsys, "--tf1", str(tmp_path / "model.ckpt"), "--tf2", f"{PORT}:build",
                           "--data", str(own_model / "valid.npz"))
    _one_line_error(code, err, "model.ckpt.meta", "export_meta_graph")


def _readme_example():
    """The README's worked example: the command lines of its ``own-model`` block."""
    text = (PROJECT / "README.md").read_text()
    block = re.search(r"<!-- own-model-example -->\s*```(?:bash|sh)?\n(.*?)```", text, re.S)
    assert block, "README.md lost its worked example (<!-- own-model-example --> and a code block)"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _script(path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("own_model_train_tf1", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


def test_the_readme_worked_example_runs_as_written(capsys, tmp_path, monkeypatch):
    """Every command of the README's worked example, as written ($OUT a fresh folder), exits 0; parity PASSes."""
    monkeypatch.chdir(PROJECT)
    lines = _readme_example()
    commands = [shlex.split(line.replace("$OUT", str(tmp_path / "own")), comments=True) for line in lines]
    assert [c[0] for c in commands] == ["python", "tf1-recipes", "tf1-recipes", "tf1-recipes"], lines
    outputs = {}
    for argv in commands:
        if argv[0] == "python":
            code = _script(PROJECT / argv[1]).main(argv[2:])
        else:
            code = cli.main(argv[1:])
        out, err = capsys.readouterr()
        outputs[argv[1]] = out
        assert code == 0, (argv, out, err)
        assert "Traceback" not in err
    # The rate of an optimiser built under control_dependencies(UPDATE_OPS) is read, not taken for a fed one.
    assert "the model uses Adam with lr 0.001 (read from its graph)" in outputs["doctor"]
    assert "wrote" in outputs["migrate-ckpt"]
    assert outputs["parity"].rstrip().splitlines()[-1].startswith("PASS")


#: A Keras port of the fed-placeholder graphs below (layers in TF1's order; the learning rate TF1 was fed).
FED_PORT = """import keras


def build():
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3)])
    return model, keras.optimizers.SGD(learning_rate=0.1)


def build_with_dropout():
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.5), keras.layers.Dense(3)])
    return model, keras.optimizers.SGD(learning_rate=0.1)
"""


@pytest.fixture(scope="module")
def fed_models(tmp_path_factory):
    """Two small TF1 graphs that need a placeholder besides X and y, saved with Saver, and their Keras port.

    ``lr``: plain GD whose rate is the placeholder ``learning_rate`` (a schedule computed in Python, fed each
    step); ``keep_prob``: ``tf.compat.v1.nn.dropout(keep_prob=...)`` fed 0.5 to train and 1.0 to evaluate;
    ``flag_keep_prob``: its keep_prob computed from a ``training`` flag (0.5 when True, 1.0 by default).
    Synthetic arrays: the mechanics of feeding, no result claimed.
    """
    from tf1_recipes.compat import tf, tf1

    out = tmp_path_factory.mktemp("fed")
    rng = np.random.default_rng(0)
    np.savez(out / "data.npz", x=rng.normal(size=(64, 4)).astype(np.float32), y=rng.integers(0, 3, 64))
    for name in ("lr", "keep_prob", "flag_keep_prob"):
        with tf1.Graph().as_default():
            tf1.set_random_seed(1)
            X = tf1.placeholder(tf.float32, (None, 4), name="X")
            y = tf1.placeholder(tf.int64, (None,), name="y")
            hidden = tf1.layers.dense(X, 8, activation=tf.nn.relu)
            if name == "keep_prob":
                hidden = tf1.nn.dropout(hidden, keep_prob=tf1.placeholder(tf.float32, (), name="keep_prob"))
            if name == "flag_keep_prob":
                training = tf1.placeholder_with_default(False, (), name="training")
                hidden = tf1.nn.dropout(hidden, keep_prob=1.0 - 0.5 * tf.cast(training, tf.float32))
            logits = tf1.layers.dense(hidden, 3)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits), name="loss")
            rate = tf1.placeholder(tf.float32, (), name="learning_rate") if name == "lr" else 0.1
            tf1.train.GradientDescentOptimizer(rate).minimize(loss, name="train_op")
            with tf1.Session() as sess:
                sess.run(tf1.global_variables_initializer())
                tf1.train.Saver().save(sess, str(out / name / "model.ckpt"))
    (out / "fed_port.py").write_text(FED_PORT)
    return out


def _fed_parity(capsys, fed_models, name, factory, *argv):
    return _parity(capsys, "--tf1", str(fed_models / name / "model.ckpt"), "--tf2", f"{fed_models / 'fed_port.py'}:{factory}",
                   "--data", str(fed_models / "data.npz"), *argv)


def test_a_fed_learning_rate_is_given_with_train_feed(fed_models, capsys):
    code, out, err = _fed_parity(capsys, fed_models, "lr", "build", "--steps", "3", "--train-feed", "learning_rate:0=0.1",
                                 "--json")
    assert code == 0, out + err
    checks = {c["name"]: c["status"] for c in _report(out)["checks"]}
    assert checks["3 training steps: loss at every step"] == checks["3 training steps: every variable after the last"] == "PASS"
    # Another rate fed to TF1 than the Keras optimizer's: the steps part, and only they.
    code, out, _ = _fed_parity(capsys, fed_models, "lr", "build", "--steps", "3", "--train-feed", "learning_rate:0=0.5",
                               "--json")
    assert code == 1
    failed = [c["name"] for c in _report(out)["checks"] if c["status"] == "FAIL"]
    assert failed and all("training steps" in name for name in failed), failed
    # Unfed, the one line names it and the flag that feeds it; a forward pass alone does not need it.
    code, _, err = _fed_parity(capsys, fed_models, "lr", "build", "--steps", "3")
    _one_line_error(code, err, "learning_rate:0 (float32 [], which a training step needs)", "--train-feed NAME=VALUE")


def test_a_keep_prob_is_given_with_eval_feed_and_the_dropout_steps_are_skipped(fed_models, capsys):
    code, out, err = _fed_parity(capsys, fed_models, "keep_prob", "build_with_dropout", "--steps", "2",
                                 "--eval-feed", "keep_prob:0=1.0", "--train-feed", "keep_prob:0=0.5", "--json")
    assert code == 0, out + err
    checks = {c["name"]: c for c in _report(out)["checks"]}
    assert checks["forward, inference mode: logits and loss"]["status"] == "PASS"
    assert checks["2 training steps"]["status"] == "SKIP" and "dropout" in checks["2 training steps"]["detail"]
    code, _, err = _fed_parity(capsys, fed_models, "keep_prob", "build_with_dropout")
    _one_line_error(code, err, "keep_prob:0 (float32 [], which the loss needs)", "--eval-feed NAME=VALUE")


@pytest.mark.parametrize("train,evaluate,needle", [
    ("0", "1.0", "--train-feed keep_prob:0=0 gives dropout 'dropout' a rate of 1, outside [0, 1): it drops every unit"),
    ("0.5", "1.5", "--eval-feed keep_prob:0=1.5 gives dropout 'dropout' a rate of -0.5, outside [0, 1): it keeps every "
                   "unit and scales it by 0.667; keep_prob is the fraction of units kept"),
])
def test_a_keep_prob_giving_a_rate_outside_0_1_is_one_line(fed_models, capsys, train, evaluate, needle):
    """TensorFlow checks a Python rate when the graph is built, not a fed keep_prob: at 0 parity compared a model
    whose units are all dropped, at 1.5 one whose units are all kept and scaled down."""
    code, _, err = _fed_parity(capsys, fed_models, "keep_prob", "build_with_dropout", "--steps", "1",
                               "--train-feed", f"keep_prob:0={train}", "--eval-feed", f"keep_prob:0={evaluate}")
    _one_line_error(code, err, needle)


def test_keep_prob_fed_1_in_training_lets_the_steps_be_compared(fed_models, capsys):
    """Steps SKIPped for 'dropout draws its own random mask on each side' whatever keep_prob was fed: at 1.0 it
    drops nothing, and the steps of a port without dropout can be compared."""
    code, out, err = _fed_parity(capsys, fed_models, "keep_prob", "build", "--steps", "2",
                                 "--eval-feed", "keep_prob:0=1.0", "--train-feed", "keep_prob:0=1.0", "--json")
    assert code == 0, out + err
    checks = {c["name"]: c["status"] for c in _report(out)["checks"]}
    assert checks["2 training steps: loss at every step"] == checks["2 training steps: every variable after the last"] \
        == "PASS", checks


def test_a_keep_prob_computed_from_the_training_flag_is_dropout_in_training_mode(fed_models, capsys):
    """Its rate was computed without the training flag (its default False: keep_prob 1.0, rate 0), so the dropout
    was taken as inactive and the training-mode steps compared against a port without dropout: a spurious FAIL."""
    code, out, err = _fed_parity(capsys, fed_models, "flag_keep_prob", "build", "--steps", "2", "--json")
    assert code == 0, out + err
    checks = {c["name"]: c for c in _report(out)["checks"]}
    assert checks["forward, inference mode: logits and loss"]["status"] == "PASS"
    assert checks["forward, training mode"]["status"] == checks["2 training steps"]["status"] == "SKIP", checks


@pytest.mark.parametrize("feed,needles", [
    (("--train-feed", "learning_rat:0=0.1"), ("--train-feed 'learning_rat:0'", "close matches: learning_rate:0")),
    (("--train-feed", "X:0=0.1"), ("--train-feed X:0: that is the model's inputs, which parity feeds from --data",)),
    (("--eval-feed", "learning_rate:0=true"), ("--eval-feed learning_rate:0=True: learning_rate:0 takes float32 []",)),
    (("--train-feed", "learning_rate:0"), ("expected NAME=VALUE",)),
    (("--eval-feed", "loss:0=0.5"), ("--eval-feed loss:0: computed by the graph (Mean), not a placeholder",)),
    (("--eval-feed", "dense/bias:0=0.5"), ("--eval-feed dense/bias:0: the variable dense/bias (VarHandleOp), not a tensor",)),
])
def test_a_bad_feed_is_one_line(fed_models, capsys, feed, needles):
    code, _, err = _fed_parity(capsys, fed_models, "lr", "build", "--steps", "1", "--train-feed", "learning_rate:0=0.1",
                               *feed)
    _one_line_error(code, err, *needles)
