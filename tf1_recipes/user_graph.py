"""A user's own TF1 model, loaded and understood: its ``.meta`` graph, its checkpoint, its data and its tensors.

What ``tf1-recipes doctor --graph`` (and the equivalence checks on a user's model) start from:

- :func:`load_model`: ``MODEL.meta`` imported with ``tf.compat.v1.train.import_meta_graph``
  into a fresh ``tf.Graph``, and a session holding either the values of ``--checkpoint
  PREFIX`` (every tensor read and checked first, every variable matched by name and shape)
  or the variables' own initial values;
- :func:`load_data`: ``--data FILE.npz`` with arrays ``x`` (inputs, one example per row) and
  ``y`` (integer class labels, shape [N], or one-hot / probability rows, shape [N, C]),
  checked before anything runs;
- :func:`find_tensors`: the inputs, labels, loss, training step and training flag, named by
  the user (``--inputs/--labels/--loss/--train-op/--training``: a tensor ``"name:0"`` or an op
  ``"name"``) or found by the TF1 conventions (:data:`CONVENTIONS`);
- :func:`classifier_head`: the logits, per-example loss, labels and kind (sparse softmax,
  softmax over one-hot labels, sigmoid) of the cross-entropy the loss is built from;
- :func:`feed_arrays`: the data in the form the graph's placeholders take (labels as
  integers or one-hot, as the labels placeholder wants), with a note for every conversion.

Every problem with what the user gave is one :class:`UserGraphError` whose message is one
line naming the file or name, the cause and what to do; it is a ``ValueError``, so the
command line reports it as bad input (exit code 2) without a traceback. A name the user
gave that does not exist is never replaced by another: the error lists the close matches.
"""

import dataclasses
import difflib
import math
import re
from pathlib import Path

import numpy as np

from tf1_recipes.compat import error_cause, tf, tf1
from tf1_recipes.doctor.checklist import GRAPH_CONVENTIONS

#: How the tensors are found when not named (role -> rule; the table lives with the doctor's checklist, which
#: the command line reads without loading TensorFlow).
CONVENTIONS = GRAPH_CONVENTIONS
#: ``--train-op UPDATE_OPS``: the ops of the UPDATE_OPS collection, fetched beside the training op.
UPDATE_OPS_NAME = "UPDATE_OPS"
CROSS_ENTROPY_OPS = ("SparseSoftmaxCrossEntropyWithLogits", "SoftmaxCrossEntropyWithLogits")
#: Op types a feed may name: the graph's placeholders (with or without a default; ``PlaceholderV2``, deprecated
#: at GraphDef version 23, in older graphs).
PLACEHOLDER_OP_TYPES = frozenset({"Placeholder", "PlaceholderV2", "PlaceholderWithDefault"})
#: One-hot / probability label rows must sum to 1 within this.
ROW_SUM_TOLERANCE = 1e-4
NPZ_REMEDY = "save it with numpy.savez(FILE, x=inputs, y=labels)"
#: Op types a hand-written training step (``tf.assign(theta, theta - lr * grad)``) fetches.
MANUAL_UPDATE_OPS = ("Assign", "AssignVariableOp", "AssignSub", "AssignSubVariableOp")


class UserGraphError(ValueError):
    """What the user gave (a .meta, a checkpoint, a .npz, a tensor name) cannot be used; the message is one line."""


# --------------------------------------------------------------------------- graph walking


def op_of(element):
    """The op of a tensor (or the op itself)."""
    return element if isinstance(element, tf1.Operation) else element.op


def elements(graph, fetches):
    """Every op or tensor in a (nested) fetch structure, resolved in ``graph``; unresolvable items are left out."""
    out = []
    for item in tf.nest.flatten(fetches):
        if item is None:
            continue
        try:
            out.append(graph.as_graph_element(item))
        except (TypeError, ValueError, KeyError):
            continue
    return out


def is_training_fetch(graph, fetched):
    """True when the fetched ops include an optimiser step (TRAIN_OP) or a hand-written assign step.

    ``fetched``: what :func:`elements` resolves of a ``Session.run``'s fetches. A graph with a
    ``TRAIN_OP`` collection (every TF1 ``Optimizer.apply_gradients`` adds its op there) trains
    only through those ops; one without trains through the assigns it fetches (:data:`MANUAL_UPDATE_OPS`,
    the Saver's and the initializers' left out).
    """
    train_ops = set(graph.get_collection(tf1.GraphKeys.TRAIN_OP))
    ops = [op_of(e) for e in fetched]
    if any(op in train_ops for op in ops):
        return True
    if train_ops:
        return False
    return any(op.type in MANUAL_UPDATE_OPS and not op.name.startswith(("save/", "init")) for op in ops)


def upstream_ops(tensors, stop=lambda op: False, control=True):
    """Every op the given tensors (or ops) depend on, through data and control inputs (themselves included).

    ``stop(op)``: an op for which it is True is included but not looked through.
    ``control``: False follows data inputs only (what a tensor's *value* is computed from:
    ops created under ``tf.control_dependencies(UPDATE_OPS)`` wait for the update ops, whose
    inputs are not part of their value).
    """
    seen, stack = set(), [op_of(t) for t in tensors]
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        if stop(op):
            continue
        stack.extend(t.op for t in op.inputs)
        if control:
            stack.extend(op.control_inputs)
    return seen


#: Ops of the Saver (``tf.train.Saver``'s save and restore), which a training step never runs.
SAVER_OP_TYPES = ("SaveV2", "Save", "SaveSlices", "RestoreV2", "Restore", "RestoreSlice", "MergeV2Checkpoints")
#: Op types that write a variable: the optimizers' kernels, the assigns, the scatters.
VARIABLE_WRITE_PREFIXES = ("Apply", "ResourceApply", "SparseApply", "ResourceSparseApply", "Assign", "Scatter",
                           "ResourceScatter")


def _check_training_step(graph, fetches, names, source):
    """UserGraphError when what ``--train-op`` names (``names``, resolved to ``fetches``) is not a training step.

    A training step writes variables (an optimizer's ``Apply*`` kernel, an assign), and
    neither saves nor restores (the Saver's ops: ``save/control_dependency`` writes
    ``model.index`` into the current folder) nor initialises (``init`` resets what the
    checks measure). Running a fetch runs whatever it depends on, so the whole upstream is read.
    """
    upstream = upstream_ops(fetches)
    name = " ".join(str(n) for n in names)
    initializers = {v.initializer for v in graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)
                    + graph.get_collection(tf1.GraphKeys.LOCAL_VARIABLES) if getattr(v, "initializer", None) is not None}
    saver = sorted(op.name for op in upstream if op.type in SAVER_OP_TYPES)
    initializing = sorted(op.name for op in upstream & initializers)
    why = None
    if saver:
        why = f"runs the Saver's {saver[0]} (a save or restore, which writes or reads checkpoint files)"
    elif initializing:
        why = f"runs variable initializers ({initializing[0]}, ...)"
    elif not any(op.type.startswith(VARIABLE_WRITE_PREFIXES) for op in upstream):
        why = "updates no variable"
    if why:
        raise UserGraphError(f"--train-op {name}: in {source}, it {why}: it is not a training step; "
                             "name the op your training loop runs (what optimizer.minimize or apply_gradients returned)")


def tensor_or_none(graph, name):
    """``graph``'s tensor ``name`` ("op:0"), or None when there is none."""
    try:
        return graph.get_tensor_by_name(name)
    except (KeyError, ValueError):
        return None


def _placeholder_or_none(graph, name):
    """``graph``'s tensor ``name`` when a placeholder makes it (what the conventions' ``X:0``, ``y:0`` mean), else None."""
    tensor = tensor_or_none(graph, name)
    return tensor if tensor is not None and tensor.op.type in PLACEHOLDER_OP_TYPES else None


def shape_text(shape):
    """A static shape as the feed error of TensorFlow shows it: ``[?,784]``, ``[]`` for a scalar, ``<unknown>``."""
    if shape.rank is None:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in shape.as_list()) + "]"


def _placeholders(ops):
    return [op.outputs[0] for op in ops if op.type in PLACEHOLDER_OP_TYPES]


# --------------------------------------------------------------------------- names the user gives


def resolve(graph, name, flag, want="tensor", source="the graph"):
    """The tensor (``want="tensor"``) or op/tensor (``want="fetch"``) that ``name`` names in ``graph``.

    Args:
        graph: the ``tf.Graph`` to look in.
        name: ``"op:0"`` names a tensor, ``"op"`` an op (for ``want="tensor"``: its first output).
            A ``tf.Tensor`` or ``tf.Operation`` of ``graph`` is returned as it is.
        flag: how the user gave it (``--loss``, ``loss=``), for the message.
        want: "tensor" or "fetch".
        source: where the graph came from (the .meta path), for the message.

    Raises:
        UserGraphError: no such tensor or op; the message lists up to five close matches
            (``difflib``) and never substitutes one.
    """
    if not isinstance(name, str):
        element = graph.as_graph_element(name)
        return element if want == "fetch" or not isinstance(element, tf1.Operation) else _first_output(element, flag, name)
    try:
        element = graph.as_graph_element(name)
    except (KeyError, ValueError, TypeError):
        element = None
    if element is None:
        ops = [op.name for op in graph.get_operations()]
        candidates = ops + [f"{op.name}:{i}" for op in graph.get_operations() for i in range(len(op.outputs))]
        close = difflib.get_close_matches(name, candidates, n=5, cutoff=0.6)
        if not close:  # a name of another scope: match on its last part
            last = name.split("/")[-1]
            close = [c for c in candidates if c.split("/")[-1] == last][:5]
        hint = f"close matches: {', '.join(close)}" if close else "no close match"
        raise UserGraphError(f"{flag} {name!r}: {source} has no tensor or op of that name ({hint}); "
                             "give a tensor as 'op:0' or an op as 'op'")
    if want == "tensor" and isinstance(element, tf1.Operation):
        return _first_output(element, flag, name)
    return element


