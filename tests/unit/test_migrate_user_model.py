"""``migrate-ckpt PREFIX OUT --to MODULE:FUNCTION``: a user's own TF1 checkpoint into the user's own Keras 3 model.

Each TF1 side here is a small user script (not a recipe): a 784-300-50-10 ReLU MLP built
with ``tf.layers.dense`` (default names, under ``variable_scope("dnn")``) or with
hand-made ``tf.Variable``s, trained N steps on real MNIST with a TF1 optimizer and saved
with a ``Saver``. The Keras side is a factory in a Python file, given as ``--to
FILE.py:build``.

The optimizer-state tests are the proof the issue asks for: TF1 restores its checkpoint
and runs K more steps of its training op on fixed batches; TF2 restores the converted
checkpoint into a fresh model and optimizer from the factory and runs K steps on the same
batches; every weight must agree within ``|d| <= ATOL + RTOL |w|`` (RTOL 1e-5, ATOL 1e-6,
Adam 1e-5), the bounds of tf1_recipes.tf2.parity. Why these: both sides compute in
float32 (eps 1.2e-7); the converted state is the checkpoint's bits (SGD's buffer: one
rounded product), the forward and backward passes use the same kernels, and only the
optimizers' formulas differ in the order of their operations (TF1's fused
``ApplyAdam``/``ApplyMomentum``/... kernels vs Keras' element-wise ops), a few ulps per
step, summed over K = 5 steps. Adam divides by the running RMS of each gradient, so
last-bit differences of a gradient that is mostly cancellation become relative
differences of its step (~lr = 1e-3): hence its absolute bound 1e-5 (1 % of one step), and RMSProp's, which divides by it too.
Each test also shows the bound has teeth: continuing with a fresh optimizer (the state
dropped) moves some weight by far more.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tf1_recipes import cli
from tf1_recipes.tf2 import parity

N_BEFORE, K_AFTER, BATCH = 5, 5, 64
RTOL, ATOL, ADAM_ATOL = parity.WEIGHT_RTOL, parity.WEIGHT_ATOL, 1e-5


@pytest.fixture(scope="module")
def batches(mnist_dir):
    """N_BEFORE + K_AFTER fixed batches of BATCH real MNIST training images (float32 [0, 1], int64 labels)."""
    from tf1_recipes.data import load_mnist

    train = load_mnist(str(mnist_dir), train_size=(N_BEFORE + K_AFTER) * BATCH).train
    X, y = train.images.astype(np.float32), train.labels.astype(np.int64)
    return [(X[i : i + BATCH], y[i : i + BATCH]) for i in range(0, len(X), BATCH)]


# --------------------------------------------------------------------------- the TF1 user scripts


def tf_layers_mlp(scope=None):
    """784-300-50-10 with tf.layers.dense default names (dense, dense_1, dense_2), optionally under a variable_scope."""

    def build(X):
        from tf1_recipes.compat import tf, tf1

        with tf1.variable_scope(scope) if scope else _nothing():
            hidden1 = tf1.layers.dense(X, 300, activation=tf.nn.relu)
            hidden2 = tf1.layers.dense(hidden1, 50, activation=tf.nn.relu)
            return tf1.layers.dense(hidden2, 10)

    return build


def hand_written_mlp(X):
    """The same MLP from tf.Variable W1, b1, W2, b2, W3, b3 at the top level (no layer scopes)."""
    from tf1_recipes.compat import tf, tf1

    rng = np.random.RandomState(0)
    layer = X
    for i, (n_in, n_out) in enumerate([(784, 300), (300, 50), (50, 10)], 1):
        W = tf1.Variable(rng.normal(0, 0.05, (n_in, n_out)).astype(np.float32), name=f"W{i}")
        b = tf1.Variable(np.zeros(n_out, np.float32), name=f"b{i}")
        layer = tf.matmul(layer, W) + b
        if i < 3:
            layer = tf.nn.relu(layer)
    return layer


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def train_tf1(directory, build, make_optimizer, batches, global_step=True):
    """The user's TF1 script: N_BEFORE steps, ``Saver.save``; then, restored from that checkpoint, K_AFTER more.

    Returns (prefix, {TF1 model variable name: value after the K_AFTER steps}).
    """
    from tf1_recipes.compat import tf, tf1

    graph = tf1.Graph()
    with graph.as_default():
        tf1.set_random_seed(42)
        X = tf1.placeholder(tf.float32, [None, 784], name="X")
        y = tf1.placeholder(tf.int64, [None], name="y")
        logits = build(X)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        model_variables = tf1.trainable_variables()
        step = tf1.train.get_or_create_global_step() if global_step else None
        train_op = make_optimizer().minimize(loss, global_step=step)
        saver = tf1.train.Saver()
        init = tf1.global_variables_initializer()
    prefix = str(Path(directory) / "model.ckpt")
    with tf1.Session(graph=graph) as sess:
        sess.run(init)
        for X_batch, y_batch in batches[:N_BEFORE]:
            sess.run(train_op, {X: X_batch, y: y_batch})
        saver.save(sess, prefix)
    with tf1.Session(graph=graph) as sess:
        saver.restore(sess, prefix)
        for X_batch, y_batch in batches[N_BEFORE:]:
            sess.run(train_op, {X: X_batch, y: y_batch})
        return prefix, {v.op.name: value for v, value in zip(model_variables, sess.run(model_variables))}


FACTORY = """
import keras
from tf1_recipes.tf2.optimizers import TF1Adam, TF1Momentum, TF1RMSprop


