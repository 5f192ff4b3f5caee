"""The freeze_var_list recipe: minimize(var_list) over hidden[34]|outputs only, and it is found by name."""

from recipe_helpers import FAMILY_HYPERPARAMETERS, assert_found_by_name
from saver_helpers import TINY_REUSE, updated_variables


def test_only_hidden3_hidden4_and_outputs_get_gradient_updates(run_quiet):
    graph = run_quiet("freeze_var_list", overrides={**TINY_REUSE, "n_epochs": 0}).graph
    assert updated_variables(graph) == {f"{layer}/{p}" for layer in ("hidden3", "hidden4", "outputs") for p in ("kernel", "bias")}
    assert not [op for op in graph.get_operations() if op.type == "StopGradient"]


def test_freeze_var_list_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("freeze_var_list")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {'train_scope': 'hidden[34]|outputs'},
                            'smoke': {'train_scope': 'hidden[34]|outputs',
                                      'n_epochs': 3,
                                      'train_size': None,
                                      'pretrained_preset': 'smoke'}}
    assert spec.hyperparameters == FAMILY_HYPERPARAMETERS["reuse_hidden_layers"]
    assert spec.description == ('As reuse_partial_restore, training only the hidden[34]|outputs variables: '
                                'hidden1-2 frozen via minimize(var_list).')
