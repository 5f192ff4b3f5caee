"""gradient_clipping's port: clip_by_value between the tape and apply_gradients, as between compute_ and apply_gradients."""

import numpy as np
import tensorflow as tf

from tf1_recipes.tf2 import parity
from tf1_recipes.tf2.parity import build_port, fixed_batches

#: A threshold the first steps' gradients exceed, so the K-step parity exercises the clipping.
BITING = {"threshold": 0.002}


def test_the_parity_threshold_really_clips():
    port = build_port("gradient_clipping", "reference", BITING)
    (X, y), = fixed_batches(1, parity.BATCH_SIZE)
    with tf.GradientTape() as tape:
        loss = port.loss(X, y, training=True)
    grads = tape.gradient(loss, port.model.trainable_variables)
    assert max(float(tf.reduce_max(tf.abs(g))) for g in grads) > 10 * BITING["threshold"]


def test_k_steps_with_clipping_that_bites_match_tf1(pair):
    tf1_trace, tf2_trace, result = pair("gradient_clipping", "reference", BITING)
    assert result.k_steps_ok, result.summary()
    assert result.forward_max < parity.FORWARD_TOLERANCE


def test_without_the_clipping_the_port_would_not_match(pair):
    """A negative control: the same port with clipping switched off leaves the tolerance."""
    tf1_trace, _, _ = pair("gradient_clipping", "reference", BITING)
    unclipped = build_port("gradient_clipping", "reference", BITING)
    unclipped.process_gradients = lambda grads: grads
    _, result = parity.against(tf1_trace, "gradient_clipping", "reference", unclipped)
    assert not result.k_steps_ok and result.weights > 1e-3
    assert np.isfinite(result.weights)