def build():
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        keras.layers.Dense({h1}, activation="relu"{n1}),
        keras.layers.Dense(50, activation="relu"{n2}),
        keras.layers.Dense(10{n3}),
    ])
    return model, {optimizer}
"""


def factory(tmp_path, optimizer, h1=300, names=None):
    """A user's factory file returning (the Keras 3 MLP, ``optimizer``); layers auto-named or named ``names``."""
    n = [f', name="{name}"' for name in names] if names else ["", "", ""]
    path = tmp_path / "user_model.py"
    path.write_text(FACTORY.format(optimizer=optimizer, h1=h1, n1=n[0], n2=n[1], n3=n[2]))
    return f"{path}:build"


def migrate(capsys, *args):
    code = cli.main(["migrate-ckpt", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def one_error_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tf1-recipes: error: ") and "Traceback" not in err, err
    return lines[0]


def continue_in_tf2(spec, prefix, out_dir, batches, optimizer_state=True, maps=()):
    """A fresh model and optimizer from the factory, the converted checkpoint restored object by object (the
    optimizer's state too when ``optimizer_state``), K_AFTER steps on the TF1 side's batches.

    Returns ({TF1 name: weight after the steps}, optimizer). The fresh model's Keras names
    differ from the converted one's where Keras numbered them (dense_7 ...), so the
    weights are found by TF1 name through :func:`map_checkpoint` on the fresh model; a
    wrong mapping would have loaded wrong values, and the trajectories would part.
    """
    import tensorflow as tf

    from tf1_recipes.tf2.mapping import map_checkpoint
    from tf1_recipes.tf2.migrate import build_user_model, restore

    model, optimizer = build_user_model(spec, {})
    restore(model, out_dir, optimizer if optimizer_state else None)
    for X_batch, y_batch in batches[N_BEFORE:]:
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_batch, logits=model(X_batch, training=True)))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    mapping = map_checkpoint(prefix, model, maps).check()
    return {name: v.numpy() for name, v in mapping.variables.items()}, optimizer


def table_targets(stdout):
    """{TF1 name: Keras path} of the converted model variables in the printed table."""
    targets = {}
    for line in stdout.splitlines():
        if " -> " in line and not line.split(" -> ")[1].startswith(("(", "optimizer")):
            targets[line.split()[0]] = line.split(" -> ")[1].split()[0]
    return targets


def worst_excess(tf1_final, tf2_final, atol):
    """max over weights of |tf1 - tf2| - (atol + RTOL |tf1|): <= 0 when every weight is within the bound."""
    assert sorted(tf1_final) == sorted(tf2_final)
    return max(
        float(np.max(np.abs(tf1_final[name] - tf2_final[name]) - (atol + RTOL * np.abs(tf1_final[name]))))
        for name in tf1_final
    )


