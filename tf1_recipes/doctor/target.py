"""What ``tf1-recipes doctor`` examines: a TF1 graph, a session holding its initial values, and how to feed it.

:func:`from_recipe` runs a recipe for a handful of training steps under a
:class:`SessionRecorder`, which watches the recipe's own ``Session.run`` calls: the
variables just before and just after its first training step, the feed and fetches of
that step (the training flag, a fed learning rate, the update ops it fetches), its
training batches (the doctor's data) and how it feeds its evaluations. The checks then
work on that graph with the recipe's initial values, whatever the recipe's wiring.

:func:`from_graph` does the same for a user's own graph, given a data pool and
(optionally) the loss and the training fetches.

Conventions every recipe follows (and a user's graph may too): placeholders ``X:0`` and
``y:0``, the optimised loss ``loss/loss:0`` (data loss ``loss/avg_xentropy:0`` when the
recipe regularises), ``eval/accuracy:0``, an optional ``training:0`` flag, the logits as
the input of the softmax cross-entropy op.
"""

import dataclasses
import math
import re

import numpy as np

from tf1_recipes.compat import tf, tf1

CROSS_ENTROPY_OPS = ("SparseSoftmaxCrossEntropyWithLogits", "SoftmaxCrossEntropyWithLogits")
#: Op types a hand-written training step (``tf.assign(theta, theta - lr * grad)``) fetches.
MANUAL_UPDATE_OPS = ("Assign", "AssignVariableOp", "AssignSub", "AssignSubVariableOp")
#: How many of the recipe's training steps the recorder watches before it stops the run.
MAX_RECORDED_STEPS = 16
#: Training examples the doctor asks a recipe to run on (its data pool).
POOL_EXAMPLES = 512


class DoctorError(Exception):
    """The doctor cannot examine this graph at all (no loss, no data); the message says why."""


class _EnoughSteps(Exception):
    """Raised inside a recipe's Session.run once the recorder has seen enough training steps."""


def _elements(graph, fetches):
    """Every op or tensor in a (nested) fetch structure, resolved in ``graph``."""
    out = []
    for item in tf.nest.flatten(fetches):
        if item is None:
            continue
        try:
            out.append(graph.as_graph_element(item))
        except (TypeError, ValueError, KeyError):
            continue
    return out


def _op_of(element):
    return element if isinstance(element, tf1.Operation) else element.op


def is_training_fetch(graph, elements):
    """True when the fetched ops include an optimiser step (TRAIN_OP) or a hand-written assign step."""
    train_ops = set(graph.get_collection(tf1.GraphKeys.TRAIN_OP))
    ops = [_op_of(e) for e in elements]
    if any(op in train_ops for op in ops):
        return True
    if train_ops:
        return False
    return any(op.type in MANUAL_UPDATE_OPS and not op.name.startswith(("save/", "init")) for op in ops)


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


def _tensor(graph, name):
    try:
        return graph.get_tensor_by_name(name)
    except (KeyError, ValueError):
        return None


def cross_entropy(graph, loss=None):
    """(logits, per-example cross-entropy) of the softmax cross-entropy feeding ``loss``; (None, None) if none.

    With op determinism on, TensorFlow builds the sparse cross-entropy from LogSoftmax and
    Gather ops inside a ``SparseSoftmaxCrossEntropyWithLogits`` name scope instead of the
    fused op, so both forms are recognised.
    """
    cone = upstream_ops([loss]) if loss is not None else None
    found = []
    for op in graph.get_operations():
        if op.type in CROSS_ENTROPY_OPS:
            found.append((op, op.inputs[0], op.outputs[0]))
        elif op.type == "LogSoftmax" and re.search(r"CrossEntropyWithLogits[^/]*/LogSoftmax$", op.name):
            scope = op.name.rsplit("/", 1)[0] + "/"
            inside = [o for o in graph.get_operations() if o.name.startswith(scope)]
            leaving = [o.outputs[0] for o in inside if o.outputs and o.outputs[0].dtype.is_floating
                       and any(not c.name.startswith(scope) for c in o.outputs[0].consumers())]
            if leaving:
                found.append((op, op.inputs[0], leaving[-1]))
    if cone is not None:
        found = [f for f in found if f[0] in cone] or found
    return (found[0][1], found[0][2]) if found else (None, None)


