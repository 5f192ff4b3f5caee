"""Running a recipe: its config, the ``run`` object a recipe talks to, and its result.

The harness does everything around a recipe's TF1 story: resolving the preset, seeding,
a fresh ``tf.Graph`` per run, the data, the batch loop's bookkeeping (progress, timing,
per-epoch lines), the checkpoint location, and the run's provenance
(:mod:`tf1_recipes.provenance`) and record (:mod:`tf1_recipes.runlog`). A recipe sees
only :class:`Run`::

    for epoch in range(n_epochs):
        for X_batch, y_batch in run.batches(batch_size):
            sess.run(training_op, feed_dict={X: X_batch, y: y_batch})
        accuracy_val = accuracy.eval(feed_dict={X: X_eval, y: y_eval})
        run.report(epoch, accuracy_val)          # prints "0 Validation accuracy: 0.9"

A recipe whose training step is TF1's ``sess.make_callable`` idiom can take it from the
harness instead, and then runs on either input path (``RecipeConfig.input_path``)::

    train_step = run.make_callable(sess, training_op, feed_list=[X, y])
    for epoch in range(n_epochs):
        for X_batch, y_batch in run.batches(batch_size):
            train_step(X_batch, y_batch)

* ``feed_dict`` (the reference): ``sess.make_callable`` itself, each batch fed from NumPy;
* ``in_graph``: the same batches in the same order, gathered in the graph from the training
  set held there (:mod:`tf1_recipes.in_graph`), with less work per step.

The run's graph is finalized when the first training batch is requested, or, for a recipe
with a loop of its own, when its first training step runs (a ``Session.run`` fetching a
``TRAIN_OP`` or a hand-written assign): a recipe that adds ops while it trains fails instead
of slowing down epoch after epoch. It is opened again when the run ends, for tools that
inspect it; the result says whether it was (``RunResult.graph_finalized``).
"""

import dataclasses
import datetime
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tf1_recipes import data as data_lib
from tf1_recipes import in_graph, outputs, runlog, session_observer, tf_private
from tf1_recipes.compat import configure_tensorflow, seed_everything, tf1
from tf1_recipes.provenance import provenance
from tf1_recipes.registry import get_recipe
from tf1_recipes.runlog import RUN_RECORD, append_run_record

SPLIT_LABELS = {"test": "Test accuracy", "valid": "Validation accuracy", "train": "Training accuracy"}
#: How training batches reach a step made by ``run.make_callable`` (see the module docstring).
INPUT_PATHS = ("feed_dict", "in_graph")


