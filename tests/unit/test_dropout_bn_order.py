"""The dropout_bn_order recipe: dropout before or after batch norm: the variance shift (on tiny runs), and it is found by name."""

import pytest
from recipe_helpers import assert_found_by_name

#: One tiny epoch (1,000 images): the pitfall shows its mechanism, not its full-length numbers.
TINY = {"n_epochs": 1, "train_size": 1000}


def _upstream_names(tensor, stop_types=("Placeholder",)):
    seen, stack = set(), [tensor.op]
    while stack:
        op = stack.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        if op.type not in stop_types:
            stack.extend(t.op for t in op.inputs)
    return seen


@pytest.mark.parametrize("preset", ["before_bn", "after_bn"])
def test_dropout_sits_before_or_after_the_second_batch_norm(recipe_run, preset):
    graph = recipe_run("dropout_bn_order", preset, TINY).graph
    into_bn2 = _upstream_names(graph.get_operation_by_name("dnn/hidden2/MatMul").outputs[0])
    into_outputs = _upstream_names(graph.get_operation_by_name("dnn/outputs/MatMul").outputs[0])
    dropout_into_bn2 = any("dropout" in name for name in into_bn2)
    assert dropout_into_bn2 == (preset == "before_bn")
    assert any("dropout" in name for name in into_outputs)


def test_dropout_before_batch_norm_inflates_its_moving_variance(recipe_run):
    before = recipe_run("dropout_bn_order", "before_bn", {**TINY, "n_epochs": 2, "train_size": 5000})
    after = recipe_run("dropout_bn_order", "after_bn", {**TINY, "n_epochs": 2, "train_size": 5000})
    assert before.extras["variance_shift"][-1] > 1.3
    assert abs(after.extras["variance_shift"][-1] - 1.0) < 0.2


def test_dropout_bn_order_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("dropout_bn_order")
    assert spec.default_preset == 'before_bn' and spec.metric is None
    assert spec.presets == {'before_bn': {'dropout_position': 'before_bn'},
                            'after_bn': {'dropout_position': 'after_bn'},
                            'smoke': {'dropout_position': 'before_bn', 'n_epochs': 2, 'train_size': 30000}}
    assert spec.hyperparameters == {'n_inputs': 784,
                                    'n_hidden1': 300,
                                    'n_hidden2': 100,
                                    'n_outputs': 10,
                                    'learning_rate': 0.01,
                                    'batch_norm_momentum': 0.9,
                                    'dropout_rate': 0.5,
                                    'n_epochs': 5,
                                    'batch_size': 200,
                                    'dropout_position': 'before_bn'}
    assert spec.description == ('Dense -> batch norm -> ELU twice, one dropout layer (rate 0.5) before or '
                                'after the second batch norm.')