#: Op types whose output is a variable itself (its handle, or a ref to its value) rather than a value computed in the run.
VARIABLE_OP_TYPES = frozenset({"VarHandleOp", "VariableV2", "Variable"})


def check_feedable(tensor, flag, wanted):
    """Raise UserGraphError when ``tensor`` cannot be fed a value: a variable (its resource handle or TF1 ref)
    or a tensor of a non-value dtype (resource, variant).

    Args:
        tensor: the ``tf.Tensor`` a flag named.
        flag: the flag or keyword that named it (``--labels``), for the message.
        wanted: what the flag should name instead, the end of the message (``"name the labels placeholder ..."``).
    """
    op = tensor.op
    if op.type in VARIABLE_OP_TYPES:
        what = f"the variable {op.name} ({op.type})"
    elif not tensor.dtype.base_dtype.is_numpy_compatible:
        what = f"a {tensor.dtype.name} tensor of {op.name} ({op.type}), which holds no values"
    else:
        return
    raise UserGraphError(f"{flag} {tensor.name}: {what}, not a tensor a value can be fed to; {wanted}")


def _first_output(op, flag, name):
    if not op.outputs:
        raise UserGraphError(f"{flag} {name!r}: the op {op.name} ({op.type}) has no output tensor; name a tensor ('op:0')")
    return op.outputs[0]


# --------------------------------------------------------------------------- the classifier head


@dataclasses.dataclass
class Head:
    """The cross-entropy a loss is built from.

    ``kind`` is "sparse_softmax" (integer labels [N], logits [N, C]), "softmax" (one-hot or
    probability labels [N, C], logits [N, C]) or "sigmoid" (0/1 labels, one logit per
    output: [N] or [N, 1] for a binary classifier, [N, K] for K independent ones).
    ``per_example``: the cross-entropy before the mean (nats). ``labels``: the labels tensor
    the cross-entropy takes (None when it cannot be told).
    """

    kind: str
    logits: object
    per_example: object
    labels: object = None

    @property
    def n_classes(self):
        """C: the logits' static width for softmax, 2 for a sigmoid (each logit a binary choice); None if unknown."""
        if self.kind == "sigmoid":
            return 2
        shape = self.logits.shape
        return int(shape[-1]) if shape.rank and shape[-1] is not None else None


def classifier_head(graph, loss=None):
    """The :class:`Head` of the (first) cross-entropy ``loss`` depends on; None when there is none.

    Recognised: ``tf.nn.softmax_cross_entropy_with_logits`` (one-hot labels),
    ``tf.nn.sparse_softmax_cross_entropy_with_logits`` (as the fused op, or as TensorFlow
    builds it with op determinism on: LogSoftmax and Gather ops inside a
    ``SparseSoftmaxCrossEntropyWithLogits`` name scope), ``tf.nn.sigmoid_cross_entropy_with_logits``
    (``max(x, 0) - x * z + log1p(exp(-|x|))``, recognised by its ops, whatever its name scope),
    and the ``tf.compat.v1.losses`` functions built on them. With ``loss`` given, a
    cross-entropy ``loss`` depends on is preferred to others in the graph.
    """
    cone = upstream_ops([loss]) if loss is not None else None
    found = []
    for op in graph.get_operations():
        if op.type in CROSS_ENTROPY_OPS:
            # tf.nn.softmax_cross_entropy_with_logits (v2) flattens logits and labels to 2-D and its result back:
            # the user's tensors are on the far side of those Reshapes.
            kind = "softmax" if op.type == "SoftmaxCrossEntropyWithLogits" else "sparse_softmax"
            per_example = next((c.outputs[0] for c in op.outputs[0].consumers()
                                if c.type == "Reshape" and c.name.startswith(op.name + "/")), op.outputs[0])
            found.append((op, Head(kind, _before_reshape(op.inputs[0], op.name), per_example,
                                   _before_reshape(op.inputs[1], op.name))))
        elif op.type == "LogSoftmax" and re.search(r"SparseSoftmaxCrossEntropyWithLogits[^/]*/LogSoftmax$", op.name):
            scope = op.name.rsplit("/", 1)[0] + "/"
            inside = [o for o in graph.get_operations() if o.name.startswith(scope)]
            leaving = [o.outputs[0] for o in inside if o.outputs and o.outputs[0].dtype.is_floating
                       and any(not c.name.startswith(scope) for c in o.outputs[0].consumers())]
            integer_inputs = [t for o in inside for t in o.inputs
                              if t.dtype.is_integer and not t.op.name.startswith(scope) and t.op.type != "Const"]
            if leaving:
                found.append((op, Head("sparse_softmax", op.inputs[0], leaving[-1],
                                       integer_inputs[0] if integer_inputs else None)))
        elif op.type == "Log1p":
            head = _sigmoid_head(op)
            if head is not None:
                found.append((op, head))
        elif op.type in ("LogSoftmax", "Log") and not op.name.startswith("gradients") and "_grad/" not in op.name:
            head = _dense_softmax_head(op)
            if head is not None:
                found.append((op, head))
    if cone is not None:
        found = [f for f in found if f[0] in cone] or found
    return found[0][1] if found else None


def _before_reshape(tensor, scope):
    """``tensor`` traced back through the Reshape ops inside name scope ``scope`` (the cross-entropy's own)."""
    while tensor.op.type == "Reshape" and tensor.op.name.startswith(scope + "/"):
        tensor = tensor.op.inputs[0]
    return tensor


def _dense_softmax_head(log):
    """The Head of ``-sum(labels * log_softmax(logits), axis=-1)`` at ``log`` (a LogSoftmax, or a Log of a Softmax), or None.

    TensorFlow builds ``tf.nn.softmax_cross_entropy_with_logits`` this way with op
    determinism on, and users write it by hand (``-tf.reduce_sum(y * tf.log(tf.nn.softmax(logits)), 1)``).
    """
    if log.type == "Log":
        if log.inputs[0].op.type != "Softmax":
            return None
        logits = log.inputs[0].op.inputs[0]
    else:
        logits = log.inputs[0]
    scope = log.name.rsplit("/", 1)[0] if "/" in log.name else log.name
    for product in log.outputs[0].consumers():
        if product.type != "Mul":
            continue
        labels = [t for t in product.inputs if t.op is not log]
        total = next((c for c in product.outputs[0].consumers() if c.type == "Sum"), None)
        if len(labels) != 1 or total is None:
            continue
        negated = next((c for c in total.outputs[0].consumers() if c.type == "Neg"), None)
        if negated is None:
            continue
        per_example = next((c.outputs[0] for c in negated.outputs[0].consumers()
                            if c.type == "Reshape" and c.name.startswith(scope + "/")), negated.outputs[0])
        return Head("softmax", _before_reshape(logits, scope), per_example, _before_reshape(labels[0], scope))
    return None


def _sigmoid_head(log1p):
    """The Head of ``sigmoid_cross_entropy_with_logits`` whose ``log1p(exp(-|x|))`` is ``log1p``, or None."""
    for total in log1p.outputs[0].consumers():
        if total.type not in ("Add", "AddV2"):
            continue
        other = [t for t in total.inputs if t.op is not log1p]
        if len(other) != 1 or other[0].op.type != "Sub":
            continue
        product = other[0].op.inputs[1].op
        if product.type != "Mul":
            continue
        logits, labels = product.inputs[0], product.inputs[1]
        relu = other[0].op.inputs[0].op  # max(x, 0) as Select(x >= 0, x, 0)
        if relu.type in ("Select", "SelectV2") and logits in list(relu.inputs):
            return Head("sigmoid", logits, total.outputs[0], labels)
    return None


def data_loss_of(head, loss):
    """The mean cross-entropy (the data loss, without regularisation) ``loss`` is made of, else ``loss`` itself."""
    if head is None:
        return loss
    cone = upstream_ops([loss]) if loss is not None else None
    for consumer in head.per_example.consumers():
        if consumer.type == "Mean" and (cone is None or consumer in cone):
            return consumer.outputs[0]
    return loss


# --------------------------------------------------------------------------- conventions


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
    scopes = {op_of(f).name.rsplit("/", 1)[0] + "/" for f in fetches if "/" in op_of(f).name}
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


def loss_by_name(graph):
    """The loss by the naming conventions: ``loss/loss:0``, ``loss:0``, the LOSSES collection, a scalar named loss/cost/mse."""
    for name in ("loss/loss:0", "loss:0"):
        tensor = tensor_or_none(graph, name)
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


