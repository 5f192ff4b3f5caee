"""The doctor's checks: each examines a :class:`~tf1_recipes.doctor.target.Target` and returns a Finding.

Every check restores the variables' initial values before it returns; the checks' own
training steps are few and on small batches, so a recipe is examined in seconds.
"""

import dataclasses
import math
import re

import numpy as np

from tf1_recipes import user_graph
from tf1_recipes.compat import error_cause, tf, tf1
from tf1_recipes.doctor import gradcheck
from tf1_recipes.doctor.report import FAIL, PASS, SKIP, WARN, Finding
from tf1_recipes.doctor.target import chance_loss, upstream_ops, variable_op

#: Initial loss within this fraction of -ln(1/C) PASSes (a batch-norm layer on the logits starts them at unit
#: variance: +0.46 for 10 classes), beyond the second it FAILs (logits far from zero).
INITIAL_LOSS_PASS, INITIAL_LOSS_FAIL = 0.25, 0.5
#: ... but never tighter than these many nats: with C = 2 a fraction of ln 2 is small beside the logit offset a
#: default (Glorot) output layer starts with. Measured here over 20 seeds of a 784-100-2 softmax MLP on 512 MNIST
#: images: |loss - ln 2| exceeded 0.173 (25 % of ln 2) 4 times, 0.25 twice, 0.35 once (at most 0.595). The floors
#: leave C >= 3 unchanged (0.25 ln 3 = 0.27 nats).
INITIAL_LOSS_PASS_NATS, INITIAL_LOSS_FAIL_NATS = 0.25, 0.5


def _initial_loss_band(expected):
    """(PASS, FAIL) bounds on |initial loss - chance| in nats for a chance loss ``expected``."""
    return (max(INITIAL_LOSS_PASS * expected, INITIAL_LOSS_PASS_NATS),
            max(INITIAL_LOSS_FAIL * expected, INITIAL_LOSS_FAIL_NATS))
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


class CannotRun(Exception):
    """A check that does not apply to this graph for the reason given (reported as SKIP with that reason)."""


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


def _fmt(value, digits=4):
    return "nan" if value is None or not math.isfinite(value) else f"{value:.{digits}g}"


# --------------------------------------------------------------------------- 1. initial loss


def check_initial_loss(target, budget):
    """Loss at step 0 (training-mode feed, data loss only) against chance, the label distribution, the initial accuracy.

    Chance is -ln(1/C) for a softmax over C classes and ln 2 for a sigmoid output (each
    logit a binary choice): the cross-entropy of logits at zero, whatever the class balance
    (the label distribution is reported beside it). Fresh weights should start there;
    restored (trained) weights should be at or below it. With an inference mode (a training flag,
    or an ``eval_feed`` unlike the ``train_feed``: ``keep_prob``) the inference-mode loss is measured
    too: a training-mode loss far above it, with dropout in the graph, is dropout's doing (the rates
    are listed), not the initialisation's.
    """
    n_classes = target.n_classes
    if n_classes is None or n_classes < 2:
        return Finding("initial_loss", SKIP, "no softmax or sigmoid cross-entropy over classes: the chance baseline "
                       "applies to classifiers")
    rng = np.random.RandomState(budget.seed)
    batch = target.sample(budget.loss_batch, rng)
    loss, logits = target.run([target.data_loss, target.logits], batch)
    loss = float(loss)
    classes = target.classes(batch[1])
    accuracy = float(np.mean(target.predictions(logits) == classes))
    distribution = np.bincount(classes, minlength=n_classes)[:n_classes] / len(classes)
    sigmoid = target.head is not None and target.head.kind == "sigmoid"
    expected = chance_loss(n_classes)
    baseline = "ln 2" if sigmoid else f"-ln(1/{n_classes})"
    diff = loss - expected
    numbers = {"loss": loss, "expected": expected, "difference": diff, "ratio": loss / expected,
               "accuracy": accuracy, "chance_accuracy": 1.0 / n_classes, "batch": len(batch[0]),
               "n_classes": n_classes, "logits_std": float(np.std(logits)),
               "kind": target.head.kind if target.head is not None else None,
               "label_distribution": {str(c): float(f) for c, f in enumerate(distribution)},
               "majority_fraction": float(distribution.max())}
    details = ["labels in this batch: " + ", ".join(f"{c}: {f:.2f}" for c, f in enumerate(distribution))
               if n_classes <= 20 else f"labels in this batch: {n_classes} classes, {distribution.min():.3f} to "
               f"{distribution.max():.3f} each"]
    dropouts = user_graph.dropout_layers(target.graph)
    numbers["dropout"] = [{"scope": d.scope, "rate": d.rate, "in_training_mode_only": d.branch is not None}
                          for d in dropouts]
    inference = None
    if target.has_inference_mode:
        inference = float(target.run(target.data_loss, batch, mode="eval"))
        numbers["inference_loss"] = inference
    summary = (f"{_fmt(loss)} on {len(batch[0])} examples vs {baseline} = {expected:.4f} ({diff:+.3f}); "
               f"accuracy {accuracy:.3f} (majority class {distribution.max():.3f})")
    if inference is not None and dropouts:
        summary += f"; inference mode {_fmt(inference)}"
    if target.restored:
        dropout_free = inference if dropouts and inference is not None and math.isfinite(inference) else None
        return _restored_initial_loss(target, loss, expected, baseline, summary, numbers, details, dropout_free)
    pass_band, fail_band = _initial_loss_band(expected)
    if not math.isfinite(loss) or abs(diff) > fail_band:
        status = FAIL
    elif abs(diff) > pass_band or accuracy > 3.0 / n_classes:
        status = WARN
    else:
        status = PASS
    advice = ("far from chance: the initial logits are not near zero (std "
              f"{numbers['logits_std']:.3g}); rescale the initialisation (Glorot/He), normalise the inputs, "
              "or check the labels")
    if status != PASS and dropouts and inference is not None and math.isfinite(inference) \
            and abs(inference - expected) <= pass_band:
        # The weights start right (inference mode sits at chance); training mode's dropout makes the excess.
        status = WARN
        rates = ", ".join(d.describe() for d in dropouts)
        summary += (f": the training-mode excess over inference mode ({loss - inference:+.3f}) is dropout's, "
                    f"{rates}")
        advice = ("dropout's rate is the fraction of units DROPPED (tf.layers.dropout / tf.nn.dropout(rate=)); "
                  "keep_prob 0.9 is rate=0.1: a rate of 0.5 or more drops most of the layer and scales the rest up")
        details.append(f"inference-mode loss {inference:.4f} (dropout off) vs training-mode {loss:.4f}")
    return Finding("initial_loss", status, summary, advice, numbers, details)


