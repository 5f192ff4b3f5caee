"""Why the max_norm_regularizer shim runs the recipe's regularizer after the step instead of giving it to the layers.

The recipe's ``kernel_regularizer`` has a side effect (an ``assign`` that clips the kernel)
and returns no loss; TF1 calls it once, at graph construction, and the loop runs its ops
after each training op. In a ``track_tf1_style_variables`` layer the same function is called
by the layer machinery: eagerly at each read of the layer's ``losses``, and inside a
``tf.function`` trace on every forward pass (from the legacy layer's ``add_weight``). These
tests pin both behaviours of tf-keras (if one changes, the shim's module note must too), and
check that the shim's way, the regularizer after the step, is the manual recipe's clipping.
"""

import numpy as np
import tensorflow as tf

from tf1_recipes.recipes.families.max_norm import max_norm_dnn, max_norm_regularizer
from tf1_recipes.shim.base import ShimLayer
from tf1_recipes.shim.families.max_norm import CLIPPED
from tf1_recipes.tf2 import parity, seed_everything

#: Below the smallest row norm of a Glorot-uniform 784x30 or 30x20 kernel (row norms ~0.27 and ~0.9).
THRESHOLD = 0.05


def _layer_with_the_regularizer():
    seed_everything(0)
    reg = max_norm_regularizer(threshold=THRESHOLD)
    layer = ShimLayer(lambda X, training: max_norm_dnn(X, n_hidden1=30, n_hidden2=20, n_outputs=10, max_norm_reg=reg),
                      name="max_norm_probe")
    layer(tf.zeros([1, 784]), training=False)
    return layer


def _row_norms(layer):
    kernels = {v.name.split(":")[0]: v for v in layer.variables}
    return {name: np.linalg.norm(kernels[name].numpy(), axis=1).max() for name in CLIPPED}


def test_building_and_calling_eagerly_does_not_clip_but_reading_losses_does():
    layer = _layer_with_the_regularizer()
    layer(tf.ones([2, 784]), training=True)
    assert all(norm > 2 * THRESHOLD for norm in _row_norms(layer).values())
    assert layer.losses == []  # the regularizer adds no term ...
    assert all(norm <= THRESHOLD * (1 + 1e-6) for norm in _row_norms(layer).values())  # ... but it clipped


def test_a_forward_pass_inside_tf_function_clips_before_the_logits():
    layer = _layer_with_the_regularizer()
    X = tf.constant(np.random.RandomState(0).rand(4, 784), tf.float32)
    unclipped_logits = layer(X, training=False).numpy()
    traced_logits = tf.function(lambda X: layer(X, training=False))(X).numpy()
    assert all(norm <= THRESHOLD * (1 + 1e-6) for norm in _row_norms(layer).values())
    # The traced call's own logits already come from the clipped kernels.
    np.testing.assert_allclose(traced_logits, layer(X, training=False).numpy(), rtol=1e-6)
    assert np.abs(traced_logits - unclipped_logits).max() > 1e-3


def test_the_regularizer_after_the_step_is_the_manual_clipping():
    """The two max-norm shims take the same steps from the same values: the regularizer variant
    runs the recipe's max_norm() after each step, the manual one clip_max_norm()."""
    overrides = {"threshold": 0.5}
    manual = parity.build_shim("max_norm_manual", None, overrides)
    regularizer = parity.build_shim("max_norm_regularizer", None, overrides)
    regularizer.set_tf1_values(manual.get_tf1_values())
    for X, y in parity.fixed_batches(3, 50):
        for shim in (manual, regularizer):
            shim.train_step(tf.constant(X), tf.constant(y, tf.int64))
    m, r = manual.get_tf1_values(), regularizer.get_tf1_values()
    assert max(np.abs(m[name] - r[name]).max() for name in m) == 0.0
    assert max(np.linalg.norm(r[name], axis=1).max() for name in CLIPPED) <= 0.5 * (1 + 1e-6)
