"""What ``tf1-recipes doctor`` examines: a TF1 graph, a session holding its initial values, and how to feed it.

:func:`from_recipe` runs a recipe for a handful of training steps under a
:class:`SessionRecorder`, which watches the recipe's own ``Session.run`` calls: the
variables just before and just after its first training step, the feed and fetches of
that step (the training flag, a fed learning rate, the update ops it fetches), its
training batches (the doctor's data) and how it feeds its evaluations. The checks then
work on that graph with the recipe's initial values, whatever the recipe's wiring.

:func:`from_graph` does the same for a user's own graph (a ``tf.Graph``, or the ``.meta``
of one with its checkpoint, :mod:`tf1_recipes.user_graph`), given data and, where the
conventions do not find them, the names of its inputs, labels, loss, training step and
training flag.

Conventions every recipe follows (and a user's graph may too): placeholders ``X:0`` and
``y:0``, the optimised loss ``loss/loss:0`` (data loss ``loss/avg_xentropy:0`` when the
recipe regularises), ``eval/accuracy:0``, an optional ``training:0`` flag, the logits as
the input of the cross-entropy op. The graph conventions live in
:mod:`tf1_recipes.user_graph` (:data:`~tf1_recipes.user_graph.CONVENTIONS`).
"""

import dataclasses
import re

import numpy as np

from tf1_recipes import user_graph
from tf1_recipes.compat import tf, tf1
from tf1_recipes.user_graph import (  # noqa: F401  (re-exported: the doctor's checks and tests import them from here)
    CROSS_ENTROPY_OPS, UserGraphError, chance_loss, classifier_head, is_training_fetch, minimised_loss, upstream_ops,
)
from tf1_recipes.user_graph import elements as _elements  # noqa: F401
from tf1_recipes.user_graph import feed_remedy
from tf1_recipes.user_graph import op_of as _op_of
from tf1_recipes.user_graph import tensor_or_none as _tensor

#: How many of the recipe's training steps the recorder watches before it stops the run.
MAX_RECORDED_STEPS = 16
#: Training examples the doctor asks a recipe to run on (its data pool).
POOL_EXAMPLES = 512


class DoctorError(UserGraphError):
    """The doctor cannot examine this graph at all (no loss, no data); the message says why (one line)."""


class _EnoughSteps(Exception):
    """Raised inside a recipe's Session.run once the recorder has seen enough training steps."""


def _snapshot(run, session, graph):
    """{variable name: value} of every global variable that holds a value (run: the unpatched Session.run)."""
    variables = graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)
    try:
        values = run(session, variables)
        return {v.name: np.array(val) for v, val in zip(variables, values)}
    except tf.errors.OpError:
        out = {}
        for v in variables:
            try:
                out[v.name] = np.array(run(session, v))
            except tf.errors.OpError:
                continue
        return out


@dataclasses.dataclass
class Call:
    """One recorded ``Session.run``: fetched names and the feed (tensor name -> value)."""

    fetches: list
    feed: dict
    training: bool


class SessionRecorder:
    """Context manager recording the ``Session.run`` calls made inside it (see module docstring)."""

    def __init__(self, max_steps=MAX_RECORDED_STEPS):
        self.max_steps = max_steps
        self.graph = None
        self.before_first_step = None
        self.after_first_step = None
        self.restored = False
        self.calls = []

    @property
    def training_calls(self):
        return [c for c in self.calls if c.training]

    def __enter__(self):
        from tf1_recipes import session_observer  # it skips a run the recipe starts itself (a pretraining run)

        self._listener = session_observer.listen(on_run=self._run).__enter__()
        return self

    def __exit__(self, *exc):
        return self._listener.__exit__(*exc)

    def _run(self, original, session, fetches, feed_dict, options, run_metadata):
        graph = session.graph
        elements = _elements(graph, fetches)
        training = is_training_fetch(graph, elements)
        first = training and not self.training_calls
        if first:
            self.graph = graph
            self.before_first_step = _snapshot(original, session, graph)
        out = original(session, fetches, feed_dict, options, run_metadata)
        feed = {}
        for key, value in (feed_dict or {}).items():
            try:
                feed[graph.as_graph_element(key).name] = np.array(value)
            except (TypeError, ValueError, KeyError):
                continue
        if not self.training_calls and any("restore_all" in e.name or _op_of(e).type == "RestoreV2" for e in elements):
            self.restored = True  # a Saver restored the variables before training began
        self.calls.append(Call([e.name for e in elements], feed, training))
        if first:
            self.after_first_step = _snapshot(original, session, graph)
        if training and len(self.training_calls) >= self.max_steps:
            raise _EnoughSteps()
        return out


