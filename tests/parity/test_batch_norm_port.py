"""batch_norm's port: batch norm in training and inference mode, and its moving statistics, as TF1 computes them."""

import numpy as np
import pytest

from tf1_recipes.tf2 import parity

PRESETS = parity.parity_presets("batch_norm")
MOVING = [f"{layer}/{stat}" for layer in ("batch_normalization", "batch_normalization_1", "batch_normalization_2")
          for stat in ("moving_mean", "moving_variance")]


def test_every_wiring_and_initializer_has_a_parity_run():
    # fetch vs control_dependencies (UPDATE_OPS) and the two initializers are distinct configurations.
    assert PRESETS == ["reference", "control_deps", "book"]


@pytest.mark.parametrize("preset", PRESETS)
def test_moving_statistics_after_k_steps_match_tf1s(preset, pair):
    tf1_trace, tf2_trace, result = pair("batch_norm", preset)
    for name in MOVING:
        start, tf1_final, tf2_final = tf1_trace.initial[name], tf1_trace.final[name], tf2_trace.final[name]
        # The statistics moved (the update ops ran, and Keras updated them in the traced step)...
        assert np.max(np.abs(tf1_final - start)) > 1e-2, name
        # ...by the same amounts on both sides.
        np.testing.assert_allclose(tf2_final, tf1_final, rtol=parity.WEIGHT_RTOL, atol=parity.WEIGHT_ATOL, err_msg=name)


@pytest.mark.parametrize("preset", PRESETS)
def test_training_and_inference_mode_logits_agree_before_and_after_training(preset, pair):
    tf1_trace, _, result = pair("batch_norm", preset)
    assert set(result.forward) == {"inference", "training"}
    assert max(result.forward.values()) < parity.FORWARD_TOLERANCE
    # After K steps the inference mode reads the moving statistics, the training mode the batch's.
    assert max(result.final_logits.values()) < 1e-4, result.final_logits
    modes = tf1_trace.final_logits
    assert np.max(np.abs(modes["training"] - modes["inference"])) > 1e-2  # the two modes really differ


def test_keras_batch_norm_called_in_training_mode_updates_its_statistics_at_once():
    """Why the parity probe restores them: TF1 only updated them when UPDATE_OPS ran."""
    from tf1_recipes.tf2.parity import build_port, fixed_batches

    port = build_port("batch_norm", "reference")
    (X, _), = fixed_batches(1, 16)
    before = port.model.get_layer("bn1").moving_mean.numpy().copy()
    port.logits(X, training=False)
    assert np.array_equal(port.model.get_layer("bn1").moving_mean.numpy(), before)
    port.logits(X, training=True)
    assert not np.array_equal(port.model.get_layer("bn1").moving_mean.numpy(), before)


def test_update_ops_wiring_must_be_a_known_one():
    from tf1_recipes.tf2.parity import build_port

    with pytest.raises(ValueError, match="update_ops must be one of"):
        build_port("batch_norm", "reference", update_ops="sometimes")