def upstream_ops(tensors, stop=lambda op: False):
    """Every op the given tensors (or ops) depend on, through data and control inputs."""
    seen, stack = set(), [_op_of(t) for t in tensors]
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        if stop(op):
            continue
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    return seen


def variable_op(variable):
    """The op that holds a variable (VarHandleOp for resource variables, VariableV2 otherwise)."""
    return variable.handle.op if hasattr(variable, "handle") else variable.op


def _loss_by_name(graph):
    for name in ("loss/loss:0", "loss:0"):
        tensor = _tensor(graph, name)
        if tensor is not None:
            return tensor
    scalars = [t for t in graph.get_collection(tf1.GraphKeys.LOSSES) if t.dtype.is_floating and t.shape.rank == 0]
    if scalars:  # tf.losses.* register themselves here
        return scalars[0]
    pattern = re.compile(r"(^|/)(loss|mse|cost)(_\d+)?$")
    for op in graph.get_operations():
        if pattern.search(op.name) and op.outputs and op.outputs[0].dtype.is_floating and op.outputs[0].shape.rank == 0:
            return op.outputs[0]
    return None


@dataclasses.dataclass
class Target:
    """A graph ready for the checks: tensors found by convention, a session, data and feeds."""

    graph: object
    session: object
    X: object
    y: object
    data: tuple  # (X_pool, y_pool) numpy arrays
    loss: object  # what the optimiser minimises
    data_loss: object  # the loss without regularisation
    logits: object = None
    training: object = None  # the bool training flag placeholder, if any
    train_fetches: list = None  # what one training step runs (None: the doctor has to make its own)
    train_extra_feed: dict = dataclasses.field(default_factory=dict)  # tensor -> value besides X and y
    eval_extra_feed: dict = dataclasses.field(default_factory=dict)
    initial: dict = dataclasses.field(default_factory=dict)  # variable name -> value
    first_step: dict = None  # variable values after the recipe's own first step (recipe mode)
    eval_calls: list = dataclasses.field(default_factory=list)  # recorded evaluation calls (recipe mode)
    learning_rate: float = None
    optimizer: str = None
    name: str = "graph"
    notes: list = dataclasses.field(default_factory=list)
    restored: bool = False  # the variables start from a restored checkpoint, not a fresh initialisation

    # -- what is there ---------------------------------------------------------------
    @property
    def n_classes(self):
        """Width of the logits (from the static shape, else from evaluating them on two examples)."""
        if self.logits is None or self.logits.shape.rank == 0:
            return None
        if self.logits.shape.rank is not None and self.logits.shape[-1] is not None:
            return int(self.logits.shape[-1])
        if self.data is None:
            return None
        value = self.run(self.logits, (self.data[0][:2], self.data[1][:2]), mode="eval")
        return int(np.shape(value)[-1]) if np.ndim(value) >= 1 else None

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
        """``n`` examples of the data pool (without replacement when the pool is big enough)."""
        X_pool, y_pool = self.data
        idx = rng.choice(len(X_pool), size=n, replace=n > len(X_pool))
        return X_pool[idx], y_pool[idx]

    def feed(self, batch, mode="train"):
        """Feed dict for a batch, with the recipe's training or evaluation extras."""
        X_batch, y_batch = batch
        extra = self.train_extra_feed if mode == "train" else self.eval_extra_feed
        feed = dict(extra)
        if self.training is not None:
            feed[self.training] = mode == "train"
        feed[self.X] = X_batch
        if self.y is not None:
            feed[self.y] = y_batch
        return feed

    def run(self, fetches, batch, mode="train"):
        return self.session.run(fetches, feed_dict=self.feed(batch, mode))

    def step_fetches(self):
        """One training step as the doctor runs it: the recipe's step plus UPDATE_OPS (moving statistics kept current)."""
        return list(self.train_fetches) + self.graph.get_collection(tf1.GraphKeys.UPDATE_OPS)

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