def variable_op(variable):
    """The op that holds a variable (VarHandleOp for resource variables, VariableV2 otherwise)."""
    return variable.handle.op if hasattr(variable, "handle") else variable.op


@dataclasses.dataclass
class Target:
    """A graph ready for the checks: tensors found by convention, a session, data and feeds."""

    graph: object
    session: object
    X: object
    y: object
    data: tuple  # (X_pool, y_pool) numpy arrays, in the encoding the placeholders take
    loss: object  # what the optimiser minimises
    data_loss: object  # the loss without regularisation
    logits: object = None
    training: object = None  # the bool training flag placeholder, if any
    train_fetches: list = None  # what one training step runs (None: the doctor has to make its own)
    train_extra_feed: dict = dataclasses.field(default_factory=dict)  # tensor -> value besides X and y
    eval_extra_feed: dict = dataclasses.field(default_factory=dict)
    initial: dict = dataclasses.field(default_factory=dict)  # variable name -> value
    first_step: dict = None  # variable values after the recipe's own first step (recipe mode)
    eval_calls: list = dataclasses.field(default_factory=list)  # recorded (recipe) or declared (eval_feed) evaluations
    learning_rate: float = None
    optimizer: str = None
    name: str = "graph"
    notes: list = dataclasses.field(default_factory=list)
    restored: bool = False  # the variables start from a restored checkpoint, not a fresh initialisation
    restored_all: bool = False  # ... every model variable of it (a whole model, not new layers on restored ones)
    head: object = None  # the cross-entropy's :class:`~tf1_recipes.user_graph.Head` (kind, logits, labels)

    # -- what is there ---------------------------------------------------------------
    @property
    def n_classes(self):
        """C: 2 for a sigmoid output, else the width of the logits (static shape, else evaluated on two examples)."""
        if self.head is not None and self.head.kind == "sigmoid":
            return 2
        if self.logits is None or self.logits.shape.rank == 0:
            return None
        if self.logits.shape.rank is not None and self.logits.shape[-1] is not None:
            return int(self.logits.shape[-1])
        if self.data is None:
            return None
        value = self.run(self.logits, (self.data[0][:2], self.data[1][:2]), mode="eval")
        return int(np.shape(value)[-1]) if np.ndim(value) >= 1 else None

    def classes(self, y_batch):
        """int64 class indices [N] of a batch of labels as fed: one-hot rows [N, C] -> argmax, 0/1 columns -> flat."""
        y_batch = np.asarray(y_batch)
        if y_batch.ndim == 2 and y_batch.shape[1] >= 2:
            return np.argmax(y_batch, axis=1).astype(np.int64)
        return np.rint(y_batch.reshape(len(y_batch))).astype(np.int64)

    def predictions(self, logits):
        """int64 predicted classes [N] from logits: argmax of a softmax's, ``logit > 0`` of a binary sigmoid's."""
        logits = np.asarray(logits)
        if self.head is not None and self.head.kind == "sigmoid" and (logits.ndim == 1 or logits.shape[1] == 1):
            return (logits.reshape(len(logits)) > 0).astype(np.int64)
        return np.argmax(logits, axis=1).astype(np.int64)

    @property
    def variables(self):
        return self.graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)

    @property
    def trainable(self):
        return self.graph.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES)

    @property
    def regularization_losses(self):
        return self.graph.get_collection(tf1.GraphKeys.REGULARIZATION_LOSSES)

    # -- feeding ---------------------------------------------------------------------
    def sample(self, n, rng):
        """``n`` examples of the data pool, drawn without replacement; the whole pool when it holds fewer.

        A pool of 3 examples gives batches of 3, never 256 draws of the same 3: every check
        reports the number of examples it used.
        """
        X_pool, y_pool = self.data
        idx = rng.choice(len(X_pool), size=min(n, len(X_pool)), replace=False)
        return X_pool[idx], y_pool[idx]

    @property
    def has_inference_mode(self):
        """Whether an evaluation feeds the model otherwise than a training step: a training flag, or a
        placeholder the loss depends on fed in one mode and not the other, or with another value (``keep_prob``
        1.0 where training feeds 0.5; a ``placeholder_with_default(1.0)`` keep_prob fed in training only).
        A fed learning rate, which the loss does not read, makes no inference mode."""
        if self.training is not None:
            return True
        cone = upstream_ops([t for t in (self.data_loss, self.loss) if t is not None])

        def values(feed):
            return {tensor.name: np.asarray(value).tolist() for tensor, value in feed.items() if tensor.op in cone}

        return values(self.train_extra_feed) != values(self.eval_extra_feed)

    def feed(self, batch, mode="train"):
        """Feed dict for a batch, with the training or evaluation extras.

        The training flag is fed True in "train" mode and False in "eval" mode, unless the
        extras of that mode (the user's ``train_feed`` / ``eval_feed``) feed it themselves:
        the user's value is kept, never replaced (check 4 reports an evaluation feed that
        puts the model in training mode).
        """
        X_batch, y_batch = batch
        extra = self.train_extra_feed if mode == "train" else self.eval_extra_feed
        feed = dict(extra)
        if self.training is not None and self.training not in feed:
            feed[self.training] = mode == "train"
        feed[self.X] = X_batch
        if self.y is not None:
            feed[self.y] = y_batch
        return feed

    def run(self, fetches, batch, mode="train"):
        return self.session.run(fetches, feed_dict=self.feed(batch, mode))

    def step_fetches(self):
        """One training step as the doctor runs it: the recipe's step plus UPDATE_OPS (moving statistics kept current)."""
        fetches = list(self.train_fetches)
        return fetches + [op for op in self.graph.get_collection(tf1.GraphKeys.UPDATE_OPS) if op not in fetches]

    def restore(self):
        """Put every variable back to its initial value."""
        by_name = {v.name: v for v in self.variables}
        for name, value in self.initial.items():
            if name in by_name:
                self.load(by_name[name], value)

    def load(self, variable, value):
        """Set a variable's value in the session (through its initializer: no new ops)."""
        with self.graph.as_default():
            variable.load(value, self.session)

    def values(self, variables):
        return dict(zip([v.name for v in variables], self.session.run(list(variables))))