def _restored_initial_loss(target, loss, expected, baseline, summary, numbers, details, inference=None):
    """Check 1 on restored weights: trained ones sit below chance.

    A model restored whole (``doctor --graph --checkpoint``: every model variable from the
    checkpoint) that does no better than chance does not fit these data; a recipe that
    restores some layers and builds new ones on them (the reuse recipes) has no baseline
    to meet, so it SKIPs unless its loss is already below chance. ``inference``: the
    inference-mode loss of a model with dropout (None otherwise), which trained weights are
    judged by when training mode's dropout keeps the loss above the line.
    """
    numbers["restored"] = True
    if not math.isfinite(loss):
        return Finding("initial_loss", FAIL, f"restored weights give a non-finite loss: {summary}",
                       "the checkpoint holds NaN/inf or the inputs overflow the model: check both", numbers, details)
    if loss <= expected * (1 - INITIAL_LOSS_PASS):
        return Finding("initial_loss", PASS, f"restored (trained) weights: {summary}; below chance, as trained weights "
                       f"are ({baseline} applies to fresh ones)", numbers=numbers, details=details)
    if inference is not None and inference <= expected * (1 - INITIAL_LOSS_PASS):
        return Finding("initial_loss", PASS, f"restored (trained) weights: {summary}; below chance in inference mode, as "
                       f"trained weights are (training mode's dropout raises the loss; {baseline} applies to fresh "
                       "ones)", numbers=numbers, details=details)
    if not target.restored_all:
        return Finding("initial_loss", SKIP, f"the model starts from restored weights, some layers maybe new "
                       f"(loss {_fmt(loss)}): the {baseline} baseline applies to a fresh initialisation",
                       numbers=numbers, details=details)
    return Finding("initial_loss", WARN, f"restored weights do no better than chance: {summary}",
                   "the restored weights do not fit these data: an untrained checkpoint, inputs preprocessed otherwise "
                   "than in training (scale), another label encoding, or another model's checkpoint", numbers, details)


# --------------------------------------------------------------------------- 2. gradient check


