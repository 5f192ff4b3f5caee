"""The performance benchmark: each recipe's epoch against Keras 3 and the compute floor.

For every recipe in its reference configuration (its default preset) it measures, in one
process on one machine:

* **recipe**: one training epoch of the TF1 recipe through the harness (:func:`run_recipe`);
  the epoch's time is the harness's ``RunResult.epoch_seconds`` (from the epoch's first batch
  to its report, so the end-of-epoch evaluation is included), or the per-epoch
  ``extras["epoch_seconds"]`` a recipe with its own loop records (early stopping). Its
  training steps and the rows they were fed are counted by :class:`SessionProbe`, which
  watches ``Session.run``.
* **tf.function loop**: the recipe's TF2 port (:mod:`tf1_recipes.tf2`) trained by its own
  ``tf.function`` loop, also through the harness (``RecipeConfig(tf2=True)``), timed the same way.
* **Keras fit**: the port's Keras 3 model and optimizer compiled with mean sparse cross-entropy
  and trained by ``model.fit`` on as many MNIST training images per epoch as the recipe's
  epoch feeds, in batches of the recipe's size, validating on the preset's eval split in one
  batch; an epoch runs from ``on_epoch_begin`` to ``on_epoch_end``.
* **floor**: every matrix multiplication the recipe's training steps execute in an epoch
  (read from the graph: the ``MatMul`` ops the training fetch depends on, pruned at the fed
  tensors as TensorFlow prunes them, with the batch dimension the rows fed), timed with
  TensorFlow's own ``tf.linalg.matmul`` at those shapes (:class:`MatmulTimer`), and the same
  floating-point operations at the throughput of a large square matmul.

Each column trains ``warmup`` epochs first (default 1) and reports the mean of the next
``epochs``: the warm-up absorbs graph setup and the first ``Session.run``, ``tf.function``
tracing and a recipe's one-off caching, so every column is a steady-state epoch.

What the floor counts: the MatMuls a training step executes, as TensorFlow runs them after
Grappler prunes the graph (checked against ``RunOptions(trace_level=FULL_TRACE)`` step
stats): forward 2·B·n_in·n_out per dense layer; backward the weight gradient of every
trained layer and the input gradient of every layer above the first trained one. So the
first layer's input gradient (with respect to the placeholder ``X``) is not counted: TF1's
``minimize`` builds it (its default ``gate_gradients=GATE_OP`` even makes the weight update
wait on it) but Grappler drops it. Layers behind ``stop_gradient`` or outside ``var_list``
count forward only, layers a recipe feeds from a cache not at all. Not counted: bias
additions, activations, the loss, the optimizer's updates and the end-of-epoch evaluation
(a forward pass over the eval split), which the timed epoch includes.

**The ports' loop against TF1** (:func:`measure_port_speed`, ``scripts/bench.py --ports``):
per recipe, the TF1 recipe's epoch, the port's epoch with the loop before issue 15 (one
``tf.function`` call per batch, :func:`per_step_loop`) and with the port's own loop
(``steps_per_execution`` batches per call), each through the harness after its warm-up
epoch; the runs are interleaved ``repeats`` times (the TF1 run and the port's own loop back
to back, alternating which goes first; the loop before issue 15 in the first
``before_repeats`` rounds) and each column is the median, so a ratio compares runs made
under the same machine load; the paired median is the median of each round's own ratio. Where an epoch is short, the rounds
time more of them (``Plan.min_seconds``, :func:`port_plan`), so that a run whose epoch is a few
dozen steps and an occasional checkpoint write is timed over its steady state. Beside them, the loop's per-step
overhead (:func:`loop_overhead`): the seconds per step a loop spends beyond the steps
themselves, i.e. beyond one ``train_steps`` call on batches already in a ``tf.data.Dataset``.

Used by ``scripts/bench.py`` (the table), ``tests/bench`` (pytest-benchmark) and
``tests/unit/test_bench.py``. It lives in the source tree, outside the installed package: it
runs pytest in a subprocess and reads ``tests/`` (:func:`project_root`).
"""

import contextlib
import dataclasses
import datetime
import statistics
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path

import numpy as np

from tf1_recipes import data as data_lib
from tf1_recipes.compat import configure_tensorflow, tf, tf1  # before Keras: selects the legacy tf-keras layers for the TF1 recipes

import keras  # noqa: E402,I001  (Keras 3, as the TF2 ports use it)
from tf1_recipes import session_observer
from tf1_recipes.harness import RecipeConfig, run_recipe
from tf1_recipes.provenance import cpu_model
from tf1_recipes.registry import get_recipe, list_recipes
from tf1_recipes.tf2.base import gather_steps_function

#: Rows beyond each recipe's reference configuration (the speed of the other batch size,
#: the cached variant of transfer learning).
EXTRA_TARGETS = ("batch_size_gap/large_batch", "transfer_digits_5_to_9/cache_frozen")
#: Recipes that train on cached activations, and the uncached recipe they save time over.
CACHED_VS_UNCACHED = {
    "cache_frozen_layers": "freeze_stop_gradient",
    "transfer_digits_5_to_9/cache_frozen": "transfer_digits_5_to_9",
}
#: The large square shape of the floor's reference throughput.
SQUARE = 2048
#: Training images of a pytest benchmark (tests/bench) run with benchmarks disabled, pytest's default here:
#: a check that it still runs, not a timing.
CHECK_TRAIN_SIZE = 1000
#: Op types that apply an optimizer's update: a Session.run executing one is a training step.
TRAINING_OP = re.compile(r"^(Resource)?(Sparse)?Apply")
#: Port methods beyond the model and its loss; Keras fit leaves them out.
PORT_EXTRAS = ("loss", "process_gradients", "after_step", "_train_step")
#: Columns of the table, in order: (key in a row, heading).
COLUMNS = (
    ("target", "recipe/preset"),
    ("batch_size", "batch"),
    ("steps", "steps"),
    ("recipe_s", "recipe s"),
    ("steps_per_s", "steps/s"),
    ("examples_per_s", "examples/s"),
    ("keras_fit_s", "fit s"),
    ("tf_function_s", "tf.fn s"),
    ("gflop", "GFLOP"),
    ("floor_s", "floor s"),
    ("floor_square_s", "floor@sq s"),
    ("recipe_over_fit", "recipe/fit"),
    ("recipe_over_tf_function", "recipe/tf.fn"),
    ("floor_over_recipe", "floor/recipe"),
    ("floor_square_over_recipe", "floor@sq/recipe"),
    ("note", "note"),
)


# --------------------------------------------------------------------------- what to measure


