"""The freeze_stop_gradient recipe: tf.stop_gradient right after hidden2, and it is found by name."""

from recipe_helpers import FAMILY_HYPERPARAMETERS, assert_found_by_name
from saver_helpers import TINY_REUSE


def test_stop_gradient_sits_after_hidden2(run_quiet):
    graph = run_quiet("freeze_stop_gradient", overrides={**TINY_REUSE, "n_epochs": 0}).graph
    stops = [op for op in graph.get_operations() if op.type == "StopGradient"]
    assert [op.inputs[0].name for op in stops] == ["dnn/hidden2/Relu:0"]
    assert graph.get_operation_by_name("dnn/hidden3/MatMul").inputs[0].op is stops[0]


def test_freeze_stop_gradient_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("freeze_stop_gradient")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {'stop_gradient': True},
                            'smoke': {'stop_gradient': True,
                                      'n_epochs': 3,
                                      'train_size': None,
                                      'pretrained_preset': 'smoke'}}
    assert spec.hyperparameters == FAMILY_HYPERPARAMETERS["reuse_hidden_layers"]
    assert spec.description == ('As reuse_partial_restore with tf.stop_gradient after hidden2: hidden1-2 '
                                'frozen, hidden3 trainable.')