def check_gradients(target, budget):
    """tf.gradients vs central differences on a float64 slice of the loss, a few entries per variable."""
    variables = [v for v, g in zip(target.trainable, _gradients(target)) if g is not None]
    if not variables:
        return Finding("gradient_check", SKIP, "no trainable variable has a gradient")
    batch = target.sample(budget.gradcheck_batch, np.random.RandomState(budget.seed + 1))
    feed = {k.name: v for k, v in target.feed(batch, mode="eval").items()}
    try:
        checks, dtype, notes = gradcheck.check(
            target.session, target.loss, variables, feed, entries=budget.gradcheck_entries,
            random_entries=budget.gradcheck_random_entries, seed=budget.seed)
    except gradcheck.NotDeterministic as err:
        return Finding("gradient_check", WARN, f"not checked: {err}",
                       "evaluate with dropout and noise off (a training flag fed False) to check gradients")
    except (tf.errors.OpError, ValueError, TypeError, KeyError) as err:
        return Finding("gradient_check", SKIP, f"not checked: the loss's part of the graph cannot be rebuilt for "
                       f"finite differences ({type(err).__name__}: {error_cause(err)[:200]})")
    if not checks:
        return Finding("gradient_check", WARN, "every checked entry sits on a kink: nothing compared",
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
    return Finding("gradient_check", status, summary, advice, numbers, details)


# --------------------------------------------------------------------------- 3. wiring


def _gradients(target):
    """tf.gradients of the optimised loss for every trainable variable (built once per target)."""
    if not hasattr(target, "_gradients"):
        with target.graph.as_default():
            grads = tf.gradients(target.loss, target.trainable) if target.trainable else []
            target._gradients = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
    return target._gradients


def _updated_by(target):
    """Variables the training fetches update (the apply/assign ops upstream of them)."""
    if not target.train_fetches:
        return None
    cone = upstream_ops(target.train_fetches)
    held = {variable_op(v): v for v in target.variables}
    updated = set()
    for op in cone:
        if op.type.startswith(("Apply", "ResourceApply", "SparseApply", "ResourceSparseApply", "Assign")):
            for tensor in op.inputs[:1]:
                if tensor.op in held:
                    updated.add(held[tensor.op].name)
    return updated


def _activation_ops(target):
    cone = upstream_ops([target.loss])
    return [op for op in target.graph.get_operations() if op.type in ACTIVATIONS and op in cone]


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


def check_wiring(target, budget):
    """Every trainable variable gets a non-zero gradient; activation and gradient statistics per layer."""
    if not target.trainable:
        return Finding("wiring", SKIP, "no trainable variables")
    grads = _gradients(target)
    live = [(v, g) for v, g in zip(target.trainable, grads) if g is not None]
    if not live:
        return _nothing_trains(target)
    batch = target.sample(budget.wiring_batch, np.random.RandomState(budget.seed + 2))
    activation_ops = _activation_ops(target)
    fetched = target.run([[g for _, g in live], [v for v, _ in live], [op.outputs[0] for op in activation_ops]], batch)
    grad_values, weight_values, activations = fetched
    cone = upstream_ops([target.loss])
    updated = _updated_by(target)
    failures, warnings, details = [], [], []
    per_variable = {}
    stops = None
    for v, g in zip(target.trainable, grads):
        if g is None:
            if variable_op(v) in cone:
                stops = gradient_stops(target) if stops is None else stops
                where = f" (it stops at {', '.join(stops[:3])})" if stops else ""
                warnings.append(f"{v.name}: no gradient flows{where}: frozen")
            elif target.restored:  # layers of a restored (pretrained) model may be left out on purpose
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
        if not np.any(g) and len(batch[0]) == 1 and _bn_layers(target):
            # Batch norm over one example: every unit minus the batch mean is 0, so below it nothing gets a gradient.
            warnings.append(f"{v.name}: all-zero gradient on one example: batch norm normalises a batch of 1 to its "
                            "beta, so the layers below it get no gradient; give --data more examples")
        elif not np.any(g):
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
    kernels = [name for name in per_variable if _is_kernel(target, name)]
    ratio = None
    if len(kernels) >= 2:
        first, last = per_variable[kernels[0]]["rms"], per_variable[kernels[-1]]["rms"]
        if first > 0 or last > 0:  # both 0: no ratio (their all-zero gradients are said above)
            ratio = first / last if last > 0 else math.inf
            if ratio < VANISHING_RATIO:
                warnings.append(f"vanishing gradients in the lower layers: {kernels[0]} gets {ratio:.2g} of "
                                f"{kernels[-1]}'s gradient (RMS)")
            elif ratio > 1 / VANISHING_RATIO:
                warnings.append(f"exploding gradients in the lower layers: {kernels[0]} gets {ratio:.2g} times "
                                f"{kernels[-1]}'s gradient (RMS)")
    global_norm = math.sqrt(sum(s["norm"] ** 2 for s in per_variable.values()))
    clipping = _clipping(target)
    numbers = {"global_gradient_norm": global_norm, "first_to_last_kernel_gradient_ratio": ratio,
               "variables": per_variable, "activations": layers, "clipping": clipping,
               "disconnected_or_frozen": failures + warnings}
    details = [f"{name}: grad rms {s['rms']:.3g}, weight rms {s['weight_rms']:.3g}" for name, s in per_variable.items()
               if _is_kernel(target, name)] + [_layer_line(name, s) for name, s in layers.items()] + details
    if clipping:
        details.append(f"gradients clipped {clipping}; global gradient norm at step 0 {global_norm:.4g}")
    status = FAIL if failures else WARN if warnings else PASS
    summary = (f"{len(per_variable)}/{len(target.trainable)} trainable variables get a gradient, "
               f"global norm {global_norm:.4g}"
               + (f", first/last kernel gradient RMS {ratio:.2g}" if ratio is not None else ""))
    if failures or warnings:
        summary += "; " + "; ".join(failures + warnings)
    advice = ("connect or remove disconnected variables; a zero gradient means a dead or frozen layer "
              "(check activations and initialisation); vanishing/saturation: rescale the initialisation or "
              "use ReLU/ELU and batch norm")
    finding = Finding("wiring", status, summary, advice, numbers, details)
    finding.arrays["activations"] = {op.name: np.asarray(v) for op, v in zip(activation_ops, activations)}
    return finding


#: Op types through which no gradient flows by design.
GRADIENT_BLOCKERS = ("StopGradient", "PreventGradient")
#: Ops with integer outputs that are not where a gradient is lost (shapes, sizes, variable handles).
_SHAPE_OPS = ("Shape", "ShapeN", "Size", "Rank", "VarHandleOp", "VariableV2", "Const", "BroadcastGradientArgs")


def gradient_stops(target):
    """Names (with types) of the ops between the trainable variables and the loss where the backward pass stops.

    The ops on a path from a trainable variable to the loss that block gradients by design
    (``tf.stop_gradient``: StopGradient, PreventGradient); when there is none, those whose
    outputs are not floats (``tf.argmax``, a cast to int, a comparison): no gradient crosses them.
    """
    held = {variable_op(v) for v in target.trainable}
    reach, stack = set(), list(held)
    while stack:
        op = stack.pop()
        if op in reach:
            continue
        reach.add(op)
        stack.extend(c for t in op.outputs for c in t.consumers())
    path = upstream_ops([target.loss]) & reach
    stops = [op for op in path if op.type in GRADIENT_BLOCKERS]
    if not stops:
        stops = [op for op in path - held if op.outputs and op.type not in _SHAPE_OPS
                 and not any(t.dtype.is_floating or t.dtype == tf.resource for t in op.outputs)]
    return [f"{op.name} ({op.type})" for op in sorted(stops, key=lambda op: op.name)]


def _nothing_trains(target):
    """Check 3's FAIL when no trainable variable gets a gradient: where the backward pass stops."""
    held = {variable_op(v) for v in target.trainable}
    connected = bool(upstream_ops([target.loss]) & held)
    stops = gradient_stops(target) if connected else []
    numbers = {"global_gradient_norm": 0.0, "variables": {}, "gradient_stops": stops, "connected": connected}
    if not connected:
        summary = (f"nothing gets a gradient: the loss {target.loss.name} depends on none of the "
                   f"{len(target.trainable)} trainable variables")
        advice = "compute the loss from the model's output (the logits), not from inputs or constants alone"
    else:
        where = ", ".join(stops[:5]) if stops else "an op without a registered gradient"
        summary = (f"nothing gets a gradient: 0/{len(target.trainable)} trainable variables; the backward pass from "
                   f"{target.loss.name} stops at {where}")
        advice = ("remove the tf.stop_gradient (or the non-differentiable op) between the loss and the layers you mean "
                  "to train: as it is, no training step can change any weight")
    return Finding("wiring", FAIL, summary, advice, numbers, [f"gradient stops at {s}" for s in stops])


def _is_kernel(target, name):
    variable = next((v for v in target.trainable if v.name == name), None)
    return variable is not None and variable.shape.rank is not None and variable.shape.rank >= 2


def _layer_line(name, s):
    extra = "".join(f", {k.replace('_', ' ')} {s[k]:.0%}" for k in ("dead_fraction", "saturated_fraction") if k in s)
    return f"{name}: mean {s['mean']:.3g}, std {s['std']:.3g}{extra}"


def _clipping(target):
    names = [op.name for op in target.graph.get_operations()]
    kinds = [kind for kind in ("clip_by_global_norm", "clip_by_norm", "clip_by_value")
             if any(re.search(rf"(^|/){kind}(_\d+)?/", n) for n in names)]
    return "by " + ", ".join(k.replace("clip_by_", "").replace("_", " ") for k in kinds) if kinds else None


# --------------------------------------------------------------------------- 4. batch norm


def _bn_layers(target):
    """{layer: (moving_mean, moving_variance)} from the variables' names."""
    layers = {}
    for v in target.variables:
        match = re.match(r"(.*)/moving_(mean|variance):0$", v.name)
        if match:
            layers.setdefault(match.group(1), {})[match.group(2)] = v
    return {k: (d["mean"], d["variance"]) for k, d in layers.items() if len(d) == 2}


def _trained_statistics(target, layers):
    """Batch-norm layers whose (restored) moving statistics are no longer the initial mean 0 and variance 1."""
    out = []
    for layer, (mean, variance) in layers.items():
        m, v = target.initial.get(mean.name), target.initial.get(variance.name)
        if m is not None and v is not None and (np.any(m != 0.0) or np.any(v != 1.0)):
            out.append(layer)
    return sorted(out)


def _moved(before, after, names):
    return {n: float(np.max(np.abs(after[n] - before[n]))) for n in names if n in before and n in after}


def check_batch_norm(target, budget):
    """UPDATE_OPS executed by the training step; inference uses the moving statistics; no training-mode eval."""
    layers = _bn_layers(target)
    if not layers:
        return Finding("batch_norm", SKIP, "no batch-normalisation layers")
    moving = [v for pair in layers.values() for v in pair]
    names = [v.name for v in moving]
    failures, warnings, details = [], [], []
    numbers = {"layers": sorted(layers)}
    # (a) one training step, as the model runs it, moves the moving statistics.
    if target.first_step is not None:
        movement = _moved(target.initial, target.first_step, names)
        how = "the recipe's own first training step"
    elif target.train_fetches:
        batch = target.sample(budget.wiring_batch, np.random.RandomState(budget.seed + 3))
        target.run(target.train_fetches, batch)
        movement = _moved(target.initial, target.values(moving), names)
        target.restore()
        how = "one run of the training fetches"
    else:
        movement = None
        how = None
    if movement is not None:
        still = sorted({n.rsplit("/", 1)[0] for n, d in movement.items() if d <= 1e-7})
        numbers["moving_statistics_change"] = movement
        numbers["step"] = how
        trained = _trained_statistics(target, layers) if target.first_step is None and target.restored else []
        numbers["restored_statistics_trained"] = trained
        if still and set(still) <= set(trained):
            # The step as declared leaves them alone, but the checkpoint's values show the loop ran UPDATE_OPS.
            details.append(f"{how} does not update the moving statistics of {', '.join(still)}, but their restored "
                           "values have left the initial mean 0 / variance 1: the training loop ran UPDATE_OPS beside "
                           "the training op (keep fetching them with it in every step)")
        elif still:
            declare = ("; if your training loop fetches them beside the training op (sess.run([train_op, update_ops])), "
                       "say so: --train-op NAME --train-op UPDATE_OPS (train_op=[NAME, 'UPDATE_OPS'])"
                       if target.first_step is None and target.graph.get_collection(tf1.GraphKeys.UPDATE_OPS) else "")
            failures.append(f"moving statistics of {', '.join(still)} did not move in {how}: UPDATE_OPS not run{declare}")
        else:
            details.append(f"{how} moved every moving mean/variance (largest change {max(movement.values()):.3g})")
    else:
        warnings.append("no training step to run: cannot tell whether UPDATE_OPS run")
    # (b) inference mode reads the moving statistics.
    probe = target.logits if target.logits is not None else target.loss
    batch = target.sample(budget.wiring_batch, np.random.RandomState(budget.seed + 4))
    before = target.run(probe, batch, mode="eval")
    for mean, variance in layers.values():
        target.load(mean, target.session.run(mean) + 1.0)
        target.load(variance, target.session.run(variance) * 4.0)
    after = target.run(probe, batch, mode="eval")
    target.restore()
    response = float(np.max(np.abs(np.asarray(after) - np.asarray(before))))
    numbers["inference_response_to_moving_statistics"] = response
    user_flag = target.eval_extra_feed.get(target.training) if target.training is not None else None
    if response < 1e-6:
        why = (f"the evaluation feed puts {target.training.name} = True" if user_flag is not None and bool(user_flag)
               else "training hard-wired True?")
        failures.append(f"inference ignores the moving statistics: batch statistics at test time ({why})")
    else:
        details.append(f"inference mode reads the moving statistics (output change {response:.3g} when they change)")
    # (c) the recipe evaluates in inference mode.
    training_evals = [c for c in target.eval_calls
                      if target.training is not None and bool(c.feed.get(target.training.name, False))]
    numbers["evaluations_in_training_mode"] = len(training_evals)
    if training_evals:
        fetched = sorted({n for c in training_evals for n in c.fetches})
        who = "the recipe evaluates" if target.first_step is not None else "you evaluate with"
        failures.append(f"{who} {', '.join(fetched)} with {target.training.name} fed True: "
                        "batch statistics at test time")
    # (d) one set of moving statistics updated by several towers.
    shared = _shared_updates(target, moving)
    numbers["update_ops_per_variable"] = shared
    for name, count in shared.items():
        if count > 1:
            warnings.append(f"{name} is updated by {count} update ops: towers sharing batch norm average their "
                            "input distributions into one set of moving statistics")
    # (e) dropout feeding a batch-norm layer (variance shift).
    for layer in _dropout_before(target, layers):
        warnings.append(f"dropout feeds {layer}: its moving variance is estimated with dropout on and applied with "
                        "it off (variance shift)")
    status = FAIL if failures else WARN if warnings else PASS
    summary = f"{len(layers)} batch-norm layer(s)"
    summary += "; " + "; ".join(failures + warnings) if failures or warnings else "; moving statistics updated and used"
    advice = ("run tf.GraphKeys.UPDATE_OPS with every training step (fetch them with the training op, or build it "
              "under tf.control_dependencies(update_ops)); evaluate with training=False; give each tower its own "
              "batch-norm layers; put dropout after the last batch-norm layer")
    return Finding("batch_norm", status, summary, advice, numbers, details)


COND_OPS = ("Identity", "If", "StatelessIf", "Switch", "Merge")


def _shared_updates(target, moving):
    held = {variable_op(v): v.name for v in moving}
    counts = dict.fromkeys(held.values(), 0)
    for item in target.graph.get_collection(tf1.GraphKeys.UPDATE_OPS):
        op = item if isinstance(item, tf1.Operation) else item.op
        # An update op assigns to its variable directly, or (training flag a tensor) is the Identity
        # of a cond whose inputs include the variable's handle: look through those, no further.
        around = upstream_ops([op], stop=lambda o, first=op: o is not first and o.type not in COND_OPS)
        for name in {held[o] for o in around if o in held}:
            counts[name] += 1
    return counts


def _dropout_before(target, layers):
    """Batch-norm layers with a dropout op upstream of their input (through anything but another batch-norm layer)."""
    found = []
    ops = target.graph.get_operations()
    for layer in layers:
        short = layer.rsplit("/", 1)[-1]
        inputs = [op.inputs[0] for op in ops if re.search(rf"(^|/){re.escape(short)}/moments/mean$", op.name)]
        if not inputs:
            continue
        stop = lambda op: "batch_normalization" in op.name or op.type in ("Placeholder", "VarHandleOp", "VariableV2")  # noqa: E731
        cone = upstream_ops(inputs, stop=stop)
        if any(re.search(r"(^|/)dropout(_\d+)?/", op.name) for op in cone):
            found.append(layer)
    return found


# --------------------------------------------------------------------------- 5. regularisation


def check_regularisation(target, budget):
    """Regularisation loss against the data loss at step 0 and after a few training steps."""
    terms = target.regularization_losses
    separate = target.loss is not target.data_loss
    if not separate and not terms:
        return Finding("regularisation", SKIP, "no regularisation (no REGULARIZATION_LOSSES, loss = data loss)")
    cone = upstream_ops([target.loss])
    if terms and not any(term.op in cone for term in terms):
        return Finding("regularisation", WARN,
                       f"REGULARIZATION_LOSSES holds {len(terms)} term(s) but the optimised loss does not include them",
                       "add tf.losses.get_regularization_loss() (or tf.add_n(reg_losses)) to the loss", {"terms": len(terms)})
    if not separate:
        return Finding("regularisation", SKIP, "the regularisation cannot be told apart from the data loss "
                       "(no separate data-loss tensor such as loss/avg_xentropy)")
    rng = np.random.RandomState(budget.seed + 5)

    def measure():
        data, total = target.run([target.data_loss, target.loss], target.sample(budget.wiring_batch, rng))
        return float(data), float(total) - float(data)

    data0, reg0 = measure()
    if not terms and abs(reg0) <= 1e-7 * max(1.0, abs(data0)):
        return Finding("regularisation", SKIP, "no regularisation (loss = data loss, REGULARIZATION_LOSSES empty)")
    steps = _train(target, budget.regularisation_steps, rng)
    data1, reg1 = measure()
    target.restore()
    ratio0 = reg0 / data0 if data0 > 0 else math.inf
    ratio1 = reg1 / data1 if data1 > 0 else math.inf
    numbers = {"data_loss_step0": data0, "regularisation_loss_step0": reg0, "ratio_step0": ratio0,
               "steps": steps, "data_loss_after": data1, "regularisation_loss_after": reg1, "ratio_after": ratio1,
               "terms": len(terms)}
    summary = (f"regularisation/data loss {ratio0:.3g} at step 0 ({_fmt(reg0)} / {_fmt(data0)}), "
               f"{ratio1:.3g} after {steps} steps")
    status = WARN if max(ratio0, ratio1) > 1.0 else PASS
    advice = "regularisation dominates the data loss: lower the regularisation scale (or check its units)"
    return Finding("regularisation", status, summary, advice, numbers)


def _train(target, steps, rng, batch=None, size=64):
    """``steps`` training steps (the recipe's step plus UPDATE_OPS) on fresh batches, or on ``batch``."""
    fetches = _own_step(target) if not target.train_fetches else target.step_fetches()
    for _ in range(steps):
        target.run(fetches, batch if batch is not None else target.sample(size, rng))
    return steps


def _untracked(graph, op):
    """``op`` taken back out of the TRAIN_OP collection minimize() put it in: the doctor's steps are not the model's."""
    train_ops = graph.get_collection_ref(tf1.GraphKeys.TRAIN_OP)
    if op in train_ops:
        train_ops.remove(op)
    return op


def _own_step(target):
    """Adam(1e-3) on the loss, for graphs without a training step of their own (made once)."""
    if not hasattr(target, "_own_step"):
        if not any(g is not None for g in _gradients(target)):
            raise CannotRun("nothing gets a gradient (see 3. Wiring): there is nothing to train")
        with target.graph.as_default():
            before = set(target.graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES))
            step = _untracked(target.graph, tf1.train.AdamOptimizer(1e-3, name="doctor_adam").minimize(target.loss))
            new = [v for v in target.graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES) if v not in before]
            target.session.run(tf1.variables_initializer(new))
        target._own_step = [step] + target.graph.get_collection(tf1.GraphKeys.UPDATE_OPS)
        target.notes.append("no training step of its own: the doctor trains with Adam(1e-3)")
    return target._own_step