def train_ops_by_convention(graph):
    """(the training step's ops, how they were found) by convention; ([], why not) when there is none.

    The TRAIN_OP collection (``Optimizer.minimize`` adds its op), else an op named
    ``train_op`` or ``training_op`` (in any name scope). Several candidates: UserGraphError
    asking for ``--train-op``.
    """
    collected = list(graph.get_collection(tf1.GraphKeys.TRAIN_OP))
    if len(collected) == 1:
        return collected, "the TRAIN_OP collection"
    if len(collected) > 1:
        names = ", ".join(op_of(op).name for op in collected)
        raise UserGraphError(f"the TRAIN_OP collection holds {len(collected)} training ops ({names}); "
                             "name the one your training loop runs with --train-op (train_op=)")
    named = [op for op in graph.get_operations() if re.search(r"(^|/)(train_op|training_op)$", op.name)]
    if len(named) == 1:
        return named, f"its name ({named[0].name})"
    if len(named) > 1:
        raise UserGraphError(f"several ops are named like a training op ({', '.join(op.name for op in named)}); "
                             "name the one your training loop runs with --train-op (train_op=)")
    return [], "no TRAIN_OP collection and no op named train_op or training_op"


@dataclasses.dataclass
class Tensors:
    """The tensors of a user's graph the checks feed and fetch, and how each was found.

    ``inputs``: the input placeholder (float, one example per row); ``labels``: the labels
    placeholder (None for a model without one); ``loss``: the scalar the optimiser minimises;
    ``data_loss``: its mean cross-entropy part (``loss`` when it cannot be told apart);
    ``head``: the :class:`Head`, None for a model that is not a classifier; ``train_fetches``:
    the ops one training step runs (None: no training step found); ``training``: the scalar
    bool training-flag placeholder, None if none; ``found``: role -> how it was found.
    """

    inputs: object
    labels: object
    loss: object
    data_loss: object
    head: object
    train_fetches: list
    training: object
    found: dict

    def notes(self):
        """One line per role, saying what was taken and how it was found."""
        out = []
        for role in ("inputs", "labels", "loss", "train_op", "training"):
            value = self.train_fetches if role == "train_op" else getattr(self, role)
            if role == "train_op":
                shown = ", ".join(op_of(f).name for f in value) if value else "none"
            else:
                shown = value.name if value is not None else "none"
            out.append(f"{role}: {shown} ({self.found.get(role, 'not found')})")
        return out

    def needs(self, mode):
        """The placeholders without a default (``tf.compat.v1.placeholder``) that a run in ``mode`` cannot do without.

        ``mode``: "eval" computes the loss and the logits; "train" also runs the training step's fetches.
        A ``placeholder_with_default`` is never needed: unfed, it takes its default.
        """
        fetches = [self.loss] + ([self.head.logits] if self.head is not None else [])
        if mode == "train":
            fetches += list(self.train_fetches or [])
        return sorted((t for t in _placeholders(upstream_ops(fetches)) if t.op.type != "PlaceholderWithDefault"),
                      key=lambda t: t.name)

    def resolve_feeds(self, graph, train_feed=None, eval_feed=None, source="the graph", feeder="the runs"):
        """({tensor: value} for training steps, {tensor: value} for evaluations) of feeds given by names or tensors.

        The values a user gives a scalar placeholder the model needs besides its inputs, labels
        and training flag: a ``keep_prob``, a fed learning rate (``doctor --train-feed``,
        ``parity --eval-feed``...).

        Args:
            graph: the ``tf.Graph`` the names are looked up in.
            train_feed, eval_feed: {name or tensor: value} (a number, a bool, or an array of the
                placeholder's shape); None: nothing.
            source: where the graph came from (the .meta path), named in the messages.
            feeder: who feeds the inputs and labels from the data, named when a feed gives one of them.

        Raises:
            UserGraphError: a name not in the graph (with close matches); a feed of the inputs or labels;
                a tensor that is not a placeholder (:data:`PLACEHOLDER_OP_TYPES`: a fed loss or logits would
                replace what the checks measure); a value whose shape or kind (bool, integer, number) the
                placeholder does not take; a fed ``keep_prob`` or rate giving a dropout a rate outside [0, 1)
                (:meth:`check_dropout_rates`).
        """
        out = []
        for flag, feed in (("--train-feed", train_feed), ("--eval-feed", eval_feed)):
            resolved = {}
            for key, value in (feed or {}).items():
                tensor = resolve(graph, key, flag, source=source)
                for role in ("inputs", "labels"):
                    if getattr(self, role) is not None and tensor.name == getattr(self, role).name:
                        raise UserGraphError(f"{flag} {tensor.name}: that is the model's {role}, which {feeder} "
                                             "feeds from --data; leave it out")
                wanted = "give a placeholder (a keep_prob, a fed learning rate)"
                check_feedable(tensor, flag, wanted)
                if tensor.op.type not in PLACEHOLDER_OP_TYPES:  # a computed tensor fed would override what is measured
                    behind = [t.name for t in tensor.op.inputs if t.op.type in PLACEHOLDER_OP_TYPES]
                    hint = f"; it reads the placeholder {behind[0]}: feed that" if len(behind) == 1 else ""
                    raise UserGraphError(f"{flag} {tensor.name}: computed by the graph ({tensor.op.type}), not a placeholder, "
                                         f"and its fed value would replace what the runs measure; {wanted}{hint}")
                array = np.asarray(value)
                kind = ("bool" if tensor.dtype == tf.bool else "integer" if tensor.dtype.is_integer
                        else "number" if tensor.dtype.is_floating else None)
                fits = {"bool": array.dtype == np.bool_, "integer": np.issubdtype(array.dtype, np.integer),
                        "number": np.issubdtype(array.dtype, np.number)}.get(kind, True)
                if not fits or not tensor.shape.is_compatible_with(array.shape):
                    shown = value if np.ndim(value) == 0 else f"an array of shape {list(array.shape)}"
                    wanted = {"bool": "true or false", "integer": "an integer", "number": "a number"}.get(kind, "a value")
                    raise UserGraphError(f"{flag} {tensor.name}={shown}: {tensor.name} takes {tensor.dtype.name} "
                                         f"{shape_text(tensor.shape)}; give {wanted} of that shape")
                resolved[tensor] = value
            out.append(resolved)
        self.check_dropout_rates(graph, *out)
        return tuple(out)

    def check_dropout_rates(self, graph, train_extra, eval_extra):
        """Raise UserGraphError where a feed gives a dropout a rate outside [0, 1).

        ``tf.compat.v1.nn.dropout(keep_prob=p)`` drops ``rate = 1 - p`` of the units and scales the
        rest by ``1 / p``. TensorFlow checks a Python rate when the graph is built, not a fed one:
        ``keep_prob`` 0 (a "no dropout" meant as rate 0) gives rate 1, every unit dropped (the
        doctor then FAILed the model's wiring on NaN gradients, exit 1, where the model was fine);
        ``keep_prob`` 50 (a percentage) gives rate -49, every unit kept and scaled by 1/50; a NaN
        makes every output NaN. The checks would measure that model, not the user's.

        A dropout inside a ``cond`` on the training flag (``tf.layers.dropout(rate=placeholder,
        training=flag)``, TF2's ``If`` or TF1's ``Switch``) is checked in the mode that runs it: the
        training feeds, with the flag True. Not checked: a branch that computes its rate from a fed
        ``keep_prob`` itself (:func:`dropout_layers`), and a rate that also depends on a variable (it is run
        in a session of its own, where the variable is uninitialised; nothing is raised). A rate down to
        -:data:`ROUNDING` is float32's rounding of a ``keep_prob`` just above 1, taken as 0.

        Args:
            graph: the ``tf.Graph``.
            train_extra, eval_extra: {placeholder: value} fed to training steps and to evaluations
                (:meth:`resolve_feeds`); training mode also feeds the training flag True, inference mode False.

        Raises:
            UserGraphError: naming the flag, the fed values the rate depends on, the dropout and its rate.
        """
        if not (train_extra or eval_extra):
            return
        fed = set(train_extra) | set(eval_extra)
        fed_dropouts = []
        for dropout in dropout_layers(graph):  # those inside a cond branch too, where the rate is passed in
            if dropout.rate is None and dropout.rate_tensor is not None:
                behind = [t for t in _placeholders(upstream_ops([dropout.rate_tensor], control=False)) if t in fed]
                if behind:
                    fed_dropouts.append((dropout, behind))
        if not fed_dropouts:
            return
        with tf1.Session(graph=graph) as session:
            for flag, extra, training in (("--train-feed", train_extra, True), ("--eval-feed", eval_extra, False)):
                feed = dict(extra)
                if self.training is not None:
                    feed.setdefault(self.training, training)
                for dropout, behind in fed_dropouts:
                    given = [t for t in behind if t in extra]
                    rate = dropout.rate_fed(session, feed) if given else None
                    if rate is None or -ROUNDING <= rate < 1.0:  # a keep_prob of 1 + 1e-7 is 1 in float32's rounding
                        continue
                    shown = ", ".join(f"{t.name}={np.asarray(extra[t]).tolist()}" for t in given)
                    effect = ("makes every output NaN" if math.isnan(rate) else "drops every unit" if rate >= 1.0
                              else f"keeps every unit and scales it by {1.0 / (1.0 - rate):.3g}")
                    raise UserGraphError(f"{flag} {shown} gives dropout '{dropout.scope}' a rate of {rate:g}, outside "
                                         f"[0, 1): it {effect}; {_rate_advice(dropout.rate_tensor)}")

    def check_fed(self, source, fed=None, remedy=None):
        """Raise UserGraphError naming every placeholder a run needs and nothing feeds.

        Without this, a model whose loss depends on a second input, a ``keep_prob`` or a
        learning-rate placeholder fails in each ``Session.run`` with TensorFlow's "You must
        feed a value for placeholder tensor".

        Args:
            source: where the graph came from (the ``.meta`` path), named in the message.
            fed: {"train": tensors, "eval": tensors} fed in each mode besides the inputs,
                labels and training flag (the doctor's ``train_feed``/``eval_feed``); None: nothing else.
            remedy: what the user can do about an unfed placeholder (:func:`feed_remedy`); default: name
                it with ``--inputs``/``--labels``/``--training``.
        """
        own = {t for t in (self.inputs, self.labels, self.training) if t is not None}
        needed = {mode: self.needs(mode) for mode in ("train", "eval")}
        missing = {}
        for mode in ("train", "eval"):
            given = own | set((fed or {}).get(mode, ()))
            for tensor in needed[mode]:
                if tensor not in given:
                    missing.setdefault(tensor, []).append(mode)
        if not missing:
            return
        feeds = ", ".join(f"--{role} {getattr(self, role).name if getattr(self, role) is not None else 'none'}"
                          for role in ("inputs", "labels", "training"))
        described = []
        for tensor, modes in missing.items():
            what = "the loss" if tensor in needed["eval"] else "a training step"
            both = all(tensor in needed[mode] for mode in ("train", "eval"))
            partly = f", unfed in {'training steps' if modes == ['train'] else 'evaluations'}" if both and len(modes) == 1 else ""
            described.append(f"{tensor.name} ({tensor.dtype.name} {shape_text(tensor.shape)}, which {what} needs{partly})")
        word = "placeholder" if len(missing) == 1 else "placeholders"
        raise UserGraphError(f"{source}: the model needs {word} {'; '.join(described)} that the runs do not feed (they "
                             f"feed {feeds}); {remedy or 'name it with the flag it is, if it is one of those'}")


