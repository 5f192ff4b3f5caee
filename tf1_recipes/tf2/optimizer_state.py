"""A TF1 optimizer's state (slots, beta powers, ``global_step``) → a Keras 3 optimizer's: ``migrate-ckpt --optimizer-state``.

The update rules, from the TF1 kernels' documentation (tensorflow/python/ops/gen_training_ops.py:
``ApplyMomentum``, ``ApplyAdam``, ``ApplyRMSProp``, ``ApplyCenteredRMSProp``, ``ApplyAdagrad``;
slot names from tensorflow/python/training/{momentum,adam,rmsprop,adagrad}.py) and the
Keras 3 sources (keras/src/optimizers/{sgd,adam,rmsprop,adagrad}.py, ``update_step``),
with ``g`` the gradient, ``lr`` the learning rate:

* **Momentum** (slot ``<v>/Momentum``). TF1: ``a <- mu a + g; w <- w - lr a`` (Nesterov:
  ``w <- w - lr g - lr mu a``). Keras ``SGD``: ``m <- mu m - lr g; w <- w + m`` (Nesterov:
  ``w <- w + mu m - lr g``). With ``m = -lr a`` the two give the same next weights, plain
  and Nesterov, so ``SGD``'s buffer is set to ``-lr × a`` (``lr``: the Keras optimizer's
  rate at the converted step). That holds step after step only at a constant rate: under
  a schedule Keras folds each step's own rate into its buffer, TF1 applies today's rate
  to the whole buffer; :class:`tf1_recipes.tf2.optimizers.TF1Momentum` has TF1's rule and
  takes ``a`` as it is.
* **Adam** (slots ``<v>/Adam`` = m, ``<v>/Adam_1`` = v; ``beta1_power``, ``beta2_power``).
  Both: ``m <- b1 m + (1-b1) g; v <- b2 v + (1-b2) g²;
  w <- w - lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + eps)``. TF1 keeps ``b1^t`` in
  ``beta1_power`` (it starts at ``b1``, ×b1 after each step), Keras computes it from
  ``t = iterations + 1``: so m and v are copied and ``iterations`` is the number of steps
  taken, ``beta1_power = b1^(iterations + 1)``; a :class:`tf1_recipes.tf2.optimizers.TF1Adam`
  keeps TF1's running products too, and gets the beta powers copied. TF1's epsilon default
  is 1e-8 (Keras 1e-7).
* **RMSProp** (slots ``<v>/RMSProp`` = rms, ``<v>/RMSProp_1`` = momentum; centered:
  ``RMSProp_1`` = mg, ``RMSProp_2`` = momentum). Both: ``ms <- rho ms + (1-rho) g²;
  mom <- mu mom + lr g / sqrt(ms + eps); w <- w - mom`` (centered: ``ms - mg²`` under the
  root), epsilon *inside* the square root in both. TF1 starts ``ms`` at 1 and Keras at 0,
  which matters only before the first step: the values are copied. Keras keeps no
  momentum buffer at ``momentum=0`` (TF1's then holds the last step only and is listed).
  TF1's epsilon default is 1e-10 (Keras 1e-7).
* **AdaGrad** (slot ``<v>/Adagrad``). TF1: ``acc <- acc + g²; w <- w - lr g / sqrt(acc)``;
  Keras: ``... / sqrt(acc + eps)``, eps 1e-7 by default (pass ``epsilon=0`` for TF1's
  rule). The accumulator starts at 0.1 in TF1 (``initial_accumulator_value``, Keras'
  default too); it is copied.
* **Step count**: ``optimizer.iterations`` = ``global_step`` when the checkpoint has
  one (for Adam only when it agrees with the beta powers: a ``global_step`` never passed
  to ``minimize`` stays 0); for Adam without it, the ``t`` with ``b^(t+1)`` equal to the
  beta powers within float32 rounding (``(t+1)`` products, each within 2^-24). Without
  either, 0 (said in a note when the Keras optimizer follows a schedule: it starts over).

:func:`convert_optimizer_state` checks everything first and returns the assignments;
nothing is assigned when there is a problem.
"""

