"""The TF2 ports' training loop: ``steps_per_execution`` batches per ``tf.function`` call.

The loop (:meth:`tf1_recipes.tf2.base.Port.train_batches`) must train exactly the steps one
call per batch trains: the same batches in the same order, the same numbers bit for bit
(with ``steps_per_execution`` 1, the parity K-step tests' setting, it calls the step alone,
``train_steps.single``; the epoch runs call the loop with 100 batches).
"""

import numpy as np
import pytest

from tf1_recipes.tf2 import parity
from tf1_recipes.tf2.base import stacked_runs, steps_function

#: Ports whose step differs: plain GD (he_init), batch norm's moving statistics (batch_norm),
#: dropout's random generator (dropout), per-step outputs beside the loss (clip_by_global_norm).
PORTS = ("he_init", "batch_norm", "dropout", "clip_by_global_norm")
N_BATCHES, BATCH = 12, 32


def real_batches():
    """12 batches of 32 real MNIST training images (the parity runs' fixed draw)."""
    return parity.fixed_batches(N_BATCHES, BATCH)


@pytest.mark.parametrize("recipe", PORTS)
def test_batches_per_call_train_what_one_call_per_batch_trains_bit_for_bit(recipe):
    batches = real_batches()
    one_by_one, grouped = parity.build_port(recipe), parity.build_port(recipe)
    initial = one_by_one.get_tf1_values()
    grouped.set_tf1_values(initial)
    assert all(np.array_equal(v, grouped.get_tf1_values()[k]) for k, v in initial.items())

    per_step = []
    for X, y in batches:
        out = one_by_one.train_step(X, y)
        per_step.append([float(t) for t in (out if isinstance(out, tuple) else (out,))])
    grouped.steps_per_execution = 5  # runs of 5, 5 and 2 batches: three calls
    outputs = grouped.train_batches(iter(batches))

    assert outputs.shape == (N_BATCHES, len(per_step[0]))
    np.testing.assert_array_equal(outputs, np.asarray(per_step, np.float32))
    after = grouped.get_tf1_values()
    for name, value in one_by_one.get_tf1_values().items():
        np.testing.assert_array_equal(after[name], value, err_msg=name)
        if one_by_one.mapped_variables()[name].trainable:
            assert not np.array_equal(value, initial[name]), f"{name} did not train"
    assert int(grouped.optimizer.iterations) == int(one_by_one.optimizer.iterations) == N_BATCHES


@pytest.mark.parametrize("recipe", PORTS)
def test_batches_gathered_by_their_rows_train_what_the_stacked_batches_train_bit_for_bit(recipe):
    """Port.train_rows (the training set held as tensors, rows per step) = Port.train_batches (NumPy batches)."""
    from tf1_recipes.data import load_mnist

    train = load_mnist(train_size=2000).train
    rng = np.random.RandomState(0)
    rows = [rng.randint(0, train.num_examples, BATCH) for _ in range(N_BATCHES)]
    stacked, gathered = parity.build_port(recipe), parity.build_port(recipe)
    gathered.set_tf1_values(stacked.get_tf1_values())
    stacked.steps_per_execution = gathered.steps_per_execution = 5

    by_batches = stacked.train_batches((train.images[r], train.labels[r].astype(np.int64)) for r in rows)
    by_rows = gathered.train_rows(train, iter(rows))

    np.testing.assert_array_equal(by_rows, by_batches)
    after = gathered.get_tf1_values()
    for name, value in stacked.get_tf1_values().items():
        np.testing.assert_array_equal(after[name], value, err_msg=name)


def test_a_preparing_port_gathers_from_its_prepared_training_set_what_its_prepared_batches_train_bit_for_bit():
    """selu standardises its inputs (Port.prepare, row by row): train_rows prepares the training set once and
    gathers each step's rows from it; the same steps as train_batches on each batch prepared, bit for bit,
    for batches of two sizes (np.array_split's, as early_stopping draws them: two calls of different shapes)."""
    from tf1_recipes.data import load_mnist

    train = load_mnist(train_size=2000).train
    rows = np.array_split(np.random.RandomState(0).permutation(train.num_examples)[: N_BATCHES * BATCH + 5], N_BATCHES)
    assert {len(r) for r in rows} == {BATCH, BATCH + 1}
    stacked, gathered = parity.build_port("selu", "book"), parity.build_port("selu", "book")
    gathered.set_tf1_values(stacked.get_tf1_values())
    for port in (stacked, gathered):
        assert port.scale_inputs
        port.means = train.images.mean(axis=0, keepdims=True)
        port.stds = train.images.std(axis=0, keepdims=True) + 1e-10
        port.steps_per_execution = 5
    assert not np.array_equal(stacked.prepare(train.images[rows[0]]), train.images[rows[0]])

    by_batches = stacked.train_batches((stacked.prepare(train.images[r]), train.labels[r].astype(np.int64)) for r in rows)
    by_rows = gathered.train_rows(train, iter(rows))

    np.testing.assert_array_equal(by_rows, by_batches)
    after = gathered.get_tf1_values()
    for name, value in stacked.get_tf1_values().items():
        np.testing.assert_array_equal(after[name], value, err_msg=name)