def feed_remedy(tool, verb, api, train_runs, eval_runs):
    """What a user can do about a placeholder a tool's runs do not feed: :meth:`Tensors.check_fed`'s ``remedy``.

    Args:
        tool: the tool as the line names it (``"the doctor"``, ``"parity"``).
        verb: what the tool does to a model, a past participle (``"examined"``, ``"compared"``).
        api: the Python call taking the same feeds as keywords (``"doctor.diagnose"``).
        train_runs, eval_runs: what ``--train-feed`` and ``--eval-feed`` are fed to (``"the training steps"``).
    """
    return ("name it with --inputs, --labels or --training if it is one of those; give a scalar's value (a learning "
            f"rate, keep_prob) with --train-feed NAME=VALUE ({train_runs}) and --eval-feed NAME=VALUE ({eval_runs}; "
            f"{api}: train_feed=, eval_feed=); {tool} feeds one batch of inputs (x of --data), so a model with a "
            f"second batch-shaped input cannot be {verb} as it is")


def find_tensors(graph, *, inputs=None, labels=None, loss=None, train_op=None, training=None, source="the graph"):
    """The :class:`Tensors` of a user's graph: the ones named, the rest by the conventions (:data:`CONVENTIONS`).

    Args:
        graph: the ``tf.Graph``.
        inputs, labels, loss, training: a tensor or its name (``"name:0"``; an op name means
            its first output); None: by convention.
        train_op: one name or op, or a list of them: what one training step fetches. The
            name ``UPDATE_OPS`` stands for the ops of that collection (the
            ``sess.run([train_op, update_ops])`` idiom). None: by convention.
        source: where the graph came from (a .meta path), named in errors.

    Returns:
        :class:`Tensors`. ``inputs`` and ``loss`` are always found (else an error);
        ``labels``, ``training``, ``train_fetches`` and ``head`` may be None.

    Raises:
        UserGraphError: a name that is not in the graph (with close matches); named inputs or
            labels that are a variable (:func:`check_feedable`); a named
            training flag that is not a scalar bool; several training ops and none named;
            no input placeholder or no loss found (saying which flag names it).
    """
    found = {}
    if train_op is not None:
        names = tf.nest.flatten(train_op)
        fetches = []
        for name in names:
            if isinstance(name, str) and name == UPDATE_OPS_NAME:
                update_ops = graph.get_collection(tf1.GraphKeys.UPDATE_OPS)
                if not update_ops:
                    raise UserGraphError(f"--train-op {UPDATE_OPS_NAME}: {source} has no UPDATE_OPS collection "
                                         "(no batch-norm layer registered update ops); leave it out")
                fetches.extend(update_ops)
            else:
                fetches.append(resolve(graph, name, "--train-op", "fetch", source))
        _check_training_step(graph, fetches, names, source)
        found["train_op"] = "named"
    else:
        fetches, how = train_ops_by_convention(graph)
        found["train_op"] = f"by convention: {how}"
    fetches = fetches or None

    if loss is not None:
        loss_tensor = resolve(graph, loss, "--loss", source=source)
        found["loss"] = "named"
    else:
        loss_tensor = minimised_loss(graph, fetches)
        found["loss"] = "by convention: what the training step's optimiser differentiates"
        if loss_tensor is None:
            loss_tensor = loss_by_name(graph)
            found["loss"] = "by convention: its name or the LOSSES collection"
    head = classifier_head(graph, loss_tensor)
    if loss_tensor is None and head is not None:
        loss_tensor = data_loss_of(head, None)
        found["loss"] = "by convention: the mean of the cross-entropy"
    if loss_tensor is None:
        raise UserGraphError(f"no loss tensor in {source}: no training op to take it from, and no tensor named loss/loss:0, "
                             "loss:0 or in the LOSSES collection; name it with --loss (loss=)")
    if not loss_tensor.dtype.is_floating or (loss_tensor.shape.rank not in (None, 0)):
        raise UserGraphError(f"--loss {loss_tensor.name}: a loss is a float scalar, this is {loss_tensor.dtype.name} "
                             f"with shape {loss_tensor.shape}; name the scalar the optimiser minimises")
    loss_cone = upstream_ops([loss_tensor])
    logits_cone = upstream_ops([head.logits]) if head is not None else loss_cone

    training_tensor = None
    if training is not None:
        training_tensor = resolve(graph, training, "--training", source=source)
        if training_tensor.dtype != tf.bool or training_tensor.shape.rank not in (None, 0):
            raise UserGraphError(f"--training {training_tensor.name}: a training flag is a scalar bool placeholder, this is "
                                 f"{training_tensor.dtype.name} with shape {training_tensor.shape}")
        found["training"] = "named"
    else:
        flag = tensor_or_none(graph, "training:0")
        if flag is not None and flag.dtype == tf.bool and flag.shape.rank in (None, 0):
            training_tensor, found["training"] = flag, "by convention: its name"
        else:
            flags = [t for t in _placeholders(loss_cone) if t.dtype == tf.bool and t.shape.rank in (None, 0)]
            if len(flags) == 1:
                training_tensor, found["training"] = flags[0], "by convention: the one bool placeholder the loss depends on"
            elif flags:
                found["training"] = f"not found: {len(flags)} bool placeholders ({', '.join(t.name for t in flags)}); name it"
            else:
                found["training"] = "none: no bool placeholder the loss depends on"

    if inputs is not None:
        inputs_tensor = resolve(graph, inputs, "--inputs", source=source)
        check_feedable(inputs_tensor, "--inputs", "name the placeholder x of --data is fed to (X:0 by convention)")
        found["inputs"] = "named"
    else:
        inputs_tensor = _placeholder_or_none(graph, "X:0")
        found["inputs"] = "by convention: its name"
        if inputs_tensor is None:
            candidates = [t for t in _placeholders(logits_cone)
                          if t.dtype.is_floating and t.shape.rank != 0 and t is not training_tensor]
            if len(candidates) == 1:
                inputs_tensor = candidates[0]
                found["inputs"] = "by convention: the one non-scalar float placeholder the logits depend on"
            else:
                listed = ", ".join(t.name for t in candidates) or "none"
                raise UserGraphError(f"no input placeholder in {source}: no placeholder X:0, and {len(candidates)} non-scalar float "
                                     f"placeholders the model depends on ({listed}); name it with --inputs (inputs=)")

    if labels is not None:
        labels_tensor = resolve(graph, labels, "--labels", source=source)
        check_feedable(labels_tensor, "--labels", "name the placeholder y of --data is fed to (y:0 by convention)")
        found["labels"] = "named"
    else:
        labels_tensor = _placeholder_or_none(graph, "y:0")
        found["labels"] = "by convention: its name"
        if labels_tensor is None:
            candidates = [t for t in _placeholders(loss_cone - logits_cone)
                          if t is not training_tensor and t is not inputs_tensor and t.shape.rank != 0]
            if len(candidates) == 1:
                labels_tensor = candidates[0]
                found["labels"] = "by convention: the one placeholder the loss depends on and the logits do not"
            else:
                found["labels"] = (f"not found: {len(candidates)} candidates "
                                   f"({', '.join(t.name for t in candidates) or 'none'}); name it with --labels")
    return Tensors(inputs=inputs_tensor, labels=labels_tensor, loss=loss_tensor, data_loss=data_loss_of(head, loss_tensor),
                   head=head, train_fetches=fetches, training=training_tensor, found=found)


