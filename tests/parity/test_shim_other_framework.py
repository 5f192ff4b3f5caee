"""The reuse_other_framework shim against its TF1 recipe: NumPy weights into TF1 layer code, with no Assign ops or session.

Nothing trains and no batches are drawn, so the generic shim K-step tests leave it out (its
port's ``probe_parity`` is False): the "forward pass" is hidden1's output on ``X_new`` once
the arrays are loaded, and the "steps" are the loading; both are compared whole with the
TF1 run's, as tests/parity/test_basics_and_import_ports.py does for the native port.
"""

import numpy as np
import pytest
import tensorflow as tf

from test_basics_and_import_ports import RANDOM_ARRAYS, tf1_checkpoint_values
from tf1_recipes.tf2 import parity

METHODS = ["assign_input", "assign_placeholders"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("arrays", [{}, RANDOM_ARRAYS], ids=["reference_arrays", "random_arrays"])
def test_the_shim_computes_tf1s_outputs_from_the_same_arrays(method, arrays, run_quiet, record_property):
    tf1_run = run_quiet("reuse_other_framework", method, overrides=arrays)
    shim_run = run_quiet("reuse_other_framework", method, overrides=arrays, shim=True)
    diff = parity.max_abs_diff(tf1_run.history, shim_run.history)
    record_property("forward_max_abs_diff", diff)
    assert len(shim_run.history) == len(tf1_run.history) == 3 * len(arrays.get("X_new", [[0, 0]]))
    assert diff == 0.0  # the same dense layer code on the same arrays (measured: 0)
    if not arrays:
        assert shim_run.history == [61.0, 83.0, 105.0]  # the recipe's docstring: relu([[10, 11]] @ w + b)
    else:
        assert 0.0 in shim_run.history and max(shim_run.history) > 0  # the ReLU cut some units, not all


@pytest.mark.parametrize("method", METHODS)
def test_the_shims_checkpoint_holds_the_tf1_runs_values_by_their_names(method, run_quiet, tmp_path):
    tf1_run = run_quiet("reuse_other_framework", method, overrides=RANDOM_ARRAYS, out_dir=str(tmp_path / "tf1"))
    shim_run = run_quiet("reuse_other_framework", method, overrides=RANDOM_ARRAYS, out_dir=str(tmp_path / "shim"), shim=True)
    names = ["hidden1/kernel", "hidden1/bias"]
    tf1_saved, shim_saved = (tf1_checkpoint_values(run.checkpoint_path, names) for run in (tf1_run, shim_run))
    assert dict(tf.train.list_variables(shim_run.checkpoint_path)) == dict(tf.train.list_variables(tf1_run.checkpoint_path))
    assert parity.max_abs_diff(tf1_saved, shim_saved) == 0.0
    np.testing.assert_array_equal(shim_saved["hidden1/kernel"], np.float32(RANDOM_ARRAYS["original_w"]))


def test_assign_input_hands_the_arrays_to_the_variables_as_they_are_created():
    """No draw from the initializer then an assignment: the variables are born holding the arrays."""
    shim = parity.build_shim("reuse_other_framework", "assign_input")
    np.testing.assert_array_equal(shim.keras_variables()["hidden1/kernel"].numpy(), [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(shim.keras_variables()["hidden1/bias"].numpy(), [7, 8, 9])
    later = parity.build_shim("reuse_other_framework", "assign_placeholders")  # Glorot until fit assigns
    assert not np.array_equal(later.keras_variables()["hidden1/bias"].numpy(), [7, 8, 9])


def test_the_shim_refuses_arrays_of_another_shape():
    with pytest.raises(ValueError, match=r"original_w must have shape \(2, 3\)"):
        parity.build_shim("reuse_other_framework", "assign_input", {"original_w": [[1.0, 2.0]]})