TF1_OPTIMIZERS = {
    # name: (TF1 optimizer, the Keras 3 optimizer the factory returns, absolute tolerance)
    "adam": (lambda tf1: tf1.train.AdamOptimizer(1e-3), "keras.optimizers.Adam(1e-3, epsilon=1e-8)", ADAM_ATOL),
    # TF1Adam gets TF1's beta powers as they are (Keras' Adam recomputes them): the plain-weight bound.
    "adam_tf1adam": (lambda tf1: tf1.train.AdamOptimizer(1e-3), "TF1Adam(1e-3, epsilon=1e-8)", ATOL),
    "momentum_sgd": (lambda tf1: tf1.train.MomentumOptimizer(0.01, 0.9), "keras.optimizers.SGD(0.01, momentum=0.9)", ATOL),
    "momentum_tf1momentum": (lambda tf1: tf1.train.MomentumOptimizer(0.01, 0.9), "TF1Momentum(0.01, momentum=0.9)", ATOL),
    "nesterov_sgd": (lambda tf1: tf1.train.MomentumOptimizer(0.01, 0.9, use_nesterov=True), "keras.optimizers.SGD(0.01, momentum=0.9, nesterov=True)", ATOL),
    "rmsprop": (lambda tf1: tf1.train.RMSPropOptimizer(1e-3, momentum=0.9), "keras.optimizers.RMSprop(1e-3, rho=0.9, momentum=0.9, epsilon=1e-10)", ADAM_ATOL),
    "adagrad": (lambda tf1: tf1.train.AdagradOptimizer(0.01), "keras.optimizers.Adagrad(0.01, epsilon=0.0)", ATOL),
}


def _tf1_optimizer(make):
    """The user's TF1 optimizer: ``make(tf.compat.v1)``, called inside the graph."""
    from tf1_recipes.compat import tf1

    return lambda: make(tf1)


@pytest.mark.parametrize("case", list(TF1_OPTIMIZERS))
def test_optimizer_state_continues_training_as_tf1_does(case, tmp_path, capsys, batches):
    """The default tf.layers names (dense, dense_1, dense_2) onto auto-named Keras Dense layers in order,
    the optimizer's slots and step count converted: K further steps land where TF1's do."""
    tf1_expr, keras_expr, atol = TF1_OPTIMIZERS[case]
    prefix, tf1_final = train_tf1(tmp_path / "tf1", tf_layers_mlp(), _tf1_optimizer(tf1_expr), batches)
    spec = factory(tmp_path, keras_expr)
    code, out, err = migrate(capsys, prefix, tmp_path / "tf2", "--to", spec, "--optimizer-state")
    assert code == 0, err
    targets = table_targets(out)
    assert sorted(targets) == sorted(tf1_final) and len(targets) == 6
    assert all(f"dense{s}/kernel" in targets and f"dense{s}/bias" in targets for s in ("", "_1", "_2"))
    assert "in order: kernel layer 1 of 3" in out and "layer order: creation order from" in out
    assert "not converted" not in out, out  # every slot and the step count went into the optimizer
    assert "the training steps will differ" not in err, err  # the factory's optimizer has TF1's settings
    assert f"global_step{' ' * 0}" in out and f"optimizer.iterations = {N_BEFORE}" in out

    tf2_final, optimizer = continue_in_tf2(spec, prefix, tmp_path / "tf2", batches)
    assert int(optimizer.iterations.numpy()) == N_BEFORE + K_AFTER
    excess = worst_excess(tf1_final, tf2_final, atol)
    largest = max(float(np.max(np.abs(tf1_final[n] - tf2_final[n]))) for n in tf1_final)
    print(f"{case}: after {K_AFTER} more steps max|tf1 - tf2| = {largest:.3g}, worst margin to the bound {excess:.3g}")
    assert excess <= 0.0
    # Teeth: the same K steps from a fresh optimizer (the state dropped) miss by far more than the bound.
    fresh, _ = continue_in_tf2(spec, prefix, tmp_path / "tf2", batches, optimizer_state=False)
    assert worst_excess(tf1_final, fresh, atol) > 10 * atol


