"""No recipe adds ops to its graph once it trains (per-epoch graph growth slows every later step).

The harness finalizes a run's graph when the first training batch is requested, so a
recipe on ``run.batches()`` that builds an op in its loop fails outright (test_harness.py):
its smoke run, which the smoke goldens train anyway (``shared_run``), says it trained in a
finalized graph (``RunResult.graph_finalized``). A recipe with a loop of its own is run
here, watched: each ``Session.run`` on the run's graph is seen, and the graph's version (it
grows with every op added) must be the same at every call from the first training step on.
"""

import pytest

from tf1_recipes import session_observer
from tf1_recipes.doctor.target import _elements, is_training_fetch
from tf1_recipes.registry import list_recipes

RECIPES = list_recipes()
SHORT_EPOCHS = 8  # batches per epoch (where the preset sets a training-set size): two short epochs show growth as well as long ones


@pytest.mark.parametrize("spec", RECIPES, ids=[r.name for r in RECIPES])
def test_no_recipe_adds_ops_once_it_trains(spec, shared_run, run_quiet):
    settings, hyper = spec.preset("smoke")
    if "n_epochs" in hyper and shared_run(spec.name).graph_finalized:
        return  # its smoke run trained in a finalized graph: an op added in its loop would have failed that run
    calls = []  # (is a training step, graph version) per Session.run on the run's own graph

    def watched(proceed, session, fetches, *args):
        graph = session.graph
        if graph is session_observer.outermost_run_graph():
            calls.append((is_training_fetch(graph, _elements(graph, fetches)), graph.version))
        return proceed(session, fetches, *args)

    overrides = {"n_epochs": 2} if hyper.get("n_epochs", 0) > 2 else {}
    if isinstance(hyper.get("batch_size"), int) and settings["train_size"]:
        overrides["train_size"] = SHORT_EPOCHS * hyper["batch_size"]
    with session_observer.listen(on_run=watched):
        run_quiet(spec.name, "smoke", overrides=overrides, input_path="feed_dict")  # every step through Session.run
    training = [i for i, (is_step, _) in enumerate(calls) if is_step]
    if not training:
        pytest.skip(f"{spec.name} runs no training step on its own graph")
    versions = {version for _, version in calls[training[0]:]}
    assert len(versions) == 1, f"{spec.name} added ops after its first training step (graph versions {sorted(versions)})"


def test_a_run_on_the_harness_batches_says_its_graph_was_finalized_and_one_with_its_own_does_not(run_quiet):
    assert run_quiet("l1_manual", "smoke", overrides={"train_size": 400}).graph_finalized is True
    assert run_quiet("logistic_regression_tensorboard", "smoke", overrides={"n_epochs": 2}).graph_finalized is False