# --------------------------------------------------------------------------- dropout and the learning rate


@dataclasses.dataclass
class Dropout:
    """A dropout op of the graph: ``rate`` is the fraction of units dropped (None when it is not a constant).

    ``scope``: its name scope (``dnn/dropout``); ``branch``: the cond branch function holding
    it (``tf.layers.dropout(training=flag)`` builds it inside a ``cond`` on the flag), None
    when it sits in the graph itself (always on). ``rate_tensor``: the rate as the graph computes
    it (``1 - keep_prob`` of a fed ``keep_prob``); inside a branch, the ``If`` op's input the branch
    takes as its rate (a fed ``tf.layers.dropout(rate=placeholder)``), None where the branch computes
    its rate itself; in TF1's control flow (``Switch``), the tensor the ``Switch`` passes in. ``condition``:
    for a branch, (the condition of its ``If`` or ``Switch``, the value that takes the branch).
    """

    scope: str
    rate: float = None
    branch: str = None
    rate_tensor: object = dataclasses.field(default=None, repr=False, compare=False)
    condition: tuple = dataclasses.field(default=None, repr=False, compare=False)

    def rate_fed(self, session, feed):
        """The rate under ``feed`` ({placeholder: value}, e.g. ``keep_prob`` 1.0 -> 0.0): the constant rate, or the
        graph's rate run in ``session``; None where ``feed`` does not determine it, or takes the other branch
        of the ``cond`` holding it (``training`` fed False: the dropout does not run)."""
        if self.rate is not None or self.rate_tensor is None:
            return self.rate
        try:
            if self.condition is not None:
                flag, taken = self.condition
                if bool(session.run(flag, feed_dict=feed)) != taken:
                    return None
            return float(session.run(self.rate_tensor, feed_dict=feed))
        except (tf.errors.OpError, TypeError, ValueError):
            return None

    def describe(self):
        rate = f"rate {self.rate:g}" if self.rate is not None else "a rate computed in the graph"
        where = f" (in {self.branch}: active in training mode)" if self.branch else " (always on)"
        return f"{self.scope}: {rate}{where}"


def _rate_advice(rate_tensor):
    """What a user should feed a dropout computing ``rate_tensor``: a rate's range for a fed rate, a
    ``keep_prob``'s for ``1 - keep_prob`` (``tf.compat.v1.nn.dropout(keep_prob=...)``), else the range alone."""
    def through(tensor):  # past the casts and identities between a placeholder and its use
        while tensor.op.type in ("Cast", "Identity") and tensor.op.inputs:
            tensor = tensor.op.inputs[0]
        return tensor

    source = through(rate_tensor)
    if source.op.type in PLACEHOLDER_OP_TYPES:
        return "a rate is the fraction of units dropped: give one in [0, 1), e.g. 0.5 to train, 0 to evaluate"
    if source.op.type == "Sub":
        first, second = (through(t) for t in source.op.inputs)
        if first.op.type == "Const" and second.op.type in PLACEHOLDER_OP_TYPES:
            if np.all(tf.make_ndarray(first.op.get_attr("value")) == 1):
                return ("keep_prob is the fraction of units kept (rate = 1 - keep_prob): give one in (0, 1], "
                        "e.g. 0.5 to train, 1.0 to evaluate")
    return "give values that make the rate one in [0, 1)"


def _fetchable(tensor):
    """``tensor``, or the tensor an ``Identity`` inside TF1's ``cond`` (``cond/pred_id``) passes on, which a session can fetch."""
    while not tensor.graph.is_fetchable(tensor.op) and tensor.op.type == "Identity":
        tensor = tensor.op.inputs[0]
    return tensor


#: How far below 0 a fed rate may fall and still be taken as 0: float32's rounding of ``1 - keep_prob``
#: for a keep_prob a few ulps above 1 (1.0000001 gives -1.19e-7: every unit kept, scaled by 0.9999999).
ROUNDING = 1e-6

_DROPOUT_MASK = re.compile(r"(^|/)dropout(_\d+)?/GreaterEqual$")


def dropout_layers(graph):
    """Every dropout of ``graph`` (``tf.nn.dropout``, ``tf.compat.v1.layers.dropout``, Keras' ``Dropout``), as :class:`Dropout`.

    TensorFlow's dropout keeps a unit where ``uniform noise >= rate``: the rate is the
    second input of the ``dropout/GreaterEqual`` op (a constant for a Python float
    ``rate``, or ``1 - keep_prob`` for ``tf.compat.v1.nn.dropout(keep_prob=...)``). The
    graph's ops and its function library (the branches of a ``cond`` on a training flag)
    are both searched; the backward functions are not. A branch whose rate is one of its
    arguments (``tf.layers.dropout(rate=placeholder, training=flag)``) gets the ``If`` op's
    input for it as ``rate_tensor``; a dropout in TF1's control flow whose rate comes through a
    ``Switch``, the ``Switch``'s input (a branch that computes its rate from a fed ``keep_prob``
    itself has no ``rate_tensor``: it cannot be run outside the branch).
    """
    found = []
    branches = {}  # a cond branch's function name -> (its If op, the condition's value that takes it)
    for op in graph.get_operations():
        if op.type == "GreaterEqual" and _DROPOUT_MASK.search(op.name) and not op.name.startswith("gradients"):
            rate_op = op.inputs[1].op
            rate = float(tf.make_ndarray(rate_op.get_attr("value"))) if rate_op.type == "Const" else None
            rate_tensor, condition = op.inputs[1], None
            if rate_op.type in ("Switch", "RefSwitch"):  # TF1's cond: its Switch output cannot be fetched, its input can
                rate_tensor = _fetchable(rate_op.inputs[0])
                condition = (_fetchable(rate_op.inputs[1]), op.inputs[1].value_index == 1)
            found.append(Dropout(op.name.rsplit("/", 1)[0], rate, rate_tensor=rate_tensor, condition=condition))
        elif op.type in ("If", "StatelessIf"):
            branches.setdefault(op.get_attr("then_branch").name, (op, True))
            branches.setdefault(op.get_attr("else_branch").name, (op, False))
    for function in graph.as_graph_def().library.function:
        name = function.signature.name
        if "_grad_" in name or name.endswith("_grad"):
            continue
        nodes = {node.name: node for node in function.node_def}
        arguments = [arg.name for arg in function.signature.input_arg]
        for node in function.node_def:
            if node.op == "GreaterEqual" and _DROPOUT_MASK.search(node.name):
                rate_input = node.input[1] if len(node.input) > 1 else ""
                source = nodes.get(rate_input.split(":")[0])
                rate = (float(tf.make_ndarray(source.attr["value"].tensor))
                        if source is not None and source.op == "Const" else None)
                rate_tensor = condition = None
                if rate is None and rate_input in arguments and name in branches:  # the rate passed into the branch
                    if_op, taken = branches[name]
                    rate_tensor, condition = if_op.inputs[1 + arguments.index(rate_input)], (if_op.inputs[0], taken)
                found.append(Dropout(node.name.rsplit("/", 1)[0], rate, name, rate_tensor=rate_tensor,
                                     condition=condition))
    unique = {}
    for item in found:
        unique.setdefault((item.scope, item.rate, item.branch is None), item)
    return list(unique.values())


@dataclasses.dataclass
class LearningRate:
    """The learning rate a training step's optimiser applies, as the graph computes it.

    ``tensor``: the ``lr``/``alpha`` input of the optimiser's apply op; ``optimizer``: its
    family (``GradientDescent``, ``Momentum``, ``Adam``...); ``step_variables``: the
    variables it depends on (a schedule's ``global_step``; empty for a constant);
    ``placeholders``: placeholders it depends on (a fed rate).
    """

    tensor: object
    optimizer: str
    step_variables: list
    placeholders: list

    @property
    def schedule(self):
        return bool(self.step_variables)


_APPLY = re.compile(r"(?:Resource)?(?:Sparse)?Apply(\w+)$")