def test_under_variable_scope_dnn_named_keras_layers_and_a_plain_sgd(tmp_path, capsys, batches):
    """dnn/dense, dnn/dense_1, dnn/dense_2 onto Keras layers named hidden1, hidden2, logits (in order); Momentum."""
    prefix, tf1_final = train_tf1(tmp_path / "tf1", tf_layers_mlp("dnn"), _tf1_optimizer(lambda tf1: tf1.train.MomentumOptimizer(0.01, 0.9)), batches)
    spec = factory(tmp_path, "keras.optimizers.SGD(0.01, momentum=0.9)", names=["hidden1", "hidden2", "logits"])
    code, out, err = migrate(capsys, prefix, tmp_path / "tf2", "--to", spec, "--optimizer-state")
    assert code == 0, err
    targets = table_targets(out)
    assert targets == {
        "dnn/dense/kernel": "hidden1/kernel", "dnn/dense/bias": "hidden1/bias",
        "dnn/dense_1/kernel": "hidden2/kernel", "dnn/dense_1/bias": "hidden2/bias",
        "dnn/dense_2/kernel": "logits/kernel", "dnn/dense_2/bias": "logits/bias",
    }
    assert "x TF1's accumulator" in out  # SGD's buffer is -lr x TF1's
    tf2_final, _ = continue_in_tf2(spec, prefix, tmp_path / "tf2", batches)
    assert worst_excess(tf1_final, tf2_final, ATOL) <= 0.0


def test_a_keras_optimizer_with_other_settings_than_the_graphs_is_named(tmp_path, capsys, batches):
    """TF1 Momentum at lr 0.01 converted into an SGD at 0.1: converted (the user's choice), with a note naming the rate."""
    prefix, _ = train_tf1(tmp_path / "tf1", tf_layers_mlp(), _tf1_optimizer(lambda tf1: tf1.train.MomentumOptimizer(0.01, 0.9)), batches)
    spec = factory(tmp_path, "keras.optimizers.SGD(0.1, momentum=0.9)")
    code, out, err = migrate(capsys, prefix, tmp_path / "tf2", "--to", spec, "--optimizer-state")
    assert code == 0, err
    notes = [line for line in err.splitlines() if "the training steps will differ" in line]
    assert len(notes) == 1 and "learning_rate=0.01" in notes[0] and "learning_rate=0.1" in notes[0], err


def test_hand_written_variables_are_refused_listing_every_difference_then_converted_with_map(tmp_path, capsys, batches):
    """W1, b1, ... at the top level: no layer to match, so the refusal lists them all and the model's
    variables; two regex --map rules convert it, and training continues as in TF1 (no global_step: 0)."""
    prefix, tf1_final = train_tf1(tmp_path / "tf1", hand_written_mlp, _tf1_optimizer(lambda tf1: tf1.train.MomentumOptimizer(0.01, 0.9)),
                                  batches, global_step=False)
    spec = factory(tmp_path, "TF1Momentum(0.01, momentum=0.9)", names=["fc1", "fc2", "fc3"])
    out_dir = tmp_path / "tf2"
    code, _, err = migrate(capsys, prefix, out_dir, "--to", spec)
    line = one_error_line(err)
    assert code == 2 and not out_dir.exists()
    assert "TF1 variables nothing maps: W1, W2, W3, b1, b2, b3" in line
    assert "model variables nothing maps onto: fc1/kernel [784, 300], fc1/bias [300], fc2/kernel [300, 50]" in line
    assert "--map OLD=NEW" in line

    code, out, err = migrate(capsys, prefix, out_dir, "--to", spec, "--map", r"re:W(\d)$=fc\1/kernel", "--map", r"re:b(\d)$=fc\1/bias",
                             "--optimizer-state")
    assert code == 0, err
    assert table_targets(out) == {f"{w}{i}": f"fc{i}/{k}" for i in (1, 2, 3) for w, k in (("W", "kernel"), ("b", "bias"))}
    assert "global_step" not in out and err == ""  # no step counter: iterations 0, which a constant rate does not use
    tf2_final, _ = continue_in_tf2(spec, prefix, out_dir, batches, maps=[r"re:W(\d)$=fc\1/kernel", r"re:b(\d)$=fc\1/bias"])
    assert worst_excess(tf1_final, tf2_final, ATOL) <= 0.0