import dataclasses
import math

import numpy as np

from tf1_recipes.tf2.mapping import CheckpointMismatchError, Row

#: TF1 optimizer → {slot name (default optimizer name): role}. Roles are tf1_recipes.tf2.optimizers.keras_slots'.
TF1_SLOTS = {
    "Adam": {"Adam": "m", "Adam_1": "v"},
    "Momentum": {"Momentum": "momentum"},
    "RMSProp": {"RMSProp": "rms", "RMSProp_1": "momentum"},
    "RMSProp (centered)": {"RMSProp": "rms", "RMSProp_1": "mg", "RMSProp_2": "momentum"},
    "Adagrad": {"Adagrad": "accumulator"},
}
#: Slots that are not an optimizer's (listed, never a problem).
NOT_OPTIMIZER_SLOTS = {"ExponentialMovingAverage": "moving-average shadow (tf.train.ExponentialMovingAverage)"}
#: The Keras 3 class each TF1 optimizer's state goes into (by name, resolved in :func:`keras_class`).
KERAS_CLASS = {"Adam": "Adam", "Momentum": "SGD", "RMSProp": "RMSprop", "RMSProp (centered)": "RMSprop", "Adagrad": "Adagrad"}
#: TF1's defaults that Keras' differ from, noted when the Keras optimizer keeps its own.
TF1_EPSILON = {"Adam": 1e-8, "RMSProp": 1e-10, "RMSProp (centered)": 1e-10, "Adagrad": 0.0}
#: The relative error float32 products accumulate per factor (each rounding within 2^-24, doubled for margin).
POWER_RTOL_PER_STEP = 2.0**-23


class OptimizerStateError(CheckpointMismatchError):
    """The checkpoint's optimizer state does not fit the Keras optimizer; the message lists why (one line)."""


@dataclasses.dataclass
class Conversion:
    """What :func:`convert_optimizer_state` found.

    Attributes:
        tf1_optimizer: "Adam", "Momentum", "RMSProp", "RMSProp (centered)", "Adagrad", or None (no slots).
        rows: {TF1 name: Row} for the optimizer variables (converted or why not).
        assignments: [(Keras variable, NumPy value)] to make, ``optimizer.iterations`` included.
        iterations: the step count given to ``optimizer.iterations``.
        notes: things the user should know (printed as ``tf1-recipes: note:`` lines).
        problems: why it cannot convert; empty when it can.
    """

    tf1_optimizer: str
    rows: dict
    assignments: list
    iterations: int
    notes: list
    problems: list

    def check(self):
        """Raise one OptimizerStateError listing every problem unless there are none."""
        if self.problems:
            raise OptimizerStateError("the optimizer state cannot be converted: " + "; ".join(self.problems))
        return self

    def apply(self):
        """Make the assignments (after :meth:`check`)."""
        self.check()
        for variable, value in self.assignments:
            variable.assign(value)


def keras_class(tf1_optimizer):
    """The Keras 3 optimizer class a TF1 optimizer's state converts into."""
    import keras

    return getattr(keras.optimizers, KERAS_CLASS[tf1_optimizer])


def detect(mapping):
    """(TF1 optimizer name or None, {name: role} of its slots, other problems) from the checkpoint's names."""
    found, problems = set(), []
    unknown = set()
    for name, role in mapping.roles.items():
        if role.kind == "beta_power":
            found.add("Adam")
        elif role.kind == "slot" and role.slot not in NOT_OPTIMIZER_SLOTS:
            kinds = [k for k, slots in TF1_SLOTS.items() if role.slot in slots and k != "RMSProp (centered)"]
            if kinds:
                found.add(kinds[0])
            else:
                unknown.add(role.slot)
    if unknown:
        problems.append(
            f"slots named {', '.join(sorted(unknown))} are of no TF1 optimizer converted here (AdamOptimizer, "
            "MomentumOptimizer, RMSPropOptimizer, AdagradOptimizer under their default names)"
        )
    if len(found) > 1:
        problems.append(f"the checkpoint holds the state of several optimizers ({', '.join(sorted(found))}); convert without --optimizer-state")
        return None, problems
    kind = found.pop() if found else None
    if kind == "RMSProp" and any(r.kind == "slot" and r.slot == "RMSProp_2" for r in mapping.roles.values()):
        kind = "RMSProp (centered)"
    return kind, problems