def minimised_loss(graph, fetches):
    """The loss a training step's optimiser differentiates, or None.

    ``tf.gradients(loss)`` seeds the backward pass with ``<scope>/gradients/grad_ys_0``; the
    first backward ops consuming it are named after the loss op (``<scope>/gradients/<loss
    op>_grad/...``). Control edges can reach another optimiser's gradients (an imported
    graph's), so the seed in the training op's own name scope is preferred.
    """
    if not fetches:
        return None
    seeds = [op for op in upstream_ops(fetches) if re.search(r"(^|/)gradients(_\d+)?/grad_ys_0$", op.name)]
    scopes = {_op_of(f).name.rsplit("/", 1)[0] + "/" for f in fetches if "/" in _op_of(f).name}
    seeds.sort(key=lambda op: (not any(op.name.startswith(scope) for scope in scopes), op.name))
    for seed in seeds:
        prefix = seed.name[: -len("grad_ys_0")]
        for consumer in seed.outputs[0].consumers():
            name = consumer.name[len(prefix):].split("_grad/")[0] if consumer.name.startswith(prefix) else None
            try:
                loss = graph.get_operation_by_name(name).outputs[0] if name else None
            except KeyError:
                continue
            if loss is not None and loss.dtype.is_floating:
                return loss
    return None


def _resolve(graph, X, y, loss, training):
    """The X, y, loss, data_loss, logits and training tensors (Target fields), by convention or as given."""
    X = graph.as_graph_element(X) if X is not None else _tensor(graph, "X:0")
    y = graph.as_graph_element(y) if y is not None else _tensor(graph, "y:0")
    loss = graph.as_graph_element(loss) if loss is not None else _loss_by_name(graph)
    training = graph.as_graph_element(training) if training is not None else _tensor(graph, "training:0")
    if training is not None and training.dtype != tf.bool:
        training = None
    logits, xentropy = cross_entropy(graph, loss)
    data_loss = _tensor(graph, "loss/avg_xentropy:0")
    if data_loss is not None and loss is not None and data_loss.op not in upstream_ops([loss]):
        data_loss = None  # another model's (an imported graph's) data loss
    if data_loss is None and xentropy is not None:
        means = [c for c in xentropy.consumers() if c.type == "Mean"]
        data_loss = means[0].outputs[0] if means else None
    if loss is None:
        loss = data_loss
    if data_loss is None:
        data_loss = loss
    return {"X": X, "y": y, "loss": loss, "data_loss": data_loss, "logits": logits, "training": training}


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


def from_graph(graph, data, *, loss=None, train_op=None, X=None, y=None, training=None, session=None,
               train_feed=None, eval_feed=None, learning_rate=None, name="graph"):
    """A :class:`Target` for a user's own TF1 graph.

    ``data`` is ``(X_pool, y_pool)``: examples the checks sample their batches from.
    ``loss`` and ``train_op`` default to the conventions (``loss/loss:0``, the TRAIN_OP
    collection); ``train_op`` may be any fetch (an op, or a list such as
    ``[training_op, update_ops]``). ``session`` holds the values to start from; without
    it the doctor initialises the variables itself. ``train_feed`` / ``eval_feed`` add
    entries (e.g. ``{learning_rate: 0.01}``) to every training / evaluation feed.
    """
    if train_op is None:
        fetches = list(graph.get_collection(tf1.GraphKeys.TRAIN_OP)) or None
    else:
        fetches = _elements(graph, train_op)
    tensors = _resolve(graph, X, y, loss if loss is not None else minimised_loss(graph, fetches), training)
    if tensors["X"] is None:
        raise DoctorError("no input placeholder: name it X or pass X=")
    if tensors["loss"] is None:
        raise DoctorError("no loss tensor: name it loss/loss or pass loss=")
    own_session = session is None
    session = session or tf1.Session(graph=graph)
    initial = _initialise(session, graph) if own_session else _snapshot(type(session).run, session, graph)
    data = (np.asarray(data[0]), np.asarray(data[1])) if data is not None else None

    def _by_tensor(feed):
        return {graph.as_graph_element(k): v for k, v in (feed or {}).items()}

    return Target(graph=graph, session=session, data=data, train_fetches=fetches,
                  train_extra_feed=_by_tensor(train_feed), eval_extra_feed=_by_tensor(eval_feed), initial=initial,
                  learning_rate=learning_rate, optimizer=_optimizer_of(graph, fetches), name=name, **tensors)


def chance_loss(n_classes):
    """-ln(1/C): the softmax cross-entropy of a model that knows nothing yet."""
    return -math.log(1.0 / n_classes)