def test_the_gathering_loop_lets_go_of_its_training_set_with_the_port():
    """gather_steps_function takes the held set as an argument of the traced loop, not as a capture: once the port
    is gone, so is its set. (Captured in the loop, TensorFlow kept each port's set alive, 172 MB of MNIST per
    port run: the process of a benchmark over every port ran out of memory.)"""
    import gc
    import weakref

    import tensorflow as tf

    from tf1_recipes.tf2.base import gather_steps_function

    port = parity.build_port("he_init")
    images, labels = tf.constant(np.ones((300, 784), np.float32)), tf.constant(np.zeros(300, np.int64))
    loop = gather_steps_function(port._train_step, images, labels)  # pylint: disable=protected-access
    assert loop(tf.constant(np.arange(100).reshape(2, 50))).shape == (2, 1)
    held = weakref.ref(images)
    del port, loop, images, labels
    gc.collect()
    assert held() is None


def test_a_run_gives_the_same_rows_as_its_batches(tmp_path):
    """Run.batch_rows makes batches()' draws: the same seed gives train.images[rows] == the batch, epoch after epoch."""
    from tf1_recipes.harness import RecipeConfig
    from tf1_recipes.tf2 import parity as p

    for reader_recipe in ("he_init", "batch_norm"):
        config, spec, preset, settings, hyper = p.resolve(reader_recipe, "smoke")
        batches_run = _run(spec, preset, settings, hyper, config, tmp_path)
        rows_run = _run(spec, preset, settings, hyper, config, tmp_path)
        for _ in range(2):
            np.random.seed(settings["seed"])
            batches = list(batches_run.batches(50))
            np.random.seed(settings["seed"])
            rows = list(rows_run.batch_rows(50))
            assert len(rows) == len(batches)
            for r, (X, y) in zip(rows, batches):
                np.testing.assert_array_equal(rows_run.mnist.train.images[r], X)
                np.testing.assert_array_equal(rows_run.mnist.train.labels[r], y)


def _run(spec, preset, settings, hyper, config, tmp_path):
    from tf1_recipes.harness import Run

    return Run(spec, preset, dict(settings, train_size=3000), hyper, config, tmp_path)


def test_stacked_runs_draw_each_batch_only_after_the_previous_run_was_handed_over():
    """With one batch per run, the next batch is drawn after the previous one was trained (the probe's need)."""
    events = []

    def batches():
        for i in range(3):
            events.append(f"draw {i}")
            yield np.full((2, 4), i, np.float32), np.full(2, i, np.int64)

    for Xs, ys in stacked_runs(batches(), 1):
        events.append(f"train {int(Xs[0, 0, 0])} ({len(Xs)} batch)")
    assert events == ["draw 0", "train 0 (1 batch)", "draw 1", "train 1 (1 batch)", "draw 2", "train 2 (1 batch)"]


def test_stacked_runs_keep_the_order_and_start_a_run_where_the_batch_shape_changes():
    """np.array_split's batches (one row larger first) and a run limit: every run stacks, nothing is reordered."""
    rows = np.arange(23, dtype=np.float32)
    parts = np.array_split(np.arange(23), 5)  # sizes 5, 5, 5, 4, 4
    runs = list(stacked_runs(((rows[p, None], p.astype(np.int64)) for p in parts), 2))
    assert [Xs.shape for Xs, _ in runs] == [(2, 5, 1), (1, 5, 1), (2, 4, 1)]
    assert [ys.shape for _, ys in runs] == [(2, 5), (1, 5), (2, 4)]
    np.testing.assert_array_equal(np.concatenate([ys.ravel() for _, ys in runs]), np.arange(23))
    assert list(stacked_runs(iter([]), 2)) == []
    whole = list(stacked_runs(((rows[p, None], p) for p in parts), None))
    assert [len(Xs) for Xs, _ in whole] == [3, 2]