def steps_from_beta_powers(beta1_power, beta2_power, beta_1, beta_2):
    """The candidate step counts ``t`` (fewest-error first) with ``beta_i^(t+1)`` = ``beta_i_power`` within float32 rounding.

    Args:
        beta1_power, beta2_power: TF1's ``beta1_power``/``beta2_power`` values (float32
            scalars; TF1 starts them at beta and multiplies by beta after every step).
        beta_1, beta_2: the Keras optimizer's betas (taken as float32, as both sides use them).

    Returns:
        [(t, worst relative error)] of the ``t`` that fit within ``(t+1) × 2^-23``, best
        first; [] when none fits (other betas) or no power is a normal float32 in (0, 1)
        (after about 830 steps ``0.9^t`` leaves float32's normal range, after about 87 000
        ``0.999^t``: then only ``global_step`` can tell).
    """
    pairs = []
    for power, beta in ((beta1_power, beta_1), (beta2_power, beta_2)):
        power, beta = float(power), float(np.float32(beta))
        if np.finfo(np.float32).tiny < power < 1.0 and 0.0 < beta < 1.0:
            pairs.append((power, beta))
    if not pairs:
        return []
    candidates = set()
    for power, beta in pairs:
        estimate = math.log(power) / math.log(beta) - 1.0
        candidates |= {max(0, math.floor(estimate)), max(0, math.ceil(estimate))}
    fits = []
    for t in sorted(candidates):
        worst = max(abs(power / beta ** (t + 1) - 1.0) for power, beta in pairs)
        if worst <= (t + 2) * POWER_RTOL_PER_STEP:
            fits.append((t, worst))
    return sorted(fits, key=lambda item: item[1])