# --------------------------------------------------------------------------- 6. overfit a tiny batch


def check_overfit(target, budget):
    """Drive the data loss on a few dozen examples to near zero with the model's own training step."""
    rng = np.random.RandomState(budget.seed + 6)
    batch = target.sample(min(budget.overfit_examples, len(target.data[0])), rng)
    initial = _fit_loss(target, batch)
    # A classifier's target is absolute (a tenth of -ln(1/C)), whatever its initial loss.
    reference = chance_loss(target.n_classes) if (target.n_classes or 0) >= 2 else initial
    target_loss = OVERFIT_TARGET * reference
    trained_already = initial <= target_loss  # restored weights already that good: the target is relative then
    if trained_already:
        target_loss = OVERFIT_TARGET * initial
    curve, steps = [(0, initial)], 0
    while steps < budget.overfit_steps and curve[-1][1] > target_loss:
        _train(target, budget.overfit_eval_every, rng, batch=batch)
        steps += budget.overfit_eval_every
        loss = _fit_loss(target, batch)
        curve.append((steps, loss))
        if not math.isfinite(loss):
            break
    target.restore()
    final = curve[-1][1]
    numbers = {"examples": len(batch[0]), "initial_loss": initial, "final_loss": final, "target_loss": target_loss,
               "steps": steps, "max_steps": budget.overfit_steps, "curve": curve}
    summary = (f"data loss {_fmt(initial)} -> {_fmt(final)} on {len(batch[0])} examples in {steps} steps "
               f"(target {target_loss:.3g}"
               + (": a tenth of its initial loss, which the restored weights start below a tenth of chance"
                  if trained_already else "") + "; the lower of training- and inference-mode loss)")
    if math.isfinite(final) and final <= target_loss:
        status = PASS
    elif math.isfinite(final) and final <= OVERFIT_LEARNING * initial:
        status = WARN
        summary += ": decreasing, not near zero yet (a small learning rate needs more steps)"
    else:
        status = FAIL
        summary += ": the model cannot fit a tiny batch"
    advice = ("a model that cannot overfit a few dozen examples has a bug or a learning rate that is far off "
              "(zero, or so large the loss diverges); check the optimiser, the learning rate, the loss and the labels")
    heavy = [d for d in user_graph.dropout_layers(target.graph) if d.rate is not None and d.rate >= 0.5]
    if heavy and status != PASS:
        advice += ("; and dropout: " + ", ".join(d.describe() for d in heavy)
                   + " (rate is the fraction dropped; keep_prob 0.9 is rate=0.1)")
    return Finding("overfit", status, summary, advice, numbers)


