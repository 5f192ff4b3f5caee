"""The import_meta_graph shims: the imported TF1 graph itself, run through tf.compat.v1.wrap_function.

The generic shim tests (test_shim_ports.py) compare their K steps with TF1's (bit for bit);
these check that what runs is the imported graph's own ops, restored and saved by its Saver,
and that a .meta of another model is refused in one line naming the checkpoint.
"""

import numpy as np
import pytest
import tensorflow as tf

from tf1_recipes import checkpoints
from tf1_recipes.tf2 import parity

SMOKE_PRETRAINED = {"pretrained_preset": "smoke"}
PRETRAINED_NAMES = sorted(f"{layer}/{kind}" for layer in ("hidden1", "hidden2", "hidden3", "hidden4", "hidden5", "outputs")
                          for kind in ("bias", "kernel"))


def test_the_shim_trains_with_the_imported_graphs_own_clipped_gd_op():
    shim = parity.build_shim("reuse_import_meta_graph", "book", SMOKE_PRETRAINED)
    graph = shim.import_graph().graph
    assert shim.handles["training_op"] is graph.get_operation_by_name("train/GradientDescent")
    # pretrain_5layer's gradient clipping is in the imported graph, not in Python: one clip_by_value per variable.
    clips = [op for op in graph.get_operations() if op.name.startswith("train/clip_by_value") and op.type == "Maximum"]
    assert len(clips) == len(PRETRAINED_NAMES)
    assert sorted(shim.keras_variables()) == PRETRAINED_NAMES
    assert graph.get_collection("my_important_ops") == [shim.handles[k] for k in ("X", "y", "accuracy", "training_op")]


def test_the_new_layers_shim_puts_the_recipes_layers_on_the_imported_hidden3():
    shim = parity.build_shim("reuse_import_meta_graph_new_layers", "book", SMOKE_PRETRAINED)
    graph = shim.import_graph().graph
    kernel_input = graph.get_operation_by_name("new_hidden4/MatMul").inputs[0]
    assert kernel_input is graph.get_tensor_by_name("dnn/hidden3/Relu:0")
    new = sorted(f"{layer}/{kind}" for layer in ("new_hidden4", "new_outputs") for kind in ("bias", "kernel"))
    assert sorted(shim.keras_variables()) == sorted(PRETRAINED_NAMES + new)
    # The recipe's minimize(loss): GD on every trainable variable the new loss reaches, the imported hidden1-3 too
    # (hidden4, hidden5 and outputs of the imported graph get no gradient and stay as restored).
    # The imported variables are the graph's own VarHandleOps; the new ones, created inside wrap_function,
    # were lifted out as they were made, and the graph reads them through captured handles.
    updates = [op.inputs[0].op for op in graph.get_operations()
               if op.type == "ResourceApplyGradientDescent" and op.name.startswith("new_train/")]
    imported = sorted(op.name for op in updates if op.type == "VarHandleOp")
    assert imported == [name for name in PRETRAINED_NAMES if name.startswith(("hidden1", "hidden2", "hidden3"))]
    lifted = sorted(op.name.split("/")[0] for op in updates if op.type == "Placeholder")
    assert lifted == ["new_hidden4", "new_hidden4", "new_outputs", "new_outputs"]


@pytest.mark.parametrize("recipe", ["reuse_import_meta_graph", "reuse_import_meta_graph_new_layers"])
def test_the_imported_saver_restores_the_pretrained_checkpoint_by_name(recipe):
    shim = parity.build_shim(recipe, "book", SMOKE_PRETRAINED)
    path = shim.restore_pretrained(None)
    assert path == checkpoints.pretrained_checkpoint("pretrain_5layer", "smoke")
    reader = tf.train.load_checkpoint(path)
    for name in PRETRAINED_NAMES:
        np.testing.assert_array_equal(shim.keras_variables()[name].numpy(), reader.get_tensor(name), err_msg=name)


def test_the_shims_saver_writes_the_tf1_names_and_reads_them_back(tmp_path):
    shim = parity.build_shim("reuse_import_meta_graph_new_layers", "book", SMOKE_PRETRAINED)
    shim.restore_pretrained(None)
    shim.save(str(tmp_path / "model.ckpt"))
    stored = dict(tf.train.list_variables(str(tmp_path / "model.ckpt")))
    assert stored == {name: list(v.shape) for name, v in shim.keras_variables().items()}
    other = parity.build_shim("reuse_import_meta_graph_new_layers", "book", SMOKE_PRETRAINED)
    other.restore_tf1(str(tmp_path / "model.ckpt"))
    assert parity.max_abs_diff(other.get_tf1_values(), shim.get_tf1_values()) == 0.0


def test_a_meta_graph_of_another_model_is_refused_naming_the_checkpoint():
    """early_stopping's graph has X, y and eval/accuracy but trains with Adam: no train/GradientDescent."""
    other = checkpoints.pretrained_checkpoint("early_stopping", "smoke")
    with pytest.raises(checkpoints.CheckpointMismatchError, match="train/GradientDescent") as caught:
        parity.build_shim("reuse_import_meta_graph", "book", {"pretrained_checkpoint": other}).import_graph()
    assert other in str(caught.value) and "\n" not in str(caught.value)
