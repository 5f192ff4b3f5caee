"""The in-graph input path gives the feed_dict path's batches, in its order, and its numbers."""

import numpy as np
import pytest

from tf1_recipes import data
from tf1_recipes.compat import tf, tf1
from tf1_recipes.in_graph import ConnectedStep, GatheredBatch, TrainingSetInGraph


@pytest.fixture
def small_train(mnist_dir):
    train = data.load_mnist(mnist_dir).train
    return train.images[:1000], train.labels[:1000]


def test_next_batch_indices_name_next_batchs_batches_across_epoch_boundaries(small_train):
    X, y = small_train
    np.random.seed(7)
    reference = data.DataSet(X, y)
    expected = [reference.next_batch(64) for _ in range(50)]  # 3.2 epochs: boundaries mid-batch
    after_reader = np.random.rand()
    np.random.seed(7)
    twin = data.DataSet(X, y)
    rows = [twin.next_batch_indices(64) for _ in range(50)]
    assert np.random.rand() == after_reader  # the same draws from NumPy's RNG
    for (X_batch, y_batch), batch_rows in zip(expected, rows):
        np.testing.assert_array_equal(X[batch_rows], X_batch)
        np.testing.assert_array_equal(y[batch_rows], y_batch)
    assert twin.epochs_completed == reference.epochs_completed == 3
    np.testing.assert_array_equal(twin.images, X)  # the twin copies no image


def test_shuffle_batch_indices_name_shuffle_batchs_batches_with_the_same_draws(small_train):
    X, y = small_train
    np.random.seed(3)
    batches = list(data.shuffle_batch(X, y, 50)) + list(data.shuffle_batch(X, y, 50))
    after_readers = np.random.rand()
    np.random.seed(3)
    rows = list(data.shuffle_batch_indices(len(X), 50)) + list(data.shuffle_batch_indices(len(X), 50))
    assert np.random.rand() == after_readers
    assert len(rows) == len(batches) == 40
    for (X_batch, y_batch), batch_rows in zip(batches, rows):
        np.testing.assert_array_equal(X[batch_rows], X_batch)
        np.testing.assert_array_equal(y[batch_rows], y_batch)


def test_a_gathered_batch_used_as_an_array_is_the_batch(small_train):
    X, y = small_train
    rows = np.array([5, 1, 900])
    batch = GatheredBatch(X, rows)
    np.testing.assert_array_equal(np.asarray(batch), X[rows])
    assert len(batch) == 3 and batch.shape == (3, 784) and batch.dtype == X.dtype
    assert batch.tobytes() == X[rows].tobytes()
    means = X.mean(axis=0, keepdims=True)
    np.testing.assert_array_equal((batch - means) / 2.0, (X[rows] - means) / 2.0)  # as init_and_activations scales


def test_a_connected_step_gathers_in_the_graph_what_a_fed_step_is_fed(small_train):
    X_train, y_train = small_train
    graph = tf1.Graph()
    with graph.as_default():
        X = tf1.placeholder(tf.float32, shape=(None, 784), name="X")
        y = tf1.placeholder(tf.int64, shape=(None), name="y")
        scale = tf1.placeholder(tf.float32, shape=(), name="scale")
        fetches = {"sum": tf.reduce_sum(X, axis=1) * scale, "labels": y + 0, "op": tf.no_op()}
    training_set = TrainingSetInGraph(graph, X_train, y_train)
    graph.finalize()
    rows = np.array([3, 999, 0, 3])
    with tf1.Session(graph=graph) as sess:
        training_set.load(sess)
        step = ConnectedStep(sess, fetches, [X, y, scale], training_set)
        connected = step(GatheredBatch(X_train, rows), GatheredBatch(y_train, rows), 2)
        fed = step(X_train[rows], y_train[rows], 2)
        half = step(X_train[rows], GatheredBatch(y_train, rows), 2)  # X fed, y gathered
    for result in (connected, half):
        assert result["op"] is None
        np.testing.assert_array_equal(result["sum"], fed["sum"])
        np.testing.assert_array_equal(result["labels"], y_train[rows])


def test_a_connected_step_refuses_images_and_labels_of_different_batches(small_train):
    X_train, y_train = small_train
    graph = tf1.Graph()
    with graph.as_default():
        X = tf1.placeholder(tf.float32, shape=(None, 784), name="X")
        y = tf1.placeholder(tf.int64, shape=(None), name="y")
        total = tf.reduce_sum(X) + tf.cast(tf.reduce_sum(y), tf.float32)
    training_set = TrainingSetInGraph(graph, X_train, y_train)
    with tf1.Session(graph=graph) as sess:
        training_set.load(sess)
        step = ConnectedStep(sess, total, [X, y], training_set)
        with pytest.raises(ValueError, match="same batch"):
            step(GatheredBatch(X_train, np.array([1, 2])), GatheredBatch(y_train, np.array([1, 2])))


# A batch-50 recipe on the tutorial reader (a train_size that is no multiple of 50, so
# next_batch crosses epochs mid-batch) and a batch-200 recipe on shuffle_batch.
EQUIVALENCE_CASES = [
    ("gradient_clipping", "reference", dict(train_size=7525)),
    ("batch_norm", "book", dict(train_size=30000)),
]


@pytest.mark.parametrize("recipe,preset,overrides", EQUIVALENCE_CASES, ids=[c[0] for c in EQUIVALENCE_CASES])
def test_in_graph_path_gives_the_feed_dict_paths_per_epoch_metrics(run_quiet, recipe, preset, overrides):
    fed = run_quiet(recipe, preset, n_epochs=2, overrides=overrides, input_path="feed_dict")
    gathered = run_quiet(recipe, preset, n_epochs=2, overrides=overrides, input_path="in_graph")
    assert fed.provenance["input"] == "feed_dict" and gathered.provenance["input"] == "in_graph"
    assert len(gathered.history) == len(fed.history) == 2
    np.testing.assert_allclose(gathered.history, fed.history, rtol=0, atol=1e-6)
    assert gathered.config == fed.config  # the input path is no part of the pinned configuration
