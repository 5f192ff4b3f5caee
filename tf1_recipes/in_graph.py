"""The in-graph input path: the training set held in the graph, each batch gathered there by its rows.

The faithful path copies every batch out of NumPy into the session (``feed_dict``); this
one gives a training step the *same batches in the same order* with less work per step:

* the training images and labels live in two variables of the recipe's graph, loaded once
  per session from a placeholder (TF1's "preloaded data" idiom; ``collections=[]`` keeps
  them out of ``global_variables()``, so ``init`` and ``Saver()`` never see them);
* the batch readers' index twins (:func:`tf1_recipes.data.shuffle_batch_indices`,
  :meth:`tf1_recipes.data.DataSet.next_batch_indices`) make the reference reader's draws
  and name each batch by its rows (:class:`GatheredBatch`);
* a training step is a ``Session`` callable (``CallableOptions``) whose ``tensor_connection``
  replaces the recipe's ``X`` and ``y`` placeholders by ``tf.gather`` of those rows: only
  the row indices are fed, and no Python ``Session.run`` bookkeeping runs per step.

The recipe's graph is untouched until its model is built: these ops are added afterwards
(:meth:`Run.make_callable <tf1_recipes.harness.Run.make_callable>`), so no op of the
recipe changes name or random seed (TF1 seeds an op by how many ops precede it), and
evaluation still feeds ``X`` and ``y`` as the reference does. ``tests/unit/test_in_graph.py``
proves the path gives the ``feed_dict`` path's per-epoch metrics.
"""

import weakref

import numpy as np

from tf1_recipes import tf_private
from tf1_recipes.compat import tf, tf1


class GatheredBatch(np.lib.mixins.NDArrayOperatorsMixin):
    """Rows of the training set: what ``run.batches()`` yields on the in-graph input path.

    Passed to a step made by ``run.make_callable``, its rows are gathered in the graph;
    anywhere else (``np.asarray``, arithmetic, a ``feed_dict``) it is the batch's array.
    """

    __slots__ = ("source", "rows")

    def __init__(self, source, rows):
        self.source, self.rows = source, rows

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.source[self.rows], dtype=dtype)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = [np.asarray(x) if isinstance(x, GatheredBatch) else x for x in inputs]
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __len__(self):
        return len(self.rows)

    @property
    def shape(self):
        return (len(self.rows),) + self.source.shape[1:]

    def __getattr__(self, name):
        """The rest of ndarray's API (``dtype``, ``tobytes()``, ``mean()``...), on the batch's array."""
        if name.startswith("__") or name in GatheredBatch.__slots__:
            raise AttributeError(name)
        return getattr(np.asarray(self), name)


class TrainingSetInGraph:
    """A training set held in a graph: its two variables and the batch of fed rows gathered from them."""

    def __init__(self, graph, images, labels):
        self.images_array, self.labels_array = images, labels
        with graph.as_default(), tf1.name_scope("in_graph_input"):
            self._images_init = tf1.placeholder(tf.as_dtype(images.dtype), images.shape, name="images_init")
            self._labels_init = tf1.placeholder(tf.as_dtype(labels.dtype), labels.shape, name="labels_init")
            images_var = tf1.Variable(self._images_init, trainable=False, collections=[], name="images")
            labels_var = tf1.Variable(self._labels_init, trainable=False, collections=[], name="labels")
            self._initializers = [images_var.initializer, labels_var.initializer]
            self.rows = tf1.placeholder(tf.int64, shape=(None,), name="rows")
            self.images_batch = tf.gather(images_var, self.rows, name="images_batch")
            self.labels_batch = tf.gather(labels_var, self.rows, name="labels_batch")
        self._loaded = weakref.WeakSet()  # the sessions holding the training set

    def load(self, session):
        """Copy the training set into ``session``'s variables (once per session)."""
        if session not in self._loaded:
            feed = {self._images_init: self.images_array, self._labels_init: self.labels_array}
            session.run(self._initializers, feed_dict=feed)
            self._loaded.add(session)

    def batch_of(self, gathered):
        """The gathered tensor standing for ``gathered``'s source (the images or the labels)."""
        if gathered.source is self.images_array:
            return self.images_batch
        if gathered.source is self.labels_array:
            return self.labels_batch
        raise ValueError("this batch is not from the training set held in the graph")


