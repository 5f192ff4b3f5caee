"""``tf1-recipes doctor``: the practitioner's debugging checklist as runnable checks on a TF1 graph.

Each check prints PASS / WARN / FAIL (or SKIP when it cannot apply) with what it measured
and what to do about it:

1. initial loss against -ln(1/C) at step 0, and the initial accuracy;
2. gradient check: tf.gradients against central differences on a float64 slice;
3. wiring: every trainable variable gets a non-zero gradient; activation and gradient
   statistics per layer (dead ReLUs, saturated sigmoids, vanishing gradients);
4. batch norm: the moving statistics move in a training step as the model runs it,
   inference uses them, evaluation does not run in training mode, no statistics shared
   between towers, no dropout feeding a batch-norm layer;
5. regularisation against the data loss, at step 0 and after a few steps;
6. overfitting a tiny batch;
7. a learning-rate range test.

Entry points: :func:`diagnose_recipe` (``tf1-recipes doctor <recipe>``) and, for your own
graph, :func:`diagnose`::

    report = doctor.diagnose(graph, (X_pool, y_pool), loss=loss, train_op=training_op)
    print(report.format()); report.status  # "PASS", "WARN" or "FAIL"

Every check restores the variables' initial values before it returns; the checks' own
training steps are few and on small batches, so a recipe is examined in seconds.
"""

import dataclasses
import math
import re
import time

import numpy as np

from tf1_recipes import doctor_target as targets
from tf1_recipes import gradcheck
from tf1_recipes.compat import tf, tf1

PASS, WARN, FAIL, SKIP = "PASS", "WARN", "FAIL", "SKIP"
#: Initial loss within this fraction of -ln(1/C) PASSes (a batch-norm layer on the logits starts them at unit
#: variance: +0.46 for 10 classes), beyond the second it FAILs (logits far from zero).
INITIAL_LOSS_PASS, INITIAL_LOSS_FAIL = 0.25, 0.5
#: First-layer kernel gradient RMS below this fraction of the last layer's: vanishing gradients. Healthy
#: MNIST networks of the suite sit near 0.2 (the first layer's zero border pixels get no gradient).
VANISHING_RATIO = 0.1
#: Overfitting a tiny batch PASSes when the data loss falls to this fraction of -ln(1/C) (of its initial
#: value for a model that is not a classifier).
OVERFIT_TARGET = 0.1
#: ... and FAILs when it has not even fallen to this fraction of its initial value: the model is not learning.
OVERFIT_LEARNING = 0.98
ACTIVATIONS = {"Relu": "relu", "Relu6": "relu", "LeakyRelu": "relu", "Elu": "elu", "Selu": "elu",
               "Sigmoid": "sigmoid", "Tanh": "tanh", "Softplus": "softplus"}


@dataclasses.dataclass
class Budget:
    """How much work the checks do: batch sizes and step counts (``quick()`` for tests and CI)."""

    seed: int = 0
    loss_batch: int = 256
    wiring_batch: int = 64
    gradcheck_batch: int = 8
    gradcheck_entries: int = 4
    gradcheck_random_entries: int = 2
    regularisation_steps: int = 20
    overfit_examples: int = 32
    overfit_steps: int = 500
    overfit_eval_every: int = 10
    lr_steps: int = 60
    lr_batch: int = 64
    lr_range: tuple = (1e-5, 100.0)

    @classmethod
    def quick(cls, **changes):
        return dataclasses.replace(
            cls(gradcheck_entries=2, gradcheck_random_entries=1, regularisation_steps=5, overfit_steps=100,
                lr_steps=40), **changes)


@dataclasses.dataclass
class Finding:
    """One check's outcome: status, the numbers it measured, and what to do about it."""

    check: str
    title: str
    status: str
    summary: str
    advice: str = ""
    numbers: dict = dataclasses.field(default_factory=dict)
    details: list = dataclasses.field(default_factory=list)
    #: Raw arrays for plots (activations, the learning-rate sweep); not serialised.
    arrays: dict = dataclasses.field(default_factory=dict, repr=False)

    def to_dict(self):
        return {k: getattr(self, k) for k in ("check", "title", "status", "summary", "advice", "numbers", "details")}


