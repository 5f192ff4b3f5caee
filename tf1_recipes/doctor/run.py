"""Running the checklist: on a target, on your own graph (:func:`diagnose`), on a recipe (:func:`diagnose_recipe`)."""

import time

from tf1_recipes.compat import tf
from tf1_recipes.doctor import target as targets
from tf1_recipes.doctor.checklist import CHECKS
from tf1_recipes.doctor.checks import Budget
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
        except Exception as err:  # noqa: BLE001  (a check that cannot run on this graph says so; never a crash)
            first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            findings.append(Finding(name, WARN, f"could not run: {type(err).__name__}: {first_line[:200]}",
                                    "the graph does not follow the conventions this check needs (X, y, loss/loss, "
                                    "training); pass them to doctor.diagnose()"))
            try:
                target.restore()
            except tf.errors.OpError:
                pass
    return Report(target.name, findings, time.perf_counter() - start, list(target.notes))



def diagnose(graph, data, *, loss=None, train_op=None, budget=None, checks=None, **target_options):
    """Run the checklist on your own TF1 graph.

    Args:
        graph: the ``tf.Graph`` to examine. The doctor adds a few ops to it (gradients, a
            gradient-descent step for the learning-rate sweep, Adam when there is no training step).
        data: ``(X_pool, y_pool)``, array-likes with one example per row; the checks sample their
            batches (8 to 256 examples, see :class:`~tf1_recipes.doctor.checks.Budget`) from them.
        loss: the tensor (or its name) the optimiser minimises; default ``loss/loss:0``, else the loss
            the training step differentiates, else the LOSSES collection.
        train_op: one training step, any fetch (an op, or a list such as ``[training_op, update_ops]``);
            default the TRAIN_OP collection. Without one, checks that train use the doctor's Adam(1e-3).
        budget: how much work the checks do (:class:`~tf1_recipes.doctor.checks.Budget`); default the
            full budget, ``Budget.quick()`` for a smoke test.
        checks: names of the checks to run (see :data:`~tf1_recipes.doctor.checklist.CHECKS`); default all.
        **target_options: passed to :func:`tf1_recipes.doctor.target.from_graph`: ``X``, ``y``,
            ``training`` (tensors or names; default ``X:0``, ``y:0``, ``training:0``), ``session`` (holding
            the values to start from; default a new session that runs the initialiser), ``train_feed``,
            ``eval_feed`` (extra feed entries, e.g. ``{learning_rate: 0.01}``), ``learning_rate``, ``name``.

    Returns:
        A :class:`~tf1_recipes.doctor.report.Report`: ``status`` ("PASS", "WARN" or "FAIL"), ``seconds``
        (wall-clock seconds of the checks), ``notes``, and one
        :class:`~tf1_recipes.doctor.report.Finding` per check in run order, whose ``numbers`` holds what
        the check measured (keys and units in the Finding's docstring). The variables hold their initial
        values again afterwards; the session stays open.

    Raises:
        DoctorError: the graph has no input placeholder or no loss tensor to examine.
        KeyError: a name in ``checks`` is not a check.
    """
    target = targets.from_graph(graph, data, loss=loss, train_op=train_op, **target_options)
    return run_checks(target, budget, checks)


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