@dataclasses.dataclass
class RecipeConfig:
    """What to run: a recipe, a preset, and the few things a user overrides.

    Attributes:
        recipe: a registered recipe name (``tf1-recipes list``).
        preset: one of the recipe's presets (``"reference"``, ``"smoke"``, ...); None: its default.
        seed: the seed of the graph, NumPy and the batch order; None: the preset's.
        n_epochs: epochs to train (at least 1); None: the preset's. Only for recipes with ``n_epochs``.
        data_dir: the MNIST folder; None: ``$TF1_RECIPES_DATA``, else the user cache
            (:func:`tf1_recipes.data.locate`).
        out_dir: where the run writes ``model.ckpt``, ``runs.jsonl`` and TensorBoard events
            (held under a lock while it runs); None: a scratch directory removed afterwards.
        threads: TensorFlow's intra-op threads; None: ``$TF1_RECIPES_THREADS``, else 1
            (:func:`tf1_recipes.compat.configure_tensorflow`; fixed once per process).
        overrides: {hyperparameter or harness setting: value}, replacing the preset's
            (tests use it for tiny configurations, e.g. ``{"train_size": 500}``).
        progress: a progress bar per epoch; None: only when stdout is a terminal.
        quiet: print no per-epoch lines.
        tf2: run the recipe's TF2 port (:mod:`tf1_recipes.tf2`) instead of its TF1 graph.
        shim: run the recipe's shim port (:mod:`tf1_recipes.shim`, rung 2 of the migration:
            its TF1 model code in a ``track_tf1_style_variables`` layer, eagerly) instead.
        input_path: ``"feed_dict"`` (the reference) or ``"in_graph"``: see the module
            docstring. Not part of the configuration a golden pins: both give the same numbers.
        overwrite: run into an ``out_dir`` holding another run's ``model.ckpt`` (else
            refused: :func:`check_out_dir`).
    """

    recipe: str
    preset: str = None
    seed: int = None
    n_epochs: int = None
    data_dir: str = None
    out_dir: str = None
    threads: int = None
    overrides: dict = dataclasses.field(default_factory=dict)
    progress: bool = None
    quiet: bool = False
    tf2: bool = False
    shim: bool = False
    input_path: str = "feed_dict"
    overwrite: bool = False

    def resolve(self):
        """(recipe spec, preset name, harness settings, hyperparameters) with the overrides applied.

        ``settings`` (dict) holds the harness's keys (``seed``, ``train_size``, ``eval_split``,
        ``reader``); ``hyper`` (dict) the recipe function's keyword arguments.

        Raises:
            UnknownRecipeError: no such recipe or preset (a KeyError naming the known ones).
            ValueError: an unknown ``input_path`` or override, an ``n_epochs`` below 1 or for
                a recipe without epochs.
        """
        if self.tf2 and self.shim:
            raise ValueError("tf2 and shim are two ports of a recipe: choose one")
        if self.input_path not in INPUT_PATHS:
            raise ValueError(f"input_path must be one of {', '.join(INPUT_PATHS)}, got {self.input_path!r}")
        spec = get_recipe(self.recipe)
        preset = self.preset or spec.default_preset
        settings, hyper = spec.preset(preset)
        unknown = set(self.overrides) - set(hyper) - set(settings)
        if unknown:
            raise ValueError(f"recipe {spec.name!r} has no hyperparameter {sorted(unknown)}; it has {sorted(hyper)}")
        for key, value in self.overrides.items():
            (settings if key in settings else hyper)[key] = value
        if self.seed is not None:
            settings["seed"] = self.seed
        if self.n_epochs is not None:
            if self.n_epochs < 1:
                raise ValueError(f"n_epochs must be at least 1, got {self.n_epochs}")
            if "n_epochs" not in hyper:
                raise ValueError(f"recipe {spec.name!r} does not train for epochs: it has no n_epochs to set")
            hyper["n_epochs"] = self.n_epochs
        return spec, preset, settings, hyper


#: Keys of ``RunResult.extras`` (and of a golden's pinned runs' ``extras``) that hold wall-clock seconds,
#: not numbers the run computed: ``early_stopping``'s per-epoch ``epoch_seconds`` and
#: ``transfer_digits_5_to_9``'s ``training_seconds``. No two runs agree on them, however equal their numbers.
TIMING_EXTRAS = frozenset({"epoch_seconds", "training_seconds"})


def without_timings(extras):
    """``extras`` ({series name: values}) less its :data:`TIMING_EXTRAS`: what two runs of the same
    numerics report bit for bit."""
    return {k: v for k, v in extras.items() if k not in TIMING_EXTRAS}


