"""Finite-difference gradient check of a TF1 graph's loss, on a float64 copy of the loss's slice.

TensorFlow computes gradients by autodiff, so a wrong gradient comes from a wrong gradient
registration (``gradient_override_map``, ``RegisterGradient``), a misplaced
``stop_gradient`` or a non-differentiable trick. The check compares ``tf.gradients`` with
central differences, as ``tf.compat.v1.test.compute_gradient`` does, but only for a few
entries of each variable (the largest gradients and a few random ones): computing a full
Jacobian of a 784x300 kernel would take 470,000 forward passes.

The slice is the part of the graph the loss depends on, frozen (variables become
constants, with TensorFlow's own ``convert_variables_to_constants``), converted to float64
(where central differences are accurate to about 1e-8 relative) and imported into a new
graph with the variables mapped to float64 placeholders. When the conversion cannot be
made (an op without a float64 kernel), the same check runs on the float32 slice with a
larger step, and says so.
"""

import dataclasses

import numpy as np

from tf1_recipes.compat import error_cause, tf, tf1

DELTA = {"float64": 1e-6, "float32": 1e-3}
#: Relative disagreement of forward and backward differences beyond which a point is a kink.
KINK_TOLERANCE = {"float64": 1e-3, "float32": 0.2}


class NotDeterministic(ValueError):
    """The loss gives other values for the same inputs (dropout or noise on): finite differences mean nothing."""


@dataclasses.dataclass
class EntryCheck:
    """One checked gradient entry."""

    variable: str
    index: tuple
    analytic: float
    numeric: float
    noise: float = 0.0  # the central difference's rounding noise: gradients below it are not resolved

    @property
    def relative_error(self):
        scale = max(abs(self.analytic), abs(self.numeric), self.noise)
        return 0.0 if scale < 1e-12 else abs(self.analytic - self.numeric) / scale


def _convert_attrs(attrs, src, dst):
    for attr in attrs.values():
        if attr.HasField("type") and attr.type == src:
            attr.type = dst
        if attr.HasField("list"):
            for i, value in enumerate(attr.list.type):
                if value == src:
                    attr.list.type[i] = dst
        if attr.HasField("tensor") and attr.tensor.dtype == src:
            array = tf.make_ndarray(attr.tensor).astype(np.float64)
            attr.tensor.CopyFrom(tf.make_tensor_proto(array, dtype=tf.float64))


def to_float64(graph_def):
    """Every float32 in a GraphDef (node attributes, constants, function signatures) made float64."""
    from tensorflow.core.framework import types_pb2

    src, dst = types_pb2.DT_FLOAT, types_pb2.DT_DOUBLE
    for node in graph_def.node:
        _convert_attrs(node.attr, src, dst)
    for function in graph_def.library.function:
        for arg in list(function.signature.input_arg) + list(function.signature.output_arg):
            if arg.type == src:
                arg.type = dst
        for node in function.node_def:
            _convert_attrs(node.attr, src, dst)
    return graph_def


def _repair_frozen_functions(graph_def):
    """Point function outputs at ``:output:`` of the Identity ops freezing put in place of ReadVariableOps.

    ``convert_variables_to_constants`` turns a captured variable's ReadVariableOp inside a
    cond branch into an Identity but leaves the branch's return value naming the old
    ``:value:`` output, which breaks the gradient of the If op; this renames it.

    Freezing also leaves the branch's *signature* as it was: an argument that carried a
    variable's resource handle now carries the variable's value (a float tensor) but keeps
    the handle's ``handle_data``, and TensorFlow, rebuilding the branch from its FunctionDef
    (an imported graph's branches, whose Python FuncGraphs are gone), gives such an argument
    the handle's scalar shape: "Shapes must be equal rank, but are 1 and 0". The
    ``handle_data`` of every argument that is no longer a resource is dropped.
    """
    from tensorflow.core.framework import types_pb2

    for function in graph_def.library.function:
        for arg in list(function.signature.input_arg) + list(function.signature.output_arg):
            if arg.handle_data and arg.type != types_pb2.DT_RESOURCE:
                del arg.handle_data[:]
        op_types = {node.name: node.op for node in function.node_def}

        def fix(ref, op_types=op_types):
            parts = ref.split(":")
            if len(parts) == 3 and op_types.get(parts[0]) == "Identity" and parts[1] != "output":
                return f"{parts[0]}:output:{parts[2]}"
            return ref

        for key in list(function.ret):
            function.ret[key] = fix(function.ret[key])
        for node in function.node_def:
            for i, ref in enumerate(node.input):
                node.input[i] = fix(ref)
    return graph_def


