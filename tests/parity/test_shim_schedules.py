"""The learning-rate-schedule shims report what their TF1 recipes report: accuracy, the rate, the step count.

The generic shim tests (test_shim_ports.py) compare weights and losses; the schedules'
point is the rate each epoch used, which the TF1 recipe reports from ``global_step`` and
``exponential_decay`` (in the graph) or from the rate it fed, and the shim from the eager
callable or the variable it assigns. Same batches, same initial values, the parity runs'
epochs and overrides (a schedule that moves within K steps).
"""

import pytest

from tf1_recipes.tf2 import parity


@pytest.mark.parametrize("recipe", ["lr_exponential_decay", "lr_inverse_time_decay", "lr_step_decay"])
def test_the_shim_reports_the_tf1_rate_step_count_and_accuracy_every_epoch(recipe):
    tf1_trace, _, _ = parity.run_pair(recipe)
    shim = parity.build_shim(recipe, None, tf1_trace.extras["overrides"])
    shim_trace, _ = parity.against(tf1_trace, recipe, port=shim)
    tf1_reported, shim_reported = tf1_trace.extras["reported"], shim_trace.extras["reported"]
    assert set(tf1_reported) == set(shim_reported) and "learning_rate" in tf1_reported
    for series in tf1_reported:
        assert shim_reported[series] == pytest.approx(tf1_reported[series], rel=1e-6, abs=0), series
    # The parity schedules really moved the rate (over the epochs, or from step 0 to the last step).
    assert len(set(tf1_reported["learning_rate"])) > 1 or tf1_reported["learning_rate"][-1] < shim.hyper["initial_learning_rate"]
