"""Running the checklist: on a target, on your own graph (:func:`diagnose`), on a recipe (:func:`diagnose_recipe`)."""

import time

from tf1_recipes.compat import error_cause, tf
from tf1_recipes.doctor import target as targets
from tf1_recipes.doctor.checklist import CHECKS
from tf1_recipes.doctor.checks import Budget, CannotRun
from tf1_recipes.doctor.report import SKIP, WARN, Finding, Report


def run_checks(target, budget=None, checks=None):
    """Every check (or those named) on a :class:`~tf1_recipes.doctor.target.Target`; returns a :class:`Report`.

    ``checks`` names checks of the checklist (:data:`~tf1_recipes.doctor.checklist.CHECKS`), run in the
    order given; None runs them all in the checklist's order. A check never raises: one that cannot run
    on this graph is a WARN finding saying why, and the variables are put back to their initial values.
    An unknown name raises KeyError.
    """
    unknown = [name for name in checks or () if name not in CHECKS]
    if unknown:
        raise KeyError(f"unknown check(s) {', '.join(unknown)}; the checks are {', '.join(CHECKS)}")
    budget = budget or Budget()
    start = time.perf_counter()
    findings = []
    for name in checks or CHECKS:
        if target.data is None or target.X is None:
            findings.append(Finding(name, SKIP, "no data to feed: the graph has no recognisable input "
                                    "placeholder (X) fed by a recorded training step"))
            continue
        if target.loss is None:
            findings.append(Finding(name, SKIP, "no loss tensor: name it loss/loss (or pass loss= to "
                                    "doctor.diagnose)"))
            continue
        began = time.perf_counter()
        try:
            findings.append(CHECKS[name].run(target, budget))
            findings[-1].numbers["seconds"] = round(time.perf_counter() - began, 3)
        except CannotRun as err:
            findings.append(Finding(name, SKIP, str(err)))
        except Exception as err:  # noqa: BLE001  (a check that cannot run on this graph says so; never a crash)
            findings.append(Finding(name, WARN, f"could not run: {type(err).__name__}: {error_cause(err)[:200]}",
                                    "TensorFlow raised this running the check on this graph (above); the other "
                                    "checks' findings stand"))
            try:
                target.restore()
            except tf.errors.OpError:
                pass
    notes = list(target.notes)
    largest = max(budget.loss_batch, budget.wiring_batch, budget.lr_batch)
    if target.data is not None and len(target.data[0]) < largest:
        held = len(target.data[0])
        notes.append(f"the data hold {held} example{'s' if held != 1 else ''}, fewer than the {largest} a check samples: "
                     "the checks take all of them, and their numbers are as noisy as that few examples make them")
    return Report(target.name, findings, time.perf_counter() - start, notes)