def test_a_prefix_map_renames_a_scope(tmp_path, capsys, batches):
    """--map dnn/dense_2=logits (a prefix) takes one layer by name; the rest still go in order."""
    prefix, _ = train_tf1(tmp_path / "tf1", tf_layers_mlp("dnn"), _tf1_optimizer(lambda tf1: tf1.train.GradientDescentOptimizer(0.1)), batches[:N_BEFORE])
    spec = factory(tmp_path, "keras.optimizers.SGD(0.1)", names=["a", "b", "logits"])
    code, out, err = migrate(capsys, prefix, tmp_path / "tf2", "--to", spec, "--map", "dnn/dense_2=logits")
    assert code == 0, err
    assert "dnn/dense_2/kernel" in out and "-> logits/kernel  (--map dnn/dense_2=logits)" in out
    assert table_targets(out)["dnn/dense_1/bias"] == "b/bias"


def test_shape_differences_are_all_listed_and_nothing_is_written(tmp_path, capsys, batches):
    prefix, _ = train_tf1(tmp_path / "tf1", tf_layers_mlp(), _tf1_optimizer(lambda tf1: tf1.train.AdamOptimizer(1e-3)), batches[:N_BEFORE])
    spec = factory(tmp_path, "keras.optimizers.Adam()", h1=200)
    code, _, err = migrate(capsys, prefix, tmp_path / "tf2", "--to", spec)
    line = one_error_line(err)
    assert code == 2 and not (tmp_path / "tf2").exists()
    assert "dense/kernel has shape [784, 300], the model's" in line and "kernel [784, 200] (in order: kernel layer 1 of 3)" in line
    assert "dense/bias has shape [300]" in line and "dense_1/kernel has shape [300, 50]" in line


def test_another_optimizers_slots_are_listed_not_converted_and_do_not_block(tmp_path, capsys, batches):
    """An Adam checkpoint into a model whose optimizer is SGD: without --optimizer-state the slots and beta
    powers are listed as optimizer state; with it, the refusal says the optimizers differ."""
    prefix, _ = train_tf1(tmp_path / "tf1", tf_layers_mlp(), _tf1_optimizer(lambda tf1: tf1.train.AdamOptimizer(1e-3)), batches[:N_BEFORE])
    spec = factory(tmp_path, "keras.optimizers.SGD(0.01, momentum=0.9)")
    code, out, err = migrate(capsys, prefix, tmp_path / "tf2", "--to", spec)
    assert code == 0, err
    assert "dense/kernel/Adam " in out and "(not converted: optimizer state, slot 'Adam' (Adam m) of dense/kernel)" in out
    assert "beta1_power" in out and "(not converted: optimizer state, Adam's step count)" in out
    assert "(not converted: optimizer state, step count)" in out  # global_step
    assert "6 variables converted, 15 listed only" in out  # 6 weights; 12 slots, 2 beta powers, global_step
    code, _, err = migrate(capsys, prefix, tmp_path / "tf2b", "--to", spec, "--optimizer-state")
    assert code == 2 and "holds TF1 Adam state but the model's optimizer is SGD" in one_error_line(err)
    assert not (tmp_path / "tf2b").exists()


def test_adam_with_other_betas_is_refused(tmp_path, capsys, batches):
    prefix, _ = train_tf1(tmp_path / "tf1", tf_layers_mlp(), _tf1_optimizer(lambda tf1: tf1.train.AdamOptimizer(1e-3, beta1=0.8)), batches[:N_BEFORE])
    spec = factory(tmp_path, "keras.optimizers.Adam(1e-3, epsilon=1e-8)")
    code, _, err = migrate(capsys, prefix, tmp_path / "tf2", "--to", spec, "--optimizer-state")
    line = one_error_line(err)
    assert code == 2 and "are no step's powers of the model's Adam betas (0.9, 0.999)" in line


# --------------------------------------------------------------------------- bad --to, bad flags


@pytest.fixture(scope="module")
def small_checkpoint(tmp_path_factory, batches):
    directory = tmp_path_factory.mktemp("small")
    return train_tf1(directory, tf_layers_mlp(), _tf1_optimizer(lambda tf1: tf1.train.GradientDescentOptimizer(0.1)), batches[:1])[0]