def test_steps_function_runs_its_step_once_per_batch_in_order_and_stacks_the_outputs():
    import tensorflow as tf

    total = tf.Variable(0.0)

    def step(X, y):
        total.assign(total * 10 + tf.reduce_sum(X))  # order-sensitive: 1, 12, 123
        return total.read_value(), tf.cast(tf.reduce_sum(y), tf.float32)

    signature = (tf.TensorSpec([None, 2], tf.float32), tf.TensorSpec([None], tf.int64))
    steps = steps_function(step, signature)
    Xs = np.array([[[0.5, 0.5]], [[1.0, 1.0]], [[1.5, 1.5]]], np.float32)
    ys = np.array([[4], [5], [6]], np.int64)
    out = steps(tf.data.Dataset.from_tensor_slices((Xs, ys))).numpy()
    np.testing.assert_array_equal(out, [[1, 4], [12, 5], [123, 6]])
    steps(tf.data.Dataset.from_tensor_slices((Xs[:1, :, :], ys[:1])))  # another length: no retrace
    assert steps.experimental_get_tracing_count() == 1

    total.assign(0.0)  # the loop returning nothing runs the same steps in the same order
    assert steps.without_outputs(tf.data.Dataset.from_tensor_slices((Xs, ys))) is None
    assert float(total) == 123.0


#: Ports whose loss holds a term no gradient reads (l1_manual's penalty sum, l1_regularizer's
#: Keras regularizer), whose step updates state beside the weights (batch_norm's moving
#: statistics) or draws random numbers (dropout).
PRUNED = ("l1_manual", "l1_regularizer", "batch_norm", "dropout")


@pytest.mark.parametrize("recipe", PRUNED)
def test_the_loops_returning_nothing_train_what_the_loops_returning_the_loss_train_bit_for_bit(recipe):
    """Port.fit trains with outputs=False (TensorFlow then prunes what only the loss needed); the weights,
    statistics and optimizer step are the same as the loops' returning each step's outputs, on both input paths."""
    from tf1_recipes.data import load_mnist

    train = load_mnist(train_size=2000).train
    rng = np.random.RandomState(0)
    rows = [rng.randint(0, train.num_examples, BATCH) for _ in range(N_BATCHES)]
    ports = {way: parity.build_port(recipe) for way in ("rows", "rows without outputs", "batches", "batches without outputs")}
    initial = ports["rows"].get_tf1_values()
    for port in ports.values():
        port.set_tf1_values(initial)
        port.steps_per_execution = 5

    def batches():
        return ((train.images[r], train.labels[r].astype(np.int64)) for r in rows)

    assert ports["rows"].train_rows(train, iter(rows)).shape[0] == N_BATCHES
    assert ports["rows without outputs"].train_rows(train, iter(rows), outputs=False) is None
    assert ports["batches"].train_batches(batches()).shape[0] == N_BATCHES
    assert ports["batches without outputs"].train_batches(batches(), outputs=False) is None

    expected = ports["rows"].get_tf1_values()
    assert any(not np.array_equal(value, initial[name]) for name, value in expected.items())
    for way, port in ports.items():
        after = port.get_tf1_values()
        for name, value in expected.items():
            np.testing.assert_array_equal(after[name], value, err_msg=f"{way}: {name}")
        assert int(port.optimizer.iterations) == N_BATCHES, way


#: Ports whose loops gather from a set of their own (a prepared training set, a subset, cached
#: activations, rows drawn with replacement) or fetch per-step outputs beside the loss
#: (Port.train_epoch): each on both input paths.
OWN_GATHERS = ("selu", "early_stopping", "transfer_digits_5_to_9", "cache_frozen_layers", "clip_by_global_norm",
               "logistic_regression_tensorboard")


@pytest.mark.parametrize("recipe", OWN_GATHERS)
def test_a_ports_run_gathering_rows_is_its_run_on_numpy_batches_bit_for_bit(recipe):
    """The in-graph path (train_rows, the command's and the tests' default) and the feed_dict path (train_batches)
    of a port's smoke run, two epochs (every epoch's batches take the same path), report the same metric and series,
    bit for bit (wall-clock series aside). A smoke preset on all 55,000 images trains on 5,000 of them here: the
    two paths are compared with each other, not with a golden."""
    from tf1_recipes.harness import RecipeConfig, run_recipe, without_timings
    from tf1_recipes.registry import get_recipe

    smoke = get_recipe(recipe).presets["smoke"]
    overrides = {"train_size": 5000} if "train_size" in smoke and smoke["train_size"] is None else {}

    def reported(input_path):
        result = run_recipe(RecipeConfig(recipe, preset="smoke", n_epochs=2, overrides=overrides, quiet=True, progress=False,
                                         tf2=True, input_path=input_path))
        return result.history, without_timings(result.extras)

    assert reported("in_graph") == reported("feed_dict")