def diagnose(graph, data, *, checkpoint=None, inputs=None, labels=None, loss=None, train_op=None, training=None,
             budget=None, checks=None, session=None, train_feed=None, eval_feed=None, learning_rate=None, restored=None,
             name=None, X=None, y=None):
    """Run the checklist on your own TF1 graph (what ``tf1-recipes doctor --graph`` does).

    Args:
        graph: the ``tf.Graph`` to examine, or the path of its ``.meta`` file (``PREFIX.meta`` as
            ``Saver.save`` writes it, or ``export_meta_graph``'s file), imported into a fresh graph
            (:func:`tf1_recipes.user_graph.load_model`). The doctor adds a few ops to the graph
            (gradients, a gradient-descent step for the learning-rate sweep, Adam when there is no
            training step).
        data: ``(x, y)`` array-likes, or the path of an ``.npz`` holding arrays ``x`` and ``y``.
            ``x``: inputs, one example per row, shaped as the input placeholder takes them
            (e.g. float32 [N, 784]), every value finite. ``y``: integer class labels [N] (0..C-1),
            or one-hot / probability rows [N, C] (float, each summing to 1), or 0/1 labels [N] or
            [N, 1] for a sigmoid output; they are fed in the encoding the labels placeholder takes
            (argmax or one-hot, with a note). The checks sample batches of 8 to 256 examples from
            them (:class:`~tf1_recipes.doctor.checks.Budget`).
        checkpoint: with a ``.meta`` path: a Saver prefix (or one of its files, or its folder) whose
            values the model starts from (``restored``); None: the variables' initial values.
        inputs, labels, loss, training: the input placeholder, the labels placeholder, the scalar
            loss the optimiser minimises, the scalar bool training flag: tensors, or names
            (``"name:0"``, or an op ``"name"`` for its first output). None: found by the
            conventions (:data:`tf1_recipes.user_graph.CONVENTIONS`). ``X`` and ``y`` are older
            names of ``inputs`` and ``labels``.
        train_op: what one training step fetches: an op or tensor, a name, or a list of them; the
            name ``"UPDATE_OPS"`` stands for that collection's ops (fetched beside the training op).
            None: the TRAIN_OP collection, else an op named ``train_op``/``training_op``; without
            one, checks that train use the doctor's Adam(1e-3).
        budget: how much work the checks do (:class:`~tf1_recipes.doctor.checks.Budget`); default
            the full budget, ``Budget.quick()`` for a smoke test.
        checks: names of the checks to run (see :data:`~tf1_recipes.doctor.checklist.CHECKS`); default all.
        session: with a ``tf.Graph``: the session holding the values to start from (default a new
            session that runs the initialiser). Not with a ``.meta`` path.
        train_feed, eval_feed: extra feed entries ({tensor or name: value}, e.g. ``{"lr:0": 0.01}``)
            for every training / evaluation run. A training flag fed here is kept as given: an
            ``eval_feed`` putting it True is what check 4 reports as evaluating in training mode.
        learning_rate: the model's learning rate; default read from its graph (check 7).
        restored: the starting values are trained ones (check 1 then expects a loss below chance,
            not at it); default True when ``checkpoint`` was restored, else False.
        name: the report's name; default the ``.meta`` path, or "graph".

    Returns:
        A :class:`~tf1_recipes.doctor.report.Report`: ``status`` ("PASS", "WARN" or "FAIL"), ``seconds``
        (wall-clock seconds of the checks), ``notes`` (how each tensor was found, data conversions,
        the dropout rates in the graph, what loading did), and one
        :class:`~tf1_recipes.doctor.report.Finding` per check in run order, whose ``numbers`` holds what
        the check measured (keys and units in the Finding's docstring). The variables hold their
        starting values again afterwards; a session you gave stays open, one the doctor made for a
        ``.meta`` is closed.

    Raises:
        UserGraphError (a ValueError; DoctorError is one): the .meta, checkpoint or .npz is
            missing, damaged or does not fit (one line naming the file, the cause and what to do);
            a name is not in the graph (close matches listed); no input placeholder or loss found;
            the data do not fit the placeholders; ``checkpoint`` or ``session`` given where they
            do not apply.
        KeyError: a name in ``checks`` is not a check.
    """
    import os

    from tf1_recipes import user_graph

    if isinstance(data, (str, os.PathLike)):
        data = user_graph.load_data(data)
    model = None
    if isinstance(graph, (str, os.PathLike)):
        if session is not None:
            raise targets.DoctorError("session= applies to a tf.Graph; with a .meta path the doctor makes the session "
                                      "(give checkpoint= to start from trained values)")
        model = user_graph.load_model(graph, checkpoint)
        graph, session = model.graph, model.session
        restored = model.restored if restored is None else restored
        name = name or model.meta
    elif checkpoint is not None:
        raise targets.DoctorError("checkpoint= needs graph= to be a .meta path; with a tf.Graph, pass session= holding "
                                  "the restored values (and restored=True)")
    try:
        target = targets.from_graph(graph, data, loss=loss, train_op=train_op, inputs=inputs, labels=labels,
                                    training=training, session=session, train_feed=train_feed, eval_feed=eval_feed,
                                    learning_rate=learning_rate, restored=bool(restored), name=name or "graph",
                                    source=model.meta if model is not None else "the graph",
                                    notes=model.notes if model is not None else None, X=X, y=y)
        return run_checks(target, budget, checks)
    finally:
        if model is not None:
            model.session.close()


def diagnose_recipe(recipe, preset=None, *, data_dir=None, seed=None, budget=None, checks=None,
                    max_steps=targets.MAX_RECORDED_STEPS):
    """Run the checklist on a recipe of the suite (what ``tf1-recipes doctor <recipe>`` does).

    The recipe runs under a recorder for at most ``max_steps`` of its own training steps, on one epoch
    of a small training set (512 examples, or two batches if that is more); the checks then examine its graph from the
    values it started with, sampling the recorded training batches.

    Args:
        recipe: a recipe name (``tf1-recipes list``).
        preset: one of its presets; default its reference configuration.
        data_dir: folder with the MNIST files; default ``$TF1_RECIPES_DATA``, then the cache.
        seed: overrides the preset's seed.
        budget, checks: as for :func:`diagnose`.
        max_steps: how many of the recipe's training steps to watch before stopping it.

    Returns:
        A :class:`~tf1_recipes.doctor.report.Report` as :func:`diagnose` returns, named
        ``"<recipe>/<preset>"``; its ``seconds`` include running the recipe. The session is closed.

    Raises:
        UnknownRecipeError: no such recipe or preset.
        DataError: MNIST cannot be found or verified.
        DoctorError: the recipe built no graph.
        KeyError: a name in ``checks`` is not a check.
    """
    start = time.perf_counter()
    target = targets.from_recipe(recipe, preset, data_dir=data_dir, seed=seed, max_steps=max_steps)
    try:
        report = run_checks(target, budget, checks)
    finally:
        target.session.close()
    report.seconds = time.perf_counter() - start
    return report
