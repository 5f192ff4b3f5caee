"""Every shim port (rung 2) against its TF1 recipe, and against the native port (rung 4).

The shim runs the recipe's own TF1 model code and optimizer eagerly (tf1_recipes.shim), so
from the TF1 graph's initial variables it must give the TF1 forward pass and K steps within
the native ports' tolerances (tf1_recipes.tf2.parity), and so must the native port from the
shim: the same traces, the same fixed real-MNIST batches. Its variables keep their TF1
names: the recipe's Saver checkpoint loads into it by name and it writes one with the same
names. The smoke preset's full run lands in the TF1 golden's band (marked golden, shim_e2e).
"""

import pytest

from tf1_recipes import golden
from tf1_recipes.registry import list_recipes
from tf1_recipes.shim import list_shims
from tf1_recipes.tf2 import get_port, parity
from tf1_recipes.tf2.base import Port

SHIMS = list_shims()
CASES = [(name, preset) for name in SHIMS if get_port(name).probe_parity for preset in parity.parity_presets(name)]
IDS = [f"{name}-{preset}" for name, preset in CASES]

#: Recipes whose last reported value is not the accuracy on the run's eval_split: the checkpoint
#: test does not recompute it (the test named compares the whole reported history, TF1 against shim).
OTHER_METRIC = {
    "early_stopping": "the best model's test accuracy on digits 0-4: tests/parity/test_shim_early_stopping.py",
    "transfer_digits_5_to_9": "the best model's test accuracy on digits 5-9: tests/parity/test_shim_early_stopping.py",
    "reuse_other_framework": "hidden1's outputs on X_new, no MNIST: tests/parity/test_shim_other_framework.py",
    "shared_variables": "the summed ReLUs' outputs, no MNIST: tests/parity/test_shim_basics.py",
    "logistic_regression_tensorboard": "the moons' test loss, no MNIST: tests/parity/test_shim_basics.py",
}


#: Shims the generic Saver test cannot build a model for (no model outlives their run), and the test
#: that checks their TF1 Saver checkpoint instead.
SAVER_ELSEWHERE = {
    "graph_session_basics": "tests/parity/test_shim_basics.py::"
    "test_graph_session_basics_shim_saves_a_tf1_checkpoint_with_the_tf1_runs_names_and_live_values",
}


@pytest.fixture(scope="session")
def shim_pair(pair):
    """shim_pair(recipe, preset) -> (tf1 trace, native trace, shim trace, TF1->shim Parity), cached."""
    cache = {}

    def _shim_pair(recipe, preset):
        if (recipe, preset) not in cache:
            tf1_trace, tf2_trace, _ = pair(recipe, preset)
            shim = parity.build_shim(recipe, preset, tf1_trace.extras["overrides"])
            shim_trace, result = parity.against(tf1_trace, recipe, preset, port=shim)
            cache[recipe, preset] = tf1_trace, tf2_trace, shim_trace, result
        return cache[recipe, preset]

    return _shim_pair


def test_every_recipe_has_a_shim_port():
    assert set(SHIMS) == {spec.name for spec in list_recipes()}


@pytest.mark.parametrize("recipe,preset", CASES, ids=IDS)
def test_shim_gives_the_tf1_forward_pass_and_k_steps(recipe, preset, shim_pair, record_property):
    tf1_trace, _, shim_trace, result = shim_pair(recipe, preset)
    record_property("forward_max_abs_diff", result.forward_max)
    record_property("k_step_weights_max_abs_diff", result.weights)
    print(f"{recipe}/{preset} TF1 -> shim: {result.summary()}")
    assert set(shim_trace.logits) == set(tf1_trace.logits), "the shim and the graph disagree on having a training mode"
    assert parity.max_abs_diff(tf1_trace.initial, shim_trace.initial) == 0.0  # it started from the graph's values
    assert parity.max_abs_diff(tf1_trace.initial, tf1_trace.final) > 1e-3  # and both trained
    assert result.forward_max < parity.FORWARD_TOLERANCE, result.summary()
    assert result.k_steps_ok, result.summary()


