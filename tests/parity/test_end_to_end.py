"""End to end: each port's full run of each preset lands inside its TF1 recipe's golden band.

A port is another platform (golden.compare says so: provenance implementation tf2), so
the pinned check is replaced by the band of the TF1 golden. These are full-length runs:
marked ``golden`` (they run with the golden tier and the README's command) and ``tf2_e2e``
(``pytest -m tf2_e2e`` runs them alone).
"""

import pytest

from tf1_recipes import golden
from tf1_recipes.harness import without_timings
from tf1_recipes.registry import get_recipe
from tf1_recipes.tf2 import get_port, list_ports

#: Presets whose port run is another preset's, bit for bit, against the same band: trained once, under the
#: other's name. early_stopping's ``in_memory`` keeps the best weights in memory instead of a checkpoint;
#: batch_norm's ``control_deps`` wires TF1's UPDATE_OPS as control dependencies of the training op instead of
#: fetching them, where Keras updates the moving statistics in the training call either way; gradient_clipping's
#: ``book`` is pretrain_5layer's ``book`` (the same configuration, the port the same class under another name).
#: The port's runs are the same (test_the_ports_run_of_a_preset_left_out_is_the_run_that_stands_for_it, and
#: ..._of_another_recipe_...) and so are the TF1 goldens' bands (test_a_preset_left_out_has_the_band_of_...); a port
#: that is another recipe's port under its own name must have its equal presets here (test_every_full_preset_whose_...).
SAME_PORT_RUN = {
    ("early_stopping", "in_memory"): ("early_stopping", "book"),
    ("batch_norm", "control_deps"): ("batch_norm", "reference"),
    ("gradient_clipping", "book"): ("pretrain_5layer", "book"),
}
CASES = [(name, p) for name in list_ports() for p in get_recipe(name).presets
         if p != "smoke" and (name, p) not in SAME_PORT_RUN]
#: Presets with a second, measured outcome the seed band does not describe. The exercise's Adam
#: at 0.01 collapses in its first epoch for some seeds and numerics: the TF1 recipe with seed 43
#: on an AVX-512 EPYC (best validation loss 1.614, test accuracy 0.2209: chance on digits 0-4)
#: and its TF2 port with seed 42 there (0.2209). A run in that mode is this one, and nothing else:
#: best validation loss above 1 and test accuracy below 0.3.
COLLAPSE_MODE = {("early_stopping", "book"), ("early_stopping", "in_memory")}


def collapsed(history):
    best_loss, test_accuracy = history
    return best_loss > 1.0 and test_accuracy < 0.3


@pytest.mark.golden
@pytest.mark.tf2_e2e
@pytest.mark.parametrize("recipe,preset", CASES, ids=[f"{r}-{p}" for r, p in CASES])
def test_port_full_run_lands_in_the_tf1_golden_band(recipe, preset, compared_run):
    comparison = compared_run(recipe, preset, tf2=True)
    assert [c.kind for c in comparison.checks if c.kind != "reference"] == ["band"], comparison.notes
    assert any("TF2 port is another platform" in note for note in comparison.notes)
    if (recipe, preset) in COLLAPSE_MODE and comparison.status == "FAIL":
        assert collapsed(comparison.history), golden.format_table([comparison])
        pytest.skip(f"{recipe}/{preset}: the port's run collapsed in its first epoch, the known second mode "
                    f"(best validation loss {comparison.history[0]:.3f}, test accuracy {comparison.history[1]:.4f})")
    assert comparison.status == "PASS", golden.format_table([comparison])


SAME_IDS = [f"{r}-{p}" for r, p in SAME_PORT_RUN]
#: Left-out presets of the stand-in's own recipe, and of another recipe.
SAME_RECIPE = {left_out: stands_for for left_out, stands_for in SAME_PORT_RUN.items() if left_out[0] == stands_for[0]}
OTHER_RECIPE = {left_out: stands_for for left_out, stands_for in SAME_PORT_RUN.items() if left_out[0] != stands_for[0]}


@pytest.mark.parametrize("left_out,stands_for", SAME_RECIPE.items(), ids=[f"{r}-{p}" for r, p in SAME_RECIPE])
def test_the_ports_run_of_a_preset_left_out_is_the_run_that_stands_for_it(left_out, stands_for, run_quiet):
    """The port's smoke run with each preset's values of the hyperparameters the two differ in: the same, bit for bit."""
    spec = get_recipe(left_out[0])
    (settings, hyper), (other_settings, other_hyper) = spec.preset(left_out[1]), spec.preset(stands_for[1])
    assert settings == other_settings
    differ = sorted(k for k in hyper.keys() | other_hyper.keys() if hyper.get(k) != other_hyper.get(k))
    assert differ  # two presets
    runs = [run_quiet(left_out[0], "smoke", overrides={k: h[k] for k in differ}, tf2=True) for h in (hyper, other_hyper)]
    assert runs[0].history == runs[1].history
    extras = [without_timings(run.extras) for run in runs]
    assert extras[0] == extras[1]


def renamed_port(cls):
    """The port class ``cls`` only renames (its one base, when ``cls`` adds nothing but ``recipe``), else None."""
    if len(cls.__bases__) == 1 and set(vars(cls)) <= {"__module__", "__doc__", "recipe"}:
        return cls.__bases__[0]
    return None


@pytest.mark.parametrize("left_out,stands_for", OTHER_RECIPE.items(), ids=[f"{r}-{p}" for r, p in OTHER_RECIPE])
def test_the_ports_run_of_a_preset_of_another_recipe_left_out_is_the_run_that_stands_for_it(left_out, stands_for):
    """One configuration, and the stand-in's port is the left-out recipe's port class under another recipe name."""
    assert get_recipe(left_out[0]).preset(left_out[1]) == get_recipe(stands_for[0]).preset(stands_for[1])
    assert renamed_port(get_port(stands_for[0])) is get_port(left_out[0])


@pytest.mark.parametrize("left_out,stands_for", SAME_PORT_RUN.items(), ids=SAME_IDS)
def test_a_preset_left_out_has_the_band_of_the_run_that_stands_for_it(left_out, stands_for):
    band = golden.load_golden(*left_out)["band"]
    assert band == golden.load_golden(*stands_for)["band"]
    assert stands_for in CASES


def test_every_full_preset_whose_port_is_another_recipes_port_under_its_name_is_trained_once():
    """A port that is another recipe's port class under its own name (nothing added but ``recipe``), with a full preset
    equal to one of that recipe's: the pair is in SAME_PORT_RUN, so the tier does not train one port run twice."""
    found = set()
    for name, cls in list_ports().items():
        renamed = renamed_port(cls)
        base = getattr(renamed, "recipe", None)
        if base is None or get_port(base) is not renamed:
            continue  # a port of its own
        spec, base_spec = get_recipe(name), get_recipe(base)
        found |= {frozenset({(name, preset), (base, other)})
                  for preset in spec.presets if preset != "smoke"
                  for other in base_spec.presets if other != "smoke" and spec.preset(preset) == base_spec.preset(other)}
    assert found  # pretrain_5layer's port is gradient_clipping's
    assert {frozenset(pair) for pair in OTHER_RECIPE.items()} == found
