"""shared_variables: five relu() calls, one threshold variable."""

import numpy as np
import pytest
from recipe_helpers import assert_found_by_name

from tf1_recipes.compat import tf1


@pytest.fixture(scope="module")
def result():
    from tf1_recipes.harness import RecipeConfig, run_recipe

    return run_recipe(RecipeConfig("shared_variables", quiet=True, progress=False))


def test_one_threshold_and_five_sets_of_weights(result):
    names = [v.name for v in result.graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)]
    assert [n for n in names if "threshold" in n] == ["relu/threshold:0"]
    scopes = ["relu"] + [f"relu_{i}" for i in range(1, 5)]
    assert sorted(names) == sorted(["relu/threshold:0"] + [f"{s}/{v}:0" for s in scopes for v in ("weights", "bias")])


def test_every_relu_reads_the_same_threshold(result):
    graph = result.graph
    maxima = [op for op in graph.get_operations() if op.type == "Maximum"]
    assert sorted(op.name for op in maxima) == ["relu/max", "relu_1/max", "relu_2/max", "relu_3/max", "relu_4/max"]
    handles = set()
    for op in maxima:
        read = op.inputs[1].op
        assert read.type == "ReadVariableOp"
        handles.add(read.inputs[0].name)
    assert handles == {"relu/threshold:0"}


def test_raising_the_shared_threshold_clips_all_five_units(result):
    graph = result.graph
    threshold = next(v for v in graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES) if v.op.name == "relu/threshold")
    X = np.random.RandomState(0).randn(20, 3).astype(np.float32)
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        threshold.load(100.0, sess)
        output = sess.run("output:0", feed_dict={"X:0": X})
    np.testing.assert_allclose(output, 5 * 100.0)  # every unit returns the threshold


def test_reported_means_rise_with_the_threshold(result):
    assert result.extras["threshold"] == [0.0, 0.5, 1.0, 2.0, -1.0, 100.0]
    assert result.history[-1] == 500.0  # all five units clipped at the one threshold
    by_threshold = dict(zip(result.extras["threshold"], result.history))
    ordered = [by_threshold[t] for t in sorted(by_threshold)]
    assert ordered == sorted(ordered) and len(set(ordered)) == len(ordered)
    # max(z, t) >= t for each of five units, so the mean output is at least 5 t.
    assert all(mean >= 5 * t - 1e-5 for t, mean in by_threshold.items())


def test_getting_an_unknown_shared_variable_fails_under_reuse(result):
    with result.graph.as_default():
        with pytest.raises(ValueError, match="does not exist"):
            with tf1.variable_scope("relu", reuse=True):
                tf1.get_variable("no_such_variable")


def test_epochs_cannot_be_set_on_a_recipe_without_them():
    from tf1_recipes.harness import RecipeConfig

    with pytest.raises(ValueError, match="does not train for epochs"):
        RecipeConfig("shared_variables", n_epochs=2).resolve()


def test_shared_variables_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("shared_variables")
    assert spec.default_preset == 'book' and spec.metric == 'output_mean'
    assert spec.presets == {'book': {}, 'smoke': {}}
    assert spec.hyperparameters == {'n_features': 3,
                                    'n_relus': 5,
                                    'n_samples': 100,
                                    'thresholds': (0.0, 0.5, 1.0, 2.0, -1.0, 100.0)}
    assert spec.description == ('Five relu() calls sharing one threshold variable through '
                                'variable_scope(reuse) and get_variable.')
