"""One observer of every TF1 session step, for the tools that watch a recipe train.

The doctor's recorder, the benchmark's probe, the harness (it finalizes a run's graph at
its first training step) and the graph-growth test each watch the steps a recipe runs in
its own ``Session``, which the recipe creates itself. Rather than each patching
``Session.run`` on its own, they register a listener here for the duration of a ``with``
block::

    def on_run(proceed, session, fetches, feed_dict, options, run_metadata):
        ...                                      # before the step
        result = proceed(session, fetches, feed_dict, options, run_metadata)
        ...                                      # after it
        return result

    with session_observer.listen(on_run=on_run, on_callable=on_callable):
        run_recipe(config)

* ``on_run`` wraps every ``Session.run`` (also ``tensor.eval()``, ``op.run()`` and a
  ``make_callable`` step with feeds, which TensorFlow runs through ``Session.run``). It must
  call ``proceed`` (the next listener, then TensorFlow) and return what it returns.
* ``on_callable(session, step, fetches, feed_keys)`` sees each session callable that
  does *not* go through ``Session.run`` (``make_callable`` without feeds, and
  ``CallableOptions`` callables such as the in-graph input path's), with its fetches and
  fed tensor names; it returns ``step`` or a function wrapping it.

The harness marks each run's graph with :func:`run_graph`. While a run is in progress,
listeners see only the outermost run's graph: a run a recipe starts itself (training the
checkpoint it builds on) is not the run being watched. Outside any run they see every
session. The patch (:func:`tf1_recipes.tf_private.wrap_session_methods`) is installed on
the first ``listen`` and stays; with no listener a step costs one list check.
"""

import functools

from tf1_recipes import tf_private


class Listener:
    """A registration with the observer: active inside its ``with`` block (re-entering is an error)."""

    def __init__(self, observer, on_run=None, on_callable=None):
        self._observer, self.on_run, self.on_callable = observer, on_run, on_callable

    def __enter__(self):
        self._observer.add(self)
        return self

    def __exit__(self, *exc):
        self._observer.remove(self)
        return False


class SessionObserver:
    """The process's one patch of the TF1 session class, dispatching to the listeners registered."""

    def __init__(self):
        self._listeners = []  # in registration order: the first registered wraps the others
        self._run_graphs = []  # graphs of the harness runs in progress, outermost first
        self._unobserved = []  # graphs of the suite's own measurements (the numerics fingerprint)
        self._originals = None

    # -- registration ---------------------------------------------------------------------
    def add(self, listener):
        if listener in self._listeners:
            raise RuntimeError("this listener is already listening")
        self._install()
        self._listeners.append(listener)

    def remove(self, listener):
        self._listeners.remove(listener)

    def _install(self):
        if self._originals is None:
            self._originals = tf_private.wrap_session_methods({
                "run": self._wrap_run,
                "make_callable": self._wrap_make_callable,
                "_make_callable_from_options": self._wrap_make_callable_from_options,
            })

    # -- the runs in progress ---------------------------------------------------------------
    def push_run_graph(self, graph):
        self._run_graphs.append(graph)

    def pop_run_graph(self, graph):
        if graph in self._run_graphs:
            self._run_graphs.remove(graph)

    @property
    def outermost_run_graph(self):
        """The graph of the outermost harness run in progress, or None outside runs."""
        return self._run_graphs[0] if self._run_graphs else None

    def listeners_for(self, graph):
        """The listeners a step on ``graph`` goes to: none for a run a recipe started itself."""
        if not self._listeners or any(g is graph for g in self._unobserved):
            return []
        if self._run_graphs and graph is not self._run_graphs[0]:
            return []
        return list(self._listeners)

    # -- the patched methods ------------------------------------------------------------------
    def _wrap_run(self, original):
        observer = self

        def run(session, fetches, feed_dict=None, options=None, run_metadata=None):
            proceed = original
            for listener in reversed(observer.listeners_for(session.graph)):
                if listener.on_run is not None:
                    proceed = functools.partial(listener.on_run, proceed)
            return proceed(session, fetches, feed_dict, options, run_metadata)

        return functools.wraps(original)(run)

    def _wrap_make_callable(self, original):
        observer = self

        def make_callable(session, fetches, feed_list=None, accept_options=False):
            step = original(session, fetches, feed_list, accept_options)
            if feed_list is not None:  # TensorFlow runs it through Session.run, observed there
                return step
            return observer._callable_made(session, step, fetches, [])

        return functools.wraps(original)(make_callable)

    def _wrap_make_callable_from_options(self, original):
        observer = self

        def make_callable_from_options(session, callable_options):
            step = original(session, callable_options)
            if not observer.listeners_for(session.graph):
                return step
            fetches = [*callable_options.fetch, *callable_options.target]
            fed = [*callable_options.feed, *(c.to_tensor for c in callable_options.tensor_connection)]
            return observer._callable_made(session, step, fetches, fed)

        return functools.wraps(original)(make_callable_from_options)

    def _callable_made(self, session, step, fetches, feed_keys):
        for listener in self.listeners_for(session.graph):
            if listener.on_callable is not None:
                step = listener.on_callable(session, step, fetches, feed_keys)
        return step


#: The observer of this process.
OBSERVER = SessionObserver()


def listen(on_run=None, on_callable=None):
    """A :class:`Listener` of :data:`OBSERVER`: use it as ``with listen(...):`` (see the module docstring)."""
    return Listener(OBSERVER, on_run, on_callable)


class run_graph:  # noqa: N801  (used as a context manager, like a function)
    """``with run_graph(graph):`` marks ``graph`` as a harness run's graph while the block runs."""

    def __init__(self, graph):
        self.graph = graph

    def __enter__(self):
        OBSERVER.push_run_graph(self.graph)
        return self.graph

    def __exit__(self, *exc):
        OBSERVER.pop_run_graph(self.graph)
        return False


class unobserved:  # noqa: N801  (used as a context manager, like a function)
    """``with unobserved(graph):`` steps on ``graph`` reach no listener while the block runs.

    For the suite's own measurements in a graph of their own (the numerics fingerprint a
    run's provenance computes after the recipe), which are not a recipe's steps.
    """

    def __init__(self, graph):
        self.graph = graph

    def __enter__(self):
        OBSERVER._unobserved.append(self.graph)  # pylint: disable=protected-access
        return self.graph

    def __exit__(self, *exc):
        OBSERVER._unobserved.remove(self.graph)  # pylint: disable=protected-access
        return False


def outermost_run_graph():
    """The graph of the outermost harness run in progress (None outside runs)."""
    return OBSERVER.outermost_run_graph