def convert_optimizer_state(mapping, values, optimizer, model):
    """Plan the conversion of the TF1 optimizer state in ``values`` into ``optimizer`` (see the module docstring).

    Args:
        mapping: the checked :class:`tf1_recipes.tf2.mapping.Mapping` of the model variables.
        values: {TF1 name: NumPy array} of the whole checkpoint.
        optimizer: a Keras 3 optimizer; built here on ``model.trainable_variables`` if it
            is not yet (the order :func:`tf1_recipes.tf2.migrate.restore` builds it in: a
            Keras optimizer checkpoints its variables by that order).
        model: the Keras 3 model ``mapping`` maps onto.

    Returns:
        a :class:`Conversion`; call ``.apply()`` to assign (it raises OptimizerStateError
        listing every problem instead, with nothing assigned).
    """
    from tf1_recipes.tf2.optimizers import TF1Adam, TF1Momentum, keras_slots, learning_rate_at

    kind, problems = detect(mapping)
    notes, assignments, rows = [], [], {}
    trained = [v for v in mapping.variables.values() if v.trainable]
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    cls = type(optimizer).__name__
    expected = keras_class(kind) if kind else None
    if expected is not None and not isinstance(optimizer, expected):
        problems.append(
            f"the checkpoint holds TF1 {kind} state but the model's optimizer is {cls}; give the factory a "
            f"keras.optimizers.{expected.__name__}, or convert without --optimizer-state"
        )
    if kind == "Adam" and getattr(optimizer, "amsgrad", False):
        problems.append("the model's Adam has amsgrad=True, which TF1's AdamOptimizer does not have; build it with amsgrad=False")
    if kind and kind.startswith("RMSProp") and isinstance(optimizer, expected) and optimizer.centered != (kind == "RMSProp (centered)"):
        problems.append(f"the checkpoint's RMSProp is {'' if kind.endswith('(centered)') else 'not '}centered, the model's RMSprop has centered={optimizer.centered}")
    if kind == "Momentum" and isinstance(optimizer, expected) and not isinstance(optimizer, TF1Momentum) and optimizer.momentum == 0:
        problems.append("the model's SGD has momentum=0 and keeps no buffer for TF1's Momentum slots; give it TF1's momentum")
    if kind is None and trained:
        try:
            wanted = keras_slots(optimizer, trained[0])
        except KeyError:
            wanted = {}
        if wanted:
            problems.append(
                f"the checkpoint holds no optimizer slots (TF1 GradientDescentOptimizer?) but the model's {cls} "
                f"keeps {', '.join(sorted(wanted))} for every variable; convert without --optimizer-state"
            )
    if kind in TF1_EPSILON and hasattr(optimizer, "epsilon") and not math.isclose(optimizer.epsilon, TF1_EPSILON[kind], rel_tol=1e-6, abs_tol=0.0):
        notes.append(
            f"the model's {cls} has epsilon={optimizer.epsilon:g}; TF1's {kind} default is {TF1_EPSILON[kind]:g} "
            "(training continues TF1's run only with the epsilon it used)"
        )

    iterations, step_rows = _step_count(mapping, values, optimizer, kind, problems, notes)
    rows.update(step_rows)
    if kind == "Adam" and isinstance(optimizer, TF1Adam) and not problems:  # TF1's running products, as they are
        for name, role in mapping.roles.items():
            if role.kind == "beta_power":
                target = f"beta_{role.slot[4]}_power"
                assignments.append((getattr(optimizer, target), np.asarray(values[name], np.float32)))
                step_row = rows[name]  # the step count _step_count read from it, and how
                rows[name] = dataclasses.replace(step_row, target=f"optimizer TF1Adam {target} (copied); {step_row.target}")
    rate, scheduled = learning_rate_at(optimizer, iterations)

    if expected is not None and isinstance(optimizer, expected) and not problems:
        slot_roles = TF1_SLOTS[kind]
        converted_owners = set()
        for name, role in sorted(mapping.roles.items()):
            if role.kind != "slot" or role.slot not in slot_roles:
                continue
            shape = np.shape(values[name])
            if role.owner not in mapping.variables:
                rows[name] = Row(name, shape, None, f"optimizer state of {role.owner}, which is not converted")
                continue
            variable = mapping.variables[role.owner]
            path = _path_of(mapping, role.owner)
            try:
                slots = keras_slots(optimizer, variable)
            except KeyError:
                problems.append(f"{name} is a slot of {role.owner}, but the model's {path} is not one its optimizer trains")
                continue
            wanted = slot_roles[role.slot]
            value = np.asarray(values[name])
            if wanted not in slots:
                if wanted == "momentum" and kind.startswith("RMSProp"):
                    rows[name] = Row(name, shape, None, "optimizer state: the model's RMSprop has momentum=0 and keeps no "
                                     "buffer (right when TF1's momentum was 0: its buffer then holds only the last step)")
                    converted_owners.add(role.owner)
                    continue
                problems.append(f"{name}: the model's {cls} keeps no {wanted} for {path}")
                continue
            target = slots[wanted]
            how = "copied"
            if kind == "Momentum" and not isinstance(optimizer, TF1Momentum):
                value = (-np.float32(rate) * value).astype(value.dtype)
                how = f"= -{rate:g} x TF1's accumulator (Keras SGD keeps -learning_rate x TF1's buffer)"
            if tuple(target.shape) != tuple(value.shape):
                problems.append(f"{name} has shape {list(value.shape)}, the optimizer's {wanted} of {path} {list(target.shape)}")
                continue
            assignments.append((target, value.astype(target.dtype)))
            rows[name] = Row(name, shape, f"optimizer {cls} {wanted} of {path}", how=how, optimizer=True)
            converted_owners.add(role.owner)
        if kind == "Momentum" and not isinstance(optimizer, TF1Momentum) and scheduled:
            notes.append(
                "the model's SGD follows a learning-rate schedule: Keras folds each step's rate into its buffer, TF1 applies "
                "the current rate to the whole buffer, so they part after the first step; use "
                "tf1_recipes.tf2.optimizers.TF1Momentum for TF1's rule"
            )
        untrained = [_path_of(mapping, n) for n, v in mapping.variables.items() if v.trainable and n not in converted_owners]
        if untrained and converted_owners:
            notes.append(
                f"the checkpoint has no {kind} slots for {', '.join(untrained)} (TF1 did not train them): "
                "their Keras slots keep their initial values"
            )
    if not problems:
        assignments.append((optimizer.iterations, np.asarray(iterations, dtype=np.int64)))
    return Conversion(kind, rows, assignments, iterations, notes, problems)


