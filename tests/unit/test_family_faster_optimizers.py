"""The faster-optimizer family (tf1_recipes/recipes/families/faster_optimizers.py): one body, the right optimizer, its slots and settings.

Each recipe's own tests are in tests/unit/test_<name>.py.
"""

import math

import pytest
from recipe_helpers import initial_values

from tf1_recipes.compat import tf1
from tf1_recipes.registry import get_recipe

NAMES = ["momentum", "nesterov", "adagrad", "rmsprop", "adam"]
LAYERS = ["hidden1", "hidden2", "outputs"]
MODEL = [f"{layer}/{p}:0" for layer in LAYERS for p in ("kernel", "bias")]

#: recipe -> (apply op type, slot suffixes per model variable, other optimizer variables)
EXPECTED = {
    "momentum": ("ResourceApplyMomentum", ["Momentum"], []),
    "nesterov": ("ResourceApplyMomentum", ["Momentum"], []),
    "adagrad": ("ResourceApplyAdagrad", ["Adagrad"], []),
    "rmsprop": ("ResourceApplyRMSProp", ["RMSProp", "RMSProp_1"], []),
    "adam": ("ResourceApplyAdam", ["Adam", "Adam_1"], ["train/beta1_power:0", "train/beta2_power:0"]),
}
#: recipe -> the optimizer's constants as the reference exercise gives them.
SETTINGS = {
    "momentum": {"Momentum/learning_rate": 0.01, "Momentum/momentum": 0.9},
    "nesterov": {"Momentum/learning_rate": 0.01, "Momentum/momentum": 0.9},
    "adagrad": {"Adagrad/learning_rate": 0.01},
    "rmsprop": {"RMSProp/learning_rate": 0.01, "RMSProp/momentum": 0.9, "RMSProp/decay": 0.9, "RMSProp/epsilon": 1e-10},
    "adam": {"Adam/learning_rate": 0.001, "Adam/beta1": 0.9, "Adam/beta2": 0.999, "Adam/epsilon": 1e-8},
}


@pytest.fixture(scope="module")
def results(recipe_run):
    """Each recipe after one epoch of two batches (100 images)."""
    return {name: recipe_run(name, overrides={"n_epochs": 1, "train_size": 100}) for name in NAMES}


def _global_names(graph):
    return [v.name for v in graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)]


@pytest.mark.parametrize("name", NAMES)
def test_the_model_is_the_300_50_relu_mlp_and_only_it_trains(name, results):
    graph = results[name].graph
    trainable = graph.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES)
    assert [v.name for v in trainable] == MODEL
    assert [tuple(v.shape) for v in trainable[::2]] == [(784, 300), (300, 50), (50, 10)]
    assert [graph.get_operation_by_name(f"dnn/{layer}/Relu").type for layer in LAYERS[:2]] == ["Relu", "Relu"]
    for tensor in ("X:0", "y:0", "loss/loss:0", "eval/accuracy:0"):
        graph.get_tensor_by_name(tensor)
    assert results[name].config["n_epochs"] == 1 and get_recipe(name).preset("book")[1]["n_epochs"] == 10
    assert get_recipe(name).preset("book")[1]["batch_size"] == 50


@pytest.mark.parametrize("name", NAMES)
def test_optimizer_slots_exist_with_their_tf1_names(name, results):
    _, slots, others = EXPECTED[name]
    expected = MODEL + others + [v.replace(":0", f"/{s}:0") for v in MODEL for s in slots]
    assert sorted(_global_names(results[name].graph)) == sorted(expected)


@pytest.mark.parametrize("name", NAMES)
def test_one_apply_op_per_model_variable_with_the_reference_settings(name, results):
    graph = results[name].graph
    op_type = EXPECTED[name][0]
    applies = [op for op in graph.get_operations() if op.type == op_type]
    assert sorted(op.inputs[0].name for op in applies) == sorted(MODEL)
    assert all(op.name.startswith("train/") for op in applies)
    if op_type == "ResourceApplyMomentum":
        assert {op.get_attr("use_nesterov") for op in applies} == {name == "nesterov"}
    names = [f"train/{key}:0" for key in SETTINGS[name]]
    values = initial_values(graph, names)
    for key, expected in SETTINGS[name].items():
        assert values[f"train/{key}:0"] == pytest.approx(expected, rel=1e-6), key


def test_all_five_share_one_body_and_differ_only_in_their_optimizer_settings():
    from tf1_recipes.recipes.families.faster_optimizers import train_with_optimizer

    shared = {"n_inputs", "n_hidden1", "n_hidden2", "n_outputs", "n_epochs", "batch_size"}
    own = {
        "momentum": {"learning_rate", "momentum"},
        "nesterov": {"learning_rate", "momentum"},
        "adagrad": {"learning_rate"},
        "rmsprop": {"learning_rate", "momentum", "decay", "epsilon"},
        "adam": {"learning_rate"},
    }
    for name in NAMES:
        spec = get_recipe(name)
        assert spec.fn.__code__.co_filename.endswith(f"tf1_recipes/recipes/{name}.py") and spec.extends is train_with_optimizer
        assert set(spec.hyperparameters) == shared | own[name], name


@pytest.mark.parametrize("name", NAMES)
def test_initial_loss_is_near_ln_10(name, results, mnist_dir):
    from tf1_recipes.data import load_mnist

    graph = results[name].graph
    valid = load_mnist(mnist_dir).validation
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        loss = sess.run("loss/loss:0", feed_dict={"X:0": valid.images[:500], "y:0": valid.labels[:500]})
    assert abs(loss - math.log(10)) < 0.1
