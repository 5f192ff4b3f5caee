"""graph_session_basics: every demonstrated value, and the graph it leaves behind."""

import numpy as np
import pytest
from recipe_helpers import assert_found_by_name

from tf1_recipes.compat import tf1


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    from tf1_recipes.harness import RecipeConfig, run_recipe

    out = tmp_path_factory.mktemp("basics")
    return run_recipe(RecipeConfig("graph_session_basics", out_dir=str(out), quiet=True, progress=False))


def single(result, name):
    values = result.extras[name]
    assert len(values) == 1, name
    return values[0]


def test_f_of_the_first_graph_is_42(result):
    assert single(result, "f") == 42  # 3 * 3 * 4 + 4 + 2


def test_a_variable_lives_only_as_long_as_its_session(result):
    assert single(result, "x_assigned_in_first_session") == 10
    assert single(result, "x_uninitialised_in_new_session") == 1
    assert single(result, "x_initial_in_new_session") == 3


def test_separate_evals_compute_x_twice_and_one_run_computes_it_once(result):
    assert (single(result, "y_eval"), single(result, "z_eval")) == (10, 15)
    assert (single(result, "y_run"), single(result, "z_run")) == (10, 15)
    assert single(result, "x_evaluations_separate") == 2
    assert single(result, "x_evaluations_together") == 1


def test_the_counter_really_sits_in_front_of_x(result):
    # x runs only after the counter's increment, so fetching x alone counts one computation.
    graph = result.graph
    x_node = graph.get_operation_by_name("x_node")
    ancestors, frontier = set(), [x_node]
    while frontier:
        op = frontier.pop()
        for parent in [t.op for t in op.inputs] + list(op.control_inputs):
            if parent not in ancestors:
                ancestors.add(parent)
                frontier.append(parent)
    assert [op.type for op in ancestors if op.type == "AssignAddVariableOp"] == ["AssignAddVariableOp"]
    counter = next(v for v in graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES) if v.op.name == "x_evaluations")
    with tf1.Session(graph=graph) as sess:
        sess.run(counter.initializer)
        for _ in range(3):
            sess.run(x_node.outputs[0])
        assert sess.run(counter) == 3


def test_the_second_graph_stays_out_of_the_default_graph(result):
    assert single(result, "x1_in_default_graph") == 1
    assert single(result, "x2_in_default_graph") == 0
    assert single(result, "x2_in_its_graph") == 2
    assert single(result, "x1_plus_x2_refused") == 1
    names = {op.name for op in result.graph.get_operations()}
    assert "x1" in names and "x2" not in names


def test_placeholder_is_fed_batches_of_any_length(result):
    assert result.extras["B_val_1"] == [6, 7, 8]
    assert result.extras["B_val_2"] == [9, 10, 11, 12, 13, 14]


def test_saver_round_trip_restores_the_saved_values_exactly(result):
    saved = result.extras["theta_saved"]
    assert len(saved) == 3 and all(-1 <= v < 1 for v in saved) and len(set(saved)) == 3
    assert result.extras["theta_restored"] == saved
    assert result.extras["theta_imported"] == saved
    assert result.extras["round_trip_exact"] == [1.0]
    reader = tf1.train.load_checkpoint(result.checkpoint_path)
    np.testing.assert_array_equal(reader.get_tensor("theta"), np.float32(saved))


def test_history_is_every_value_in_order(result):
    order = [
        "f",
        "x_assigned_in_first_session",
        "x_uninitialised_in_new_session",
        "x_initial_in_new_session",
        "y_eval",
        "z_eval",
        "x_evaluations_separate",
        "y_run",
        "z_run",
        "x_evaluations_together",
        "x1_in_default_graph",
        "x2_in_default_graph",
        "x2_in_its_graph",
        "x1_plus_x2_refused",
        "B_val_1",
        "B_val_2",
        "theta_saved",
        "theta_restored",
        "theta_imported",
        "round_trip_exact",
    ]
    assert set(result.extras) == set(order)
    assert result.history == [v for name in order for v in result.extras[name]]


def test_graph_session_basics_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("graph_session_basics")
    assert spec.default_preset == 'book' and spec.metric == 'value'
    assert spec.presets == {'book': {}, 'smoke': {}}
    assert spec.hyperparameters == {'x_init': 3, 'y_init': 4}
    assert spec.description == ("Graphs and sessions: a variable's lifecycle, node evaluation, two graphs, "
                                'feeding, Saver.')