@dataclasses.dataclass(frozen=True)
class Target:
    """One row of the table: a recipe and one of its presets (``recipe/preset``)."""

    recipe: str
    preset: str

    @classmethod
    def parse(cls, text):
        """``"recipe"`` (its default preset) or ``"recipe/preset"``; unknown names raise UnknownRecipeError."""
        name, _, preset = text.partition("/")
        spec = get_recipe(name)
        preset = preset or spec.default_preset
        spec.preset(preset)  # an unknown preset raises here, before anything runs
        return cls(spec.name, preset)

    @property
    def label(self):
        return f"{self.recipe}/{self.preset}"

    @property
    def is_training(self):
        """Whether the recipe trains for epochs (it has an ``n_epochs`` hyperparameter)."""
        return "n_epochs" in get_recipe(self.recipe).preset(self.preset)[1]

    def config(self, plan, tf2=False):
        """The RecipeConfig of this target under ``plan``: warm-up and timed epochs, quiet."""
        overrides = {"train_size": plan.train_size} if plan.train_size else {}
        more = {"input_path": plan.input_path} if plan.input_path else {}
        return RecipeConfig(
            self.recipe, preset=self.preset, n_epochs=plan.runs, data_dir=plan.data_dir,
            overrides=overrides, quiet=True, progress=False, tf2=tf2, **more,
        )


@dataclasses.dataclass(frozen=True)
class Plan:
    """How every target is measured: epochs, the data, the TF1 input path."""

    epochs: int = 1  # timed epochs per column
    warmup: int = 1  # epochs trained before them
    train_size: int = None  # None: the preset's training set (the reference configuration)
    data_dir: str = None
    input_path: str = None  # the harness's TF1 input path; None: its default (feed_dict)
    min_seconds: float = 0.0  # the ports' table: more timed epochs where one is short (:func:`port_plan`); 0: ``epochs``

    @property
    def runs(self):
        """Epochs each column trains: the warm-up and the timed ones."""
        return self.warmup + self.epochs


def default_targets():
    """Every recipe in its default preset, then :data:`EXTRA_TARGETS`."""
    return [Target(spec.name, spec.default_preset) for spec in list_recipes()] + [Target.parse(t) for t in EXTRA_TARGETS]


# --------------------------------------------------------------------------- the TF1 side


@dataclasses.dataclass(eq=False)
class StepShapes:
    """What one kind of ``Session.run`` call executes: is it a training step, and its matmuls.

    ``matmuls`` holds ``(m, k, n, transpose_a, transpose_b, backward)`` per MatMul op, with
    ``None`` for the batch dimension (the rows fed).
    """

    training: bool
    matmuls: tuple


def executed_ops(graph, fetches, fed_names):
    """The ops a ``Session.run`` of ``fetches`` executes: their ancestors, pruned at the fed tensors."""
    seen, stack = {}, []
    for fetch in tf.nest.flatten(fetches):
        element = graph.as_graph_element(fetch, allow_tensor=True, allow_operation=True)
        stack.append(element if isinstance(element, tf1.Operation) else element.op)
    while stack:
        op = stack.pop()
        if op.name in seen:
            continue
        seen[op.name] = op
        stack.extend(t.op for t in op.inputs if t.name not in fed_names)
        # Grappler drops control edges to stateless ops (e.g. minimize's gradient gating, which
        # would otherwise run the gradient with respect to X): follow only those to ops that
        # update state (resource ops, ops writing a TF1 ref variable) and the NoOps grouping them.
        stack.extend(c for c in op.control_inputs if c.type == "NoOp" or updates_state(c))
    return list(seen.values())


def updates_state(op):
    """Whether ``op`` changes state: a stateful op, or one that takes a TF1 ref variable as input."""
    return op.op_def.is_stateful or any(t.dtype != t.dtype.base_dtype for t in op.inputs)


def step_shapes(graph, fetches, feed_keys):
    """:class:`StepShapes` of running ``fetches`` fed ``feed_keys`` in ``graph``."""
    fed_names = {graph.as_graph_element(key, allow_tensor=True, allow_operation=False).name for key in feed_keys}
    ops = executed_ops(graph, fetches, fed_names)
    matmuls = []
    for op in ops:
        if op.type != "MatMul":
            continue
        a, b = (t.shape.as_list() for t in op.inputs)
        ta, tb = op.get_attr("transpose_a"), op.get_attr("transpose_b")
        m, k = (a[1], a[0]) if ta else (a[0], a[1])
        n = b[0] if tb else b[1]
        matmuls.append((m, k, n, ta, tb, "gradients" in op.name.split("/")))
    return StepShapes(any(TRAINING_OP.match(op.type) for op in ops), tuple(matmuls))


class SessionProbe:
    """Watches a TF1 session's work while active: counts the training steps, the rows they were
    fed and the matmuls they executed (shapes resolved with the rows fed, else ``batch_size``).

    A context manager listening to :mod:`tf1_recipes.session_observer` (as the doctor's
    recorder does): every ``Session.run``, and the session callables that do not go through
    it (``make_callable`` without feeds, and the harness's in-graph input path, whose
    ``tensor_connection`` replaces the fed ``X`` and ``y``). Each kind of call (graph,
    fetches, feed keys) is analysed once, then a call costs a dict lookup; the probe holds
    the graphs it saw until it is dropped. Inside a harness run only the run's own graph
    counts, not a run the recipe starts itself (training the checkpoint it builds on).
    """

    def __init__(self, batch_size):
        self.batch_size = batch_size
        self._shapes = {}  # (graph, fetch ids, feed key ids) -> (StepShapes, fetches, feed keys)
        self._training_calls = Counter()  # (StepShapes, rows fed) -> calls
        self._listener = session_observer.listen(on_run=self._on_run, on_callable=self._on_callable)

    def __enter__(self):
        self._listener.__enter__()
        return self

    def __exit__(self, *exc):
        return self._listener.__exit__(*exc)

    def _on_run(self, proceed, session, fetches, feed_dict, options, run_metadata):
        result = proceed(session, fetches, feed_dict, options, run_metadata)
        self.observe(session.graph, fetches, feed_dict)
        return result

    def _on_callable(self, session, step, fetches, feed_keys):
        return self.counting(session.graph, step, fetches, feed_keys)

    def observe(self, graph, fetches, feed_dict):
        """Count one ``Session.run`` call (a few microseconds: well under 1% of a recipe's step)."""
        feed_dict = feed_dict or {}
        leaves = tf.nest.flatten(fetches) if isinstance(fetches, (list, tuple, dict)) else (fetches,)
        key = (graph, tuple(map(id, leaves)), tuple(map(id, feed_dict)))
        entry = self._shapes.get(key)
        if entry is None:
            # The entry keeps the fetches and feed keys alive, so their ids stay theirs.
            entry = self._shapes[key] = (self._analyse(graph, fetches, list(feed_dict)), leaves, list(feed_dict))
        if entry[0].training:
            self._count(entry[0], feed_dict.values())

    def counting(self, graph, step, fetches, feed_keys):
        """``step`` (a session callable taking the fed values in order), counted when it trains."""
        shapes = self._analyse(graph, fetches, feed_keys)
        if not shapes.training:
            return step

        def counted(*args, **kwargs):
            result = step(*args, **kwargs)
            self._count(shapes, args)
            return result

        return counted

    @staticmethod
    def _analyse(graph, fetches, feed_keys):
        try:
            return step_shapes(graph, fetches, feed_keys)
        except (TypeError, ValueError, KeyError):  # something as_graph_element cannot resolve
            return StepShapes(False, ())

    def _count(self, shapes, fed_values):
        rows = [v.shape[0] for v in fed_values if len(getattr(v, "shape", ())) >= 1]
        self._training_calls[(shapes, max(rows) if rows else self.batch_size)] += 1

    @property
    def steps(self):
        """Training steps seen."""
        return sum(self._training_calls.values())

    @property
    def examples(self):
        """Rows fed to the training steps (the largest fed array's rows per step)."""
        return sum(rows * calls for (_, rows), calls in self._training_calls.items())

    @property
    def matmuls(self):
        """``{(m, k, n, transpose_a, transpose_b, backward): count}`` over the training steps seen."""
        out = Counter()
        for (shapes, rows), calls in self._training_calls.items():
            for m, k, n, ta, tb, backward in shapes.matmuls:
                out[(m or rows, k or rows, n or rows, ta, tb, backward)] += calls
        return out