@dataclasses.dataclass
class Report:
    """Every finding for one target; ``status`` is FAIL if any FAILs, else WARN if any WARNs, else PASS."""

    target: str
    findings: list
    seconds: float = 0.0
    notes: list = dataclasses.field(default_factory=list)

    @property
    def status(self):
        statuses = {f.status for f in self.findings}
        return FAIL if FAIL in statuses else WARN if WARN in statuses else PASS

    def finding(self, check):
        return next(f for f in self.findings if f.check == check)

    def to_dict(self):
        return {"target": self.target, "status": self.status, "seconds": round(self.seconds, 3), "notes": self.notes,
                "checks": [f.to_dict() for f in self.findings]}

    def format(self):
        lines = [f"doctor: {self.target}"]
        lines += [f"  note: {n}" for n in self.notes]
        for f in self.findings:
            lines.append(f"[{f.status}] {f.title}: {f.summary}")
            lines += [f"       {d}" for d in f.details]
            if f.advice and f.status in (WARN, FAIL):
                lines.append(f"       -> {f.advice}")
        counts = {s: sum(f.status == s for f in self.findings) for s in (PASS, WARN, FAIL, SKIP)}
        lines.append(", ".join(f"{n} {s}" for s, n in counts.items()) + f"  ({self.seconds:.1f} s): {self.status}")
        return "\n".join(lines)


def _fmt(value, digits=4):
    return "nan" if value is None or not math.isfinite(value) else f"{value:.{digits}g}"


# --------------------------------------------------------------------------- 1. initial loss


def check_initial_loss(t, budget):
    """Loss at step 0 (training-mode feed, data loss only) against -ln(1/C); the initial accuracy."""
    title = "1. Initial loss"
    n_classes = t.n_classes
    if n_classes is None or n_classes < 2:
        return Finding("initial_loss", title, SKIP, "no softmax cross-entropy over classes: the -ln(1/C) baseline applies to classifiers")
    rng = np.random.RandomState(budget.seed)
    batch = t.sample(budget.loss_batch, rng)
    loss, logits = t.run([t.data_loss, t.logits], batch)
    if t.restored:
        return Finding("initial_loss", title, SKIP, f"the model starts from restored weights (loss {_fmt(loss)}): the "
                       f"-ln(1/{n_classes}) baseline applies to a fresh initialisation", numbers={"loss": float(loss)})
    accuracy = float(np.mean(np.argmax(logits, axis=1) == batch[1]))
    expected = targets.chance_loss(n_classes)
    diff = float(loss) - expected
    numbers = {"loss": float(loss), "expected": expected, "difference": diff, "ratio": float(loss) / expected,
               "accuracy": accuracy, "chance_accuracy": 1.0 / n_classes, "batch": len(batch[0]),
               "n_classes": n_classes, "logits_std": float(np.std(logits))}
    summary = (f"{_fmt(loss)} on {len(batch[0])} examples vs -ln(1/{n_classes}) = {expected:.4f} ({diff:+.3f}); "
               f"accuracy {accuracy:.3f} (chance {1 / n_classes:.3f})")
    if not math.isfinite(loss) or abs(diff) > INITIAL_LOSS_FAIL * expected:
        status = FAIL
    elif abs(diff) > INITIAL_LOSS_PASS * expected or accuracy > 3.0 / n_classes:
        status = WARN
    else:
        status = PASS
    advice = ("far from -ln(1/C): the initial logits are not near zero (std "
              f"{numbers['logits_std']:.3g}); rescale the initialisation (Glorot/He), normalise the inputs, "
              "or check the labels")
    return Finding("initial_loss", title, status, summary, advice, numbers)


# --------------------------------------------------------------------------- 2. gradient check


def check_gradients(t, budget):
    """tf.gradients vs central differences on a float64 slice of the loss, a few entries per variable."""
    title = "2. Gradient check"
    variables = [v for v, g in zip(t.trainable, _gradients(t)) if g is not None]
    if not variables:
        return Finding("gradient_check", title, SKIP, "no trainable variable has a gradient")
    batch = t.sample(budget.gradcheck_batch, np.random.RandomState(budget.seed + 1))
    feed = {k.name: v for k, v in t.feed(batch, mode="eval").items()}
    try:
        checks, dtype, notes = gradcheck.check(
            t.session, t.loss, variables, feed, entries=budget.gradcheck_entries,
            random_entries=budget.gradcheck_random_entries, seed=budget.seed)
    except ValueError as err:
        return Finding("gradient_check", title, WARN, f"not checked: {err}",
                       "evaluate with dropout and noise off (a training flag fed False) to check gradients")
    if not checks:
        return Finding("gradient_check", title, WARN, "every checked entry sits on a kink: nothing compared",
                       "rerun with another seed (doctor.Budget(seed=...))", {"dtype": dtype}, notes)
    worst = max(checks, key=lambda c: c.relative_error)
    per_variable = {}
    for c in checks:
        per_variable[c.variable] = max(per_variable.get(c.variable, 0.0), c.relative_error)
    fail_at, warn_at = (1e-2, 1e-4) if dtype == "float64" else (1e-1, 1e-2)
    error = worst.relative_error
    status = FAIL if error > fail_at else WARN if error > warn_at else PASS
    numbers = {"dtype": dtype, "worst_relative_error": error, "worst_variable": worst.variable,
               "worst_index": [int(i) for i in worst.index], "worst_analytic": worst.analytic,
               "worst_numeric": worst.numeric, "entries_checked": len(checks), "batch": budget.gradcheck_batch,
               "delta": gradcheck.DELTA[dtype], "per_variable": per_variable}
    summary = (f"worst relative error {error:.2e} ({worst.variable}{[int(i) for i in worst.index]}: "
               f"analytic {worst.analytic:.6g}, "
               f"numeric {worst.numeric:.6g}) over {len(checks)} entries of {len(per_variable)} variables, {dtype}")
    details = notes + [f"{name}: {err:.2e}" for name, err in per_variable.items() if err > warn_at]
    advice = ("the analytic gradient disagrees with finite differences: look for a gradient override "
              "(gradient_override_map, RegisterGradient, custom_gradient) or a stop_gradient on the loss path")
    return Finding("gradient_check", title, status, summary, advice, numbers, details)