def learning_rate_of(graph, fetches):
    """The :class:`LearningRate` of the optimiser behind ``fetches``; None when no apply op is there.

    The apply ops' input named ``lr`` (``alpha`` for gradient descent) in their op
    definition is the rate; the variables and placeholders it depends on say whether it is
    a schedule or fed.
    """
    if not fetches:
        return None
    held = {}
    for variable in graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES):
        held[variable.handle.op if hasattr(variable, "handle") else variable.op] = variable
    for op in sorted(upstream_ops(fetches), key=lambda o: o.name):
        match = _APPLY.match(op.type)
        if not match:
            continue
        names = [arg.name for arg in op.op_def.input_arg]
        index = next((names.index(n) for n in ("lr", "alpha") if n in names), None)
        if index is None:
            continue
        rate = op.inputs[index]
        cone = upstream_ops([rate], control=False)  # its value's inputs (a feed, a schedule's step), not control waits
        return LearningRate(rate, match.group(1), [held[o] for o in sorted(cone, key=lambda o: o.name) if o in held],
                            _placeholders(sorted(cone, key=lambda o: o.name)))
    return None


#: The hyperparameter inputs of TF1's apply ops, by op-definition name (tensorflow/core/ops/training_ops.cc),
#: as the Keras 3 optimizers name them.
_APPLY_SETTINGS = {"alpha": "learning_rate", "lr": "learning_rate", "momentum": "momentum", "beta1": "beta_1",
                   "beta2": "beta_2", "epsilon": "epsilon", "rho": "rho"}


def optimizer_settings(graph, fetches):
    """``(family, {setting: value})``: the TF1 optimiser's constant hyperparameters, read from its apply op.

    ``family`` as :class:`LearningRate` has it (``GradientDescent``, ``Momentum``, ``Adam``,
    ``RMSProp``, ``Adagrad``...), None when ``fetches`` reach no apply op. The settings use
    Keras 3's names (``learning_rate``, ``momentum``, ``beta_1``, ``beta_2``, ``epsilon``,
    ``rho``; ``nesterov`` from the ``use_nesterov`` attribute); an input that is not a
    constant (a schedule, a fed rate) is left out. Nothing is run: the values are the
    constants the graph folds (``tf.get_static_value``).
    """
    if not fetches:
        return None, {}
    for op in sorted(upstream_ops(fetches), key=lambda o: o.name):
        match = _APPLY.match(op.type)
        if not match:
            continue
        settings = {}
        for arg, tensor in zip(op.op_def.input_arg, op.inputs):
            if arg.name in _APPLY_SETTINGS:
                value = tf.get_static_value(tensor)
                if value is not None and np.ndim(value) == 0:
                    settings[_APPLY_SETTINGS[arg.name]] = float(value)
        nesterov = _attr(op, "use_nesterov")
        if nesterov is not None and match.group(1) == "Momentum":
            settings["nesterov"] = bool(nesterov)
        return match.group(1), settings
    return None, {}


# --------------------------------------------------------------------------- data


@dataclasses.dataclass
class Data:
    """A user's data (an ``.npz`` file's, or arrays): ``x`` as saved, the labels as class indices, and their encoding.

    ``x``: inputs, one example per row (any numeric dtype, as saved; at least 2 dimensions).
    ``y``: the labels (or a regression's targets) as saved. ``classes``: int64 [N] class
    indices (the argmax of one-hot rows); None when ``y`` is not class labels, and then
    ``label_problem`` says why (an error once the model turns out to be a classifier).
    ``one_hot``: True when ``y`` was saved as rows [N, C] (C >= 2); ``n_classes``: C for
    one-hot rows, else ``max(y) + 1``.
    """

    source: str  # how the user gave them: "--data FILE", or "data" for arrays
    x: np.ndarray
    y: np.ndarray
    classes: np.ndarray
    one_hot: bool
    n_classes: int
    label_problem: str = None

    def __len__(self):
        return len(self.x)

    def distribution(self, classes=None):
        """{class index: fraction of the examples} over ``classes`` (default: all of them), every class up to C - 1."""
        classes = self.classes if classes is None else classes
        counts = np.bincount(classes, minlength=self.n_classes)
        return {int(c): float(n) / len(classes) for c, n in enumerate(counts)}


def load_data(path):
    """The arrays ``x`` and ``y`` of the ``.npz`` file ``path``, checked; returns :class:`Data`.

    ``x``: inputs [N, ...] of a numeric dtype, every value finite. ``y`` [N] or [N, K], finite;
    for a classifier (checked by :func:`feed_arrays`, once the model is known): integer labels
    [N] (>= 0; floats are accepted when every value is a whole number), or one-hot /
    probability rows [N, C] (non-negative, each row summing to 1 within 1e-4), or [N, 1] 0/1
    labels of a binary classifier.

    Raises:
        UserGraphError: the file is missing, a directory, not an .npz (an HTML page, text,
            an empty file), damaged (truncated, a changed byte), holds pickled objects, lacks
            ``x`` or ``y``, or the arrays break a rule above (N differs between them,
            non-finite values).
    """
    import zipfile
    import zlib

    where = str(path)
    file = Path(path)
    if not file.exists():
        raise UserGraphError(f"--data {where}: no such file; give an .npz holding arrays x and y ({NPZ_REMEDY})")
    if file.is_dir():
        raise UserGraphError(f"--data {where}: is a directory; give an .npz file holding arrays x and y ({NPZ_REMEDY})")
    try:
        with file.open("rb") as handle:
            head = handle.read(64)
    except OSError as err:
        raise UserGraphError(f"--data {where}: cannot be read ({err.strerror or err}); make it readable") from None
    if head[:4] != b"PK\x03\x04":
        what = "an empty file" if not head else _looks_like(head)
        raise UserGraphError(f"--data {where}: not an .npz archive ({what}); {NPZ_REMEDY}")
    try:
        with np.load(file, allow_pickle=False) as npz:
            absent = [key for key in ("x", "y") if key not in npz.files]
            if absent:
                raise UserGraphError(f"--data {where}: no array {' or '.join(absent)} (it holds "
                                     f"{', '.join(npz.files) or 'no arrays'}); {NPZ_REMEDY}")
            x, y = npz["x"], npz["y"]
    except UserGraphError:
        raise
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error, NotImplementedError) as err:
        cause = error_cause(err)
        if "allow_pickle" in cause or "Object arrays" in cause:
            cause = "it holds pickled Python objects, not plain arrays"
        raise UserGraphError(f"--data {where}: damaged or unreadable .npz ({cause}); {NPZ_REMEDY}") from None
    return data_from_arrays(x, y, f"--data {where}")


def _looks_like(head):
    head = bytes(head).lstrip()
    if head[:1] == b"<":
        return "an HTML/XML page"
    if head[:6] == b"\x93NUMPY":
        return "a single .npy array, not an .npz of x and y"
    if head[:2] == b"\x1f\x8b":
        return "a gzip stream"
    if all(32 <= b < 127 or b in b"\t\r\n" for b in head):
        return "a text file"
    return "binary data of another kind"