BAD_FACTORIES = {
    "no colon": (None, "expected MODULE:FUNCTION"),
    "no module": ("no_such_module_for_migrate_xyz:build", "no module named 'no_such_module_for_migrate_xyz'"),
    "no file": ("missing_dir/none.py:build", "no such file missing_dir/none.py"),
    "import raises": ("def build(:\n", "importing"),
    "a script that exits 0 on import": ("def build():\n    return None\ndef main():\n    print('training...')\n    return 0\n"
                                        "import sys\nsys.exit(main())\n",
                                        "ran a script that exited (sys.exit(0), after printing 'training...')"),
    "a script that parses its arguments on import": (
        "import argparse\ndef build():\n    return None\nparser = argparse.ArgumentParser()\n"
        "parser.add_argument('--epochs', required=True)\nparser.parse_args()\n",
        "error: the following arguments are required: --epochs'); name a module that defines the factory"),  # argparse's prog: argv[0]
    "no function": ("def make():\n    return None\n", "build does not exist in"),
    "not callable": ("build = 3\n", "build is not a function"),
    "factory exits": ("def build():\n    import sys\n    print('usage: train.py --units N')\n    sys.exit(0)\n",
                      "calling build() exited (sys.exit(0), after printing 'usage: train.py --units N'); return the model "
                      "(or the optimizer) instead of exiting"),
    "factory raises": ("def build():\n    raise RuntimeError('no weights file')\n", "calling build() raised RuntimeError: no weights file; fix the factory"),
    "returns a string": ("def build():\n    return 'model'\n", "returned a builtins.str, not a Keras 3 model"),
    "returns tf.keras": ("import tf_keras\ndef build():\n    return tf_keras.Sequential([tf_keras.layers.Dense(10, input_shape=(784,))])\n",
                         "returned a tf.keras model"),
    "bad optimizer": ("import keras\ndef build():\n    return keras.Sequential([keras.Input((784,)), keras.layers.Dense(10)]), 'adam'\n",
                      "not a Keras 3 optimizer"),
    "cannot build": ("import keras\ndef build():\n    return keras.Sequential([keras.layers.Reshape((7, 7))])\n", "the model is not built, and calling it"),
}


@pytest.mark.parametrize("case", list(BAD_FACTORIES))
def test_a_bad_to_is_one_line_exit_2_and_nothing_written(case, small_checkpoint, tmp_path, capsys, monkeypatch):
    source, expected = BAD_FACTORIES[case]
    monkeypatch.chdir(tmp_path)
    if source is None:
        spec = "user_model_build"
    elif ":" in source and "\n" not in source:
        spec = source
    else:
        (tmp_path / "user_model.py").write_text(source)
        spec = "user_model.py:build"
    code, _, err = migrate(capsys, small_checkpoint, tmp_path / "tf2", "--to", spec)
    line = one_error_line(err)
    assert code == 2 and expected in line and f"--to {spec}" in line, line
    assert not (tmp_path / "tf2").exists()