# --------------------------------------------------------------------------- 3. wiring


def _gradients(t):
    """tf.gradients of the optimised loss for every trainable variable (built once per target)."""
    if not hasattr(t, "_gradients"):
        with t.graph.as_default():
            grads = tf.gradients(t.loss, t.trainable) if t.trainable else []
            t._gradients = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
    return t._gradients


def _updated_by(t):
    """Variables the training fetches update (the apply/assign ops upstream of them)."""
    if not t.train_fetches:
        return None
    cone = targets.upstream_ops(t.train_fetches)
    held = {targets.variable_op(v): v for v in t.variables}
    updated = set()
    for op in cone:
        if op.type.startswith(("Apply", "ResourceApply", "SparseApply", "ResourceSparseApply", "Assign")):
            for tensor in op.inputs[:1]:
                if tensor.op in held:
                    updated.add(held[tensor.op].name)
    return updated


def _activation_ops(t):
    cone = targets.upstream_ops([t.loss])
    return [op for op in t.graph.get_operations() if op.type in ACTIVATIONS and op in cone]


def _activation_stats(kind, value):
    flat = value.reshape(len(value), -1) if value.ndim > 1 else value.reshape(-1, 1)
    stats = {"kind": kind, "mean": float(np.mean(flat)), "std": float(np.std(flat))}
    if kind == "relu":
        stats["dead_fraction"] = float(np.mean(np.all(flat <= 0, axis=0)))
        stats["zero_fraction"] = float(np.mean(flat <= 0))
    elif kind == "sigmoid":
        stats["saturated_fraction"] = float(np.mean((flat < 0.01) | (flat > 0.99)))
    elif kind == "tanh":
        stats["saturated_fraction"] = float(np.mean(np.abs(flat) > 0.99))
    return stats