@dataclasses.dataclass
class RunResult:
    """What a run produced: the metric per epoch, timings, provenance, and where it saved.

    Attributes:
        recipe, preset: what ran (the resolved names).
        config: the run's whole configuration, {setting or hyperparameter: value} (with ``seed``).
        metric: the metric's key, e.g. ``"test_accuracy"`` (``RecipeSpec.metric``, else
            ``<eval_split>_accuracy``).
        history: the metric per ``run.report`` call (floats; one per epoch for most recipes).
        epoch_seconds: wall-clock seconds per reported epoch, from its first batch to its report.
        provenance: :func:`tf1_recipes.provenance.provenance` (TF version, platform, CPU,
            numerics, data, git revision), with ``"input"`` (the input path) for a TF1 run.
        extras: {series name: list of floats} a recipe reported beside its metric.
        checkpoint_path: ``<out_dir>/model.ckpt`` when the run saved one there, else None.
        status: ``"complete"`` (a result returned by :func:`run_recipe` is always complete;
            the run record of a failed or interrupted run says ``"failed"`` / ``"interrupted"``).
        graph_finalized: for a TF1 run, whether its graph was finalized while it trained, so that no
            op could be added (the harness finalizes it when the first batch of ``run.batches`` or
            ``run.batch_rows`` is requested, or the first training step runs on it); False for a
            recipe that runs no training step on its own graph, None for a TF2 or shim run.
        graph: the run's ``tf.Graph`` (None for a TF2 run), for tests and tools; not serialised.
    """

    recipe: str
    preset: str
    config: dict
    metric: str
    history: list
    epoch_seconds: list
    provenance: dict
    extras: dict = dataclasses.field(default_factory=dict)
    checkpoint_path: str = None
    status: str = "complete"
    graph_finalized: bool = None
    graph: object = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def final(self):
        """The last metric reported (None when none was)."""
        return self.history[-1] if self.history else None

    def to_dict(self):
        """The result as JSON-ready fields (every attribute but ``graph``, plus ``final``)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "graph"}
        out["final"] = self.final
        return out

    @classmethod
    def from_record(cls, record):
        """The result a ``runs.jsonl`` record holds (:meth:`to_dict`'s fields; ``graph`` None, other keys ignored)."""
        return cls(**{f.name: record[f.name] for f in dataclasses.fields(cls) if f.name != "graph" and f.name in record})


class Run:
    """The harness as a recipe sees it: data, batches, evaluation split and reporting."""

    def __init__(self, spec, preset, settings, hyper, config, checkpoint_dir):
        self.recipe, self.preset = spec.name, preset
        self.settings, self.hyper, self.config = settings, hyper, config
        self.checkpoint_dir = Path(checkpoint_dir)
        self.history, self.epoch_seconds, self.extras = [], [], {}
        self._mnist = None
        self._epoch_start = None
        self.graph = None  # the recipe's tf.Graph (run_recipe sets it), finalized once training starts
        self._training_set = None  # in_graph.TrainingSetInGraph, once a step asked for it
        self._progress = config.progress if config.progress is not None else sys.stdout.isatty()
        self.metric = spec.metric or f"{settings['eval_split']}_accuracy"
        self.metric_label = spec.metric_label or SPLIT_LABELS.get(settings["eval_split"], self.metric)
        # TensorBoard: a run directory under <out>/tensorboard (in the scratch dir without --out).
        self.log_dir = str(runlog.run_log_dir(config.out_dir or checkpoint_dir, spec.name, preset, settings["seed"]))
        self.summaries = runlog.EpochSummaries(self.log_dir)

    # -- data ---------------------------------------------------------------------------
    @property
    def mnist(self):
        """Verified MNIST (train / validation / test), loaded on first use."""
        if self._mnist is None:
            self._mnist = data_lib.load_mnist(self.config.data_dir, self.settings["train_size"])
        return self._mnist

    @property
    def data_provenance(self):
        """The provenance of the MNIST this run read (:attr:`tf1_recipes.data.Datasets.provenance`), None if it read none."""
        return self._mnist.provenance if self._mnist is not None else None

    def train_split(self):
        """(X_train, y_train): the 55,000 training images (or the smoke subset)."""
        return self.mnist.train.images, self.mnist.train.labels

    def eval_split(self):
        """(X, y) of the split this preset evaluates on: the test or the validation set."""
        split = {"test": self.mnist.test, "valid": self.mnist.validation, "train": self.mnist.train}
        chosen = split[self.settings["eval_split"]]
        return chosen.images, chosen.labels

    def batches(self, batch_size):
        """One epoch of (X_batch, y_batch) from the preset's reference reader.

        On the in-graph input path (once ``make_callable`` made a step) each is a
        :class:`~tf1_recipes.in_graph.GatheredBatch`: the same rows, drawn the same way.
        """
        train = self.mnist.train
        if self._training_set is None and self.settings["reader"] == "next_batch":
            n_batches = train.num_examples // batch_size
            return self._epoch((train.next_batch(batch_size) for _ in range(n_batches)), n_batches)
        if self._training_set is None and self.settings["reader"] == "shuffle_batch":
            return self._epoch(data_lib.shuffle_batch(train.images, train.labels, batch_size), train.num_examples // batch_size)
        rows = self.batch_rows(batch_size)
        if self._training_set is None:  # an unknown reader: batch_rows said so
            return rows
        X_train, y_train = self._training_set.images_array, self._training_set.labels_array
        return ((in_graph.GatheredBatch(X_train, r), in_graph.GatheredBatch(y_train, r)) for r in rows)

    def batch_rows(self, batch_size):
        """One epoch of the preset's reference reader as row indices: int arrays ``[batch_size]`` into
        ``mnist.train.images`` and ``mnist.train.labels`` (in their order as loaded).

        The same draws from NumPy's RNG as :meth:`batches` (the readers' index twins,
        :meth:`tf1_recipes.data.DataSet.next_batch_indices`, :func:`tf1_recipes.data.shuffle_batch_indices`),
        so ``train.images[rows]`` is the batch ``batches`` would give, batch after batch; a
        run serves one of the two, not both. The TF2 ports gather their batches from these
        rows (:meth:`tf1_recipes.tf2.base.Port.fit`), as the TF1 recipes' in-graph path does.

        Raises:
            ValueError: the preset names a reader other than ``next_batch`` or ``shuffle_batch``.
        """
        train = self.mnist.train
        n_batches = train.num_examples // batch_size
        if self.settings["reader"] == "next_batch":
            source = (train.next_batch_indices(batch_size) for _ in range(n_batches))
        elif self.settings["reader"] == "shuffle_batch":
            source = data_lib.shuffle_batch_indices(train.num_examples, batch_size)
        else:
            raise ValueError(f"unknown reader {self.settings['reader']!r}")
        return self._epoch(source, n_batches)

    def _epoch(self, source, n_batches):
        """``source`` as one epoch's batches: the graph finalized, the epoch's clock started, a progress bar if asked."""
        self._finalize_graph()
        self._epoch_start = time.perf_counter()
        if not self._progress:
            return source
        return self._with_progress(source, n_batches)

    def make_callable(self, session, fetches, feed_list):
        """``session.make_callable(fetches, feed_list)``: a training step, called with what ``batches()`` yields.

        On the ``feed_dict`` path it is TensorFlow's own callable (``session.run`` with
        ``feed_dict={X: X_batch, y: y_batch, ...}``). On the ``in_graph`` path the training
        set is loaded into the graph (once per session) and ``batches()`` yields rows that
        the step gathers there and connects to ``X`` and ``y`` (:mod:`tf1_recipes.in_graph`);
        the other arguments (``training``, a learning rate) are fed as usual. Call it after
        the model is built and before the first ``batches()``.
        """
        if self.config.input_path != "in_graph":
            return session.make_callable(fetches, feed_list)
        if self._training_set is None:
            train = self.mnist.train
            self._training_set = in_graph.TrainingSetInGraph(session.graph, train.images, train.labels)
        self._training_set.load(session)
        return in_graph.ConnectedStep(session, fetches, feed_list, self._training_set)

    @property
    def input_path(self):
        """The input path training batches took: "in_graph" once a step was made for it, else "feed_dict"."""
        return "in_graph" if self._training_set is not None else "feed_dict"

    def _finalize_graph(self):
        """No op may be added to the run's graph from now on (training has started)."""
        if self.graph is not None and not self.graph.finalized:
            self.graph.finalize()

    def _with_progress(self, source, n_batches):
        import tf_keras

        bar = tf_keras.utils.Progbar(n_batches, width=30, unit_name="step")
        for step, batch in enumerate(source, 1):
            yield batch
            bar.update(step)

    # -- reporting ----------------------------------------------------------------------
    def report(self, epoch, value, **extras):
        """Record epoch ``epoch``'s metric (and any extra series), printing it as the reference does."""
        now = time.perf_counter()
        start = self._epoch_start if self._epoch_start is not None else self._last_report
        self.epoch_seconds.append(round(now - start, 4))
        self._epoch_start, self._last_report = None, now
        self.history.append(float(value))
        for key, extra in extras.items():
            self.extras.setdefault(key, []).append(float(extra))
        if self.config.out_dir and isinstance(epoch, int):  # a labelled result line is no TensorBoard step
            self.summaries.write(epoch, self._epoch_scalars(value, extras))
        self.log(epoch, f"{self.metric_label}:", f"{float(value):.6g}")

    def record(self, epoch, **series):
        """Record per-epoch series that are not the metric (``extras`` and TensorBoard, no history).

        For recipes whose result is not a per-epoch metric: early stopping reports the best
        model once training ended, and records each epoch's validation loss with this.
        """
        for key, value in series.items():
            self.extras.setdefault(key, []).append(float(value))
        if self.config.out_dir:
            self.summaries.write(epoch, series)

    def _epoch_scalars(self, value, extras):
        """The metric, every extra series and a configured learning rate, for TensorBoard."""
        scalars = {self.metric: value, **extras}
        rate = self.hyper.get("learning_rate")
        if "learning_rate" not in scalars and isinstance(rate, (int, float)) and not isinstance(rate, bool):
            scalars["learning_rate"] = rate
        return scalars

    def log(self, *parts):
        if not self.config.quiet:
            print(*parts, flush=True)

    @property
    def out_dir(self):
        """The run's output directory (``--out``, or a scratch directory removed after the run)."""
        return self.checkpoint_dir

    @property
    def checkpoint_path(self):
        """Where the recipe's Saver writes its final model (``<out>/model.ckpt``)."""
        return str(self.checkpoint_dir / "model.ckpt")

    def start(self):
        self._last_report = time.perf_counter()


class OutDirInUseError(ValueError):
    """``--out`` holds another run's model (one line, exit 2)."""


#: (name, what it is, whether a directory) of what a run writes in its ``--out`` besides ``model.ckpt.*``.
_OUT_ENTRIES = (
    (RUN_RECORD, "the run record", False),
    ("checkpoint", "the Saver's state file", False),  # checkpoints.STATE_FILE (which imports this module)
    (runlog.TENSORBOARD_DIR, "the TensorBoard events", True),
)


def check_out_dir(config):
    """Refuse an ``out_dir`` that cannot take the run, or already holds another run's ``model.ckpt``.

    Raises OutputPathError (:mod:`tf1_recipes.outputs`) for a path that is not and cannot
    become a directory this user can write, or that holds a directory where the run writes a
    file (``runs.jsonl``, the Saver's ``checkpoint``) or a file where it writes a directory
    (``tensorboard/``); OutDirInUseError for another run's model.

    Allowed: a fresh or checkpoint-less directory; ``config.overwrite``; an interrupted run
    to resume (a resumable recipe, ``checkpoint_every``, with a resume state there: the
    recipe's own state checks then refuse another configuration's state). Reads only.
    """
    if not config.out_dir:
        return
    spec, preset, settings, hyper = config.resolve()
    out = outputs.check_folder(config.out_dir, "--out", "the run's output")
    outputs.check_entries(out, _OUT_ENTRIES, "--out")  # found after training, it would cost the run
    held = sorted(out.glob("model.ckpt.*"))
    if not held or config.overwrite:
        return
    from tf1_recipes.resume import RESUME_DIR, STATE_NAME

    resume_state = (out / STATE_NAME).exists() or (out / RESUME_DIR).is_dir() or (out / "resume_tf2").is_dir()
    if resume_state and hyper.get("checkpoint_every"):
        return
    who, when = _last_run(out, held[0])
    raise OutDirInUseError(
        f"--out {out} holds a run of {who} from {when} ({out / 'model.ckpt'}); "
        "use another --out or pass --overwrite to replace it"
    )


def _last_run(out, held):
    """(recipe/preset, time) of the last run recorded in ``out``; the checkpoint's mtime when none is."""
    try:
        lines = (out / RUN_RECORD).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    for line in reversed(lines):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("recipe"):
            return f"{record['recipe']}/{record.get('preset')}", record.get("time", "an unknown time")
    stamp = datetime.datetime.fromtimestamp(held.stat().st_mtime, datetime.timezone.utc).isoformat(timespec="seconds")
    return "an unrecorded recipe", stamp


#: The lock a run holds on its ``--out`` (see tf1_recipes.checkpoints.directory_lock).
OUT_LOCK = ".tf1-recipes.lock"


def run_recipe(config, **fields):
    """Run one recipe in a fresh graph (or its TF2 port) and return its :class:`RunResult`.

    Args:
        config: a :class:`RecipeConfig`, or a recipe name (then ``fields`` are its other
            fields: ``run_recipe("dropout", preset="smoke", quiet=True)``).
        **fields: :class:`RecipeConfig` fields replacing ``config``'s.

    With ``out_dir`` the run holds the directory's lock (:data:`OUT_LOCK`) while it runs, so
    a second run into it refuses at once, and refuses a directory holding another run's
    model (:func:`check_out_dir`) unless ``overwrite``. It appends one record to
    ``<out_dir>/runs.jsonl`` (:func:`tf1_recipes.runlog.append_run_record`) whatever the
    outcome: ``status`` "complete", "failed" (with ``error``: the exception's type and
    message) or "interrupted" (KeyboardInterrupt); the exception is then re-raised.

    Raises:
        UnknownRecipeError: no such recipe or preset; NoPortError (one) for ``tf2`` and a
            recipe without a TF2 port, NoShimError (one) for ``shim`` and one without a shim
            port, before anything runs.
        ValueError: a bad configuration (:meth:`RecipeConfig.resolve`);
            OutDirInUseError (one) when ``out_dir`` holds another run's model, OutputPathError
            (one) when it cannot be a directory this user writes (:mod:`tf1_recipes.outputs`).
        DirectoryLockedError: another run holds ``out_dir``'s lock.
        DataError: MNIST is missing or damaged (:func:`tf1_recipes.data.load_mnist`).
        CheckpointError: a checkpoint the recipe restores is missing, damaged or of
            another model (:mod:`tf1_recipes.checkpoints`).
        Whatever else the recipe raises (a TensorFlow error), after the record is written.
    """
    if isinstance(config, str):
        config = RecipeConfig(config, **fields)
    elif fields:
        config = dataclasses.replace(config, **fields)
    spec, preset, settings, hyper = config.resolve()
    if config.tf2:
        from tf1_recipes.tf2 import get_port

        get_port(spec.name)  # a recipe without a TF2 port fails before anything runs
    if config.shim:
        from tf1_recipes.shim import get_shim

        get_shim(spec.name)  # likewise without a shim port
    if not config.out_dir:
        return _run_recipe(config, spec, preset, settings, hyper, None)
    from tf1_recipes.checkpoints import directory_lock

    out = outputs.make_folder(config.out_dir, "--out", "the run's output")  # or one line: a file, unwritable
    with directory_lock(out / OUT_LOCK, f"--out {out}"):  # a run writing into it: refused as "in use"
        check_out_dir(config)
        return _run_recipe(config, spec, preset, settings, hyper, out)


def _run_recipe(config, spec, preset, settings, hyper, out_dir):
    """The run itself, in ``out_dir`` or a scratch directory: train, then result and run record."""
    threads = configure_tensorflow(config.threads)
    scratch = None
    if out_dir is not None:
        checkpoint_dir = out_dir
    else:
        checkpoint_dir = scratch = Path(tempfile.mkdtemp(prefix=f"tf1_recipes_{spec.name}_"))
    run = Run(spec, preset, settings, hyper, config, checkpoint_dir)
    status, error = "complete", None
    graph = None if config.tf2 or config.shim else tf1.Graph()
    try:
        _train(run, spec, settings, hyper, graph)
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    except Exception as err:  # bad data, a damaged checkpoint...: the record says the run failed, and why
        status, error = "failed", f"{type(err).__name__}: {err}"
        raise
    finally:
        finalized = None if graph is None else graph.finalized
        if finalized:
            tf_private.unfinalize_graph(graph)  # training is over: tools that inspect the graph may add ops
        # A run cut short without --out has no one to hand its result to (the exception goes on), so its
        # provenance is not gathered: the numerics fingerprint costs 1.3-2 s in a new process, and the
        # user's one-line error would wait for it.
        result = _result(run, threads, status, graph, finalized) if status == "complete" or config.out_dir else None
        run.summaries.close()
        if config.out_dir:
            more = {"error": error} if error else {}
            append_run_record(config.out_dir, result, tensorboard=run.log_dir if run.summaries.written else None, **more)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return result


def _train(run, spec, settings, hyper, graph):
    """The recipe's TF1 function in ``graph`` (seeded, watched as a run's graph), or its TF2 or shim port when ``graph`` is None."""
    if graph is None:
        from tf1_recipes.shim import run_shim
        from tf1_recipes.tf2 import run_port  # eager, no graph; they seed Python, NumPy and TF

        run.start()
        (run_shim if run.config.shim else run_port)(run, settings["seed"], hyper)
        return
    with graph.as_default(), session_observer.run_graph(graph), session_observer.listen(on_run=_finalizer(run)):
        run.graph = graph
        seed_everything(settings["seed"])
        run.start()
        spec.fn(run, **hyper)


def _finalizer(run):
    """A session listener (``on_run``) that finalizes the run's graph as its first training step starts.

    For a recipe with a loop of its own, which never asks for ``run.batches()``: the first
    ``Session.run`` on the run's graph that fetches a training step
    (:func:`tf1_recipes.user_graph.is_training_fetch`: an optimiser's ``TRAIN_OP`` or a hand-written
    assign) finalizes it, so an op its loop adds fails there as well. Once finalized, a step
    costs one attribute check.
    """
    from tf1_recipes.user_graph import elements, is_training_fetch

    def on_run(proceed, session, fetches, *args):
        graph = session.graph
        if graph is run.graph and not graph.finalized and is_training_fetch(graph, elements(graph, fetches)):
            run._finalize_graph()
        return proceed(session, fetches, *args)

    return on_run


def _result(run, threads, status, graph, graph_finalized=None):
    """The :class:`RunResult` of ``run`` as it stands (complete, or cut short by an error)."""
    saved = run.checkpoint_path if run.config.out_dir and Path(run.checkpoint_path + ".index").exists() else None
    data = run.data_provenance
    return RunResult(
        recipe=run.recipe,
        preset=run.preset,
        config={**run.settings, **run.hyper},
        metric=run.metric,
        history=run.history,
        epoch_seconds=run.epoch_seconds,
        provenance=(
            provenance(threads, "tf2" if run.config.tf2 else "shim", data=data) if run.config.tf2 or run.config.shim
            else {**provenance(threads, data=data), "input": run.input_path}
        ),
        extras=run.extras,
        checkpoint_path=saved,
        status=status,
        graph_finalized=graph_finalized,
        graph=graph,
    )
