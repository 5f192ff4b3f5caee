"""``doctor`` runs on every recipe of the suite, and fails only the ones built to fail.

The fast tier runs the checks that need no training of their own (initial loss, wiring,
batch norm, regularisation) on each recipe's ``smoke`` preset (a reuse recipe then restores the smoke
run of the recipe it reuses, which the smoke goldens train anyway) after at most three of the recipe's
own steps; the golden tier runs all seven on the reference configuration in quick mode. A check that
cannot apply to a recipe says SKIP or WARN, never raises.
"""

import pytest

from tf1_recipes import doctor
from tf1_recipes.registry import list_recipes

RECIPES = [r.name for r in list_recipes()]
#: Recipes built to show a fault, and the check that reports it.
FAULTY = {"bn_pitfall_no_update_ops": "batch_norm", "bn_pitfall_training_flag": "batch_norm", "bad_init": "initial_loss"}
CHEAP = ["initial_loss", "wiring", "batch_norm", "regularisation"]


def _assert_sane(recipe, report, checks):
    assert [f.check for f in report.findings] == checks
    assert {f.status for f in report.findings} <= {"PASS", "WARN", "FAIL", "SKIP"}
    failed = [f.check for f in report.findings if f.status == "FAIL"]
    if recipe in FAULTY and FAULTY[recipe] in checks:
        assert FAULTY[recipe] in failed, report.format()
    else:
        assert not failed, report.format()


@pytest.mark.parametrize("recipe", RECIPES)
def test_doctor_runs_on_every_recipe(recipe):
    report = doctor.diagnose_recipe(recipe, "smoke", budget=doctor.Budget.quick(), checks=CHEAP, max_steps=3)
    _assert_sane(recipe, report, CHEAP)


@pytest.mark.golden
@pytest.mark.parametrize("recipe", RECIPES)
def test_every_check_runs_on_every_recipe(recipe):
    report = doctor.diagnose_recipe(recipe, budget=doctor.Budget.quick())
    _assert_sane(recipe, report, list(doctor.CHECKS))