def epoch_times(result, may_stop_early=False):
    """Every epoch's seconds: the recipe's own per-epoch record when it keeps one (a recipe
    that reports its best model after its loop, as early stopping does), else the harness's.

    ``may_stop_early``: that own record may hold fewer epochs than the run was given, at least
    one (an early-stopping recipe whose stopper ended the run). Raises ValueError on any
    other count: a recipe reporting other than once per epoch would make every mean wrong.
    """
    runs = result.config["n_epochs"]
    own = result.extras.get("epoch_seconds")
    stopped = may_stop_early and own is not None and 0 < len(own) < runs
    seconds = own if own is not None and (len(own) == runs or stopped) else result.epoch_seconds
    if len(seconds) != runs and not stopped:
        raise ValueError(f"{result.recipe}: {len(seconds)} epoch times for {runs} epochs")
    return [float(x) for x in seconds]


def measure_recipe(target, plan):
    """The TF1 recipe's epoch: seconds, steps, rows fed and matmul shapes per epoch."""
    from tf1_recipes import numerics

    config = target.config(plan)
    _, _, _, hyper = config.resolve()
    configure_tensorflow(config.threads)
    numerics.fingerprint()  # once per process, and not inside the probe: its Session.run calls are no training step
    with SessionProbe(hyper.get("batch_size")) as probe:
        result = run_recipe(config)
    runs = plan.runs
    if probe.steps % runs:
        raise ValueError(f"{target.label}: {probe.steps} training steps do not split into {runs} equal epochs")
    seconds = epoch_times(result)
    return {
        "seconds": float(np.mean(seconds[plan.warmup:])),
        "epoch_seconds": seconds,
        "input_path": result.provenance.get("input"),  # the path its training batches took
        "steps": probe.steps // runs,
        "examples": probe.examples // runs,
        "batch_size": hyper.get("batch_size"),
        "matmuls": {shape: count / runs for shape, count in probe.matmuls.items()},
    }


# --------------------------------------------------------------------------- the TF2 side


def port_class(recipe):
    """The recipe's TF2 port class, or None when it has none yet."""
    from tf1_recipes.tf2 import NoPortError, get_port

    try:
        return get_port(recipe)
    except NoPortError:
        return None


def measure_tf_function(target, plan):
    """The TF2 port's own ``tf.function`` loop through the harness; None without a port."""
    if port_class(target.recipe) is None:
        return None
    seconds = epoch_times(run_recipe(target.config(plan, tf2=True)))
    return {"seconds": float(np.mean(seconds[plan.warmup:])), "epoch_seconds": seconds}


class EpochTimes(keras.callbacks.Callback):
    """A Keras callback keeping each epoch's wall time (``on_epoch_begin`` to ``on_epoch_end``)
    and the part of it spent validating (``on_test_begin`` to ``on_test_end``)."""

    def __init__(self):
        super().__init__()
        self.seconds, self.validation_seconds = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)

    def on_test_begin(self, logs=None):
        self._test_start = time.perf_counter()

    def on_test_end(self, logs=None):
        self.validation_seconds.append(time.perf_counter() - self._test_start)


class NotComparable(ValueError):
    """The port's model cannot be fitted on MNIST images (another input width, several inputs or outputs)."""


def batches_per_epoch(target, plan):
    """The batches ``run.batches`` yields per epoch: training images // batch size."""
    _, _, settings, hyper = target.config(plan).resolve()
    return len(data_lib.load_mnist(plan.data_dir, settings["train_size"]).train.images) // hyper["batch_size"]