def check_wiring(t, budget):
    """Every trainable variable gets a non-zero gradient; activation and gradient statistics per layer."""
    title = "3. Wiring"
    if not t.trainable:
        return Finding("wiring", title, SKIP, "no trainable variables")
    grads = _gradients(t)
    batch = t.sample(budget.wiring_batch, np.random.RandomState(budget.seed + 2))
    activation_ops = _activation_ops(t)
    live = [(v, g) for v, g in zip(t.trainable, grads) if g is not None]
    fetched = t.run([[g for _, g in live], [v for v, _ in live], [op.outputs[0] for op in activation_ops]], batch)
    grad_values, weight_values, activations = fetched
    cone = targets.upstream_ops([t.loss])
    updated = _updated_by(t)
    failures, warnings, details = [], [], []
    per_variable = {}
    for v, g in zip(t.trainable, grads):
        if g is None:
            if targets.variable_op(v) in cone:
                warnings.append(f"{v.name}: no gradient flows (tf.stop_gradient): frozen")
            elif t.restored:  # layers of a restored (pretrained) model may be left out on purpose
                warnings.append(f"{v.name}: disconnected, the loss does not depend on it (restored, unused)")
            else:
                failures.append(f"{v.name}: disconnected, the loss does not depend on it")
    for (v, _), g, w in zip(live, grad_values, weight_values):
        g, w = np.asarray(g, dtype=np.float64), np.asarray(w, dtype=np.float64)
        rms = float(np.sqrt(np.mean(g**2))) if g.size else 0.0
        per_variable[v.name] = {"mean": float(np.mean(g)), "std": float(np.std(g)), "rms": rms,
                                "norm": float(np.linalg.norm(g)),
                                "weight_rms": float(np.sqrt(np.mean(w**2))) if w.size else 0.0,
                                "trained": None if updated is None else v.name in updated}
        if not np.any(g):
            failures.append(f"{v.name}: all-zero gradient (a frozen or dead layer)")
        elif updated is not None and updated and v.name not in updated:
            details.append(f"{v.name}: has a gradient but the training step does not update it (frozen by var_list)")
    layers = {}
    for op, value in zip(activation_ops, activations):
        stats = _activation_stats(ACTIVATIONS[op.type], np.asarray(value))
        layers[op.name] = stats
        if stats.get("dead_fraction", 0.0) > 0.5:
            warnings.append(f"{op.name}: {stats['dead_fraction']:.0%} of the ReLUs are dead on this batch")
        if stats.get("saturated_fraction", 0.0) > 0.5:
            warnings.append(f"{op.name}: {stats['saturated_fraction']:.0%} of the {stats['kind']} outputs are saturated")
    kernels = [name for name in per_variable if _is_kernel(t, name)]
    ratio = None
    if len(kernels) >= 2:
        first, last = per_variable[kernels[0]]["rms"], per_variable[kernels[-1]]["rms"]
        ratio = first / last if last > 0 else math.inf
        if ratio < VANISHING_RATIO:
            warnings.append(f"vanishing gradients in the lower layers: {kernels[0]} gets {ratio:.2g} of "
                            f"{kernels[-1]}'s gradient (RMS)")
        elif ratio > 1 / VANISHING_RATIO:
            warnings.append(f"exploding gradients in the lower layers: {kernels[0]} gets {ratio:.2g} times "
                            f"{kernels[-1]}'s gradient (RMS)")
    global_norm = math.sqrt(sum(s["norm"] ** 2 for s in per_variable.values()))
    clipping = _clipping(t)
    numbers = {"global_gradient_norm": global_norm, "first_to_last_kernel_gradient_ratio": ratio,
               "variables": per_variable, "activations": layers, "clipping": clipping,
               "disconnected_or_frozen": failures + warnings}
    details = [f"{name}: grad rms {s['rms']:.3g}, weight rms {s['weight_rms']:.3g}" for name, s in per_variable.items()
               if _is_kernel(t, name)] + [_layer_line(name, s) for name, s in layers.items()] + details
    if clipping:
        details.append(f"gradients clipped {clipping}; global gradient norm at step 0 {global_norm:.4g}")
    status = FAIL if failures else WARN if warnings else PASS
    summary = (f"{len(per_variable)}/{len(t.trainable)} trainable variables get a gradient, global norm {global_norm:.4g}"
               + (f", first/last kernel gradient RMS {ratio:.2g}" if ratio is not None else ""))
    if failures or warnings:
        summary += "; " + "; ".join(failures + warnings)
    advice = ("connect or remove disconnected variables; a zero gradient means a dead or frozen layer "
              "(check activations and initialisation); vanishing/saturation: rescale the initialisation or "
              "use ReLU/ELU and batch norm")
    finding = Finding("wiring", title, status, summary, advice, numbers, details)
    finding.arrays["activations"] = {op.name: np.asarray(v) for op, v in zip(activation_ops, activations)}
    return finding


def _is_kernel(t, name):
    variable = next((v for v in t.trainable if v.name == name), None)
    return variable is not None and variable.shape.rank is not None and variable.shape.rank >= 2


def _layer_line(name, s):
    extra = "".join(f", {k.replace('_', ' ')} {s[k]:.0%}" for k in ("dead_fraction", "saturated_fraction") if k in s)
    return f"{name}: mean {s['mean']:.3g}, std {s['std']:.3g}{extra}"


def _clipping(t):
    names = [op.name for op in t.graph.get_operations()]
    kinds = [kind for kind in ("clip_by_global_norm", "clip_by_norm", "clip_by_value")
             if any(re.search(rf"(^|/){kind}(_\d+)?/", n) for n in names)]
    return "by " + ", ".join(k.replace("clip_by_", "").replace("_", " ") for k in kinds) if kinds else None


# --------------------------------------------------------------------------- 4. batch norm


def _bn_layers(t):
    """{layer: (moving_mean, moving_variance)} from the variables' names."""
    layers = {}
    for v in t.variables:
        match = re.match(r"(.*)/moving_(mean|variance):0$", v.name)
        if match:
            layers.setdefault(match.group(1), {})[match.group(2)] = v
    return {k: (d["mean"], d["variance"]) for k, d in layers.items() if len(d) == 2}


def _moved(before, after, names):
    return {n: float(np.max(np.abs(after[n] - before[n]))) for n in names if n in before and n in after}


