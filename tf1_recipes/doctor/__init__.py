"""``tf1-recipes doctor``: the practitioner's debugging checklist as runnable checks on a TF1 graph.

Each check prints PASS / WARN / FAIL (or SKIP when it cannot apply) with what it measured
and what to do about it. The checks, in the order they run (the table
:data:`tf1_recipes.doctor.checklist.CHECKS`, which ``--check``, the report and this list read):

{checklist}

Entry points: :func:`diagnose_recipe` (``tf1-recipes doctor <recipe>``) and, for your own
graph, :func:`diagnose` (``tf1-recipes doctor --graph MODEL.meta --data FILE.npz``)::

    report = doctor.diagnose(graph, (X_pool, y_pool), loss=loss, train_op=training_op)
    report = doctor.diagnose("run/model.ckpt.meta", "mine.npz", checkpoint="run/model.ckpt")
    print(report.format()); report.status  # "PASS", "WARN" or "FAIL"

Every check restores the variables' initial values before it returns; the checks' own
training steps are few and on small batches, so a recipe is examined in seconds.

The package, one concept per module: ``target`` (the graph, session and data under
examination, and the recorder that watches a recipe's own training steps; a user's model is
loaded and its tensors found by :mod:`tf1_recipes.user_graph`), ``checks``
(the checks), ``gradcheck`` (the finite-difference gradient check), ``report`` (findings
and the printed report), ``run`` (running the checklist), ``output`` (JSON, plots, the run
record).
"""

import importlib

from tf1_recipes.doctor import checklist
from tf1_recipes.doctor.checklist import CHECKS

if __doc__:  # None under python -OO
    __doc__ = __doc__.format(checklist=checklist.describe())

#: The public API, loaded on first use (it imports TensorFlow; the checklist does not): name -> its module.
_PUBLIC = {
    "diagnose": "run", "diagnose_recipe": "run", "run_checks": "run", "Budget": "checks",
    "Finding": "report", "Report": "report", "PASS": "report", "WARN": "report", "FAIL": "report", "SKIP": "report",
    "DoctorError": "target",
}
__all__ = ["CHECKS", *_PUBLIC, "targets"]


def __getattr__(name):
    if name == "targets":  # the target module, as ``doctor.targets``
        return importlib.import_module("tf1_recipes.doctor.target")
    if name in _PUBLIC:
        return getattr(importlib.import_module(f"tf1_recipes.doctor.{_PUBLIC[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