def test_a_module_that_exits_on_import_is_one_line_and_one_that_prints_keeps_its_output(small_checkpoint, tmp_path,
                                                                                          capsys, monkeypatch):
    """MODULE:FUNCTION: sys.exit(0) on import ended the command with exit 0 and nothing done, nothing said."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "exits_on_import.py").write_text("import sys\nsys.exit(0)\n")
    code, out, err = migrate(capsys, small_checkpoint, tmp_path / "tf2", "--to", "exits_on_import:build")
    assert code == 2 and out == "" and one_error_line(err) == (
        "tf1-recipes: error: --to exits_on_import:build: importing exits_on_import ran a script that exited (sys.exit(0)); "
        "name a module that defines the factory without running anything, or put the script's code under "
        "if __name__ == '__main__':")
    assert not (tmp_path / "tf2").exists()
    (tmp_path / "prints_on_import.py").write_text(
        FACTORY.format(optimizer="keras.optimizers.SGD(0.1)", h1=300, n1="", n2="", n3="")
        + "import sys\nprint('hello from import')\nprint('noise', file=sys.stderr)\n")
    code, out, err = migrate(capsys, small_checkpoint, tmp_path / "tf2", "--to", "prints_on_import:build")
    assert code == 0 and out.startswith("hello from import\n") and err.startswith("noise\n"), (out, err)


def test_a_tf2_checkpoint_given_as_the_tf1_one_is_one_line(small_checkpoint, tmp_path, capsys):
    """An object-based checkpoint (what migrate-ckpt writes) read as a Saver's: was an AttributeError's traceback."""
    spec = factory(tmp_path, "keras.optimizers.SGD(0.1)")
    code, out, err = migrate(capsys, small_checkpoint, tmp_path / "tf2", "--to", spec)
    assert code == 0, err
    tf2_prefix = out.strip().splitlines()[-1].split()[1]  # "wrote DIR/ckpt-1 (...)"
    code, _, err = migrate(capsys, tf2_prefix, tmp_path / "again", "--to", spec)
    assert code == 2 and one_error_line(err) == (
        f"tf1-recipes: error: {tf2_prefix} is an object-based TF2 checkpoint (tf.train.Checkpoint), not a TF1 Saver "
        "checkpoint; restore it with tf.train.Checkpoint(model=...).read(prefix)")
    assert not (tmp_path / "again").exists()


@pytest.mark.parametrize("name", ["weights.npz", "build_model", "model.PY"])
def test_a_to_file_that_is_not_a_python_file_is_one_line(name, small_checkpoint, tmp_path, capsys, monkeypatch):
    """importlib has no loader for these (it was an AttributeError's traceback)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / name).write_text("def build():\n    return None\n")
    code, _, err = migrate(capsys, small_checkpoint, tmp_path / "tf2", "--to", f"dir/{name}:build")
    assert code == 2 and one_error_line(err) == (
        f"tf1-recipes: error: --to dir/{name}:build: dir/{name} is not a Python file (.py); give path/to/file.py:FUNCTION "
        "or MODULE:FUNCTION")
    assert not (tmp_path / "tf2").exists()


def test_a_folder_given_as_the_to_file_is_called_a_folder(small_checkpoint, tmp_path, capsys, monkeypatch):
    """It was "no such file" for a folder that is there."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    code, _, err = migrate(capsys, small_checkpoint, tmp_path / "tf2", "--to", "models/:build")
    assert code == 2 and one_error_line(err) == (
        "tf1-recipes: error: --to models/:build: models is a folder, not a Python file; give the file that defines the "
        "function, path/to/file.py:FUNCTION (or MODULE:FUNCTION)")
    assert not (tmp_path / "tf2").exists()


def test_a_module_in_the_current_directory_is_found_and_an_unbuilt_model_is_built(small_checkpoint, tmp_path, capsys, monkeypatch):
    """MODULE:FUNCTION imports from the current directory (as python -m does); a model with no Input is
    built on zeros of the first kernel's input width (784)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_migrate_model.py").write_text(
        "import keras\ndef build():\n    return keras.Sequential([keras.layers.Dense(300, activation='relu'), "
        "keras.layers.Dense(50, activation='relu'), keras.layers.Dense(10)])\n"
    )
    code, out, err = migrate(capsys, small_checkpoint, tmp_path / "tf2", "--to", "my_migrate_model:build")
    assert code == 0, err
    assert "wrote" in out and "6 variables converted, 1 listed only" in out  # global_step listed