def _fit_loss(target, batch):
    """The lower of the data loss in training and in inference mode.

    Dropout noise inflates the first, moving statistics that lag (or are shared, or never
    updated: check 4's business) the second; the lower one says whether the weights fit.
    """
    losses = [float(target.run(target.data_loss, batch, mode=mode)) for mode in ("eval", "train")]
    finite = [v for v in losses if math.isfinite(v)]
    return min(finite) if finite else math.nan


# --------------------------------------------------------------------------- 7. learning rate


def _sweep_step(target):
    """Plain gradient descent on the loss with a fed learning rate (made once)."""
    if not hasattr(target, "_sweep"):
        with target.graph.as_default():
            rate = tf1.placeholder(tf.float32, shape=(), name="doctor_lr_sweep_rate")
            variables = [v for v, g in zip(target.trainable, _gradients(target)) if g is not None]
            step = _untracked(target.graph, tf1.train.GradientDescentOptimizer(rate, name="doctor_lr_sweep").minimize(
                target.loss, var_list=variables))
        target._sweep = (rate, step)
    return target._sweep


def _model_rate(target, budget):
    """(rate, facts, failures, details): the model's learning rate as its graph computes it, and its schedule's step.

    The rate is the ``lr``/``alpha`` input of the training step's apply op
    (:func:`tf1_recipes.user_graph.learning_rate_of`), evaluated with the training feed.
    A schedule (the rate depends on a variable, its ``global_step``) is checked to advance:
    one training step must change that variable, or the rate never moves from its first value.
    """
    facts, failures, details = {}, [], []
    info = user_graph.learning_rate_of(target.graph, target.train_fetches)
    if info is None:
        return target.learning_rate, facts, failures, details
    facts.update(tensor=info.tensor.name, optimizer=info.optimizer,
                 step_variables=[v.name for v in info.step_variables])
    fed = {t for t in target.train_extra_feed}
    unfed = [p for p in info.placeholders if p not in fed and p.op.type == "Placeholder"]
    if unfed:
        details.append(f"the learning rate {info.tensor.name} is fed through {', '.join(p.name for p in unfed)}: give its "
                       "value (doctor.diagnose(..., train_feed={...}) in Python) to compare it with the sweep")
        return target.learning_rate, facts, failures, details
    # A training batch is fed too: an optimiser built under tf.control_dependencies(UPDATE_OPS) makes
    # its rate wait for the update ops, which read the inputs (their effect is undone by restore()).
    probe = target.sample(budget.lr_batch, np.random.RandomState(budget.seed + 8))
    feed = target.feed(probe)
    value = float(target.session.run(info.tensor, feed_dict=feed))
    target.restore()
    facts["graph_rate"] = value
    rate = target.learning_rate if target.learning_rate is not None else value
    if info.schedule and target.train_fetches:
        steps_before = target.session.run(info.step_variables)
        batch = target.sample(budget.lr_batch, np.random.RandomState(budget.seed + 8))
        target.run(target.step_fetches(), batch)
        steps_after = target.session.run(info.step_variables)
        later = float(target.session.run(info.tensor, feed_dict=feed))
        target.restore()
        advanced = [v.name for v, a, b in zip(info.step_variables, steps_before, steps_after) if np.any(a != b)]
        facts.update(schedule=True, rate_after_one_step=later, step_advances=bool(advanced))
        names = ", ".join(v.name for v in info.step_variables)
        if not advanced:
            failures.append(f"the learning-rate schedule {info.tensor.name} reads {names}, which the training step does "
                            f"not advance: the rate stays at {value:g} for ever (pass global_step= to minimize(), or "
                            "run its increment with every step)")
        else:
            details.append(f"schedule {info.tensor.name}: lr {value:g} at the start, {later:g} after one training step "
                           f"({', '.join(advanced)} advances)")
    return rate, facts, failures, details


