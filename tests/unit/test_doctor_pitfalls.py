"""``doctor`` on each pitfall recipe reports the pitfall the recipe was built to show (and not on its twin).

Each test runs only the checks it needs, in quick mode: the cost is the recipe's own few
recorded training steps.
"""

import pytest

from tf1_recipes import doctor

QUICK = doctor.Budget.quick()


def _finding(recipe, preset, check):
    return doctor.diagnose_recipe(recipe, preset, budget=QUICK, checks=[check]).finding(check)


def test_training_flag_pitfall_fails_check_4_for_evaluating_in_training_mode():
    finding = _finding("bn_pitfall_training_flag", None, "batch_norm")
    assert finding.status == "FAIL"
    assert "eval/accuracy:0 with training:0 fed True" in finding.summary
    assert finding.numbers["evaluations_in_training_mode"] > 0
    # The model itself is wired right: its update ops ran in its first step.
    assert "did not move" not in finding.summary


@pytest.mark.parametrize("preset,shared", [("shared", True), ("separate", False)])
def test_towers_sharing_batch_norm_are_reported(preset, shared):
    finding = _finding("bn_shared_between_towers", preset, "batch_norm")
    counts = finding.numbers["update_ops_per_variable"]
    if shared:
        assert finding.status == "WARN"
        assert "dnn/bn1/moving_mean:0 is updated by 2 update ops" in finding.summary
        assert set(counts.values()) == {2}
    else:
        assert finding.status == "PASS", finding.summary
        assert set(counts.values()) == {1}


@pytest.mark.parametrize("preset", ["before_bn", "after_bn"])
def test_dropout_feeding_batch_norm_is_reported(preset):
    finding = _finding("dropout_bn_order", preset, "batch_norm")
    if preset == "before_bn":
        assert finding.status == "WARN"
        assert "dropout feeds batch_normalization_1" in finding.summary
        assert "dropout feeds batch_normalization:" not in finding.summary + ":"
    else:
        assert finding.status == "PASS", finding.summary


def test_bad_init_fails_the_initial_loss_and_shows_vanishing_saturated_gradients():
    report = doctor.diagnose_recipe("bad_init", budget=QUICK, checks=["initial_loss", "wiring"])
    initial = report.finding("initial_loss")
    assert initial.status == "FAIL"
    assert initial.numbers["loss"] > 3 * initial.numbers["expected"]
    wiring = report.finding("wiring")
    assert wiring.status == "WARN"
    assert "vanishing gradients in the lower layers" in wiring.summary
    rms = [wiring.numbers["variables"][f"hidden{i}/kernel:0"]["rms"] for i in range(1, 6)]
    assert rms == sorted(rms), "gradient RMS should shrink layer by layer going down"
    assert wiring.numbers["activations"]["dnn/hidden1/Sigmoid"]["saturated_fraction"] > 0.5


@pytest.mark.parametrize("preset,kind", [("global_norm", "by global norm"), ("by_value", "by value")])
def test_clipping_is_reported_with_the_global_norm(preset, kind):
    finding = _finding("clip_by_global_norm", preset, "wiring")
    assert finding.status == "PASS", finding.summary
    assert finding.numbers["clipping"] == kind
    assert finding.numbers["global_gradient_norm"] > 0
    assert any(f"gradients clipped {kind}" in line for line in finding.details)


def test_batch_size_gap_is_a_healthy_model_for_the_doctor():
    report = doctor.diagnose_recipe("batch_size_gap", "large_batch", budget=QUICK,
                                    checks=["initial_loss", "wiring", "overfit"])
    assert report.status == "PASS", report.format()
    assert report.finding("overfit").numbers["examples"] == QUICK.overfit_examples
