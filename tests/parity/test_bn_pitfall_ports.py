"""Ports of the batch-norm pitfalls (bn_pitfall_training_flag, bn_shared_between_towers, dropout_bn_order).

All three train through ``run.batches``, so the parity probe watches them: their forward-pass
and K-step tests are the common ones in test_equivalence.py (every preset with its own model
configuration). The tests here check what each pitfall adds: the value each recipe reports
after the K steps (the pitfall's own metric), computed by the port as TF1 computes it, and
the mechanism that makes the pitfall, on both sides.
"""

import numpy as np
import pytest

from tf1_recipes.tf2 import parity
from tf1_recipes.tf2.base import Port

#: One image of the 5,000 validation images: an accuracy may differ by no more (a logit at a
#: float32 tie); in these runs none does.
ONE_IMAGE = 1 / 5000


def reported(trace):
    return trace.extras["reported"]


def assert_reports_agree(tf1_trace, tf2_trace, accuracies=(), values=()):
    """The epoch's reported series agree: accuracies within one image, other values within the loss tolerance (relative)."""
    tf1_reported, tf2_reported = reported(tf1_trace), reported(tf2_trace)
    assert set(tf1_reported) == set(tf2_reported)
    for name in accuracies:
        np.testing.assert_allclose(tf2_reported[name], tf1_reported[name], rtol=0, atol=ONE_IMAGE, err_msg=name)
    for name in values:
        np.testing.assert_allclose(tf2_reported[name], tf1_reported[name], rtol=parity.LOSS_TOLERANCE, atol=0, err_msg=name)


# --------------------------------------------------------------------------- bn_pitfall_training_flag


def test_training_mode_accuracy_in_batches_of_10_after_k_steps_is_tf1s(pair):
    """The pitfall's metric (batch statistics at test time, 10 images at a time) and the inference-mode extras agree."""
    tf1_trace, tf2_trace, result = pair("bn_pitfall_training_flag", "pitfall")
    assert result.k_steps_ok, result.summary()
    assert_reports_agree(tf1_trace, tf2_trace, accuracies=("history", "inference_accuracy"), values=("loss",))
    # The pitfall is in the numbers: with batch statistics the same model scores far lower.
    for trace in (tf1_trace, tf2_trace):
        assert reported(trace)["history"][0] < reported(trace)["inference_accuracy"][0] - 0.05


def test_the_ports_training_mode_evaluation_leaves_the_moving_statistics_alone():
    """TF1's evaluation with ``training`` fed True ran no update ops; Keras' ``model(X, training=True)``
    would update the moving statistics at every evaluated batch, hence the port's stateless_call."""
    port = parity.build_port("bn_pitfall_training_flag", "pitfall")
    ((X, y),) = parity.fixed_batches(1, 50)

    def statistics():
        return [v.numpy().copy() for v in port.model.non_trainable_variables]

    before = statistics()
    accuracy = port.accuracy_in_batches(X, y, port.eval_batch_size)
    assert 0.0 <= accuracy <= 1.0
    assert all(np.array_equal(a, b) for a, b in zip(before, statistics()))
    # The same logits as a training-mode call, which does move them.
    logits = port.training_mode_logits(X[:10]).numpy()
    np.testing.assert_array_equal(port.model(X[:10], training=True).numpy(), logits)
    assert not all(np.array_equal(a, b) for a, b in zip(before, statistics()))


@pytest.mark.parametrize("build", [parity.build_port, parity.build_shim], ids=["port", "shim"])
def test_a_whole_split_in_one_call_is_the_accuracy_of_one_call_per_10_images_bit_for_bit(build):
    """accuracy_in_batches runs every 10-image slice in one tf.function (training_mode_accuracies): the same
    weighted accuracy as one call of training_mode_accuracy per slice, the last slice short, bit for bit."""
    import tensorflow as tf

    port = build("bn_pitfall_training_flag", "pitfall")
    port.train_batches(iter(parity.fixed_batches(5, 50)))
    (X, y), = parity.fixed_batches(1, 205)
    single = tf.function(port.training_mode_accuracy, input_signature=port.step_signature())
    total = 0.0
    for start in range(0, len(X), 10):
        total += float(single(X[start : start + 10], y[start : start + 10])) * len(X[start : start + 10])
    assert port.accuracy_in_batches(X, y, 10) == total / len(X)


# --------------------------------------------------------------------------- bn_shared_between_towers


@pytest.mark.parametrize("preset", ["shared", "separate"])
def test_moving_mean_mismatch_and_both_towers_accuracy_after_k_steps_are_tf1s(preset, pair):
    tf1_trace, tf2_trace, result = pair("bn_shared_between_towers", preset)
    assert result.k_steps_ok, result.summary()
    assert_reports_agree(tf1_trace, tf2_trace, accuracies=("accuracy_a", "accuracy_b"), values=("history", "loss"))