def data_from_arrays(x, y, where="data"):
    """:class:`Data` from arrays ``x`` and ``y`` (array-likes), checked as :func:`load_data` checks a file's.

    ``where`` names them in the errors (``--data FILE`` for a file).

    Raises:
        UserGraphError: as :func:`load_data`, for the arrays' content.
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype.kind not in "fiub" or x.ndim < 2:
        raise UserGraphError(f"{where}: x must be a numeric array with one example per row (at least 2 "
                             f"dimensions), it is {x.dtype} with shape {x.shape}; {NPZ_REMEDY}")
    if y.dtype.kind not in "fiub" or y.ndim not in (1, 2):
        raise UserGraphError(f"{where}: y must be labels [N] or one-hot rows [N, C], it is {y.dtype} with "
                             f"shape {y.shape}; {NPZ_REMEDY}")
    if len(x) == 0:
        raise UserGraphError(f"{where}: x holds no examples; save at least one")
    if len(x) != len(y):
        raise UserGraphError(f"{where}: x has {len(x)} examples but y has {len(y)} labels; save one label per example")
    if x.dtype.kind == "f":
        bad = ~np.isfinite(x)
        if bad.any():
            row = int(np.argwhere(bad)[0][0])
            raise UserGraphError(f"{where}: x holds {int(bad.sum())} non-finite values (NaN or inf; the first in "
                                 f"example {row}); replace or drop those examples")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise UserGraphError(f"{where}: y holds NaN or inf; every label must be a class index or a one-hot row")
    try:
        classes, one_hot = _class_labels(y, where)
    except UserGraphError as err:  # not class labels: an error only once the model turns out to be a classifier
        return Data(where, x, y, None, False, 0, str(err))
    n_classes = int(y.shape[1]) if one_hot else int(classes.max()) + 1
    return Data(where, x, y, classes, one_hot, n_classes)


def _class_labels(y, where):
    """(int64 class indices [N], whether ``y`` is one-hot rows) of labels ``y``; UserGraphError when they are not labels."""
    if y.ndim == 2 and y.shape[1] >= 2:
        if np.any(y < 0):
            row = int(np.argwhere(y < 0)[0][0])
            raise UserGraphError(f"{where}: y's row {row} has a negative entry; one-hot rows hold 0 and 1")
        sums = y.sum(axis=1, dtype=np.float64)
        off = np.abs(sums - 1.0) > ROW_SUM_TOLERANCE
        if off.any():
            row = int(np.argmax(off))
            raise UserGraphError(f"{where}: y's row {row} sums to {sums[row]:g}, not 1 ({int(off.sum())} such rows); "
                                 "one-hot rows have a single 1 (or are probabilities summing to 1)")
        return np.argmax(y, axis=1).astype(np.int64), True
    flat = y.reshape(len(y))
    if flat.dtype.kind == "f" and not np.all(flat == np.round(flat)):
        row = int(np.argmax(flat != np.round(flat)))
        raise UserGraphError(f"{where}: y[{row}] = {flat[row]:g} is not a class index; labels are whole numbers "
                             "0..C-1 (or one-hot rows [N, C])")
    if np.any(flat < 0):
        row = int(np.argmax(flat < 0))
        raise UserGraphError(f"{where}: y[{row}] = {flat[row]:g} is negative; labels are class indices 0..C-1")
    classes = flat.astype(np.int64)
    if y.ndim == 2 and np.any(classes > 1):  # [N, 1]: a binary classifier's 0/1 column
        raise UserGraphError(f"{where}: y has shape {y.shape} (one column) but holds labels above 1; give class "
                             "indices [N] or one-hot rows [N, C]")
    return classes, False


def feed_arrays(data, inputs, labels, head=None):
    """``(x, y, notes)``: ``data`` in the form the ``inputs`` and ``labels`` placeholders take.

    ``x`` is cast to the inputs' dtype (an integer ``x`` is fed as it is, unscaled, with a
    note). ``y`` is given the encoding the labels placeholder takes: class indices [N] for an
    integer placeholder, one-hot rows [N, C] for a float [None, C] one (C >= 2), 0/1 floats
    [N] or [N, 1] for a sigmoid's; every conversion is a note.

    Raises:
        UserGraphError: ``x``'s shape per example is not what ``inputs`` takes; the model is a
            classifier (``head``) and ``y`` is not class labels (negative or fractional values,
            one-hot rows not summing to 1), or holds a class beyond its C; the labels
            placeholder takes an encoding the labels cannot be given in.
    """
    notes = []
    x = data.x
    wanted = inputs.shape
    if wanted.rank is not None:
        per_example = list(wanted[1:])
        if len(per_example) != x.ndim - 1 or any(d is not None and d != s for d, s in zip(per_example, x.shape[1:])):
            shown = tuple("?" if d is None else int(d) for d in per_example)
            reshape = f"reshape x in the .npz (x.reshape(len(x), {', '.join(str(s) for s in shown)})), or " if shown else ""
            raise UserGraphError(f"{data.source}: x has {x.shape[1:]} per example but {inputs.name} takes {shown or 'one value'}; "
                                 f"{reshape}name the input placeholder with --inputs if {inputs.name} is not it")
    dtype = inputs.dtype.as_numpy_dtype
    if x.dtype != dtype:
        if x.dtype.kind in "iub" and np.dtype(dtype).kind == "f":
            notes.append(f"x is {x.dtype} (values {x.min()}..{x.max()}): fed to {inputs.name} as {np.dtype(dtype).name} "
                         "as it is, not rescaled")
        x = x.astype(dtype)
    if head is not None and data.label_problem:
        raise UserGraphError(data.label_problem)
    if labels is None:
        return x, (data.classes if data.classes is not None else data.y), notes
    if head is None:  # not a classifier (a regression): y is fed as saved, in the placeholder's dtype
        return x, data.y.astype(labels.dtype.as_numpy_dtype), notes
    n_classes = head.n_classes
    if head is not None and head.kind != "sigmoid" and n_classes is not None and data.one_hot and data.n_classes != n_classes:
        raise UserGraphError(f"{data.source}: y has {data.n_classes} columns (one-hot rows, a column per class) but the "
                             f"model's logits ({head.logits.name}) have {n_classes} classes; give rows of {n_classes} columns")
    if head is not None and head.kind != "sigmoid" and n_classes is not None and data.n_classes > n_classes:
        worst = int(data.classes.max())
        raise UserGraphError(f"{data.source}: y holds class {worst} but the model's logits "
                             f"({head.logits.name}) have {n_classes} classes (0..{n_classes - 1}); give labels the model has")
    if head is not None and head.kind == "sigmoid" and (data.n_classes > 2 and not data.one_hot):
        raise UserGraphError(f"{data.source}: y holds class {int(data.classes.max())} but {head.logits.name} is a "
                             "sigmoid (binary) output taking 0/1 labels; give 0/1 labels")
    if data.y.dtype == np.bool_:
        notes.append("y is bool: True fed as class 1, False as class 0")
    shape, dtype = labels.shape, labels.dtype
    rank = shape.rank
    width = int(shape[-1]) if rank == 2 and shape[-1] is not None else None
    if dtype.is_integer:
        if rank is not None and rank != 1:
            raise UserGraphError(f"{labels.name} is an integer placeholder of shape {shape}; doctor feeds it class indices [N]")
        if data.one_hot and np.all((data.y == 0) | (data.y == 1)):
            notes.append(f"y is one-hot [N, {data.y.shape[1]}]; {labels.name} takes class indices: fed their argmax")
        elif data.one_hot:
            notes.append(f"y holds probability rows [N, {data.y.shape[1]}] (soft labels, not 0/1); {labels.name} takes "
                         "class indices: fed each row's most likely class (argmax), so the loss is not the one those "
                         "rows would give")
        return x, data.classes.astype(dtype.as_numpy_dtype), notes
    # A float labels placeholder: one-hot rows, or a sigmoid's 0/1 values.
    if head is not None and head.kind == "sigmoid" or (width == 1) or rank == 1:
        values = data.classes.astype(dtype.as_numpy_dtype) if not data.one_hot else data.y.astype(dtype.as_numpy_dtype)
        if data.one_hot and (rank == 1 or width == 1):
            raise UserGraphError(f"{data.source}: y is one-hot [N, {data.y.shape[1]}] but {labels.name} takes one "
                                 f"0/1 label per example (shape {shape}); give labels [N]")
        if rank == 2 and values.ndim == 1:
            values = values.reshape(-1, 1)
        elif rank == 1 and values.ndim == 2:
            values = values.reshape(-1)
        return x, values, notes
    classes = width or n_classes or data.n_classes
    if data.one_hot:
        if data.y.shape[1] != classes:
            raise UserGraphError(f"{data.source}: y has {data.y.shape[1]} columns but {labels.name} takes {classes}; "
                                 "give one-hot rows with one column per class")
        return x, data.y.astype(dtype.as_numpy_dtype), notes
    if data.n_classes > classes:
        raise UserGraphError(f"{data.source}: y holds class {int(data.classes.max())} but {labels.name} takes "
                             f"{classes} classes; give labels 0..{classes - 1}")
    notes.append(f"y holds class indices; {labels.name} takes one-hot rows [N, {classes}]: fed as one-hot")
    return x, np.eye(classes, dtype=dtype.as_numpy_dtype)[data.classes], notes


# --------------------------------------------------------------------------- the model


@dataclasses.dataclass
class Model:
    """A user's graph imported from its ``.meta``, with a session holding its variables' values.

    ``restored``: the values come from ``checkpoint`` (a Saver prefix); otherwise they are the
    variables' initial values. ``notes``: what the loading did that the user should know.
    """

    graph: object
    session: object
    meta: str
    checkpoint: str = None
    restored: bool = False
    notes: list = dataclasses.field(default_factory=list)


def read_meta_graph(path, flag="--graph"):
    """The ``MetaGraphDef`` in the file ``path`` (binary, or text as ``export_meta_graph(as_text=True)`` writes).

    ``flag`` names the option that gave it (``--graph``; ``--tf1`` for parity's ``PREFIX.meta``) in the messages.

    Raises:
        UserGraphError: missing, a directory, unreadable, empty, or not a MetaGraphDef
            (truncated, a changed byte that breaks the protobuf, another kind of file).
            Protobuf has no checksum: a changed byte inside a number or a name can still parse.
    """
    from google.protobuf import text_format
    from google.protobuf.message import DecodeError
    from tensorflow.core.protobuf import meta_graph_pb2

    remedy = "export it again (tf.compat.v1.train.export_meta_graph, or Saver.save writes PREFIX.meta)"
    file = Path(path)
    if not file.exists():
        sibling = Path(f"{path}.meta")
        hint = f" (did you mean {sibling}?)" if sibling.is_file() else ""
        raise UserGraphError(f"{flag} {path}: no such file{hint}; give the model's .meta file")
    if file.is_dir():
        metas = sorted(p.name for p in file.glob("*.meta") if p.is_file())
        held = f"it holds {', '.join(metas[:5])}{', ...' if len(metas) > 5 else ''}" if metas else "it holds no .meta file"
        raise UserGraphError(f"{flag} {path}: is a directory ({held}); give the model's .meta file")
    saver_file = re.search(r"\.(index|data-\d{5}-of-\d{5})$", file.name)
    if saver_file:
        meta_file = file.with_name(file.name[: saver_file.start()] + ".meta")
        there = f"give {meta_file}, beside it" if meta_file.is_file() else f"give the model's .meta file ({meta_file} is not there; {remedy})"
        raise UserGraphError(f"{flag} {path}: is a file of a Saver checkpoint (the weights), not the graph; {there}")
    try:
        data = file.read_bytes()
    except OSError as err:
        raise UserGraphError(f"{flag} {path}: cannot be read ({err.strerror or err}); make it readable") from None
    if not data:
        raise UserGraphError(f"{flag} {path}: empty file; {remedy}")
    meta = meta_graph_pb2.MetaGraphDef()
    try:
        meta.ParseFromString(data)
    except DecodeError:
        meta = meta_graph_pb2.MetaGraphDef()
        try:
            text_format.Merge(data.decode("utf-8"), meta)
        except (text_format.ParseError, UnicodeDecodeError):
            raise UserGraphError(f"{flag} {path}: damaged or not a MetaGraphDef ({len(data)} bytes; neither binary nor "
                                 f"text protobuf parses); {remedy}") from None
    if not meta.graph_def.node:
        raise UserGraphError(f"{flag} {path}: holds no graph ({len(data)} bytes parse as an empty MetaGraphDef: "
                             f"damaged or another kind of file); {remedy}")
    return meta


def import_graph(path, flag="--graph"):
    """``(graph, meta_graph_def)``: the ``.meta`` at ``path`` imported into a fresh ``tf.Graph`` (devices cleared).

    Raises:
        UserGraphError: as :func:`read_meta_graph` (``flag`` as there), or the graph does not import (an op this
            TensorFlow does not have, a damaged collection), or it lists none of its variables in a variable
            collection (exported with ``collection_list=[]``): none could be initialised or restored.
    """
    from google.protobuf.message import DecodeError

    meta = read_meta_graph(path, flag)
    graph = tf1.Graph()
    try:
        with graph.as_default():
            tf1.train.import_meta_graph(meta, clear_devices=True)
    except (DecodeError, ValueError, KeyError, TypeError, tf.errors.OpError) as err:
        cause = error_cause(err)
        raise UserGraphError(f"{flag} {path}: does not import ({cause[:200]}); export it again with this model's code, "
                             f"or check it was made by a TensorFlow with the same ops") from None
    variable_ops = [op for op in graph.get_operations() if op.type in VARIABLE_OP_TYPES]
    listed = {v.op for key in (tf1.GraphKeys.GLOBAL_VARIABLES, tf1.GraphKeys.LOCAL_VARIABLES) for v in graph.get_collection(key)}
    unlisted = [op.name for op in variable_ops if op not in listed]
    if unlisted:  # neither initialised nor restored: every check would fail on an uninitialised variable
        shown = ", ".join(unlisted[:3]) + (", ..." if len(unlisted) > 3 else "")
        which = (f"none of its {len(variable_ops)} variables ({shown}) in a" if len(unlisted) == len(variable_ops)
                 else f"{len(unlisted)} of its {len(variable_ops)} variables ({shown}) in no")
        raise UserGraphError(f"{flag} {path}: lists {which} variable collection (it was exported with "
                             "collection_list=[], or they were made with collections=[]), so they cannot be initialised or "
                             "restored; export it again with its collections (Saver.save writes PREFIX.meta; "
                             "tf.compat.v1.train.export_meta_graph keeps them by default)")
    return graph, meta


def checkpoint_prefix(path, flag="--checkpoint"):
    """``(prefix, note)``: the Saver prefix ``path`` names (a prefix, one of its files, or a folder with a ``checkpoint`` file).

    ``flag`` names the option that gave it in the messages (``--checkpoint``, ``--tf1``).

    Raises:
        UserGraphError: nothing of a checkpoint there (with the hint the checkpoints module gives).
    """
    from tf1_recipes import checkpoints

    path = str(path)
    if Path(path).is_dir():
        try:
            prefix = checkpoints.prefix_in_directory(path)
        except checkpoints.CheckpointError as err:
            raise UserGraphError(f"{flag} {err}") from None
        return prefix, f"{flag} {path} is a folder: using its latest checkpoint, {prefix}"
    prefix, suffix = checkpoints.strip_suffix(path)
    if suffix and Path(f"{prefix}.index").is_file():
        return prefix, f"{flag} {path} is one of its files: using the prefix {prefix}"
    if not Path(f"{prefix}.index").is_file():
        raise UserGraphError(f"{flag} {path}: no checkpoint there ({prefix}.index is missing); give the Saver prefix "
                             "(DIR/model.ckpt, what saver.save returned)")
    return prefix, None


#: Variables a checkpoint may lack (they then start from their initial values, with a note): the optimiser's state.
OPTIONAL_VARIABLE = re.compile(r"(^|/)(global_step|beta[12]_power|[^/]*(Adam|Momentum|RMSProp|Adagrad|Ftrl|"
                               r"Adadelta)[^/]*)(_\d+)?$")


def load_model(meta, checkpoint=None, flag="--checkpoint", meta_flag="--graph"):
    """A :class:`Model`: the graph of ``meta`` and a session with its checkpoint's values, or its initial values.

    Args:
        meta: the ``.meta`` file (``PREFIX.meta`` as ``Saver.save`` writes it, or what
            ``export_meta_graph`` wrote).
        checkpoint: a Saver prefix (or one of its files, or a folder with a ``checkpoint``
            state file); None: every variable gets its initial value (``global_variables_initializer``).
        flag: the option that named the checkpoint, for the messages (``--checkpoint``, ``--tf1``).
        meta_flag: the option that named the graph, for :func:`import_graph`'s messages.

    Every tensor of the checkpoint is read (so its CRC is checked) before any value is
    loaded. Each variable of the graph is set from the checkpoint entry of its name
    (``variable.op.name``) with the same shape. A model variable (trainable, or a batch-norm
    moving statistic) the checkpoint lacks is an error; the optimiser's state
    (:data:`OPTIONAL_VARIABLE`: global_step, slots, beta powers) starts from its initial
    value, with a note.

    Raises:
        UserGraphError: as :func:`import_graph`; the checkpoint is missing, damaged
            (naming the file and TensorFlow's cause) or does not fit the graph (listing the
            variables it lacks or holds with another shape).
    """
    from tf1_recipes import checkpoints

    graph, _ = import_graph(meta, meta_flag)
    notes = []
    values, prefix = None, None
    if checkpoint is not None:
        prefix, note = checkpoint_prefix(checkpoint, flag)
        if note:
            notes.append(note)
        try:
            values = checkpoints.read_checkpoint(prefix, "checkpoint", f"save it again with Saver.save, or give another "
                                                 f"checkpoint of the model in {meta}")
        except checkpoints.CheckpointError as err:
            raise UserGraphError(f"{flag} {err}") from None
    variables = graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)
    session = tf1.Session(graph=graph)
    with graph.as_default():
        session.run([tf1.global_variables_initializer(), tf1.local_variables_initializer()])
    _note_unseeded(graph, notes, restored=values is not None)
    if values is None:
        notes.append(f"no --checkpoint: the {len(variables)} variables start from their initial values")
        return Model(graph, session, str(meta), None, False, notes)
    problems, fresh = [], []
    for variable in variables:
        name = variable.op.name
        if name not in values:
            (fresh if OPTIONAL_VARIABLE.search(name) else problems).append(f"{name} is not in it")
        elif list(values[name].shape) != variable.shape.as_list():
            problems.append(f"{name} has shape {list(values[name].shape)} in it but {variable.shape.as_list()} in the graph")
    if problems:
        session.close()
        shown = "; ".join(problems[:6]) + (f"; and {len(problems) - 6} more" if len(problems) > 6 else "")
        raise UserGraphError(f"{flag} {prefix} does not fit the graph in {meta}: {shown}; give the checkpoint "
                             "saved from this graph")
    with graph.as_default():
        for variable in variables:
            if variable.op.name in values:
                variable.load(values[variable.op.name], session)
    if fresh:
        notes.append(f"not in the checkpoint, so at their initial values: {', '.join(n.split(' ')[0] for n in fresh)} "
                     "(optimiser state)")
    unused = sorted(set(values) - {v.op.name for v in variables})
    if unused:
        notes.append(f"{len(unused)} checkpoint entries belong to no variable of the graph: {', '.join(unused[:5])}"
                     + (" ..." if len(unused) > 5 else ""))
    notes.append(f"variables restored from {prefix} ({len(variables) - len(fresh)} of {len(variables)})")
    return Model(graph, session, str(meta), prefix, True, notes)


def _note_unseeded(graph, notes, restored):
    """A note when the graph's random ops have no seed (their values differ from run to run)."""
    unseeded = [op.name for op in graph.get_operations() if op.type in ("RandomUniform", "RandomStandardNormal",
                                                                         "TruncatedNormal", "RandomUniformInt")
                and _attr(op, "seed") == 0 and _attr(op, "seed2") == 0]
    if unseeded:
        what = "dropout masks" if restored else "initial values and dropout masks"
        notes.append(f"{len(unseeded)} random ops have no seed (e.g. {unseeded[0]}): their {what} differ from run to run; "
                     "set tf.compat.v1.set_random_seed before building the graph for repeatable numbers")


def _attr(op, name):
    try:
        return op.get_attr(name)
    except ValueError:
        return None


def chance_loss(n_classes):
    """-ln(1/C): the softmax cross-entropy (in nats) of a model that knows nothing yet; ln 2 for a sigmoid's binary choice."""
    return -math.log(1.0 / n_classes)
