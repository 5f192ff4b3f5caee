"""``tf1-recipes parity``: the migration guide's equivalence checks on a user's own TF1 model and its Keras 3 port.

TensorFlow's guide to validating a migration (tensorflow.org/guide/migrate/validate_correctness)
asks for two things before a port is trusted: the same outputs from the same weights
(the forward pass) and the same weights after the same training steps. This module runs
both on a user's model, with nothing of the user's code but the TF1 checkpoint (its graph
from ``PREFIX.meta``, its values from ``PREFIX``) and a factory of the Keras 3 model:

1. The TF1 model is loaded and its tensors found as ``doctor --graph`` finds them
   (:mod:`tf1_recipes.user_graph`: the conventions or ``--inputs/--labels/--loss/--train-op/
   --training``); the data is the ``--data`` ``.npz`` (:func:`tf1_recipes.user_graph.load_data`).
2. The Keras model gets the TF1 variables' current values by the mapping ``migrate-ckpt
   --to`` uses (:func:`tf1_recipes.tf2.mapping.map_checkpoint`: names, layer order, shapes,
   ``--map`` rules), and, for the training steps, the TF1 optimizer's state converted as
   ``migrate-ckpt --optimizer-state`` converts it (:mod:`tf1_recipes.tf2.optimizer_state`).
3. **Forward**: logits and loss of the first ``batch_size`` examples, in inference mode and,
   when the TF1 graph has a training flag, in training mode (Keras' training-mode call
   moves batch-norm moving statistics; they are put back after the look).
4. **K steps** (``steps`` > 0): K training steps on the same consecutive batches on both
   sides (TF1: its training op, and UPDATE_OPS when named; Keras: ``GradientTape`` and the
   optimizer's ``apply_gradients``), comparing the loss at every step and every mapped
   variable after the last one.

The Keras side's loss is the TF1 head's cross-entropy (sparse softmax, softmax over one-hot
rows or sigmoid, as :func:`tf1_recipes.user_graph.classifier_head` finds it), averaged over
the batch, plus ``sum(model.losses)`` (Keras' regularisation penalties).

Tolerances (why these; the recipe ports' parity tests hold to the same, :mod:`tf1_recipes.tf2.parity`):

* forward: ``|tf1 - tf2| <= FORWARD_ATOL + FORWARD_RTOL * |tf1|`` for every logit and the
  loss. Both sides compute in float32 (unit roundoff 2^-24, about 6e-8) and may sum a dot
  product in another order: a few ulps of the largest partial sum. ``RTOL`` 1e-5 is about
  80 ulps of the value, ``ATOL`` 1e-5 covers values near zero; a wrong op (another
  epsilon, a transposed kernel, a missing activation) moves them by far more.
* K steps: every variable ``|tf1 - tf2| <= WEIGHT_ATOL + WEIGHT_RTOL * |tf1|`` and every
  step's loss within ``LOSS_TOLERANCE`` (:data:`tf1_recipes.tf2.parity.WEIGHT_RTOL` and
  its neighbours: a few ulps per step from differently ordered update formulas, summed
  over K steps by contracting recursions).

Every difference is reported with its size in ulps of the reference value (``np.spacing``
of the largest ``|tf1|``): 0 to a few ulps is the same computation in another order.
"""

import dataclasses

import numpy as np

from tf1_recipes.tf2.parity import LOSS_TOLERANCE, WEIGHT_ATOL, WEIGHT_RTOL, without_state_changes

FORWARD_ATOL = 1e-5
FORWARD_RTOL = 1e-5
#: Examples in the forward comparison and in each training step when ``batch_size`` is not given.
DEFAULT_BATCH_SIZE = 32
PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"


class ParityInputError(ValueError):
    """What was given cannot be compared (no training op for ``steps``, no optimizer, too few examples); one line."""


@dataclasses.dataclass
class Check:
    """One comparison: ``name`` ("forward, inference mode", "3 steps: weights"...), the largest
    difference ``max_abs_diff`` (None when skipped), its size in ulps of the reference, the
    ``tolerance`` it was held to (text), ``status`` and ``detail`` (where the largest difference is, or why skipped)."""

    name: str
    status: str
    max_abs_diff: float = None
    ulps: float = None
    tolerance: str = ""
    detail: str = ""

    def to_dict(self):
        return dataclasses.asdict(self)

    def line(self):
        if self.status == SKIP:
            return f"[SKIP] {self.name}: {self.detail}"
        return (f"[{self.status}] {self.name}: max |tf1 - tf2| = {self.max_abs_diff:.3g} ({self.ulps:.1f} ulps)"
                f"  tolerance {self.tolerance}{'  ' + self.detail if self.detail else ''}")