def check_batch_norm(t, budget):
    """UPDATE_OPS executed by the training step; inference uses the moving statistics; no training-mode eval."""
    title = "4. Batch norm"
    layers = _bn_layers(t)
    if not layers:
        return Finding("batch_norm", title, SKIP, "no batch-normalisation layers")
    moving = [v for pair in layers.values() for v in pair]
    names = [v.name for v in moving]
    failures, warnings, details = [], [], []
    numbers = {"layers": sorted(layers)}
    # (a) one training step, as the model runs it, moves the moving statistics.
    if t.first_step is not None:
        movement = _moved(t.initial, t.first_step, names)
        how = "the recipe's own first training step"
    elif t.train_fetches:
        batch = t.sample(budget.wiring_batch, np.random.RandomState(budget.seed + 3))
        t.run(t.train_fetches, batch)
        movement = _moved(t.initial, t.values(moving), names)
        t.restore()
        how = "one run of the training fetches"
    else:
        movement = None
        how = None
    if movement is not None:
        still = sorted({n.rsplit("/", 1)[0] for n, d in movement.items() if d <= 1e-7})
        numbers["moving_statistics_change"] = movement
        numbers["step"] = how
        if still:
            failures.append(f"moving statistics of {', '.join(still)} did not move in {how}: UPDATE_OPS not run")
        else:
            details.append(f"{how} moved every moving mean/variance (largest change {max(movement.values()):.3g})")
    else:
        warnings.append("no training step to run: cannot tell whether UPDATE_OPS run")
    # (b) inference mode reads the moving statistics.
    probe = t.logits if t.logits is not None else t.loss
    batch = t.sample(budget.wiring_batch, np.random.RandomState(budget.seed + 4))
    before = t.run(probe, batch, mode="eval")
    for mean, variance in layers.values():
        t.load(mean, t.session.run(mean) + 1.0)
        t.load(variance, t.session.run(variance) * 4.0)
    after = t.run(probe, batch, mode="eval")
    t.restore()
    response = float(np.max(np.abs(np.asarray(after) - np.asarray(before))))
    numbers["inference_response_to_moving_statistics"] = response
    if response < 1e-6:
        failures.append("inference ignores the moving statistics: batch statistics at test time (training hard-wired True?)")
    else:
        details.append(f"inference mode reads the moving statistics (output change {response:.3g} when they change)")
    # (c) the recipe evaluates in inference mode.
    training_evals = [c for c in t.eval_calls if t.training is not None and bool(c.feed.get(t.training.name, False))]
    numbers["evaluations_in_training_mode"] = len(training_evals)
    if training_evals:
        fetched = sorted({n for c in training_evals for n in c.fetches})
        failures.append(f"the recipe evaluates {', '.join(fetched)} with {t.training.name} fed True: "
                        "batch statistics at test time")
    # (d) one set of moving statistics updated by several towers.
    shared = _shared_updates(t, moving)
    numbers["update_ops_per_variable"] = shared
    for name, count in shared.items():
        if count > 1:
            warnings.append(f"{name} is updated by {count} update ops: towers sharing batch norm average their "
                            "input distributions into one set of moving statistics")
    # (e) dropout feeding a batch-norm layer (variance shift).
    for layer in _dropout_before(t, layers):
        warnings.append(f"dropout feeds {layer}: its moving variance is estimated with dropout on and applied with "
                        "it off (variance shift)")
    status = FAIL if failures else WARN if warnings else PASS
    summary = f"{len(layers)} batch-norm layer(s)"
    summary += "; " + "; ".join(failures + warnings) if failures or warnings else "; moving statistics updated and used"
    advice = ("run tf.GraphKeys.UPDATE_OPS with every training step (fetch them with the training op, or build it "
              "under tf.control_dependencies(update_ops)); evaluate with training=False; give each tower its own "
              "batch-norm layers; put dropout after the last batch-norm layer")
    return Finding("batch_norm", title, status, summary, advice, numbers, details)


COND_OPS = ("Identity", "If", "StatelessIf", "Switch", "Merge")


def _shared_updates(t, moving):
    held = {targets.variable_op(v): v.name for v in moving}
    counts = dict.fromkeys(held.values(), 0)
    for item in t.graph.get_collection(tf1.GraphKeys.UPDATE_OPS):
        op = item if isinstance(item, tf1.Operation) else item.op
        # An update op assigns to its variable directly, or (training flag a tensor) is the Identity
        # of a cond whose inputs include the variable's handle: look through those, no further.
        around = targets.upstream_ops([op], stop=lambda o, first=op: o is not first and o.type not in COND_OPS)
        for name in {held[o] for o in around if o in held}:
            counts[name] += 1
    return counts


