"""Helpers shared by the Saver-workflow tests: reading checkpoints and the small pretrained models."""

import numpy as np

from tf1_recipes.compat import tf

#: A few steps of each reuse recipe on the pretrain_5layer smoke checkpoint.
TINY_REUSE = {"n_epochs": 1, "train_size": 1000, "pretrained_preset": "smoke"}


def checkpoint_values(path):
    """{variable name: value} of every variable saved in the checkpoint at ``path``."""
    reader = tf.train.load_checkpoint(path)
    return {name: reader.get_tensor(name) for name, _ in tf.train.list_variables(path)}


def layer_values(values, layers):
    """The kernel and bias of each of ``layers`` from a checkpoint_values() dict."""
    return {f"{layer}/{part}": values[f"{layer}/{part}"] for layer in layers for part in ("kernel", "bias")}


def assert_same(before, after):
    for name, value in before.items():
        np.testing.assert_array_equal(after[name], value, err_msg=name)


def assert_all_moved(before, after):
    for name, value in before.items():
        assert after[name].shape == value.shape and not np.array_equal(after[name], value), f"{name} did not move"


def saved(run_quiet, tmp_path, recipe, **overrides):
    """Run ``recipe`` tiny into ``tmp_path/recipe``; (result, {name: value} of the model it saved)."""
    out = tmp_path / recipe
    result = run_quiet(recipe, overrides={**TINY_REUSE, **overrides}, out_dir=str(out))
    return result, checkpoint_values(str(out / "model.ckpt"))


def updated_variables(graph):
    """Names of the variables the training op applies gradients to."""
    return {op.inputs[0].op.name for op in graph.get_operations() if op.type == "ResourceApplyGradientDescent"}


def model_variables(values):
    """The layers' kernels and biases (not the optimizer's state) of a checkpoint_values() dict."""
    return {name: value for name, value in values.items() if name.split("/")[-1] in ("kernel", "bias")}
