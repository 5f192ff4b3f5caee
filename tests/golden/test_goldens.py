"""The golden tier: every recipe's reference configurations, full length, on real MNIST.

Each (recipe, preset) with a golden file is run as it was pinned and compared with the
golden (pinned check, or cross-platform check on another platform) and, where a published
reference exists, with the reference's final value.

A preset that is another recipe's preset under its own name is trained once (``SAME_RUN``), and so is a
preset whose code reaches its stand-in's numbers by another wiring of the same ops (``SAME_NUMBERS``).
"""

import pytest

from tf1_recipes import golden
from tf1_recipes.harness import without_timings
from tf1_recipes.registry import get_recipe, list_recipes

#: {left out: stands for}: a preset whose TF1 run is another recipe's preset's run, bit for bit. ``pretrain_5layer``
#: is ``gradient_clipping``'s body under its own name (the model the reuse recipes restore), and its ``book`` preset
#: is ``gradient_clipping``'s ``book`` configuration; the session trains that run once anyway, into its checkpoint
#: cache, so its golden test stands for both: the two presets resolve to one configuration and one body trains
#: it (test_a_preset_left_out_trains_the_run_that_stands_for_it), and their goldens pin the same runs, seeds and
#: band (test_a_preset_left_out_has_the_golden_of_the_run_that_stands_for_it).
SAME_RUN = {("gradient_clipping", "book"): ("pretrain_5layer", "book")}
#: {left out: (stands for, the test that trains both and finds them equal)}: presets whose TF1 code wires the same ops as
#: the stand-in's another way, so each step computes the same numbers: UPDATE_OPS as control dependencies of the
#: training op instead of fetched beside it (batch_norm), the best weights kept in memory instead of in a checkpoint
#: (early_stopping), the max-norm clip ops built by hand instead of by a kernel_regularizer (max_norm_*), the frozen
#: layers cut off by tf.stop_gradient instead of left out of the optimizer's var_list (freeze_*). Every seed and every
#: pinned run of the two goldens holds the same values (test_a_preset_left_out_has_the_numbers_of_its_stand_in); the
#: named test trains both at a short length on this machine and asserts the same history, bit for bit. Not here:
#: cache_frozen_layers, whose cache computes hidden2 on whole splits where freeze_var_list computes it batch by
#: batch (the same values on the pinned numerics, but a matmul's rounding may depend on its row count elsewhere).
SAME_NUMBERS = {
    ("batch_norm", "control_deps"): (
        ("batch_norm", "reference"), "tests/unit/test_batch_norm.py::test_both_wirings_train_identically"),
    ("early_stopping", "in_memory"): (
        ("early_stopping", "book"), "tests/unit/test_early_stopping.py::test_in_memory_variant_gives_the_same_result"),
    ("max_norm_manual", "book"): (
        ("max_norm_regularizer", "book"), "tests/unit/test_family_max_norm.py::test_both_variants_train_identically"),
    ("freeze_stop_gradient", "book"): (
        ("freeze_var_list", "book"), "tests/unit/test_family_reuse_hidden_layers.py::test_both_freezings_train_identically"),
}
FULL_PRESETS = [(r.name, p) for r in list_recipes() for p in r.presets
                if p != "smoke" and (r.name, p) not in SAME_RUN and (r.name, p) not in SAME_NUMBERS]
SAME_IDS = [f"{r}-{p}" for r, p in SAME_RUN]


@pytest.mark.golden
@pytest.mark.parametrize("recipe,preset", FULL_PRESETS, ids=[f"{r}-{p}" for r, p in FULL_PRESETS])
def test_full_run_matches_golden(recipe, preset, compared_run, pretrained):
    # A configuration that other recipes pretrain from: the run the checkpoint cache holds (trained once a session).
    comparison = compared_run(recipe, preset, cached=(recipe, preset) in pretrained)
    assert comparison.checks, f"{recipe}/{preset} was compared with nothing: {comparison.notes}"
    assert comparison.status == "PASS", golden.format_table([comparison])


