"""reuse_other_framework: NumPy weights into hidden1, through the Assign ops' inputs or tf.assign."""

import numpy as np
import pytest
from recipe_helpers import assert_found_by_name
from saver_helpers import checkpoint_values


@pytest.mark.parametrize("preset", ["assign_input", "assign_placeholders"])
def test_hidden1_computes_with_the_loaded_kernel_and_bias(preset, run_quiet, tmp_path):
    result = run_quiet("reuse_other_framework", preset, out_dir=str(tmp_path))
    assert result.history == [61.0, 83.0, 105.0]  # relu([10, 11] @ [[1, 2, 3], [4, 5, 6]] + [7, 8, 9])
    values = checkpoint_values(str(tmp_path / "model.ckpt"))
    np.testing.assert_array_equal(values["hidden1/kernel"], [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(values["hidden1/bias"], [7, 8, 9])


def test_other_weights_give_other_outputs(run_quiet):
    overrides = {"original_w": [[1, 0, -1], [0, 1, 0]], "original_b": [0, 1, 0], "X_new": [[2, 3]]}
    assert run_quiet("reuse_other_framework", "assign_input", overrides=overrides).history == [2.0, 4.0, 0.0]
    assert run_quiet("reuse_other_framework", "assign_placeholders", overrides=overrides).history == [2.0, 4.0, 0.0]


def test_the_assign_input_method_feeds_the_initializers_value(run_quiet):
    graph = run_quiet("reuse_other_framework", "assign_input").graph
    assign = graph.get_operation_by_name("hidden1/kernel/Assign")
    assert assign.inputs[1].op.name.startswith("hidden1/kernel/Initializer")
    assert not [op for op in graph.get_operations() if op.type == "AssignVariableOp" and "Assign_" in op.name]


def test_the_placeholder_method_has_dedicated_assign_nodes(run_quiet):
    graph = run_quiet("reuse_other_framework", "assign_placeholders").graph
    assigns = [op for op in graph.get_operations() if op.type == "AssignVariableOp" and not op.name.startswith("save/")]
    fed = sorted(op.inputs[0].op.name for op in assigns if op.inputs[1].op.type == "Placeholder")
    assert fed == ["hidden1/bias", "hidden1/kernel"]


def test_bad_shapes_and_methods_are_clear_errors(run_quiet):
    with pytest.raises(ValueError, match=r"original_w must have shape \(2, 3\)"):
        run_quiet("reuse_other_framework", overrides={"original_w": [[1, 2], [3, 4]]})
    with pytest.raises(ValueError, match="method must be one of assign_input, assign_placeholders"):
        run_quiet("reuse_other_framework", overrides={"method": "magic"})


def test_reuse_other_framework_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("reuse_other_framework")
    assert spec.default_preset == 'assign_input' and spec.metric == 'hidden1_output'
    assert spec.presets == {'assign_input': {'method': 'assign_input'},
                            'assign_placeholders': {'method': 'assign_placeholders'},
                            'smoke': {'method': 'assign_input'}}
    assert spec.hyperparameters == {'n_inputs': 2,
                                    'n_hidden1': 3,
                                    'original_w': ((1.0, 2.0, 3.0), (4.0, 5.0, 6.0)),
                                    'original_b': (7.0, 8.0, 9.0),
                                    'X_new': ((10.0, 11.0),),
                                    'method': 'assign_input'}
    assert spec.description == ('Load a kernel and bias given as NumPy arrays into hidden1, via the Assign '
                                "ops' inputs or tf.assign.")