def test_tower_b_logits_from_the_tf1_initial_variables_are_tf1s(pair):
    """The probe compares tower A's logits (Port.tf1_logits); tower B's, on the inverted images, here."""
    from tf1_recipes.compat import tf1

    tf1_trace, _, _ = pair("bn_shared_between_towers", "shared")
    graph = tf1_trace.extras["graph"]
    (X, y), = parity.fixed_batches(1, parity.BATCH_SIZE)
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        for variable in graph.get_collection("variables"):
            variable.load(tf1_trace.initial[variable.op.name], sess)
        tf1_logits = {
            training: sess.run("tower_b/dnn/outputs/BiasAdd:0", {"X:0": X, "training:0": training}) for training in (False, True)
        }
    port = parity.build_port("bn_shared_between_towers", "shared")
    port.set_tf1_values(tf1_trace.initial)
    tower_b = port.towers[1]
    assert parity.max_abs_diff(tower_b(X, training=False).numpy(), tf1_logits[False]) < parity.FORWARD_TOLERANCE
    assert parity.max_abs_diff(tower_b(X, training=True).numpy(), tf1_logits[True]) < parity.FORWARD_TOLERANCE
    assert parity.max_abs_diff(tf1_logits[False], tf1_logits[True]) > 1e-2  # batch vs moving statistics


def mean_xentropy(logits, y):
    """Mean softmax cross-entropy of float64 ``logits`` against labels ``y`` (NumPy)."""
    logits = np.asarray(logits, np.float64)
    log_softmax = logits - logits.max(axis=1, keepdims=True)
    log_softmax -= np.log(np.exp(log_softmax).sum(axis=1, keepdims=True))
    return float(-np.mean(log_softmax[np.arange(len(y)), y]))


def test_shared_statistics_make_the_inference_mode_worse_while_the_towers_train(pair):
    """Why the port sets parity_inference_loss_falls = False: in the shared preset the inference-mode
    loss rises over the K steps (the blended statistics fit neither tower) while the training-mode
    loss, on batch statistics, falls, on both sides; with per-tower statistics both fall."""
    (_, y), = parity.fixed_batches(1, parity.BATCH_SIZE)
    for preset, inference_falls in (("shared", False), ("separate", True)):
        for trace in pair("bn_shared_between_towers", preset)[:2]:
            assert mean_xentropy(trace.final_logits["training"], y) < trace.loss["training"], preset
            assert (trace.final_loss < trace.step_losses[0]) == inference_falls, (preset, trace.step_losses[0], trace.final_loss)


def chained_updates_port(preset):
    """The port with Keras' own step (``Port._train_step``): both towers called in training mode
    one after the other, so the shared layers' second update starts from the first's result."""
    from tf1_recipes.tf2 import get_port, seed_everything

    cls = get_port("bn_shared_between_towers")
    chained = type("ChainedUpdates", (cls,), {"_train_step": Port._train_step})
    _, _, _, settings, hyper = parity.resolve("bn_shared_between_towers", preset)
    seed_everything(settings["seed"])
    return chained(**hyper)


def test_shared_batch_norm_updates_add_up_as_in_tf1_where_keras_calls_would_chain_them(pair):
    """Both towers' UPDATE_OPS read the shared moving statistics before either writes: the updates add up.

    Calling the shared Keras layer once per tower chains them instead; with per-tower layers
    (``separate``) there is nothing to chain and that naive step agrees with TF1 as well.
    """
    naive = {}
    for preset in ("shared", "separate"):
        tf1_trace, _, result = pair("bn_shared_between_towers", preset)
        assert result.k_steps_ok, (preset, result.summary())
        naive[preset] = parity.against(tf1_trace, "bn_shared_between_towers", preset, port=chained_updates_port(preset))[1]
        assert naive[preset].forward_max < parity.FORWARD_TOLERANCE  # the step differs, not the model
    assert naive["separate"].k_steps_ok, naive["separate"].summary()
    assert not naive["shared"].k_steps_ok, naive["shared"].summary()
    worst = max(naive["shared"].per_variable, key=naive["shared"].per_variable.get)
    assert worst.endswith(("moving_mean", "moving_variance")), worst  # the blend is off, not just its rounding
    assert naive["shared"].per_variable["dnn/bn1/moving_mean"] > 1e-3


# --------------------------------------------------------------------------- dropout_bn_order


@pytest.mark.parametrize("preset", ["before_bn", "after_bn"])
def test_variance_shift_and_accuracy_after_k_steps_are_tf1s(preset, pair):
    """The K steps run with the same injected dropout masks on both sides (parity.DropoutNoise)."""
    tf1_trace, tf2_trace, result = pair("dropout_bn_order", preset)
    assert result.k_steps_ok, result.summary()
    assert_reports_agree(tf1_trace, tf2_trace, accuracies=("history",), values=("variance_shift", "loss"))
    # Dropout was active in the training-mode forward pass (the two modes differ from the start).
    logits = tf1_trace.logits
    assert parity.max_abs_diff(logits["training"], logits["inference"]) > 1e-2


def test_dropout_sits_where_the_preset_says():
    for preset, feeds in (("before_bn", "hidden2"), ("after_bn", "outputs")):
        port = parity.build_port("dropout_bn_order", preset)
        layers = [layer.name for layer in port.model.layers]
        assert layers[layers.index("dropout") + 1] == feeds, (preset, layers)
    with pytest.raises(ValueError, match="dropout_position must be one of"):
        parity.build_port("dropout_bn_order", "before_bn", dropout_position="nowhere")