@pytest.mark.parametrize("recipe,preset", CASES, ids=IDS)
def test_native_port_gives_the_shims_forward_pass_and_k_steps(recipe, preset, shim_pair, record_property):
    _, tf2_trace, shim_trace, _ = shim_pair(recipe, preset)
    result = parity.compare(shim_trace, tf2_trace)
    record_property("forward_max_abs_diff", result.forward_max)
    record_property("k_step_weights_max_abs_diff", result.weights)
    print(f"{recipe}/{preset} shim -> native: {result.summary()}")
    assert result.forward_max < parity.FORWARD_TOLERANCE, result.summary()
    assert result.k_steps_ok, result.summary()


def test_the_shims_without_the_saver_test_name_the_test_checking_their_checkpoint():
    from pathlib import Path

    assert set(SAVER_ELSEWHERE) <= set(SHIMS)
    for where in SAVER_ELSEWHERE.values():
        path, test = where.split("::")
        assert f"def {test}(" in (Path(__file__).resolve().parents[2] / path).read_text()


@pytest.mark.parametrize("recipe", sorted(set(SHIMS) - set(SAVER_ELSEWHERE)))
def test_the_recipes_saver_checkpoint_loads_into_the_shim_by_name(recipe, shared_run, tmp_path):
    """No mapping table: every variable and optimizer slot of the TF1 checkpoint by its own name, and back."""
    import numpy as np
    import tensorflow as tf

    result = shared_run(recipe)
    prefix = result.checkpoint_path
    shim = parity.build_shim(recipe, "smoke")
    shim.restore_tf1(prefix)
    reader = tf.train.load_checkpoint(prefix)
    for name, variable in {**shim.keras_variables(), **shim.state_variables()}.items():
        np.testing.assert_array_equal(variable.numpy(), reader.get_tensor(name), err_msg=name)
    # The TF1 run's last reported accuracy, from the restored weights on the same split (for
    # recipes that feed the split as it is; selu standardises it with the training set's statistics first).
    if type(shim).prepare is Port.prepare and recipe not in OTHER_METRIC:
        X_eval, y_eval = _eval_split(result, tmp_path)
        reported = result.extras[ACCURACY_EXTRA[recipe]] if recipe in ACCURACY_EXTRA else result.history
        assert shim.accuracy(X_eval, y_eval) == pytest.approx(reported[-1], abs=1e-6)
    # Written back, it holds exactly the TF1 checkpoint's names and shapes.
    shim.save(str(tmp_path / "shim" / "model.ckpt"))
    assert dict(tf.train.list_variables(str(tmp_path / "shim" / "model.ckpt"))) == dict(tf.train.list_variables(prefix))


#: Recipes whose metric is not the inference-mode accuracy: the extra that reports it.
ACCURACY_EXTRA = {
    "bn_shared_between_towers": "accuracy_a",
    "bn_pitfall_no_update_ops": "valid_accuracy",
    "bn_pitfall_training_flag": "inference_accuracy",
}


def _eval_split(result, scratch):
    """The split the run reported its accuracy on (the harness's eval_split of its configuration)."""
    from tf1_recipes.harness import RecipeConfig, Run

    config = RecipeConfig(result.recipe, preset=result.preset, quiet=True, progress=False)
    spec, preset, settings, hyper = config.resolve()
    return Run(spec, preset, settings, hyper, config, str(scratch)).eval_split()


@pytest.mark.golden
@pytest.mark.shim_e2e
@pytest.mark.parametrize("recipe", sorted(SHIMS))
def test_shim_smoke_run_lands_in_the_tf1_golden_band(recipe, compared_run):
    comparison = compared_run(recipe, "smoke", shim=True)
    assert [c.kind for c in comparison.checks if c.kind != "reference"] == ["band"], comparison.notes
    assert any("a shim port is another platform" in note for note in comparison.notes)
    assert comparison.status == "PASS", golden.format_table([comparison])