def _dropout_before(t, layers):
    """Batch-norm layers with a dropout op upstream of their input (through anything but another batch-norm layer)."""
    found = []
    ops = t.graph.get_operations()
    for layer in layers:
        short = layer.rsplit("/", 1)[-1]
        inputs = [op.inputs[0] for op in ops if re.search(rf"(^|/){re.escape(short)}/moments/mean$", op.name)]
        if not inputs:
            continue
        stop = lambda op: "batch_normalization" in op.name or op.type in ("Placeholder", "VarHandleOp", "VariableV2")  # noqa: E731
        cone = targets.upstream_ops(inputs, stop=stop)
        if any(re.search(r"(^|/)dropout(_\d+)?/", op.name) for op in cone):
            found.append(layer)
    return found


# --------------------------------------------------------------------------- 5. regularisation


def check_regularisation(t, budget):
    """Regularisation loss against the data loss at step 0 and after a few training steps."""
    title = "5. Regularisation"
    terms = t.regularization_losses
    separate = t.loss is not t.data_loss
    if not separate and not terms:
        return Finding("regularisation", title, SKIP, "no regularisation (no REGULARIZATION_LOSSES, loss = data loss)")
    cone = targets.upstream_ops([t.loss])
    if terms and not any(term.op in cone for term in terms):
        return Finding("regularisation", title, WARN,
                       f"REGULARIZATION_LOSSES holds {len(terms)} term(s) but the optimised loss does not include them",
                       "add tf.losses.get_regularization_loss() (or tf.add_n(reg_losses)) to the loss", {"terms": len(terms)})
    if not separate:
        return Finding("regularisation", title, SKIP, "the regularisation cannot be told apart from the data loss "
                       "(no separate data-loss tensor such as loss/avg_xentropy)")
    rng = np.random.RandomState(budget.seed + 5)

    def measure():
        data, total = t.run([t.data_loss, t.loss], t.sample(budget.wiring_batch, rng))
        return float(data), float(total) - float(data)

    data0, reg0 = measure()
    if not terms and abs(reg0) <= 1e-7 * max(1.0, abs(data0)):
        return Finding("regularisation", title, SKIP, "no regularisation (loss = data loss, REGULARIZATION_LOSSES empty)")
    steps = _train(t, budget.regularisation_steps, rng)
    data1, reg1 = measure()
    t.restore()
    ratio0 = reg0 / data0 if data0 > 0 else math.inf
    ratio1 = reg1 / data1 if data1 > 0 else math.inf
    numbers = {"data_loss_step0": data0, "regularisation_loss_step0": reg0, "ratio_step0": ratio0,
               "steps": steps, "data_loss_after": data1, "regularisation_loss_after": reg1, "ratio_after": ratio1,
               "terms": len(terms)}
    summary = (f"regularisation/data loss {ratio0:.3g} at step 0 ({_fmt(reg0)} / {_fmt(data0)}), "
               f"{ratio1:.3g} after {steps} steps")
    status = WARN if max(ratio0, ratio1) > 1.0 else PASS
    advice = "regularisation dominates the data loss: lower the regularisation scale (or check its units)"
    return Finding("regularisation", title, status, summary, advice, numbers)


def _train(t, steps, rng, batch=None, size=64):
    """``steps`` training steps (the recipe's step plus UPDATE_OPS) on fresh batches, or on ``batch``."""
    fetches = _own_step(t) if not t.train_fetches else t.step_fetches()
    for _ in range(steps):
        t.run(fetches, batch if batch is not None else t.sample(size, rng))
    return steps


def _untracked(graph, op):
    """``op`` taken back out of the TRAIN_OP collection minimize() put it in: the doctor's steps are not the model's."""
    train_ops = graph.get_collection_ref(tf1.GraphKeys.TRAIN_OP)
    if op in train_ops:
        train_ops.remove(op)
    return op


def _own_step(t):
    """Adam(1e-3) on the loss, for graphs without a training step of their own (made once)."""
    if not hasattr(t, "_own_step"):
        with t.graph.as_default():
            before = set(t.graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES))
            step = _untracked(t.graph, tf1.train.AdamOptimizer(1e-3, name="doctor_adam").minimize(t.loss))
            new = [v for v in t.graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES) if v not in before]
            t.session.run(tf1.variables_initializer(new))
        t._own_step = [step] + t.graph.get_collection(tf1.GraphKeys.UPDATE_OPS)
        t.notes.append("no training step of its own: the doctor trains with Adam(1e-3)")
    return t._own_step


# --------------------------------------------------------------------------- 6. overfit a tiny batch


