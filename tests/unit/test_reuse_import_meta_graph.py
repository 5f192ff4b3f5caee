"""import_meta_graph reuse: handles found by name, the collection saved with the model, restore then train."""

import pytest
from saver_helpers import TINY_REUSE, assert_all_moved, assert_same, checkpoint_values

from tf1_recipes import checkpoints
from tf1_recipes.compat import tf1

OLD_LAYERS = [f"hidden{i}" for i in range(1, 6)] + ["outputs"]


@pytest.fixture(scope="module")
def pretrained():
    return checkpoint_values(checkpoints.pretrained_checkpoint("pretrain_5layer", "smoke"))


def _model_variables(values):
    """The layers' kernels and biases (not the optimizer's state) of a checkpoint_values() dict."""
    return {name: value for name, value in values.items() if name.split("/")[-1] in ("kernel", "bias")}


def test_restore_brings_back_every_variable_of_the_pretrained_model(pretrained, run_quiet, tmp_path):
    run_quiet("reuse_import_meta_graph", overrides={**TINY_REUSE, "n_epochs": 0}, out_dir=str(tmp_path))
    values = checkpoint_values(str(tmp_path / "model.ckpt"))
    assert set(values) == set(pretrained)
    assert_same(pretrained, values)


def test_training_continues_on_the_imported_training_op(pretrained, run_quiet, tmp_path):
    result = run_quiet("reuse_import_meta_graph", overrides=TINY_REUSE, out_dir=str(tmp_path))
    assert len(result.history) == 1
    assert_all_moved(_model_variables(pretrained), checkpoint_values(str(tmp_path / "model.ckpt")))
    # The imported graph is the whole graph: nothing was added but the collection.
    assert not [op for op in result.graph.get_operations() if op.name.startswith("new_")]


def test_handles_travel_in_the_my_important_ops_collection_saved_with_the_model(run_quiet, tmp_path):
    run_quiet("reuse_import_meta_graph", overrides={**TINY_REUSE, "n_epochs": 0}, out_dir=str(tmp_path))
    with tf1.Graph().as_default():
        tf1.train.import_meta_graph(str(tmp_path / "model.ckpt.meta"))
        X, y, accuracy, training_op = tf1.get_collection("my_important_ops")
    assert (X.name, y.name, accuracy.name, training_op.name) == ("X:0", "y:0", "eval/accuracy:0", "train/GradientDescent")
    assert training_op.type == "NoOp" and {op.type for op in training_op.control_inputs} == {"ResourceApplyGradientDescent"}


def test_new_layers_sit_on_hidden3_with_their_own_scopes(pretrained, run_quiet, tmp_path):
    result = run_quiet("reuse_import_meta_graph_new_layers", overrides={**TINY_REUSE, "n_epochs": 0}, out_dir=str(tmp_path))
    graph = result.graph
    assert graph.get_operation_by_name("new_hidden4/MatMul").inputs[0].name == "dnn/hidden3/Relu:0"
    assert graph.get_operation_by_name("new_outputs/MatMul").inputs[0].name == "new_hidden4/Relu:0"
    for name in ("new_loss/loss", "new_eval/accuracy", "new_train/GradientDescent"):
        graph.get_operation_by_name(name)
    values = checkpoint_values(str(tmp_path / "model.ckpt"))
    # Initialised first, then restored: the old variables are the checkpoint's ...
    assert_same(_model_variables(pretrained), values)
    # ... and the new ones are fresh.
    assert values["new_hidden4/kernel"].shape == (50, 20) and values["new_outputs/kernel"].shape == (20, 10)
    assert not any(name in pretrained for name in values if name.startswith("new_"))


def test_new_layers_train_hidden1_to_3_and_the_new_layers_only(pretrained, run_quiet, tmp_path):
    result = run_quiet("reuse_import_meta_graph_new_layers", overrides=TINY_REUSE, out_dir=str(tmp_path))
    values = checkpoint_values(str(tmp_path / "model.ckpt"))
    updated = {
        op.inputs[0].op.name
        for op in result.graph.get_operations()
        if op.type == "ResourceApplyGradientDescent" and op.name.startswith("new_train/")
    }
    trained = [f"hidden{i}" for i in (1, 2, 3)] + ["new_hidden4", "new_outputs"]
    assert updated == {f"{layer}/{p}" for layer in trained for p in ("kernel", "bias")}
    # The old head gets no gradient from the new loss: bit-identical to the checkpoint.
    untouched = {f"{layer}/{p}": pretrained[f"{layer}/{p}"] for layer in ("hidden4", "hidden5", "outputs") for p in ("kernel", "bias")}
    assert_same(untouched, values)
    assert_all_moved({f"hidden{i}/kernel": pretrained[f"hidden{i}/kernel"] for i in (1, 2, 3)}, values)