def _path_of(mapping, tf1_name):
    for row in mapping.rows:
        if row.tf1_name == tf1_name:
            return row.target
    return tf1_name


def _step_count(mapping, values, optimizer, kind, problems, notes):
    """(iterations, {name: Row}) from ``global_step`` and Adam's beta powers."""
    rows = {}
    steps = [n for n, r in mapping.roles.items() if r.kind == "global_step"]
    powers = {int(r.slot[4]): n for n, r in mapping.roles.items() if r.kind == "beta_power"}
    global_step = None
    if len(steps) == 1:
        global_step = int(np.asarray(values[steps[0]]))
    elif len(steps) > 1:
        problems.append(f"several step counters ({', '.join(sorted(steps))}): cannot tell which one is the optimizer's")
    if kind == "Adam":
        if not hasattr(optimizer, "beta_1"):
            return 0, rows  # not an Adam: a problem already says so
        names = sorted(n for n, r in mapping.roles.items() if r.kind == "beta_power")
        if len(names) != 2 or set(powers) != {1, 2}:
            problems.append(f"Adam's beta powers should be one beta1_power and one beta2_power, the checkpoint has {', '.join(names) or 'none'}")
            return 0, rows
        p1, p2 = float(np.asarray(values[powers[1]])), float(np.asarray(values[powers[2]]))
        b1, b2 = float(optimizer.beta_1), float(optimizer.beta_2)
        fits = steps_from_beta_powers(p1, p2, b1, b2)
        fitting = {t for t, _ in fits}
        if global_step is not None and global_step in fitting:
            t, how = global_step, f"{steps[0]}, agreeing with the beta powers {b1:g}^{global_step + 1}, {b2:g}^{global_step + 1}"
        elif fits:
            t = fits[0][0]
            how = f"beta1_power = {p1:.6g} = {b1:g}^{t + 1}, beta2_power = {p2:.6g} = {b2:g}^{t + 1}"
            if global_step is not None:
                notes.append(f"{steps[0]} = {global_step} disagrees with Adam's beta powers ({t} steps; was global_step "
                             "passed to minimize?): optimizer.iterations follows the beta powers")
            if len(fits) > 1:
                notes.append(f"the beta powers fit {', '.join(str(s) for s, _ in fits)} steps within float32 rounding: took {t}")
        elif global_step is not None and p1 <= np.finfo(np.float32).tiny and p2 <= np.finfo(np.float32).tiny:
            t, how = global_step, f"{steps[0]} (both beta powers underflowed)"
        else:
            problems.append(
                f"beta1_power = {p1:.6g} and beta2_power = {p2:.6g} are no step's powers of the model's Adam betas "
                f"({b1:g}, {b2:g}): TF1 trained with other betas; build the Adam with those"
            )
            return 0, rows
        for n in names:
            rows[n] = Row(n, (), f"optimizer.iterations = {t}", how=how, optimizer=True)
        if steps:
            if t == global_step:
                rows[steps[0]] = Row(steps[0], (), f"optimizer.iterations = {t}", how="global_step", optimizer=True)
            else:
                rows[steps[0]] = Row(steps[0], (), None, f"step count {global_step}, disagreeing with Adam's beta powers")
        return t, rows
    if global_step is not None:
        rows[steps[0]] = Row(steps[0], (), f"optimizer.iterations = {global_step}", how="global_step", optimizer=True)
        return global_step, rows
    from tf1_recipes.tf2.optimizers import learning_rate_at

    if learning_rate_at(optimizer, 0)[1]:
        notes.append("the checkpoint has no global_step: optimizer.iterations starts at 0, so the learning-rate schedule starts over")
    return 0, rows