def check_overfit(t, budget):
    """Drive the data loss on a few dozen examples to near zero with the model's own training step."""
    title = "6. Overfit a tiny batch"
    rng = np.random.RandomState(budget.seed + 6)
    batch = t.sample(min(budget.overfit_examples, len(t.data[0])), rng)
    initial = _fit_loss(t, batch)
    # A classifier's target is absolute (a tenth of -ln(1/C)), whatever its initial loss.
    reference = targets.chance_loss(t.n_classes) if (t.n_classes or 0) >= 2 else initial
    target = OVERFIT_TARGET * reference
    curve, steps = [(0, initial)], 0
    while steps < budget.overfit_steps and curve[-1][1] > target:
        _train(t, budget.overfit_eval_every, rng, batch=batch)
        steps += budget.overfit_eval_every
        loss = _fit_loss(t, batch)
        curve.append((steps, loss))
        if not math.isfinite(loss):
            break
    t.restore()
    final = curve[-1][1]
    numbers = {"examples": len(batch[0]), "initial_loss": initial, "final_loss": final, "target_loss": target,
               "steps": steps, "max_steps": budget.overfit_steps, "curve": curve}
    summary = (f"data loss {_fmt(initial)} -> {_fmt(final)} on {len(batch[0])} examples in {steps} steps "
               f"(target {target:.3g}; the lower of training- and inference-mode loss)")
    if math.isfinite(final) and final <= target:
        status = PASS
    elif math.isfinite(final) and final <= OVERFIT_LEARNING * initial:
        status = WARN
        summary += ": decreasing, not near zero yet (a small learning rate needs more steps)"
    else:
        status = FAIL
        summary += ": the model cannot fit a tiny batch"
    advice = ("a model that cannot overfit a few dozen examples has a bug or a learning rate that is far off "
              "(zero, or so large the loss diverges); check the optimiser, the learning rate, the loss and the labels")
    return Finding("overfit", title, status, summary, advice, numbers)


def _fit_loss(t, batch):
    """The lower of the data loss in training and in inference mode.

    Dropout noise inflates the first, moving statistics that lag (or are shared, or never
    updated: check 4's business) the second; the lower one says whether the weights fit.
    """
    losses = [float(t.run(t.data_loss, batch, mode=mode)) for mode in ("eval", "train")]
    finite = [v for v in losses if math.isfinite(v)]
    return min(finite) if finite else math.nan


# --------------------------------------------------------------------------- 7. learning rate


def _sweep_step(t):
    """Plain gradient descent on the loss with a fed learning rate (made once)."""
    if not hasattr(t, "_sweep"):
        with t.graph.as_default():
            rate = tf1.placeholder(tf.float32, shape=(), name="doctor_lr_sweep_rate")
            variables = [v for v, g in zip(t.trainable, _gradients(t)) if g is not None]
            step = _untracked(t.graph, tf1.train.GradientDescentOptimizer(rate, name="doctor_lr_sweep").minimize(
                t.loss, var_list=variables))
        t._sweep = (rate, step)
    return t._sweep


def check_learning_rate(t, budget):
    """Learning-rate range test: GD with the rate rising geometrically each step; where the loss is lowest and diverges."""
    title = "7. Learning rate"
    if not [g for g in _gradients(t) if g is not None]:
        return Finding("learning_rate", title, SKIP, "no trainable variable has a gradient")
    rate, step = _sweep_step(t)
    low, high = budget.lr_range
    rates = np.geomspace(low, high, budget.lr_steps)
    rng = np.random.RandomState(budget.seed + 7)
    losses, smoothed, average = [], [], 0.0
    for i, lr in enumerate(rates):
        feed = t.feed(t.sample(budget.lr_batch, rng))
        feed[rate] = lr
        loss, _ = t.session.run([t.loss, [step] + t.graph.get_collection(tf1.GraphKeys.UPDATE_OPS)], feed_dict=feed)
        loss = float(loss)
        losses.append(loss)
        if not math.isfinite(loss):
            break
        average = 0.7 * average + 0.3 * loss
        smoothed.append(average / (1 - 0.7 ** (i + 1)))
    t.restore()
    best = int(np.argmin(smoothed))
    diverge = next((i for i, s in enumerate(smoothed) if i > best and s > 4 * smoothed[best]), None)
    if diverge is None and len(smoothed) < len(rates):
        diverge = len(smoothed)
    numbers = {"optimizer": "GradientDescent (the sweep's)", "rates": [float(r) for r in rates[: len(losses)]],
               "losses": losses, "smoothed": smoothed, "best_rate": float(rates[best]),
               "lowest_loss": smoothed[best], "diverging_rate": float(rates[diverge]) if diverge is not None else None,
               "suggested_rate": float(rates[best]) / 10, "model_rate": t.learning_rate, "model_optimizer": t.optimizer}
    summary = f"GD sweep {low:g}..{high:g} over {len(losses)} steps: lowest loss at lr {rates[best]:.3g}"
    summary += f", diverges from lr {rates[diverge]:.3g}" if diverge is not None else ", no divergence in range"
    if t.learning_rate is not None:
        summary += f"; the model uses {t.optimizer or 'an optimiser'} with lr {t.learning_rate:g}"
    warnings = []
    start = float(np.mean(losses[:3]))
    lowest = min(losses[: diverge if diverge is not None else len(smoothed)] or [start])
    numbers["decrease"] = 1 - lowest / start if start > 0 else 0.0
    if lowest > 0.9 * start:
        warnings.append("the loss does not decrease at any learning rate")
    if t.optimizer == "GradientDescent" and t.learning_rate is not None and diverge is not None \
            and t.learning_rate >= rates[diverge]:
        warnings.append(f"the model's lr {t.learning_rate:g} is past where the loss diverges")
    status = WARN if warnings else PASS
    if warnings:
        summary += "; " + "; ".join(warnings)
    advice = f"try a learning rate near {rates[best] / 10:.2g} (a tenth of where the loss is lowest)"
    finding = Finding("learning_rate", title, status, summary, advice, numbers)
    finding.arrays["sweep"] = (rates[: len(losses)], np.array(losses), np.array(smoothed))
    return finding