def check_learning_rate(target, budget):
    """Learning-rate range test: GD with the rate rising geometrically each step; where the loss is lowest and diverges.

    The model's own rate is read from its graph (a constant, a fed value or a schedule) and
    set beside the sweep; a schedule whose step does not advance FAILs.
    """
    if not [g for g in _gradients(target) if g is not None]:
        return Finding("learning_rate", SKIP, "no trainable variable has a gradient (see 3. Wiring)")
    model_rate, facts, failures, rate_details = _model_rate(target, budget)
    rate, step = _sweep_step(target)
    low, high = budget.lr_range
    rates = np.geomspace(low, high, budget.lr_steps)
    rng = np.random.RandomState(budget.seed + 7)
    losses, smoothed, average = [], [], 0.0
    for i, lr in enumerate(rates):
        feed = target.feed(target.sample(budget.lr_batch, rng))
        feed[rate] = lr
        update_ops = target.graph.get_collection(tf1.GraphKeys.UPDATE_OPS)
        loss, _ = target.session.run([target.loss, [step] + update_ops], feed_dict=feed)
        loss = float(loss)
        losses.append(loss)
        if not math.isfinite(loss):
            break
        average = 0.7 * average + 0.3 * loss
        smoothed.append(average / (1 - 0.7 ** (i + 1)))
    target.restore()
    best = int(np.argmin(smoothed))
    diverge = next((i for i, s in enumerate(smoothed) if i > best and s > 4 * smoothed[best]), None)
    if diverge is None and len(smoothed) < len(rates):
        diverge = len(smoothed)
    numbers = {"optimizer": "GradientDescent (the sweep's)", "rates": [float(r) for r in rates[: len(losses)]],
               "losses": losses, "smoothed": smoothed, "best_rate": float(rates[best]),
               "lowest_loss": smoothed[best], "diverging_rate": float(rates[diverge]) if diverge is not None else None,
               "suggested_rate": float(rates[best]) / 10, "model_rate": model_rate,
               "model_optimizer": target.optimizer, "model_rate_in_graph": facts}
    summary = f"GD sweep {low:g}..{high:g} over {len(losses)} steps: lowest loss at lr {rates[best]:.3g}"
    summary += f", diverges from lr {rates[diverge]:.3g}" if diverge is not None else ", no divergence in range"
    if model_rate is not None:
        where = " (read from its graph)" if target.learning_rate is None else ""
        summary += f"; the model uses {target.optimizer or 'an optimiser'} with lr {model_rate:g}{where}"
        if facts.get("schedule"):
            summary += f", a schedule ({facts['rate_after_one_step']:g} after one step)"
    warnings = []
    start = float(np.mean(losses[:3]))
    lowest = min(losses[: diverge if diverge is not None else len(smoothed)] or [start])
    numbers["decrease"] = 1 - lowest / start if start > 0 else 0.0
    if lowest > 0.9 * start:
        warnings.append("the loss does not decrease at any learning rate")
    if target.optimizer == "GradientDescent" and model_rate is not None and diverge is not None \
            and model_rate >= rates[diverge]:
        warnings.append(f"the model's lr {model_rate:g} is past where the loss diverges ({rates[diverge]:.3g}): "
                        "its training steps will blow up")
    status = FAIL if failures else WARN if warnings else PASS
    if failures or warnings:
        summary += "; " + "; ".join(failures + warnings)
    advice = f"try a learning rate near {rates[best] / 10:.2g} (a tenth of where the loss is lowest)"
    if failures:
        advice = "pass global_step=global_step to optimizer.minimize() so that each step advances the schedule; " + advice
    finding = Finding("learning_rate", status, summary, advice, numbers, rate_details)
    finding.arrays["sweep"] = (rates[: len(losses)], np.array(losses), np.array(smoothed))
    return finding

