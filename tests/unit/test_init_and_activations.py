"""he_init, xavier_init, leaky_relu, elu, selu: the initializers, the activation ops, SELU's scaling."""

import math

import numpy as np
import pytest

from tf1_recipes.compat import tf1

NAMES = ["he_init", "xavier_init", "leaky_relu", "elu", "selu"]
TINY = {"n_epochs": 1, "train_size": 500}
TRUNCATED = 0.87962566103423978  # std of a standard normal truncated at +-2 sigma


@pytest.fixture(scope="module")
def results():
    """Each recipe after one epoch on 500 images."""
    from tf1_recipes.harness import RecipeConfig, run_recipe

    return {name: run_recipe(RecipeConfig(name, overrides=TINY, quiet=True, progress=False)) for name in NAMES}


def _initial_kernels(graph):
    variables = {v.name: v for v in graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)}
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        return {layer: sess.run(variables[f"{layer}/kernel:0"]) for layer in ("hidden1", "hidden2", "outputs")}


@pytest.mark.parametrize("name", NAMES)
def test_the_model_is_the_300_100_mlp(name, results):
    graph = results[name].graph
    trainable = [v.name for v in graph.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES)]
    assert trainable == [f"{layer}/{p}:0" for layer in ("hidden1", "hidden2", "outputs") for p in ("kernel", "bias")]
    assert [v.shape.as_list() for v in graph.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES)][::2] == [
        [784, 300],
        [300, 100],
        [100, 10],
    ]
    assert graph.get_operation_by_name("train/GradientDescent").type == "NoOp"
    for tensor in ("X:0", "y:0", "loss/loss:0", "eval/accuracy:0"):
        graph.get_tensor_by_name(tensor)


def test_he_init_kernels_have_the_variance_scaling_fan_in_scale_2_spread(results):
    kernels = _initial_kernels(results["he_init"].graph)
    for layer, fan_in in (("hidden1", 784), ("hidden2", 300)):
        std = math.sqrt(2.0 / fan_in)  # scale 2 over fan-in; truncation is corrected for
        assert np.std(kernels[layer]) == pytest.approx(std, rel=0.02)
        assert np.abs(kernels[layer]).max() <= 2.0 * std / TRUNCATED * (1 + 1e-6)  # truncated at 2 sigma
    # The linear output layer keeps dense's Glorot-uniform default.
    assert np.abs(kernels["outputs"]).max() <= math.sqrt(6.0 / (100 + 10))


def test_xavier_init_kernels_are_glorot_uniform(results):
    kernels = _initial_kernels(results["xavier_init"].graph)
    for layer, fan_in, fan_out in (("hidden1", 784, 300), ("hidden2", 300, 100)):
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        assert np.std(kernels[layer]) == pytest.approx(limit / math.sqrt(3.0), rel=0.02)
        assert np.abs(kernels[layer]).max() <= limit
        assert np.abs(kernels[layer]).max() > 0.99 * limit  # uniform: the edges are reached


@pytest.mark.parametrize(
    "name,op_type", [("he_init", "Relu"), ("xavier_init", "Relu"), ("elu", "Elu"), ("selu", "Selu")]
)
def test_hidden_layers_use_the_recipe_activation(name, op_type, results):
    graph = results[name].graph
    for layer in ("hidden1", "hidden2"):
        assert graph.get_operation_by_name(f"dnn/{layer}/{op_type}").type == op_type
    assert not [op for op in graph.get_operations() if op.name.startswith("dnn/outputs/") and op.type == op_type]


def test_leaky_relu_is_a_maximum_with_slope_0_01(results, at_init):
    graph = results["leaky_relu"].graph
    for layer in ("hidden1", "hidden2"):
        maximum = graph.get_operation_by_name(f"dnn/{layer}/Maximum")
        assert maximum.type == "Maximum"
        scaled, z = maximum.inputs
        assert scaled.op.type == "Mul" and z.op.type == "BiasAdd"
        assert z.op in [t.op for t in scaled.op.inputs]
    z, out = at_init(graph, ["dnn/hidden1/BiasAdd:0", "dnn/hidden1/Maximum:0"])
    assert (z < 0).any() and (z > 0).any()
    np.testing.assert_allclose(out, np.where(z > 0, z, 0.01 * z), rtol=1e-6)