@dataclasses.dataclass
class ParityReport:
    """The outcome of :func:`compare_model`: the checks, the mapping table (rows), and notes."""

    tf1: str
    tf2: str
    checks: list
    rows: list
    notes: list

    @property
    def status(self):
        """FAIL if any check FAILed, else PASS (SKIPs do not fail)."""
        return FAIL if any(c.status == FAIL for c in self.checks) else PASS

    def to_dict(self):
        return {"tf1": self.tf1, "tf2": self.tf2, "status": self.status, "checks": [c.to_dict() for c in self.checks],
                "mapping": [{"tf1": r.tf1_name, "shape": list(r.shape), "tf2": r.target, "reason": r.reason or None}
                            for r in self.rows],
                "notes": list(self.notes)}

    def format(self):
        lines = [f"parity of {self.tf1} (TF1) and {self.tf2} (Keras 3)"]
        lines += [check.line() for check in self.checks]
        lines.append(f"{self.status}: {sum(c.status == PASS for c in self.checks)} passed, "
                     f"{sum(c.status == FAIL for c in self.checks)} failed, {sum(c.status == SKIP for c in self.checks)} skipped")
        return "\n".join(lines)


def _difference(name, tf1_values, tf2_values, atol, rtol, where=None):
    """A Check of ``|tf1 - tf2| <= atol + rtol |tf1|`` over paired arrays ({label: array} or one array each)."""
    if not isinstance(tf1_values, dict):
        tf1_values, tf2_values = {"": tf1_values}, {"": tf2_values}
    worst, worst_label, worst_excess, reference, status = 0.0, "", -np.inf, 0.0, PASS
    for label, a in tf1_values.items():
        a = np.asarray(a, np.float64)
        b = np.asarray(tf2_values[label], np.float64)
        if a.shape != b.shape:
            return Check(name, FAIL, float("inf"), float("inf"), f"{atol:g} + {rtol:g}|tf1|",
                         f"{label or 'output'}: TF1 shape {list(a.shape)}, TF2 shape {list(b.shape)}")
        diff = np.abs(a - b)
        if diff.size == 0:
            continue
        excess = diff - (atol + rtol * np.abs(a))
        if not np.all(np.isfinite(diff)):
            status = FAIL
        elif np.max(excess) > 0:
            status = FAIL
        i = int(np.argmax(diff))
        if diff.flat[i] > worst or (np.isnan(diff.flat[i])):
            worst, worst_label = float(diff.flat[i]), label
        if np.max(excess) > worst_excess:
            worst_excess = float(np.max(excess))
        reference = max(reference, float(np.max(np.abs(a))) if a.size else 0.0)
    ulps = worst / float(np.spacing(np.float32(reference))) if reference > 0 else (0.0 if worst == 0 else float("inf"))
    detail = f"largest at {worst_label}" if worst_label and worst > 0 else ""
    if where:
        detail = f"{detail}; {where}" if detail else where
    return Check(name, status, worst, ulps, f"{atol:g} + {rtol:g}|tf1|", detail)


def keras_loss(head_kind, model, x, y, training):
    """The Keras side's loss: the head's cross-entropy averaged over the batch, plus ``sum(model.losses)``.

    Args:
        head_kind: "sparse_softmax" (``y`` int [N]), "softmax" (``y`` float [N, C]) or
            "sigmoid" (``y`` 0/1 floats shaped like the logits).
        model: the Keras 3 model (its outputs are the logits).
        x: inputs [N, ...] float32; ``training``: the mode of the call.

    Returns:
        (loss scalar tensor, logits tensor).
    """
    import tensorflow as tf

    logits = model(x, training=training)
    if head_kind == "sparse_softmax":
        per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
    elif head_kind == "softmax":
        per_example = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits)
    else:
        per_example = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.reshape(tf.cast(y, logits.dtype), tf.shape(logits)),
                                                              logits=logits)
    loss = tf.reduce_mean(per_example)
    penalties = model.losses  # Keras computes them on each read of .losses: read once
    if penalties:
        loss = loss + tf.add_n(penalties)
    return loss, logits


def _tf1_feed(tensors, x, y, training, extra=None):
    """The TF1 session's feed: the inputs, labels and training flag, and the user's own feeds (``extra``) for the mode."""
    feed = {**(extra or {}), tensors.inputs: x}
    if tensors.labels is not None:
        feed[tensors.labels] = y
    if tensors.training is not None:
        feed[tensors.training] = training
    return feed


