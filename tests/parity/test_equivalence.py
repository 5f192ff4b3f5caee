"""Every TF2 port against its TF1 recipe: the forward pass and K training steps (the migration guide's checks).

One parity run per distinct configuration of each ported recipe (parity.parity_presets):
the TF1 graph's initial variables are copied into the port through its variable table,
then both train K steps on the same real MNIST batches.
"""

import pytest

from tf1_recipes.tf2 import get_port, list_ports, parity

CASES = [(name, preset) for name, cls in list_ports().items() if cls.probe_parity for preset in parity.parity_presets(name)]
#: Ports whose TF1 loop the probe cannot watch, and the test comparing them instead.
ELSEWHERE = {
    "cache_frozen_layers": "tests/parity/test_reuse.py::test_cached_hidden_layers_port_reproduces_the_tf1_run_and_its_own_uncached_twin",
    "early_stopping": "tests/parity/test_early_stopping_ports.py::test_one_epoch_of_steps_leaves_the_same_loss_accuracy_and_weights",
    "transfer_digits_5_to_9": "tests/parity/test_early_stopping_ports.py::test_one_epoch_of_steps_leaves_the_same_loss_accuracy_and_weights",
    "graph_session_basics": "tests/parity/test_basics_and_import_ports.py::test_graph_session_basics_port_gives_the_tf1_values_step_by_step",
    "logistic_regression_tensorboard": "tests/parity/test_basics_and_import_ports.py::test_logistic_regression_k_steps_leave_the_same_losses_and_theta",
    "reuse_other_framework": "tests/parity/test_basics_and_import_ports.py::test_reuse_other_framework_port_computes_tf1s_outputs_from_the_same_arrays",
    "shared_variables": "tests/parity/test_basics_and_import_ports.py::test_shared_variables_port_from_the_tf1_variables_gives_the_same_output_at_every_threshold",
}
IDS = [f"{name}-{preset}" for name, preset in CASES]


@pytest.mark.parametrize("recipe,preset", CASES, ids=IDS)
def test_forward_pass_from_the_tf1_initial_variables(recipe, preset, pair, record_property):
    tf1_trace, tf2_trace, result = pair(recipe, preset)
    record_property("forward_max_abs_diff", result.forward_max)
    print(f"{recipe}/{preset}: {result.summary()}")
    assert set(tf2_trace.logits) == set(tf1_trace.logits), "the port and the graph disagree on having a training mode"
    assert tf1_trace.logits["inference"].shape == (parity.BATCH_SIZE, 10)
    # The copy really happened: the port started from the graph's values, not its own.
    assert parity.max_abs_diff(tf1_trace.initial, tf2_trace.initial) == 0.0
    assert result.forward_max < parity.FORWARD_TOLERANCE, result.summary()


@pytest.mark.parametrize("recipe,preset", CASES, ids=IDS)
def test_k_training_steps_leave_the_same_losses_and_weights(recipe, preset, pair, record_property):
    tf1_trace, tf2_trace, result = pair(recipe, preset)
    record_property("k_step_weights_max_abs_diff", result.weights)
    record_property("k_step_losses_max_abs_diff", result.step_losses)
    print(f"{recipe}/{preset}: {result.summary()}")
    assert len(tf1_trace.step_losses) == len(tf2_trace.step_losses) == parity.K_STEPS
    # Training happened on both sides (else equal weights would prove nothing).
    assert parity.max_abs_diff(tf1_trace.initial, tf1_trace.final) > 1e-3
    if get_port(recipe).parity_inference_loss_falls:
        assert tf1_trace.final_loss < tf1_trace.step_losses[0]
    worst = max(result.per_variable, key=result.per_variable.get)
    assert result.k_steps_ok, f"{result.summary()}; worst variable {worst}"


def test_every_port_the_probe_cannot_watch_is_compared_elsewhere():
    from pathlib import Path

    unwatched = {name for name, cls in list_ports().items() if not cls.probe_parity}
    assert unwatched == set(ELSEWHERE)
    for where in ELSEWHERE.values():
        path, test = where.split("::")
        assert f"def {test}(" in (Path(__file__).resolve().parents[2] / path).read_text()