class LossSlice:
    """The loss's slice of a graph, frozen and (by default) in float64, with variables as placeholders."""

    def __init__(self, session, loss, variables, dtype="float64"):
        from tf1_recipes.tf_private import freeze_session_graph

        graph = session.graph
        self.dtype = dtype
        self.names = [v.name for v in variables]
        frozen = freeze_session_graph(session, graph.as_graph_def(), [loss.op.name])
        frozen = _repair_frozen_functions(frozen)
        if dtype == "float64":
            frozen = to_float64(frozen)
        self.values = [np.asarray(v, dtype=dtype) for v in session.run(list(variables))]
        self.graph = tf1.Graph()
        with self.graph.as_default():
            self.placeholders = [
                tf1.placeholder(dtype, v.shape, name=f"var{i}") for i, v in enumerate(self.values)
            ]
            input_map = {f"{v.op.name}:0": p for v, p in zip(variables, self.placeholders)}
            (self.loss,) = tf1.import_graph_def(frozen, input_map=input_map, return_elements=[loss.name], name="slice")
            self.gradients = tf.gradients(self.loss, self.placeholders)
        self.session = tf1.Session(graph=self.graph)

    def feed(self, feed_by_name, values=None):
        feed = {p: v for p, v in zip(self.placeholders, values or self.values)}
        for name, value in feed_by_name.items():
            try:
                tensor = self.graph.get_tensor_by_name(f"slice/{name}")
            except KeyError:
                continue  # pruned: the loss does not depend on it
            value = np.asarray(value)
            feed[tensor] = value.astype(self.dtype) if value.dtype.kind == "f" else value
        return feed

    def close(self):
        self.session.close()


def check(session, loss, variables, feed_by_name, *, entries=4, random_entries=2, seed=0, dtype="float64"):
    """Analytic vs central-difference gradient of ``loss`` for a few entries of each variable.

    Returns ``(checks, dtype, notes)``: the :class:`EntryCheck` list, the precision used,
    and notes (variables without a gradient, a float32 fallback). Raises NotDeterministic
    (a ValueError) when the loss is not deterministic (dropout on while evaluating), where
    no finite difference means anything; TensorFlow's error (OpError, ValueError, TypeError,
    KeyError) when the slice cannot be rebuilt in float32 either.
    """
    notes = []
    try:
        piece = LossSlice(session, loss, variables, dtype)
        base, analytic = piece.session.run([piece.loss, piece.gradients], piece.feed(feed_by_name))
    except (tf.errors.OpError, ValueError, TypeError, KeyError) as err:
        if dtype != "float64":
            raise
        notes.append(f"no float64 slice ({error_cause(err)[:120]}): checked in float32")
        return _with_notes(check(session, loss, variables, feed_by_name, entries=entries,
                                 random_entries=random_entries, seed=seed, dtype="float32"), notes)
    try:
        again = piece.session.run(piece.loss, piece.feed(feed_by_name))
        if again != base:
            raise NotDeterministic(f"the loss is not deterministic ({base!r} then {again!r}): dropout or noise is on")
        rng = np.random.RandomState(seed)
        delta = DELTA[dtype]
        results, kinks = [], []
        # Rounding of the loss (a few ulps of its value) divided by the step: smaller gradients are noise.
        noise = 100 * float(np.finfo(dtype).eps) * max(1.0, abs(float(base))) / delta
        for i, (name, value, grad) in enumerate(zip(piece.names, piece.values, analytic)):
            if grad is None:
                notes.append(f"{name}: no gradient (see the wiring check)")
                continue
            grad = np.asarray(grad)
            flat = np.abs(grad).ravel()
            chosen = list(np.argsort(-flat, kind="stable")[:entries])
            chosen += list(rng.choice(flat.size, size=min(random_entries, flat.size), replace=False))
            for index in dict.fromkeys(int(c) for c in chosen):
                numeric, kink = _central_difference(piece, feed_by_name, i, index, delta, float(base))
                entry = EntryCheck(name, np.unravel_index(index, value.shape), float(grad.ravel()[index]), numeric, noise)
                (kinks if kink else results).append(entry)
        if kinks:
            notes.append(f"{len(kinks)} entries sit on a kink (one-sided differences disagree: a ReLU at exactly 0): "
                         "not compared")
        return results, dtype, notes
    finally:
        piece.close()


def _with_notes(outcome, notes):
    results, dtype, more = outcome
    return results, dtype, notes + more


def _central_difference(piece, feed_by_name, i, index, delta, base):
    """(central difference, whether the point is a kink) for one entry of variable ``i``.

    A kink (ReLU of exactly 0, as when a layer's input is all zeros and its bias still 0)
    shows as forward and backward differences that disagree by more than the curvature
    of a smooth function allows.
    """
    values = list(piece.values)
    perturbed = values[i].copy()
    flat = perturbed.reshape(-1)
    original = flat[index]
    out = []
    for sign in (1.0, -1.0):
        flat[index] = original + sign * delta
        values[i] = perturbed
        out.append(float(piece.session.run(piece.loss, piece.feed(feed_by_name, values))))
    forward, backward = (out[0] - base) / delta, (base - out[1]) / delta
    scale = max(abs(forward), abs(backward), 1e-12)
    return (out[0] - out[1]) / (2 * delta), abs(forward - backward) > KINK_TOLERANCE[piece.dtype] * scale