def _resolve(graph, X, y, loss, training):
    """The X, y, loss, data_loss, logits, training and head (Target fields), by the recipes' conventions or as given."""
    X = graph.as_graph_element(X) if X is not None else _tensor(graph, "X:0")
    y = graph.as_graph_element(y) if y is not None else _tensor(graph, "y:0")
    loss = graph.as_graph_element(loss) if loss is not None else user_graph.loss_by_name(graph)
    training = graph.as_graph_element(training) if training is not None else _tensor(graph, "training:0")
    if training is not None and training.dtype != tf.bool:
        training = None
    head = classifier_head(graph, loss)
    data_loss = _tensor(graph, "loss/avg_xentropy:0")
    if data_loss is not None and loss is not None and data_loss.op not in upstream_ops([loss]):
        data_loss = None  # another model's (an imported graph's) data loss
    if data_loss is None and head is not None:
        means = [c for c in head.per_example.consumers() if c.type == "Mean"]
        data_loss = means[0].outputs[0] if means else None
    if loss is None:
        loss = data_loss
    if data_loss is None:
        data_loss = loss
    return {"X": X, "y": y, "loss": loss, "data_loss": data_loss, "logits": head.logits if head is not None else None,
            "training": training, "head": head}


def _scalar_extras(feed, skip):
    """The scalar (non-batch) entries of a recorded feed, keyed by name."""
    return {name: value for name, value in feed.items() if name not in skip and np.ndim(value) == 0}


def _optimizer_of(graph, fetches):
    """The optimiser's apply-op family ('GradientDescent', 'Adam', ...) behind the training fetches."""
    cone = upstream_ops(fetches) if fetches else set()
    for op in cone:
        match = re.match(r"(?:Resource)?(?:Sparse)?Apply(\w+)", op.type)
        if match:
            return match.group(1)
    return None


