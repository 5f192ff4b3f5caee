"""The reuse_import_meta_graph_new_layers recipe: new layers on the imported hidden3, what trains; found by name."""

from recipe_helpers import assert_found_by_name
from saver_helpers import TINY_REUSE, assert_all_moved, assert_same, checkpoint_values, model_variables


def test_new_layers_sit_on_hidden3_with_their_own_scopes(pretrained, run_quiet, tmp_path):
    result = run_quiet("reuse_import_meta_graph_new_layers", overrides={**TINY_REUSE, "n_epochs": 0}, out_dir=str(tmp_path))
    graph = result.graph
    assert graph.get_operation_by_name("new_hidden4/MatMul").inputs[0].name == "dnn/hidden3/Relu:0"
    assert graph.get_operation_by_name("new_outputs/MatMul").inputs[0].name == "new_hidden4/Relu:0"
    for name in ("new_loss/loss", "new_eval/accuracy", "new_train/GradientDescent"):
        graph.get_operation_by_name(name)
    values = checkpoint_values(str(tmp_path / "model.ckpt"))
    # Initialised first, then restored: the old variables are the checkpoint's ...
    assert_same(model_variables(pretrained), values)
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


def test_reuse_import_meta_graph_new_layers_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("reuse_import_meta_graph_new_layers")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {},
                            'smoke': {'n_epochs': 3, 'train_size': None, 'pretrained_preset': 'smoke'}}
    assert spec.hyperparameters == {'n_hidden4': 20,
                                    'n_outputs': 10,
                                    'learning_rate': 0.01,
                                    'n_epochs': 20,
                                    'batch_size': 200,
                                    'pretrained_checkpoint': None,
                                    'pretrained_preset': 'book'}
    assert spec.description == ('Import the pretrained .meta graph, put new_hidden4 and new_outputs on '
                                'dnn/hidden3, train.')