def _probabilities_hint(logits):
    """A hint when the Keras model's outputs look like probabilities (rows of non-negatives summing to 1)."""
    out = np.asarray(logits)
    if out.ndim == 2 and out.shape[1] > 1 and np.all(out >= 0) and np.allclose(out.sum(axis=1), 1.0, atol=1e-4):
        return "the Keras model's outputs are probabilities (rows sum to 1): end it with the logits, no softmax"
    return ""


def compare_model(tf1, tf2, data, *, maps=(), names=None, steps=0, batch_size=DEFAULT_BATCH_SIZE, optimizer=None,
                  train_feed=None, eval_feed=None):
    """The equivalence checks of a user's TF1 model (``tf1``) and its Keras 3 port (``tf2``) on ``data``.

    Args:
        tf1: the TF1 Saver prefix (or one of its files, or a folder with a ``checkpoint``
            state file); its graph is ``PREFIX.meta``.
        tf2: ``MODULE:FUNCTION`` or ``FILE.py:FUNCTION``, a function of no arguments returning
            the Keras 3 model, or ``(model, optimizer)`` (as ``migrate-ckpt --to``).
        data: an ``.npz`` path with arrays ``x`` [N, ...] and ``y`` (integer labels [N] or
            one-hot rows [N, C]), or a :class:`tf1_recipes.user_graph.Data`.
        maps: ``--map`` rules for the variables the automatic mapping does not place.
        names: {"inputs", "labels", "loss", "train_op", "training": name} for the tensors
            the conventions do not find (``doctor --graph``'s flags).
        steps: K training steps to compare (0: the forward pass only).
        batch_size: examples in the forward batch and in each training step (the first
            ``batch_size`` rows, then the next, wrapping around).
        optimizer: ``MODULE:FUNCTION`` of a function returning a Keras 3 optimizer, for the
            steps; None: the one ``tf2``'s factory returns or compiled the model with.
        train_feed, eval_feed: {placeholder name: value} the TF1 graph is fed besides the inputs,
            labels and training flag: ``train_feed`` in the training-mode forward pass and the
            steps (a fed learning rate, ``keep_prob``), ``eval_feed`` in the inference-mode one
            (``keep_prob`` 1.0). The Keras side gets none of them: its model and optimizer hold
            those values themselves.

    Returns:
        a :class:`ParityReport` (``.status`` "PASS" or "FAIL").

    Raises:
        tf1_recipes.user_graph.UserGraphError: the checkpoint, its ``.meta``, the data or a
            named tensor cannot be used (one line saying why).
        tf1_recipes.tf2.migrate.ModelFactoryError: ``tf2`` or ``optimizer`` gives no Keras 3 model/optimizer.
        tf1_recipes.tf2.mapping.CheckpointMismatchError: the TF1 variables do not map onto
            the Keras model (every difference listed), or the optimizer state does not fit.
        ParityInputError: ``steps`` without a training op or an optimizer, fewer examples than ``batch_size``.
    """
    from pathlib import Path

    import tensorflow as tf

    from tf1_recipes import user_graph
    from tf1_recipes.compat import tf1 as v1
    from tf1_recipes.tf2 import migrate
    from tf1_recipes.tf2.mapping import MapRule, map_checkpoint
    from tf1_recipes.tf2.optimizer_state import convert_optimizer_state

    rules = [MapRule.parse(m) for m in maps]
    factory = migrate.load_factory(tf2, flag="--tf2")  # a bad --tf2 or --optimizer before anything is read
    if optimizer is not None:
        migrate.load_factory(optimizer, flag="--optimizer")
    if steps < 0 or batch_size < 1:
        raise ParityInputError(f"--steps must be >= 0 and --batch-size >= 1, got {steps} and {batch_size}")
    prefix, note = user_graph.checkpoint_prefix(tf1, "--tf1")
    notes = [note] if note else []
    meta = Path(f"{prefix}.meta")
    if not meta.is_file():
        raise user_graph.UserGraphError(f"--tf1 {tf1}: no {meta} beside the checkpoint; the graph comes from PREFIX.meta "
                                        "(Saver.save writes it; or export it with tf.compat.v1.train.export_meta_graph)")
    if isinstance(data, (str, Path)):
        data = user_graph.load_data(data)
    if len(data) < batch_size:
        raise ParityInputError(f"{data.source}: {len(data)} examples, fewer than --batch-size {batch_size}; "
                               "give more examples or a smaller --batch-size")
    model_tf1 = user_graph.load_model(str(meta), prefix, "--tf1", meta_flag="--tf1")
    notes += model_tf1.notes
    graph, session = model_tf1.graph, model_tf1.session
    tensors = user_graph.find_tensors(graph, **(names or {}), source=str(meta))
    if tensors.head is None:
        raise ParityInputError(f"--tf1 {prefix}: the loss {tensors.loss.name} is not built from a softmax or sigmoid "
                               "cross-entropy, so there are no logits to compare; parity compares classifiers")
    train_extra, eval_extra = tensors.resolve_feeds(graph, train_feed, eval_feed, str(meta), feeder="parity")
    tensors.check_fed(str(meta), {"train": train_extra, "eval": eval_extra}, remedy=user_graph.feed_remedy(
        "parity", "compared", "compare_model", "the training-mode forward pass and the steps", "the inference-mode one"))
    x, y, feed_notes = user_graph.feed_arrays(data, tensors.inputs, tensors.labels, tensors.head)
    notes += feed_notes
    if steps and not tensors.train_fetches:
        raise ParityInputError(f"--steps {steps}: {meta} has no training op ({tensors.found.get('train_op')}); "
                               "name it with --train-op, or compare the forward pass alone (--steps 0)")

    variables = graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)
    order = [v.op.name for v in variables]
    with graph.as_default():
        values = dict(zip(order, session.run(variables)))
    keras_model, keras_optimizer = migrate.build_user_model(tf2, {n: v.shape for n, v in values.items()}, order,
                                                               factory=factory, flag="--tf2")
    if optimizer is not None:
        keras_optimizer = migrate.build_optimizer(optimizer)
    mapping = map_checkpoint(values, keras_model, rules, order=order, subject=f"the model of {tf2}")
    mapping.assign(values)
    rows = mapping.rows
    if steps:
        if keras_optimizer is None:
            raise ParityInputError(f"--steps {steps} needs the Keras optimizer: return (model, optimizer) from {tf2}, "
                                   "compile the model with it, or give --optimizer MODULE:FUNCTION")
        conversion = convert_optimizer_state(mapping, values, keras_optimizer, keras_model)
        if conversion.problems:
            raise ParityInputError(f"--steps {steps}: the TF1 optimizer's state does not fit the Keras optimizer: "
                                   + "; ".join(p.replace("convert without --optimizer-state",
                                                         "compare the forward pass alone (--steps 0)")
                                               for p in conversion.problems))
        conversion.apply()
        differences = optimizer_differences(graph, tensors.train_fetches, keras_optimizer)
        notes += differences
        rows = [conversion.rows.get(r.tf1_name, r) for r in rows]
        notes += conversion.notes

    checks = []
    x0, y0 = x[:batch_size], y[:batch_size]
    # Dropout that drops units in training mode: not one whose fed rate is 0 there (--train-feed keep_prob:0=1.0),
    # its rate computed as training mode feeds the graph (a keep_prob may be a cond on the training flag).
    training_feed = dict(train_extra)
    if tensors.training is not None:
        training_feed[tensors.training] = True  # as _tf1_feed feeds it to the training-mode runs
    dropout = [d for d in user_graph.dropout_layers(graph) if d.rate_fed(session, training_feed) != 0.0]
    modes = [False] + ([True] if tensors.training is not None else [])
    for training in modes:
        mode = "training" if training else "inference"
        if training and dropout:
            rates = ", ".join(d.describe() for d in dropout)
            checks.append(Check(f"forward, {mode} mode", SKIP,
                                detail=f"dropout draws its own random mask on each side ({rates}); inference mode compared"))
            continue
        tf1_logits, tf1_loss = session.run([tensors.head.logits, tensors.loss],
                                           _tf1_feed(tensors, x0, y0, training, train_extra if training else eval_extra))

        def keras_forward(training=training):
            loss, logits = keras_loss(tensors.head.kind, keras_model, tf.constant(x0), tf.constant(y0), training)
            return float(loss), logits.numpy()

        tf2_loss, tf2_logits = without_state_changes(keras_model, keras_forward, training)
        check = _difference(f"forward, {mode} mode: logits and loss", {"logits": tf1_logits, "loss": tf1_loss},
                            {"logits": tf2_logits, "loss": tf2_loss}, FORWARD_ATOL, FORWARD_RTOL,
                            f"loss TF1 {float(tf1_loss):.6f}, TF2 {tf2_loss:.6f}")
        hint = _probabilities_hint(tf2_logits) if check.status == FAIL else ""
        if hint:
            check.detail = f"{check.detail}; {hint}"
        checks.append(check)

    if tensors.training is None:
        checks.append(Check("forward, training mode", SKIP,
                            detail=f"the graph has no training flag ({tensors.found.get('training')}): one mode, compared above"))
    if steps:
        if dropout and (tensors.training is not None or train_extra):
            rates = ", ".join(d.describe() for d in dropout)
            checks.append(Check(f"{steps} training steps", SKIP,
                                detail=f"dropout draws its own random mask on each side ({rates}); the steps cannot agree"))
        else:
            step_checks = _compare_steps(session, tensors, keras_model, keras_optimizer, mapping, x, y, steps, batch_size,
                                         train_extra)
            for check in step_checks:
                if check.status == FAIL and differences:
                    check.detail = f"{check.detail}; {differences[0]}" if check.detail else differences[0]
            checks += step_checks
    return ParityReport(str(prefix), tf2, checks, rows, notes)