def from_recipe(recipe, preset=None, *, data_dir=None, seed=None, max_steps=MAX_RECORDED_STEPS):
    """Run ``recipe`` for a few steps under the recorder and return its :class:`Target`.

    The recipe runs one epoch on ``POOL_EXAMPLES`` training images (so its evaluation
    calls are seen too), or is stopped after ``max_steps`` training steps, whichever
    comes first.
    """
    from tf1_recipes.harness import RecipeConfig, run_recipe

    config = RecipeConfig(recipe, preset=preset, seed=seed, data_dir=data_dir, quiet=True, progress=False)
    spec, preset, settings, hyper = config.resolve()
    overrides = {}
    if isinstance(hyper.get("n_epochs"), int):
        overrides["n_epochs"] = 1
    batch_size = hyper.get("batch_size")
    if isinstance(batch_size, int) and batch_size > 0:
        wanted = max(POOL_EXAMPLES, 2 * batch_size)
        overrides["train_size"] = min(wanted, settings["train_size"] or wanted)
    config = RecipeConfig(
        recipe, preset=preset, seed=seed, data_dir=data_dir, quiet=True, progress=False, overrides=overrides
    )
    result = None
    with SessionRecorder(max_steps) as recorder:
        try:
            result = run_recipe(config)
        except _EnoughSteps:
            pass
    graph = recorder.graph or (result.graph if result is not None else None)
    if graph is None:
        raise DoctorError(f"recipe {recipe!r} built no graph")
    target_name = f"{spec.name}/{preset}"
    train_calls = recorder.training_calls
    if train_calls:
        fetches = [graph.as_graph_element(n) for n in train_calls[0].fetches]
    else:
        fetches = list(graph.get_collection(tf1.GraphKeys.TRAIN_OP)) or None
    tensors = _resolve(graph, None, None, minimised_loss(graph, fetches), None)
    notes = []
    if not train_calls:
        notes.append("the recipe ran no recognisable training step: checks that train use the doctor's own optimiser")
    if tensors["X"] is None and train_calls:
        tensors["X"], tensors["y"] = _guess_inputs(graph, train_calls[0].feed)
    X, y, training = tensors["X"], tensors["y"], tensors["training"]
    session = tf1.Session(graph=graph)
    initial = recorder.before_first_step or _initialise(session, graph)
    target = Target(graph=graph, session=session, data=_pool(train_calls, X, y), initial=initial,
                    first_step=recorder.after_first_step, name=target_name, notes=notes, **tensors)
    target.restored = recorder.restored
    if train_calls:
        first = train_calls[0]
        target.train_fetches = fetches
        skip = {t.name for t in (X, y, training) if t is not None}
        target.train_extra_feed = {graph.get_tensor_by_name(k): v for k, v in _scalar_extras(first.feed, skip).items()}
        eval_calls = [c for c in recorder.calls if not c.training]
        target.eval_calls = eval_calls
        evals = [c for c in eval_calls if any(n in c.fetches for n in ("eval/accuracy:0",))]
        if evals:
            extras = _scalar_extras(evals[0].feed, skip)
            target.eval_extra_feed = {graph.get_tensor_by_name(k): v for k, v in extras.items()}
        fed_lr = [v for k, v in first.feed.items() if "learning_rate" in k and np.ndim(v) == 0]
        target.learning_rate = float(fed_lr[0]) if fed_lr else None
    else:
        target.train_fetches = fetches
    if target.learning_rate is None:
        for key in ("learning_rate", "initial_learning_rate"):
            if isinstance(hyper.get(key), (int, float)):
                target.learning_rate = float(hyper[key])
                break
    target.optimizer = _optimizer_of(graph, target.train_fetches)
    target.restore()
    return target


def _guess_inputs(graph, feed):
    """(X, y) from a training feed when the graph does not name them X and y: the batch-shaped entries."""
    batched = [graph.get_tensor_by_name(k) for k, v in feed.items() if np.ndim(v) >= 1]
    floats = [t for t in batched if t.dtype.is_floating]
    X = floats[0] if floats else (batched[0] if batched else None)
    rest = [t for t in batched if t is not X]
    return X, (rest[0] if rest else None)


def _pool(calls, X, y):
    """The recipe's recorded training batches, concatenated: the doctor's data."""
    if X is None or not calls:
        return None
    Xs = [c.feed[X.name] for c in calls if X.name in c.feed]
    if not Xs:
        return None
    ys = [c.feed[y.name] for c in calls if y is not None and y.name in c.feed]
    y_pool = np.concatenate(ys) if ys and len(ys) == len(Xs) else np.zeros(sum(len(x) for x in Xs))
    return np.concatenate(Xs), y_pool


