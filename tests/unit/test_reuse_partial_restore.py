"""Partial restore, freezing and the frozen-layer cache: what is restored, what trains, what stays put."""

import numpy as np
import pytest
from saver_helpers import TINY_REUSE, assert_all_moved, assert_same, checkpoint_values, layer_values

from tf1_recipes import checkpoints

REUSED, NEW = ["hidden1", "hidden2", "hidden3"], ["hidden4", "outputs"]


@pytest.fixture(scope="module")
def pretrained():
    """{name: value} of the pretrain_5layer smoke checkpoint the tiny runs restore from."""
    return checkpoint_values(checkpoints.pretrained_checkpoint("pretrain_5layer", "smoke"))


def saved(run_quiet, tmp_path, recipe, **overrides):
    """Run ``recipe`` tiny into ``tmp_path/recipe``; (result, {name: value} of the model it saved)."""
    out = tmp_path / recipe
    result = run_quiet(recipe, overrides={**TINY_REUSE, **overrides}, out_dir=str(out))
    return result, checkpoint_values(str(out / "model.ckpt"))


def test_restored_variables_equal_the_checkpoint_and_the_new_ones_do_not(pretrained, run_quiet, tmp_path):
    _, values = saved(run_quiet, tmp_path, "reuse_partial_restore", n_epochs=0)  # saved right after restoring
    assert_same(layer_values(pretrained, REUSED), values)
    assert values["hidden4/kernel"].shape == (50, 20) and values["outputs/kernel"].shape == (20, 10)
    assert not np.array_equal(values["hidden4/bias"][:20], pretrained["hidden4/bias"][:20])
    assert not np.array_equal(values["outputs/bias"], pretrained["outputs/bias"])


def test_partial_restore_trains_every_layer(pretrained, run_quiet, tmp_path):
    result, values = saved(run_quiet, tmp_path, "reuse_partial_restore")
    assert_all_moved(layer_values(pretrained, REUSED), values)
    assert _updated_variables(result.graph) == {f"{layer}/{p}" for layer in REUSED + NEW for p in ("kernel", "bias")}


@pytest.mark.parametrize("recipe", ["freeze_var_list", "freeze_stop_gradient", "cache_frozen_layers"])
def test_frozen_layers_stay_bit_identical_while_the_others_move(recipe, pretrained, run_quiet, tmp_path):
    _, initial = saved(run_quiet, tmp_path / "initial", recipe, n_epochs=0)
    result, trained = saved(run_quiet, tmp_path, recipe)
    assert_same(layer_values(pretrained, ["hidden1", "hidden2"]), trained)
    assert_all_moved(layer_values(pretrained, ["hidden3"]), trained)
    assert_all_moved(layer_values(initial, NEW), trained)
    updated = _updated_variables(result.graph)
    assert updated == {f"{layer}/{p}" for layer in ["hidden3"] + NEW for p in ("kernel", "bias")}


def test_stop_gradient_sits_after_hidden2(run_quiet):
    graph = run_quiet("freeze_stop_gradient", overrides={**TINY_REUSE, "n_epochs": 0}).graph
    stops = [op for op in graph.get_operations() if op.type == "StopGradient"]
    assert [op.inputs[0].name for op in stops] == ["dnn/hidden2/Relu:0"]
    assert graph.get_operation_by_name("dnn/hidden3/MatMul").inputs[0].op is stops[0]


def test_cache_gives_freeze_stop_gradients_accuracies_per_epoch(run_quiet, tmp_path):
    config = {"n_epochs": 3, "train_size": 5000}
    direct, direct_values = saved(run_quiet, tmp_path, "freeze_stop_gradient", **config)
    cached, cached_values = saved(run_quiet, tmp_path, "cache_frozen_layers", **config)
    assert len(cached.history) == 3
    np.testing.assert_allclose(cached.history, direct.history, rtol=0, atol=1e-6)
    for name, value in direct_values.items():
        np.testing.assert_allclose(cached_values[name], value, rtol=0, atol=1e-6, err_msg=name)


def test_cache_without_frozen_layers_is_refused(run_quiet):
    with pytest.raises(ValueError, match="cache_hidden2 needs stop_gradient=True"):
        run_quiet("reuse_partial_restore", overrides={**TINY_REUSE, "cache_hidden2": True})


def _updated_variables(graph):
    """Names of the variables the training op applies gradients to."""
    return {op.inputs[0].op.name for op in graph.get_operations() if op.type == "ResourceApplyGradientDescent"}