def optimizer_differences(graph, train_fetches, optimizer):
    """Notes naming each constant hyperparameter of the TF1 optimiser the Keras optimiser does not share.

    The TF1 values are the constants of the graph's apply op
    (:func:`tf1_recipes.user_graph.optimizer_settings`: learning rate, momentum and
    Nesterov, Adam's betas and epsilon, RMSProp's rho); the Keras values are the
    optimiser's attributes of the same names (its rate at its current step). A
    difference beyond float32 rounding (relative 1e-6) makes the K steps differ; the note says
    which setting to change in the port.
    """
    from tf1_recipes import user_graph
    from tf1_recipes.tf2.optimizers import learning_rate_at

    family, settings = user_graph.optimizer_settings(graph, train_fetches)
    notes = []
    for name, tf1_value in settings.items():
        if name == "learning_rate":
            keras_value = learning_rate_at(optimizer, int(optimizer.iterations))[0]
        elif hasattr(optimizer, name):
            keras_value = getattr(optimizer, name)
            keras_value = bool(keras_value) if name == "nesterov" else float(keras_value)
        else:
            continue
        if isinstance(tf1_value, bool) or isinstance(keras_value, bool):
            differs = bool(tf1_value) != bool(keras_value)
        else:
            differs = abs(keras_value - tf1_value) > 1e-6 * max(abs(tf1_value), 1e-30)
        if differs:
            notes.append(f"the TF1 {family} optimizer has {name}={_show(tf1_value)} but the Keras {type(optimizer).__name__} "
                         f"has {name}={_show(keras_value)}: the training steps will differ; give the port TF1's value")
    return notes