def _initialise(session, graph):
    init = None
    try:
        init = graph.get_operation_by_name("init")
    except KeyError:
        with graph.as_default():
            init = tf1.global_variables_initializer()
    session.run(init)
    return _snapshot(type(session).run, session, graph)


def from_graph(graph, data, *, loss=None, train_op=None, inputs=None, labels=None, training=None, session=None,
               train_feed=None, eval_feed=None, learning_rate=None, restored=False, name="graph", source="the graph",
               notes=None, X=None, y=None):
    """A :class:`Target` for a user's own TF1 graph.

    Args:
        graph: the ``tf.Graph``.
        data: a :class:`~tf1_recipes.user_graph.Data`, or ``(x, y)`` array-likes checked as
            :func:`~tf1_recipes.user_graph.data_from_arrays` checks them; None: no data (every check SKIPs).
        loss, train_op, inputs, labels, training: tensors/ops or their names, else found by
            the conventions (:func:`tf1_recipes.user_graph.find_tensors`; ``X``/``y`` are older
            names of ``inputs``/``labels``).
        session: holds the values to start from; None: a new session that runs the initialiser.
        train_feed, eval_feed: extra feed entries ({tensor or name: value}) for every training /
            evaluation run; a training flag fed here is kept as given (never replaced).
        learning_rate: the rate the model trains with; None: read from the graph by check 7.
        restored: the session's values were restored from a checkpoint (trained weights), every model
            variable of it (``load_model`` refuses a checkpoint lacking one).
        name, source: the report's name for the target; where the graph came from (errors).
        notes: lines for the report's head (what loading the model did).

    Raises:
        DoctorError: no input placeholder or no loss tensor; a name that is not in the graph
            (with close matches); data the placeholders cannot take.
    """
    try:
        tensors = user_graph.find_tensors(graph, inputs=inputs if inputs is not None else X,
                                          labels=labels if labels is not None else y, loss=loss, train_op=train_op,
                                          training=training, source=source)
        pool, feed_notes = None, []
        if data is not None:
            if not isinstance(data, user_graph.Data):
                data = user_graph.data_from_arrays(data[0], data[1])
            x_pool, y_pool, feed_notes = user_graph.feed_arrays(data, tensors.inputs, tensors.labels, tensors.head)
            pool = (x_pool, y_pool)
        train_extra, eval_extra = tensors.resolve_feeds(graph, train_feed, eval_feed, source, feeder="the doctor")
        if pool is not None:
            remedy = feed_remedy("the doctor", "examined", "doctor.diagnose", "the training-mode runs", "the inference-mode ones")
            tensors.check_fed(source, {"train": train_extra, "eval": eval_extra}, remedy=remedy)
    except UserGraphError as err:
        raise DoctorError(str(err)) from None
    own_session = session is None
    session = session or tf1.Session(graph=graph)
    initial = _initialise(session, graph) if own_session else _snapshot(type(session).run, session, graph)
    target = Target(graph=graph, session=session, X=tensors.inputs, y=tensors.labels, data=pool, loss=tensors.loss,
                    data_loss=tensors.data_loss, logits=tensors.head.logits if tensors.head is not None else None,
                    training=tensors.training, train_fetches=tensors.train_fetches, train_extra_feed=train_extra,
                    eval_extra_feed=eval_extra, initial=initial, learning_rate=learning_rate,
                    optimizer=_optimizer_of(graph, tensors.train_fetches), name=name, head=tensors.head,
                    restored=restored, restored_all=restored)
    target.notes.extend(list(notes or []) + tensors.notes() + feed_notes)
    dropouts = user_graph.dropout_layers(graph)
    if dropouts:
        target.notes.append("dropout (rate = the fraction of units dropped): "
                            + "; ".join(d.describe() for d in dropouts))
    if tensors.training is not None and tensors.training in eval_extra:
        # The user's evaluation feed, as check 4 examines a recipe's recorded evaluations.
        target.eval_calls = [Call(["the evaluation feed (eval_feed)"], {tensors.training.name: np.array(
            eval_extra[tensors.training])}, False)]
    return target