def _fed_inputs(recipe, monkeypatch):
    """Every X fed to a session during a tiny run of ``recipe``: (training batches, evaluation feeds)."""
    from tf1_recipes.harness import RecipeConfig, run_recipe

    fed = []
    original = tf1.Session.run

    def recording_run(self, fetches, feed_dict=None, *args, **kwargs):
        for key, value in (feed_dict or {}).items():
            if getattr(key, "name", key) == "X:0":
                fed.append(np.array(value))
        return original(self, fetches, feed_dict, *args, **kwargs)

    monkeypatch.setattr(tf1.Session, "run", recording_run)
    run_recipe(RecipeConfig(recipe, overrides=TINY, quiet=True, progress=False))
    monkeypatch.undo()
    batch_size = 50
    return [x for x in fed if len(x) == batch_size], [x for x in fed if len(x) != batch_size]


def test_selu_feeds_inputs_standardised_with_the_training_statistics(monkeypatch, mnist_dir):
    from tf1_recipes.data import load_mnist

    train_batches, eval_feeds = _fed_inputs("selu", monkeypatch)
    X_train = np.concatenate(train_batches)
    assert len(X_train) == TINY["train_size"]  # one epoch: every training image once
    varying = load_mnist(mnist_dir, TINY["train_size"]).train.images.std(axis=0) > 0
    np.testing.assert_allclose(X_train.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(X_train.std(axis=0)[varying], 1.0, atol=1e-3)
    np.testing.assert_array_equal(X_train[:, ~varying], 0.0)

    mnist = load_mnist(mnist_dir, TINY["train_size"])
    means = mnist.train.images.mean(axis=0, keepdims=True)
    stds = mnist.train.images.std(axis=0, keepdims=True) + 1e-10
    (X_valid,) = eval_feeds
    np.testing.assert_allclose(X_valid, (mnist.validation.images - means) / stds, rtol=1e-5, atol=1e-5)


def test_other_recipes_feed_raw_pixels(monkeypatch):
    train_batches, eval_feeds = _fed_inputs("elu", monkeypatch)
    X_train = np.concatenate(train_batches)
    assert X_train.min() >= 0.0 and X_train.max() <= 1.0 and X_train.max() > 0.99


#: Reference configurations whose step-0 loss is not within 0.1 of ln(10) (measured, seeds 42-45).
#: Strict: if the recipe changes so that the check passes, the xfail fails and says so.
STARTS_ABOVE_CHANCE = {
    "elu": (
        "reference ELU net (Glorot-uniform kernels): ELU passes negative pre-activations through, the "
        "logits spread more than with ReLU (std ~0.5), and the step-0 loss is 2.45-2.50 (2.448 at seed 42)"
    ),
    "selu": (
        "reference SELU net: Glorot-uniform kernels (not the LeCun-normal SELU needs to self-normalise) on "
        "standardised inputs give logits of std ~1.6 and a step-0 loss of 3.2-3.4 (3.233 at seed 42)"
    ),
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=STARTS_ABOVE_CHANCE[n]))
        if n in STARTS_ABOVE_CHANCE
        else n
        for n in NAMES
    ],
)
def test_initial_loss_is_near_ln_10(name, results, at_init, mnist_dir):
    X = None
    if name == "selu":
        from tf1_recipes.data import load_mnist

        mnist = load_mnist(mnist_dir)
        train = mnist.train.images
        X = (mnist.validation.images[:500] - train.mean(axis=0)) / (train.std(axis=0) + 1e-10)
    loss = at_init(results[name].graph, "loss/loss:0", X=X)
    assert abs(loss - math.log(10)) < 0.1


def test_unknown_activation_or_initializer_is_a_clear_error(run_quiet):
    with pytest.raises(ValueError, match="unknown activation 'tanhh'"):
        run_quiet("elu", overrides={"activation": "tanhh", **TINY})
    with pytest.raises(ValueError, match="unknown initializer 'lecun'"):
        run_quiet("he_init", overrides={"initializer": "lecun", **TINY})