def _show(value):
    return str(value) if isinstance(value, bool) else f"{value:g}"


def _batches(n, steps, batch_size):
    """Row indices of ``steps`` consecutive batches of ``batch_size`` over ``n`` examples, wrapping around."""
    return [np.arange(k * batch_size, (k + 1) * batch_size) % n for k in range(steps)]


def _compare_steps(session, tensors, model, optimizer, mapping, x, y, steps, batch_size, train_extra=None):
    """K steps on both sides from the same state: the per-step losses and every mapped variable after the last step."""
    import tensorflow as tf

    fetches = list(tensors.train_fetches)
    tf1_losses, tf2_losses = [], []
    trainable = model.trainable_variables

    @tf.function(reduce_retracing=True)
    def keras_step(xb, yb):
        with tf.GradientTape() as tape:
            loss, _ = keras_loss(tensors.head.kind, model, xb, yb, True)
        optimizer.apply_gradients(zip(tape.gradient(loss, trainable), trainable))
        return loss

    for rows in _batches(len(x), steps, batch_size):
        xb, yb = x[rows], y[rows]
        tf1_losses.append(float(session.run([tensors.loss] + fetches, _tf1_feed(tensors, xb, yb, True, train_extra))[0]))
        tf2_losses.append(float(keras_step(tf.constant(xb), tf.constant(yb))))
    tf1_weights = dict(zip(mapping.variables, session.run([_variable(session.graph, n) for n in mapping.variables])))
    tf2_weights = {name: variable.numpy() for name, variable in mapping.variables.items()}
    where = f"loss after step {steps}: TF1 {tf1_losses[-1]:.6f}, TF2 {tf2_losses[-1]:.6f}" if steps else ""
    return [
        _difference(f"{steps} training steps: loss at every step", np.array(tf1_losses), np.array(tf2_losses),
                    LOSS_TOLERANCE, 0.0, where),
        _difference(f"{steps} training steps: every variable after the last", tf1_weights, tf2_weights, WEIGHT_ATOL, WEIGHT_RTOL),
    ]


def _variable(graph, name):
    from tf1_recipes.compat import tf1 as v1

    for variable in graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES):
        if variable.op.name == name:
            return variable
    raise KeyError(name)