class ConnectedStep:
    """``session.make_callable(fetches, feed_list)`` whose :class:`GatheredBatch` arguments are gathered in the graph.

    Called with arrays only, it is TensorFlow's own callable (a ``feed_dict`` run). Called
    with gathered batches, it feeds their rows and connects the gathered tensors to the
    placeholders they stand for; every other argument is fed as usual. It returns what
    ``session.run(fetches, ...)`` returns.
    """

    def __init__(self, session, fetches, feed_list, training_set):
        graph = session.graph
        self._session, self._training_set = session, training_set
        self._feed_list = [graph.as_graph_element(key) for key in feed_list]
        self._dtypes = [t.dtype.as_numpy_dtype for t in self._feed_list]
        self._elements = [graph.as_graph_element(item) for item in _flatten(fetches)]
        self._results = _packer(fetches, iter(self._elements))  # fetched values -> the shape of `fetches`
        self._by_feeds = session.make_callable(fetches, feed_list)
        self._connected = {}  # argument positions that are gathered batches -> (session callable, fed positions)

    def __call__(self, *args):
        gathered = tuple(i for i, arg in enumerate(args) if type(arg) is GatheredBatch)
        if not gathered:
            return self._by_feeds(*args)
        rows = args[gathered[0]].rows
        if any(args[i].rows is not rows for i in gathered):
            raise ValueError("the gathered arguments of one step must be the same batch (run.batches() yields them)")
        step, fed = self._connected.get(gathered) or self._connect(gathered, args)
        values = step(rows, *[np.asarray(args[i], dtype=self._dtypes[i]) for i in fed])
        return self._results(iter(values))

    def _connect(self, gathered, args):
        fed = [i for i in range(len(args)) if i not in gathered]
        options = tf_private.callable_options()
        options.feed.append(self._training_set.rows.name)
        options.feed.extend(self._feed_list[i].name for i in fed)
        for i in gathered:
            connection = options.tensor_connection.add()
            connection.from_tensor = self._training_set.batch_of(args[i]).name
            connection.to_tensor = self._feed_list[i].name
        for element in self._elements:
            if isinstance(element, tf.Tensor):
                options.fetch.append(element.name)
            else:
                options.target.append(element.name)
        step = tf_private.make_callable_from_options(self._session, options)  # the only route to a tensor_connection
        self._connected[gathered] = step, fed
        return step, fed


def _flatten(fetches):
    """The fetched items of ``fetches`` (lists, tuples and dicts of ops and tensors), in :func:`_packer`'s order."""
    if isinstance(fetches, (list, tuple)):
        return [item for part in fetches for item in _flatten(part)]
    if isinstance(fetches, dict):
        return [item for key in sorted(fetches) for item in _flatten(fetches[key])]
    return [fetches]


def _packer(fetches, elements):
    """A function rebuilding ``fetches``' shape from an iterator over the fetched tensors' values, as Session.run returns it.

    ``elements`` iterates over the resolved items of ``_flatten(fetches)``: an op's place gets None.
    """
    if isinstance(fetches, (list, tuple)):
        parts = [_packer(part, elements) for part in fetches]
        kind = type(fetches)
        if hasattr(fetches, "_fields"):  # a namedtuple
            return lambda values: kind(*[part(values) for part in parts])
        return lambda values: kind([part(values) for part in parts])
    if isinstance(fetches, dict):
        keys = sorted(fetches)
        parts = [(key, _packer(fetches[key], elements)) for key in keys]
        order = list(fetches)

        def pack_dict(values):
            packed = {key: part(values) for key, part in parts}  # the values come in sorted-key order
            return {key: packed[key] for key in order}

        return pack_dict
    if isinstance(next(elements), tf.Tensor):
        return lambda values: next(values)
    return lambda values: None