@pytest.mark.parametrize("left_out,stands_for", SAME_RUN.items(), ids=SAME_IDS)
def test_a_preset_left_out_trains_the_run_that_stands_for_it(left_out, stands_for, monkeypatch):
    """One configuration, and the stand-in recipe's function is the left-out recipe's body: it hands its run and
    hyperparameters to that body, as they came, and does nothing else (no op of its own, no use of the run)."""
    import importlib

    from tf1_recipes.compat import tf1

    ours, theirs = get_recipe(left_out[0]), get_recipe(stands_for[0])
    assert ours.preset(left_out[1]) == theirs.preset(stands_for[1])
    assert theirs.extends is ours.fn
    calls = []
    monkeypatch.setattr(importlib.import_module(theirs.fn.__module__), ours.fn.__name__,
                        lambda run, **hyperparameters: calls.append((run, hyperparameters)))
    run, hyperparameters = object(), theirs.preset(stands_for[1])[1]  # a run with no attribute: any use of it raises
    with tf1.Graph().as_default() as graph:
        theirs.fn(run, **hyperparameters)
    assert calls == [(run, hyperparameters)] and not graph.get_operations()


@pytest.mark.parametrize("left_out,stands_for", SAME_RUN.items(), ids=SAME_IDS)
def test_a_preset_left_out_has_the_golden_of_the_run_that_stands_for_it(left_out, stands_for):
    """Same configuration, seeds' finals, band and tolerances, and the same pinned runs (seed, history, provenance)."""
    ours, theirs = golden.load_golden(*left_out), golden.load_golden(*stands_for)
    for key in ("metric", "config", "seeds", "band", "tolerance"):
        assert ours[key] == theirs[key], key
    pinned = [[{k: run[k] for k in ("seed", "history", "final", "extras", "provenance")} for run in g["pinned"]]
              for g in (ours, theirs)]
    assert pinned[0] == pinned[1]
    assert stands_for in FULL_PRESETS


def test_every_full_preset_that_resolves_to_a_preset_of_the_recipe_it_extends_is_trained_once():
    """A recipe built on another recipe's function (``extends``) with a full preset resolving to one of that recipe's:
    listed in SAME_RUN, so the tier does not train one run twice."""
    by_function = {spec.fn: spec for spec in list_recipes()}
    found = {
        (spec.name, preset): (base.name, other)
        for spec in list_recipes() if spec.extends in by_function
        for base in [by_function[spec.extends]]
        for preset in spec.presets if preset != "smoke"
        for other in base.presets if other != "smoke" and spec.preset(preset) == base.preset(other)
    }
    assert {stands_for: left_out for left_out, stands_for in SAME_RUN.items()} == found


@pytest.mark.parametrize("left_out,stands_for,test", [(k, *v) for k, v in SAME_NUMBERS.items()],
                         ids=[f"{r}-{p}" for r, p in SAME_NUMBERS])
def test_a_preset_left_out_has_the_numbers_of_its_stand_in(left_out, stands_for, test):
    """Same metric, band and tolerances; every seed's history and final, and every pinned run's seed, numerics fingerprint, history,
    final and extras (wall-clock seconds aside); the stand-in trained by the tier; the equality test where it is named."""
    from pathlib import Path

    ours, theirs = golden.load_golden(*left_out), golden.load_golden(*stands_for)
    for key in ("metric", "band", "tolerance"):
        assert ours[key] == theirs[key], key
    for key in ("seeds", "finals", "histories"):
        assert ours["seeds"][key] == theirs["seeds"][key], key

    def pinned(g):
        return [({k: run[k] for k in ("seed", "history", "final")}, run["provenance"]["numerics"]["fingerprint"],
                 without_timings(run["extras"])) for run in g["pinned"]]

    assert pinned(ours) == pinned(theirs)
    assert stands_for in FULL_PRESETS
    path, name = test.split("::")
    assert f"def {name}(" in (Path(__file__).resolve().parents[2] / path).read_text(), test