# --------------------------------------------------------------------------- running the checks

CHECKS = {
    "initial_loss": check_initial_loss,
    "gradient_check": check_gradients,
    "wiring": check_wiring,
    "batch_norm": check_batch_norm,
    "regularisation": check_regularisation,
    "overfit": check_overfit,
    "learning_rate": check_learning_rate,
}


def run_checks(t, budget=None, checks=None):
    """Every check (or those named) on a :class:`~tf1_recipes.doctor_target.Target`; never raises for a check."""
    budget = budget or Budget()
    start = time.perf_counter()
    findings = []
    for name in checks or CHECKS:
        if t.data is None or t.X is None:
            findings.append(Finding(name, _title(name), SKIP, "no data to feed: the graph has no recognisable input "
                                    "placeholder (X) fed by a recorded training step"))
            continue
        if t.loss is None:
            findings.append(Finding(name, _title(name), SKIP, "no loss tensor: name it loss/loss (or pass loss= to "
                                    "doctor.diagnose)"))
            continue
        began = time.perf_counter()
        try:
            findings.append(CHECKS[name](t, budget))
            findings[-1].numbers["seconds"] = round(time.perf_counter() - began, 3)
        except Exception as err:  # noqa: BLE001  (a check that cannot run on this graph says so; never a crash)
            first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            findings.append(Finding(name, _title(name), WARN, f"could not run: {type(err).__name__}: {first_line[:200]}",
                                    "the graph does not follow the conventions this check needs (X, y, loss/loss, "
                                    "training); pass them to doctor.diagnose()"))
            try:
                t.restore()
            except tf.errors.OpError:
                pass
    return Report(t.name, findings, time.perf_counter() - start, list(t.notes))


def _title(name):
    return {"initial_loss": "1. Initial loss", "gradient_check": "2. Gradient check", "wiring": "3. Wiring",
            "batch_norm": "4. Batch norm", "regularisation": "5. Regularisation",
            "overfit": "6. Overfit a tiny batch", "learning_rate": "7. Learning rate"}[name]


def diagnose(graph, data, *, loss=None, train_op=None, budget=None, checks=None, **target_options):
    """Run the checklist on your own TF1 graph.

    ``data`` is ``(X_pool, y_pool)``; ``loss`` and ``train_op`` default to the conventions
    (``loss/loss:0`` and the TRAIN_OP collection). Other keywords go to
    :func:`tf1_recipes.doctor_target.from_graph` (``X``, ``y``, ``training``, ``session``,
    ``train_feed``, ``eval_feed``, ``learning_rate``).
    """
    t = targets.from_graph(graph, data, loss=loss, train_op=train_op, **target_options)
    return run_checks(t, budget, checks)


def diagnose_recipe(recipe, preset=None, *, data_dir=None, seed=None, budget=None, checks=None,
                    max_steps=targets.MAX_RECORDED_STEPS):
    """Run the checklist on a recipe of the suite: a few of its own training steps, then every check."""
    start = time.perf_counter()
    t = targets.from_recipe(recipe, preset, data_dir=data_dir, seed=seed, max_steps=max_steps)
    try:
        report = run_checks(t, budget, checks)
    finally:
        t.session.close()
    report.seconds = time.perf_counter() - start
    return report
