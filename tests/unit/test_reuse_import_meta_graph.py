"""import_meta_graph reuse: handles found by name, the collection saved with the model, restore then train."""

from recipe_helpers import assert_found_by_name
from saver_helpers import TINY_REUSE, assert_all_moved, assert_same, checkpoint_values, model_variables

from tf1_recipes.compat import tf1

OLD_LAYERS = [f"hidden{i}" for i in range(1, 6)] + ["outputs"]


def test_restore_brings_back_every_variable_of_the_pretrained_model(pretrained, run_quiet, tmp_path):
    run_quiet("reuse_import_meta_graph", overrides={**TINY_REUSE, "n_epochs": 0}, out_dir=str(tmp_path))
    values = checkpoint_values(str(tmp_path / "model.ckpt"))
    assert set(values) == set(pretrained)
    assert_same(pretrained, values)


def test_training_continues_on_the_imported_training_op(pretrained, run_quiet, tmp_path):
    result = run_quiet("reuse_import_meta_graph", overrides=TINY_REUSE, out_dir=str(tmp_path))
    assert len(result.history) == 1
    assert_all_moved(model_variables(pretrained), checkpoint_values(str(tmp_path / "model.ckpt")))
    # The imported graph is the whole graph: nothing was added but the collection.
    assert not [op for op in result.graph.get_operations() if op.name.startswith("new_")]


def test_handles_travel_in_the_my_important_ops_collection_saved_with_the_model(run_quiet, tmp_path):
    run_quiet("reuse_import_meta_graph", overrides={**TINY_REUSE, "n_epochs": 0}, out_dir=str(tmp_path))
    with tf1.Graph().as_default():
        tf1.train.import_meta_graph(str(tmp_path / "model.ckpt.meta"))
        X, y, accuracy, training_op = tf1.get_collection("my_important_ops")
    assert (X.name, y.name, accuracy.name, training_op.name) == ("X:0", "y:0", "eval/accuracy:0", "train/GradientDescent")
    assert training_op.type == "NoOp" and {op.type for op in training_op.control_inputs} == {"ResourceApplyGradientDescent"}


def test_reuse_import_meta_graph_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("reuse_import_meta_graph")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {},
                            'smoke': {'n_epochs': 3, 'train_size': None, 'pretrained_preset': 'smoke'}}
    assert spec.hyperparameters == {'n_epochs': 20,
                                    'batch_size': 200,
                                    'pretrained_checkpoint': None,
                                    'pretrained_preset': 'book'}
    assert spec.description == ('Import the pretrained .meta graph, find X, y, accuracy and the training op '
                                'by name, keep training.')