def keras_fit_setup(target, steps, plan):
    """(model, fit arguments, notes): the port's model and optimizer compiled for ``model.fit``.

    The data: the first ``steps * batch_size`` MNIST training images (every batch full, as
    many steps as the recipe's epoch) and the preset's eval split, labels folded into the
    model's classes. Only shapes matter for speed, so a port's per-batch preparation (selu's
    standardisation) is left out. A port that trains a top model on cached activations
    (``port.top`` on ``port.bottom``'s outputs) is fitted that way.
    """
    from tf1_recipes.tf2 import seed_everything
    from tf1_recipes.tf2.base import Port

    cls = port_class(target.recipe)
    _, _, settings, hyper = target.config(plan).resolve()
    seed_everything(settings["seed"])
    port = cls(**hyper)
    mnist = data_lib.load_mnist(plan.data_dir, settings["train_size"])
    eval_split = {"test": mnist.test, "valid": mnist.validation, "train": mnist.train}[settings["eval_split"]]
    batch_size = hyper["batch_size"]
    X_train = np.resize(mnist.train.images, (steps * batch_size, mnist.train.images.shape[1]))
    y_train = np.resize(mnist.train.labels, steps * batch_size)
    X_eval, y_eval = eval_split.images, eval_split.labels
    model, notes = port.model, []
    top, bottom = getattr(port, "top", None), getattr(port, "bottom", None)
    if isinstance(top, keras.Model) and isinstance(bottom, keras.Model):
        model = top
        X_train, X_eval = bottom.predict(X_train, batch_size=4096, verbose=0), bottom.predict(X_eval, batch_size=4096, verbose=0)
        notes.append("fit trains port.top on port.bottom's cached outputs")
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise NotComparable(f"the port's model has {len(model.inputs)} inputs and {len(model.outputs)} outputs")
    if model.input_shape[-1] != X_train.shape[1]:
        raise NotComparable(f"the port's model takes inputs {model.input_shape}, not MNIST's {X_train.shape[1]} pixels")
    n_classes = model.output_shape[-1]
    extras = [name for name in PORT_EXTRAS if getattr(type(port), name) is not getattr(Port, name)]
    if extras:
        notes.append(f"fit runs the model's loss only, without the port's {', '.join(extras)}")
    model.compile(optimizer=port.optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    fit_args = dict(
        x=X_train, y=y_train % n_classes, batch_size=batch_size, validation_data=(X_eval, y_eval % n_classes),
        validation_batch_size=len(X_eval), verbose=0,
    )
    return model, fit_args, notes


def measure_keras_fit(target, steps, plan):
    """``model.fit`` of the port's model and optimizer; the mean epoch after the warm-up; None without a port."""
    if port_class(target.recipe) is None:
        return None
    model, fit_args, notes = keras_fit_setup(target, steps, plan)
    times = EpochTimes()
    model.fit(epochs=plan.runs, callbacks=[times], **fit_args)
    return {
        "seconds": float(np.mean(times.seconds[plan.warmup:])),
        "epoch_seconds": times.seconds,
        "validation_seconds": times.validation_seconds,
        "jit_compile": bool(getattr(model, "jit_compile", False)),
        "notes": notes,
    }


# --------------------------------------------------------------------------- the ports' loop against TF1

#: Columns of the ports' table (:func:`measure_port_speed`), in order: (key in a row, heading).
PORT_COLUMNS = (
    ("target", "recipe/preset"),
    ("steps", "steps"),
    ("epochs", "timed epochs"),
    ("tf1_s", "TF1 s"),
    ("before_s", "port s before"),
    ("before_over_tf1", "before/TF1"),
    ("after_s", "port s after"),
    ("after_over_tf1", "after/TF1"),
    ("after_over_tf1_paired", "after/TF1 paired median"),
    ("after_over_tf1_rounds", "after/TF1 by round"),
    ("tf1_step_ms", "TF1 ms/step"),
    ("step_alone_ms", "port step alone ms"),
    ("overhead_before_ms", "overhead/step before ms"),
    ("overhead_after_ms", "overhead/step after ms"),
    ("note", "note"),
)


@contextlib.contextmanager
def per_step_loop():
    """While active, every port's ``train_batches`` and ``train_rows`` make one ``tf.function`` call per batch.

    That is the ports' loop before issue 15 (``for X, y in batches: train_step(X, y)``),
    the benchmark's baseline: the same step function (``steps.single``), the same batches.
    Yields a Counter whose ``"steps"`` counts the steps trained meanwhile (and whose ``"epochs"``
    :func:`timed_epochs` counts, when given it, so that a row's steps per epoch is their quotient).
    """
    from tf1_recipes.tf2.base import Port

    counter = Counter()

    def train_batches(self, batches, steps=None, outputs=True):
        step = (steps or self.train_steps).single
        results = [tf.stack(tf.nest.flatten(step(X, y))).numpy() for X, y in batches]
        counter["steps"] += len(results)
        if not outputs:
            return None
        return np.stack(results) if results else np.zeros((0, 1), np.float32)

    singles = {}

    def train_rows(self, train, rows, step=None, outputs=True):
        labels = self.step_signature()[1].dtype.as_numpy_dtype
        batches = ((self.prepare(train.images[r]), np.asarray(train.labels[r], labels)) for r in rows)
        if step is None:
            return self.train_batches(batches, outputs=outputs)
        single = singles.setdefault(step, tf.function(step))  # a part of the model's step, one call per batch
        results = [tf.stack(tf.nest.flatten(single(X, y))).numpy() for X, y in batches]
        counter["steps"] += len(results)
        if not outputs:
            return None
        return np.stack(results) if results else np.zeros((0, 1), np.float32)

    own = Port.train_batches, Port.train_rows
    Port.train_batches, Port.train_rows = train_batches, train_rows
    try:
        yield counter
    finally:
        Port.train_batches, Port.train_rows = own


def timed_epochs(config, warmup, counter=None):
    """The seconds of each epoch after ``warmup`` of one harness run of ``config``.

    An early-stopping recipe may end the run before ``config.n_epochs``: then the epochs it
    trained after the warm-up. ``counter``, a Counter: its ``"epochs"`` counts every epoch the
    run trained, warm-up included. Raises ValueError when the run trained none after the warm-up.
    """
    seconds = epoch_times(run_recipe(config), may_stop_early=True)
    if len(seconds) <= warmup:
        raise ValueError(f"{config.recipe}: stopped after {len(seconds)} epoch(s), none timed after {warmup} warm-up")
    if counter is not None:
        counter["epochs"] += len(seconds)
    return seconds[warmup:]


def timed_epoch(config, warmup):
    """Mean seconds of the epochs after ``warmup`` of one harness run of ``config`` (:func:`timed_epochs`)."""
    return float(np.mean(timed_epochs(config, warmup)))


def paired_means(first, second):
    """The means of two runs' timed epochs over the epochs both trained: ``(mean of first, mean of second, n)``.

    An early-stopping recipe and its port may stop at different epochs (their last bits differ);
    each round compares the same epochs of both runs.
    """
    n = min(len(first), len(second))
    return float(np.mean(first[:n])), float(np.mean(second[:n])), n


def port_plan(target, plan, log=print):
    """The plan of ``target``'s rounds in the ports' table: ``plan``, with more timed epochs where one is short.

    With ``plan.min_seconds`` (0: ``plan`` as it is), one untimed run of the TF1 recipe
    (``plan.warmup`` epochs, then one) estimates an epoch's seconds ``t``; the rounds then time
    ``max(plan.epochs, ceil(min_seconds / t))`` epochs, at most the preset's ``n_epochs`` less the
    warm-up: as many as would take about ``min_seconds`` in all, as :meth:`timeit.Timer.autorange`
    repeats a short statement until it takes 0.2 s (which times the growing total instead of
    extrapolating from one sample). A steady-state epoch of a recipe whose epoch is a few
    dozen steps and a checkpoint write when the model improves (``transfer_digits_5_to_9``: 25
    steps) is then the mean over the run's epochs with and without a write, not over its first
    epochs, each of which improves and writes. The estimate is such a first epoch (with
    ``warmup`` 0, the cold one), longer than the steady state, so the timed total may fall
    short of ``min_seconds``; an early-stopping run may also end sooner. A target without
    epochs (no ``n_epochs`` hyperparameter) keeps ``plan``.
    """
    if not plan.min_seconds or not target.is_training:
        return plan
    estimate = timed_epoch(target.config(dataclasses.replace(plan, epochs=1)), plan.warmup)
    preset_epochs = get_recipe(target.recipe).preset(target.preset)[1]["n_epochs"]
    wanted = max(plan.epochs, math.ceil(plan.min_seconds / max(estimate, 1e-7)))
    epochs = max(plan.epochs, min(wanted, preset_epochs - plan.warmup))
    if epochs != plan.epochs:
        log(f"{target.label}: an epoch took {estimate:.3g} s; timing {epochs} epochs a run")
    return dataclasses.replace(plan, epochs=epochs)


def loop_overhead(target, plan, n_steps=200, repeats=3):
    """Seconds per step a port's loop spends beyond its steps, one call per batch vs its own loop.

    The port (built from ``target``'s preset) trains ``n_steps`` real MNIST batches of the
    preset's batch size (at most as many as the training set holds;
    :func:`tf1_recipes.tf2.parity.fixed_batches`; labels folded into the model's classes, the
    first output's for a model with towers) three ways, interleaved ``repeats`` times after one
    untimed round:
    ``alone``, one ``train_steps.without_outputs`` call on a ``tf.data.Dataset`` built
    beforehand (the steps themselves, nothing returned, as ``Port.fit`` trains); ``before``, one
    ``train_step`` call per batch (each returning its loss, as the loop before issue 15);
    ``after``, the loop of ``Port.fit`` (``train_rows``: the batches held as tensors,
    ``steps_per_execution`` rows of indices per call of its
    :func:`~tf1_recipes.tf2.base.gather_steps_function`, ``outputs=False``). Returns ``{"alone": s, "before": s, "after": s}``
    (``alone``: its median per step; the others: their median minus ``alone``'s, per step) or
    None for a port whose step takes other inputs than MNIST images and int64 classes.
    """
    from tf1_recipes.tf2 import parity, seed_everything

    cls = port_class(target.recipe)
    _, _, settings, hyper = target.config(plan).resolve()
    seed_everything(settings["seed"])
    port = cls(**hyper)
    X_spec, y_spec = port.step_signature()
    if X_spec.shape[-1] != 28 * 28 or y_spec.dtype != tf.int64 or y_spec.shape.rank != 1:
        return None
    outputs = port.model.output_shape
    n_classes = (outputs[0] if isinstance(outputs, list) else outputs)[-1]  # a model with towers: the first's
    n_steps = min(n_steps, data_lib.load_mnist().train.num_examples // hyper["batch_size"])  # batch_size_gap's 2048: 26
    batches = [(X, y % n_classes) for X, y in parity.fixed_batches(n_steps, hyper["batch_size"])]
    staged = tf.data.Dataset.from_tensor_slices((np.stack([X for X, _ in batches]), np.stack([y for _, y in batches])))
    # The training set held as tensors and the batches' rows in it, as Port.fit's train_rows gathers them.
    gathered = gather_steps_function(port._train_step, tf.constant(np.concatenate([X for X, _ in batches])),
                                     tf.constant(np.concatenate([y for _, y in batches])))
    rows = np.arange(n_steps * hyper["batch_size"], dtype=np.int64).reshape(n_steps, hyper["batch_size"])
    calls = [tf.constant(rows[i:i + port.steps_per_execution]) for i in range(0, n_steps, port.steps_per_execution)]
    ways = {
        "alone": lambda: port.train_steps.without_outputs(staged),
        "before": lambda: [tf.nest.map_structure(np.asarray, port.train_step(X, y)) for X, y in batches],
        "after": lambda: [gathered(call, outputs=False) for call in calls],
    }
    times = {way: [] for way in ways}
    for round_ in range(repeats + 1):
        for way, fn in ways.items():
            start = time.perf_counter()
            fn()
            if round_:  # round 0 traces
                times[way].append(time.perf_counter() - start)
    alone = statistics.median(times["alone"])
    return {"alone": alone / n_steps, **{way: (statistics.median(times[way]) - alone) / n_steps for way in ("before", "after")}}


def before_rounds(repeats, before_repeats=None):
    """In how many of ``repeats`` rounds the loop before issue 15 is timed: ``before_repeats`` (at most
    ``repeats``), by default every round.

    Raises:
        ValueError: ``before_repeats`` below 1 (the steps per epoch are counted in those rounds).
    """
    if before_repeats is None:
        return repeats
    if before_repeats < 1:
        raise ValueError(f"before_repeats must be at least 1 (the steps per epoch are counted there), got {before_repeats}")
    return min(before_repeats, repeats)


def measure_port_speed(target, plan, repeats=3, log=print, before_repeats=None):
    """One row of the ports' table (keys of :data:`PORT_COLUMNS`, plus the raw epoch times).

    ``repeats`` rounds of harness runs, each ``plan.warmup`` epochs then the timed ones
    (``plan.epochs``, or more where an epoch is short: :func:`port_plan`): the TF1 recipe and the
    port with its own loop back to back, in alternating order (TF1 first in rounds 1, 3, ...,
    the port first in rounds 2, 4, ...: neither always runs on the heels of the other target's
    runs), each round's pair averaged over the epochs both trained (:func:`paired_means`; the
    row's ``epochs``: that count, or its range over the rounds), then, in the first
    ``before_repeats`` rounds (default every round), the port with :func:`per_step_loop`; the
    loop-overhead probe (:func:`loop_overhead`) runs as many rounds. Medians over the rounds;
    the TF1 and port runs of a round are a pair, whose ratios :func:`round_ratios` and
    :func:`paired_median` summarise. A target without a port or without epochs is listed with
    a note.
    """
    before_repeats = before_rounds(repeats, before_repeats)
    row = {"target": target.label, "recipe": target.recipe, "preset": target.preset}
    if not target.is_training:
        row["note"] = "not a training recipe"
        return row
    if port_class(target.recipe) is None:
        row["note"] = "no port"
        return row
    runs = {"tf1": [], "before": [], "after": []}
    timed = []  # epochs each round's pair timed
    try:
        plan = port_plan(target, plan, log)
        for round_ in range(repeats):
            log(f"{target.label}: round {round_ + 1}/{repeats} ...")
            pair = {key: timed_epochs(target.config(plan, tf2=key == "after"), plan.warmup)
                    for key in (("tf1", "after") if round_ % 2 == 0 else ("after", "tf1"))}
            tf1_mean, after_mean, n = paired_means(pair["tf1"], pair["after"])
            runs["tf1"].append(tf1_mean)
            runs["after"].append(after_mean)
            timed.append(n)
            if round_ < before_repeats:
                with per_step_loop() as counter:
                    runs["before"].append(float(np.mean(timed_epochs(target.config(plan, tf2=True), plan.warmup, counter))))
    except Exception as err:  # noqa: BLE001  (one row's failure is reported in the row)
        row["note"] = f"error: {one_line(err)}"
        log(f"{target.label}: {row['note']}")
        return row
    try:
        overhead = loop_overhead(target, plan, repeats=before_repeats)
    except Exception as err:  # noqa: BLE001  (the epochs stand; the overhead probe's failure is noted)
        overhead = f"overhead not measured: {one_line(err)}"
    medians = {key: statistics.median(times) for key, times in runs.items()}
    row.update(
        steps=counter["steps"] // counter["epochs"],  # the last per-step-loop run: steps per epoch
        epochs=str(min(timed)) if min(timed) == max(timed) else f"{min(timed)}-{max(timed)}",
        tf1_s=significant(medians["tf1"]), before_s=significant(medians["before"]), after_s=significant(medians["after"]),
        before_over_tf1=ratio(medians["before"], medians["tf1"]), after_over_tf1=ratio(medians["after"], medians["tf1"]),
        after_over_tf1_paired=paired_median(runs["after"], runs["tf1"]),
        after_over_tf1_rounds=round_ratios(runs["after"], runs["tf1"]), epoch_seconds=runs, note="",
    )
    if overhead is None:
        row["note"] = "overhead: the port's step takes no MNIST batch"
    elif isinstance(overhead, str):
        row["note"] = overhead
    else:
        row.update({f"{key}_ms": significant(overhead[way] * 1e3)
                    for key, way in (("step_alone", "alone"), ("overhead_before", "before"), ("overhead_after", "after"))})
    if row["steps"]:
        row["tf1_step_ms"] = significant(medians["tf1"] / row["steps"] * 1e3)  # evaluation included
    log(f"{target.label}: TF1 {row['tf1_s']} s, port before {row['before_s']} s ({row['before_over_tf1']}x), "
        f"after {row['after_s']} s ({row['after_over_tf1']}x)")
    return row


def paired_median(port_seconds, tf1_seconds):
    """The median of the rounds' own port/TF1 ratios (each round's two runs back to back), to 4 significant digits.

    Beside the ratio of the two medians: a round's two runs share the machine's load of
    that moment, so their ratio is free of the drift between rounds that the medians of
    each side, taken over all rounds, still carry.
    """
    return significant(statistics.median(p / t for p, t in zip(port_seconds, tf1_seconds)))


def round_ratios(port_seconds, tf1_seconds):
    """``"lowest-highest"`` of each round's own port/TF1 ratio (its two runs back to back), or the one ratio of one round.

    The spread of these is the machine's noise on the ratio: a median within it of 1.0 is a tie.
    """
    ratios = sorted(ratio(p, t) for p, t in zip(port_seconds, tf1_seconds))
    low, high = ratios[0], ratios[-1]
    return str(low) if low == high else f"{low}-{high}"


def measure_ports(targets, plan=Plan(), repeats=3, log=print, before_repeats=None):
    """The ports' table as one JSON-ready report: the environment, the settings, a row per target.

    ``before_repeats``: in how many of the ``repeats`` rounds the loop before issue 15 is timed
    (default every round; :func:`measure_port_speed`).
    """
    before_repeats = before_rounds(repeats, before_repeats)
    report = {"environment": environment(),
              "settings": {**dataclasses.asdict(plan), "repeats": repeats, "before_repeats": before_repeats}}
    report["rows"] = [measure_port_speed(t, plan, repeats, log, before_repeats) for t in targets]
    report["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return report


def port_summary_lines(report):
    """The ports' table caption: machine, load, what each column is."""
    s, env = report["settings"], report["environment"]
    rows = [r for r in report["rows"] if isinstance(r.get("after_over_tf1"), float)]
    over = [f"{r['target']} ({r['after_over_tf1']}; paired median {r['after_over_tf1_paired']}; rounds "
            f"{r['after_over_tf1_rounds']})" for r in rows if r["after_over_tf1"] > 1.0]
    over_paired = [r["target"] for r in rows if r["after_over_tf1_paired"] > 1.0]
    return [
        f"{env['cpu']}, {env['cores']} cores, TF {env['tf_version']}, Keras {env['keras_version']}, "
        f"{env['intra_op_threads']} intra-op thread(s); load average at start {env['load_average']}, "
        f"at end {report['load_average_end']}",
        f"Each s column: median over its rounds of the mean of the timed epochs after {s['warmup']} warm-up "
        f"epoch(s): {s['epochs']}, or more where one is short, about {s.get('min_seconds', 0.0):g} s in all (0: no more; "
        "an early-stopping run may end sooner); harness epoch_seconds (first batch to report, evaluation included). Input path (TF1 and ports): "
        + (s.get("input_path") or "feed_dict") + f". Rounds: {s['repeats']}, each the TF1 run and the port's (after) "
        "back to back, TF1 first in odd rounds and the port first in even ones, then, in the first "
        f"{s['before_repeats']}, the port before.",
        "before: one tf.function call per batch (the ports' loop before issue 15); after: the ports' loop "
        "(Port.fit: on the in_graph path each batch gathered by its rows, steps_per_execution per call). port step "
        "alone: one train_steps call on a staged dataset of 200 batches, per step; overhead/step: a loop's time per "
        "step beyond that (after: the gathering loop, so below 0 where gathering beats iterating the staged "
        "dataset). after/TF1: the ratio of the two medians; paired median: the median of the rounds' own ratios "
        "(each round's TF1 and port runs back to back, under the same load); by round: the lowest and highest of "
        "those, the spread the machine's noise gives the ratio. TF1 ms/step: its epoch / steps.",
        f"ports at most 1.0x their TF1 recipe after: {len(rows) - len(over)} of {len(rows)}"
        + (f"; above: {', '.join(over)}" if over else ""),
        f"by the paired median: {len(rows) - len(over_paired)} of {len(rows)}"
        + (f"; above: {', '.join(over_paired)}" if over_paired else ""),
    ]


# --------------------------------------------------------------------------- the compute floor


def matmul_batch(m, k, n, transpose_a=False, transpose_b=False, r=1):
    """A callable running ``r`` independent float32 ``tf.linalg.matmul`` of one shape in one ``tf.function``.

    ``a`` is (m, k) (or (k, m) with ``transpose_a``), ``b`` (k, n) (or (n, k)); the ``r`` left
    operands are distinct tensors and each product is consumed by one scalar slice and add,
    so Grappler can neither merge nor prune any of them. Traced and run once before it is returned.
    """
    rng = np.random.default_rng(0)
    As = [tf.constant(rng.random((k, m) if transpose_a else (m, k), dtype=np.float32)) for _ in range(r)]
    b = tf.constant(rng.random((n, k) if transpose_b else (k, n), dtype=np.float32))

    @tf.function
    def matmuls(As, b):
        total = tf.constant(0.0)
        for a in As:
            total += tf.linalg.matmul(a, b, transpose_a=transpose_a, transpose_b=transpose_b)[0, 0]
        return total

    def run():
        return matmuls(As, b).numpy()

    run()
    return run


class MatmulTimer:
    """Seconds per ``tf.linalg.matmul`` at a shape, measured once per shape and kept.

    :func:`matmul_batch` with ``r`` chosen so a call lasts at least ``min_seconds`` (the
    call's own overhead then amortised); the best of ``repeats`` calls, divided by ``r``.
    The best, not the mean: a floor. In the process's TensorFlow thread configuration (one
    intra-op thread, like the recipes).
    """

    def __init__(self, min_seconds=0.02, repeats=5, max_r=200):
        self.min_seconds, self.repeats, self.max_r = min_seconds, repeats, max_r
        self.seconds = {}  # (m, k, n, transpose_a, transpose_b) -> seconds per matmul

    def __call__(self, m, k, n, transpose_a=False, transpose_b=False):
        key = (int(m), int(k), int(n), bool(transpose_a), bool(transpose_b))
        if key not in self.seconds:
            estimate = self._best(key, 2, repeats=2)
            r = min(self.max_r, max(2, math.ceil(self.min_seconds / max(estimate, 1e-7))))
            self.seconds[key] = self._best(key, r, self.repeats)
        return self.seconds[key]

    def flops_per_second(self, m, k, n, transpose_a=False, transpose_b=False):
        return 2.0 * m * k * n / self(m, k, n, transpose_a, transpose_b)

    @staticmethod
    def _best(key, r, repeats):
        run = matmul_batch(*key, r=r)
        best = math.inf
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - start)
        return best / r


def flops(matmuls):
    """Floating-point operations of ``{(m, k, n, ta, tb, backward): count}``: 2 m k n each."""
    return sum(2.0 * m * k * n * count for (m, k, n, *_), count in matmuls.items())


def floor_seconds(matmuls, timer):
    """The time TensorFlow's matmul needs for ``matmuls`` at their own shapes."""
    return sum(timer(m, k, n, ta, tb) * count for (m, k, n, ta, tb, _), count in matmuls.items())


# --------------------------------------------------------------------------- memory and the golden tier


def peak_memory_mib(target, data_dir=None):
    """Peak resident memory (MiB) of a child process running ``target`` for one epoch via the CLI."""
    command = [sys.executable, "-m", "tf1_recipes", "run", target.recipe, "--preset", target.preset,
               "--epochs", "1", "--no-progress"]
    if data_dir:
        command += ["--data-dir", str(data_dir)]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 1):  # 1: a check failed, the run itself completed
        raise RuntimeError(f"{' '.join(command)} exited {child.returncode}: {stderr.decode()[-2000:]}")
    kib = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024
    return {"target": target.label, "peak_rss_mib": round(kib / 1024, 1), "command": " ".join(command[1:])}


def project_root():
    """The source tree holding ``tests/`` (the golden tier runs there)."""
    return Path(__file__).resolve().parent.parent


def run_golden_tier(workers=2):
    """Run ``pytest -m golden -n workers`` in the project and time it (wall clock)."""
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "golden.xml"
        command = [sys.executable, "-m", "pytest", "-m", "golden", "-n", str(workers), "-q", "-p", "no:cacheprovider",
                   f"--junitxml={junit}"]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=project_root(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wall = time.perf_counter() - start
        summary = read_golden_report(junit) if junit.exists() else {}
    return {**summary, "wall_seconds": round(wall, 1), "source": "run: " + " ".join(command[2:]),
            "exit_code": done.returncode}


def read_golden_report(path):
    """The golden tier's time from a pytest JUnit XML (wall time of the session) or a
    ``--durations=0`` listing (the sum of the test phases: serial time, not wall time)."""
    path = Path(path)
    text = path.read_text()
    if text.lstrip().startswith("<"):
        root = ElementTree.fromstring(text)
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        count = lambda attr: sum(int(s.get(attr, 0)) for s in suites)  # noqa: E731
        return {
            "wall_seconds": round(sum(float(s.get("time", 0)) for s in suites), 1),
            "tests": count("tests"), "failures": count("failures"), "errors": count("errors"),
            "skipped": count("skipped"), "source": f"junit: {path}",
        }
    phases = re.findall(r"^\s*([0-9.]+)s\s+(?:call|setup|teardown)\s+\S+", text, flags=re.M)
    if not phases:
        raise ValueError(f"{path}: neither a JUnit XML file nor pytest --durations output")
    return {"serial_seconds": round(sum(map(float, phases)), 1), "phases": len(phases), "source": f"durations: {path}"}


# --------------------------------------------------------------------------- one row, the table


def ratio(numerator, denominator):
    """numerator / denominator to 4 significant digits; None unless both are positive numbers."""
    numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0 for x in (numerator, denominator))
    return significant(numerator / denominator) if numbers else None


def significant(x, digits=4):
    """``x`` rounded to ``digits`` significant digits (small and large values alike stay readable)."""
    return float(f"{x:.{digits}g}")


def one_line(err, limit=200):
    """An exception as one short line for a table cell: its type and the last line of its message."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    text = f"{type(err).__name__}: {lines[-1] if lines else ''}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def measure_target(target, plan, timer, square=SQUARE, log=print):
    """One row of the table (a dict keyed like :data:`COLUMNS`, plus the raw measurements).

    A column that cannot be measured says ``n/a`` (a port whose model does not take MNIST
    images) or ``error`` (anything else), and the note says why; the other rows are still measured.
    """
    row = {"target": target.label, "recipe": target.recipe, "preset": target.preset}
    if not target.is_training:
        row["note"] = "not a training recipe"
        return row
    notes = []
    log(f"{target.label}: recipe ...")
    try:
        recipe = measure_recipe(target, plan)
    except Exception as err:  # noqa: BLE001  (one row's failure is reported in the row)
        row.update(recipe_s="error", note=f"recipe: {one_line(err)}")
        log(f"{target.label}: {row['note']}")
        return row
    if not recipe["steps"]:
        notes.append("no training step seen (a Session entry point SessionProbe does not watch?)")
    if plan.input_path and recipe["input_path"] != plan.input_path:
        notes.append(f"its batches took the {recipe['input_path']} input path")
    row.update(batch_size=recipe["batch_size"], steps=recipe["steps"], examples=recipe["examples"],
               input_path=recipe["input_path"],
               recipe_s=significant(recipe["seconds"]), recipe_epoch_seconds=recipe["epoch_seconds"])
    row["steps_per_s"] = significant(recipe["steps"] / recipe["seconds"])
    row["examples_per_s"] = significant(recipe["examples"] / recipe["seconds"])
    if port_class(target.recipe) is None:
        row["keras_fit_s"] = row["tf_function_s"] = "no port"
    else:
        for key, what, fn, args in (
            ("tf_function", "tf.function loop", measure_tf_function, (target, plan)),
            ("keras_fit", "Keras fit", measure_keras_fit, (target, recipe["steps"], plan)),
        ):
            log(f"{target.label}: {what} ...")
            try:
                measured = fn(*args)
            except NotComparable as err:
                row[f"{key}_s"] = "n/a"
                notes.append(f"{what}: {err}")
                continue
            except Exception as err:  # noqa: BLE001
                row[f"{key}_s"] = "error"
                notes.append(f"{what}: {one_line(err)}")
                log(f"{target.label}: {notes[-1]}")
                continue
            row[f"{key}_s"] = significant(measured["seconds"])
            row.update({f"{key}_{k}": v for k, v in measured.items() if k not in ("seconds", "notes")})
            notes += measured.get("notes", [])
        row["recipe_over_fit"] = ratio(recipe["seconds"], row["keras_fit_s"])
        row["recipe_over_tf_function"] = ratio(recipe["seconds"], row["tf_function_s"])
    matmuls = recipe["matmuls"]
    row["gflop"] = significant(flops(matmuls) / 1e9)
    row["gflop_forward"] = significant(flops({s: c for s, c in matmuls.items() if not s[-1]}) / 1e9)
    if matmuls:
        log(f"{target.label}: matmul floor ...")
        row["floor_s"] = significant(floor_seconds(matmuls, timer))
        row["floor_square_s"] = significant(flops(matmuls) / timer.flops_per_second(square, square, square))
        row["floor_over_recipe"] = ratio(row["floor_s"], recipe["seconds"])
        row["floor_square_over_recipe"] = ratio(row["floor_square_s"], recipe["seconds"])
        row["matmul_shapes"] = [
            {"m": m, "k": k, "n": n, "transpose_a": ta, "transpose_b": tb, "backward": bw, "per_epoch": count,
             "seconds_each": timer.seconds[(m, k, n, ta, tb)]}
            for (m, k, n, ta, tb, bw), count in sorted(matmuls.items())
        ]
    else:
        notes.append("no matmul in its training step")
    row["note"] = "; ".join(notes)
    log(f"{target.label}: recipe {_cell(row['recipe_s'])} s, fit {_cell(row.get('keras_fit_s'))} s, "
        f"tf.fn {_cell(row.get('tf_function_s'))} s, floor {_cell(row.get('floor_s'))} s")
    return row


def cache_comparisons(rows):
    """For each cached recipe measured beside its uncached twin: both epochs and the speed-up."""
    by_label = {row["target"]: row for row in rows}
    out = []
    for cached, uncached in CACHED_VS_UNCACHED.items():
        a, b = by_label.get(Target.parse(cached).label), by_label.get(Target.parse(uncached).label)
        if a and b and a.get("recipe_s") and b.get("recipe_s"):
            out.append({"cached": a["target"], "uncached": b["target"], "cached_s": a["recipe_s"],
                        "uncached_s": b["recipe_s"], "speedup": ratio(b["recipe_s"], a["recipe_s"])})
    return out


def annotate_cache_rows(rows, comparisons):
    """Put each cached recipe's speed-up over its uncached twin in its note."""
    by_label = {row["target"]: row for row in rows}
    for comp in comparisons:
        row = by_label[comp["cached"]]
        text = f"{comp['speedup']}x faster than {comp['uncached']} ({comp['uncached_s']} s)"
        row["note"] = "; ".join(filter(None, [text, row.get("note")]))


def environment():
    """Where and when the benchmark ran: enough to tell whether two tables are comparable."""
    return {
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "tf_version": tf.__version__,
        "keras_version": keras.__version__,
        "python": platform.python_version(),
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _cell(value):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def render_table(rows, markdown=False, columns=COLUMNS):
    """The rows as an aligned text table (or a markdown table) of ``columns`` ((key, heading) pairs)."""
    headings = [heading for _, heading in columns]
    cells = [[_cell(row.get(key)) for key, _ in columns] for row in rows]
    if markdown:
        lines = ["| " + " | ".join(headings) + " |", "|" + "|".join(" --- " for _ in headings) + "|"]
        return "\n".join(lines + ["| " + " | ".join(c.replace("|", "/") for c in line) + " |" for line in cells])
    widths = [max(len(h), *(len(line[i]) for line in cells)) for i, h in enumerate(headings)]
    fmt = lambda line: "  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip()  # noqa: E731
    return "\n".join([fmt(headings), fmt(["-" * w for w in widths])] + [fmt(line) for line in cells])


def summary_lines(report):
    """The table's caption: definitions, the square matmul, memory, the golden tier, comparisons."""
    s = report["settings"]
    env = report["environment"]
    lines = [
        f"{env['cpu']}, {env['cores']} cores, TF {env['tf_version']}, Keras {env['keras_version']}, "
        f"{env['intra_op_threads']} intra-op thread(s); load average at start {env['load_average']}, "
        f"at end {report['load_average_end']}",
        f"Each column: mean of {s['epochs']} epoch(s) after {s['warmup']} warm-up epoch(s) "
        "(graph setup, tracing and caching excluded); recipe and tf.fn: harness epoch_seconds (first batch "
        "to report, evaluation included); fit: on_epoch_begin to on_epoch_end, validation included.",
        "floor: the training steps' MatMuls at their shapes with tf.linalg.matmul; floor@sq: their FLOPs at "
        f"the {s['square']}x{s['square']} matmul's {report['square_gflops']} GFLOP/s.",
    ]
    if s.get("input_path"):
        lines.append(f"TF1 input path: {s['input_path']}.")
    if s.get("train_size"):
        lines.append(f"train_size={s['train_size']}: a quick configuration, not the reference one.")
    for comp in report["cache_comparisons"]:
        lines.append(f"cached: {comp['cached']} {comp['cached_s']} s per epoch vs {comp['uncached']} "
                     f"{comp['uncached_s']} s: {comp['speedup']}x")
    if report.get("memory"):
        m = report["memory"]
        lines.append(f"peak memory of one run ({m['command']}): {m['peak_rss_mib']} MiB")
    golden = report.get("golden_tier")
    if golden:
        what = (f"{golden['wall_seconds']} s wall" if "wall_seconds" in golden
                else f"{golden['serial_seconds']} s summed over tests (serial)")
        if "tests" in golden:
            what += f", {golden['tests']} tests, {golden['failures'] + golden['errors']} failed"
        lines.append(f"golden tier: {what} ({golden['source']})")
    return lines


def measure(targets, plan=Plan(), square=SQUARE, memory_target=None,
            golden_tier=None, golden_report=None, timer=None, log=print):
    """The whole benchmark as one JSON-ready report: every row, the comparisons, memory, golden tier."""
    timer = timer or MatmulTimer()
    report = {
        "environment": environment(),
        "settings": {**dataclasses.asdict(plan), "square": square},
    }
    log(f"matmul {square}x{square} ...")
    report["square_gflops"] = round(timer.flops_per_second(square, square, square) / 1e9, 1)
    rows = [measure_target(t, plan, timer, square, log) for t in targets]
    report["cache_comparisons"] = cache_comparisons(rows)
    annotate_cache_rows(rows, report["cache_comparisons"])
    report["rows"] = rows
    if memory_target is not None:
        log(f"peak memory: {memory_target.label} ...")
        report["memory"] = peak_memory_mib(memory_target, plan.data_dir)
    if golden_tier:
        log(f"golden tier: pytest -m golden -n {golden_tier} ...")
        report["golden_tier"] = run_golden_tier(golden_tier)
    elif golden_report:
        report["golden_tier"] = read_golden_report(golden_report)
    report["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return report


def to_json(report):
    """The report as JSON (tuples become lists, the shapes' keys strings)."""
    return json.dumps(report, indent=1, default=str)