def test_the_meta_file_gives_the_layer_order_and_a_damaged_one_is_said(small_checkpoint, tmp_path, capsys):
    """Only the order is read from PREFIX.meta: without it (or damaged) the names' natural order is used, and said."""
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(Path(small_checkpoint).parent, copy)
    spec = factory(tmp_path, "keras.optimizers.SGD(0.1)")
    meta = copy / "model.ckpt.meta"
    meta.write_bytes(meta.read_bytes()[: meta.stat().st_size // 2])
    code, out, err = migrate(capsys, copy / "model.ckpt", tmp_path / "tf2", "--to", spec)
    assert code == 0 and "layer order: by name (natural order; no readable .meta)" in out
    assert f"tf1-recipes: note: {copy / 'model.ckpt'}.meta is unreadable (damaged?)" in err
    meta.unlink()
    code, out, err = migrate(capsys, copy / "model.ckpt", tmp_path / "tf2b", "--to", spec)
    assert code == 0 and "layer order: by name" in out and err == ""


@pytest.mark.parametrize("argv, expected", [
    (["PREFIX", "OUT", "EXTRA", "--to", "m:f"], "migrate-ckpt --to: expected TF1_CHECKPOINT OUT_DIR (no recipe), got 3"),
    (["PREFIX", "OUT"], "expected RECIPE TF1_CHECKPOINT OUT_DIR, or TF1_CHECKPOINT OUT_DIR --to MODULE:FUNCTION, got 2"),
    (["adam", "PREFIX", "OUT", "--map", "a=b"], "--map goes with --to MODULE:FUNCTION"),
    (["PREFIX", "OUT", "--to", "m:f", "--preset", "book"], "--preset is for a recipe's port, not --to"),
])
def test_misused_arguments_are_one_line(argv, expected, tmp_path, capsys):
    code, _, err = migrate(capsys, *argv)
    assert code == 2 and expected in one_error_line(err)


def test_a_bad_map_and_optimizer_state_without_an_optimizer_are_one_line(small_checkpoint, tmp_path, capsys):
    spec = factory(tmp_path, "keras.optimizers.SGD(0.1)")
    code, _, err = migrate(capsys, small_checkpoint, tmp_path / "tf2", "--to", spec, "--map", "dense")
    assert code == 2 and "--map 'dense': expected OLD=NEW" in one_error_line(err)
    code, _, err = migrate(capsys, small_checkpoint, tmp_path / "tf2", "--to", spec, "--map", "re:dense(=x")
    assert code == 2 and "is not a regular expression" in one_error_line(err)
    code, _, err = migrate(capsys, small_checkpoint, tmp_path / "tf2", "--to", spec, "--map", "nothing/here=x")
    assert code == 2 and "--map nothing/here=x matches no TF1 model variable" in one_error_line(err)
    (tmp_path / "bare.py").write_text("import keras\ndef build():\n    return keras.Sequential([keras.Input((784,)), keras.layers.Dense(300), "
                                      "keras.layers.Dense(50), keras.layers.Dense(10)])\n")
    code, _, err = migrate(capsys, small_checkpoint, tmp_path / "tf2", "--to", f"{tmp_path / 'bare.py'}:build", "--optimizer-state")
    assert code == 2 and "--optimizer-state needs a Keras optimizer for the model of" in one_error_line(err)
    assert not (tmp_path / "tf2").exists()


def test_a_new_process_prints_the_table_or_one_line(small_checkpoint, tmp_path):
    spec = factory(tmp_path, "keras.optimizers.SGD(0.1)")
    project = Path(cli.__file__).resolve().parent.parent
    env_path = {"PYTHONPATH": str(project)}
    import os

    env = {**os.environ, **env_path}
    done = subprocess.run([sys.executable, "-m", "tf1_recipes", "migrate-ckpt", small_checkpoint, str(tmp_path / "tf2"), "--to", spec,
                           "--optimizer-state"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "dense_2/kernel" in done.stdout and "-> optimizer.iterations = 1  (global_step)" in done.stdout
    (tmp_path / "broken.py").write_text("def build():\n    raise ValueError('bad')\n")
    done = subprocess.run([sys.executable, "-m", "tf1_recipes", "migrate-ckpt", small_checkpoint, str(tmp_path / "tf3"), "--to",
                           f"{tmp_path / 'broken.py'}:build"], capture_output=True, text=True, env=env, timeout=300)
    ours = [line for line in done.stderr.splitlines() if line.startswith("tf1-recipes")]
    assert done.returncode == 2 and "Traceback" not in done.stderr and len(ours) == 1 and "raised ValueError: bad" in ours[0]
    assert not (tmp_path / "tf3").exists()


def test_the_mapping_is_a_public_function_the_parity_command_can_reuse(small_checkpoint, tmp_path):
    """map_checkpoint(prefix, model) -> Mapping; Mapping.assign(values) puts the TF1 values in the model."""
    import keras

    from tf1_recipes import checkpoints
    from tf1_recipes.tf2.mapping import map_checkpoint

    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(300), keras.layers.Dense(50), keras.layers.Dense(10)])
    mapping = map_checkpoint(small_checkpoint, model)
    assert mapping.problems == [] and len(mapping.variables) == 6
    values = checkpoints.read_checkpoint(small_checkpoint)
    mapping.assign(values)
    for name, variable in mapping.variables.items():
        np.testing.assert_array_equal(variable.numpy(), values[name])
