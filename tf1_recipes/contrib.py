"""Stand-ins for the ``tf.contrib`` pieces the reference code used (contrib is gone in TF2).

Each reproduces the contrib semantics exactly, with today's ``tf.compat.v1`` ops, so a
recipe keeps the reference's numbers rather than a near-equivalent's.
"""

import math
import numbers

from tf1_recipes.compat import tf, tf1


def variance_scaling_initializer(factor=2.0, mode="FAN_IN", uniform=False, seed=None, dtype=tf.float32):
    """``tf.contrib.layers.variance_scaling_initializer`` with its defaults (He init).

    Defaults: factor 2.0, fan-in, truncated normal with stddev ``sqrt(1.3 * factor / n)``
    (contrib's own correction for truncation). Today's ``tf.compat.v1.variance_scaling_initializer``
    with ``scale=2.0`` divides by 0.8796 instead of multiplying by 1.3, a slightly
    different stddev, so it would not reproduce the reference runs.
    """
    if mode not in ("FAN_IN", "FAN_OUT", "FAN_AVG"):
        raise ValueError(f"unknown mode {mode!r}")

    def _initializer(shape, dtype=dtype, partition_info=None):
        shape = [int(d) for d in shape]
        if len(shape) > 1:
            fan_in = shape[-2] * math.prod(shape[:-2])
            fan_out = shape[-1] * math.prod(shape[:-2])
        else:
            fan_in = fan_out = shape[0] if shape else 1
        n = {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}[mode]
        if uniform:
            limit = math.sqrt(3.0 * factor / n)
            return tf1.random_uniform(shape, -limit, limit, dtype, seed=seed)
        trunc_stddev = math.sqrt(1.3 * factor / n)
        return tf1.truncated_normal(shape, 0.0, trunc_stddev, dtype, seed=seed)

    return _initializer


def _scaled_penalty(scale, scope, default_name, penalty):
    """contrib's regularizer pattern: ``scale * penalty(weights)`` in a ``default_name`` scope.

    As in contrib, the scale must be a non-negative float (an int is refused), and a scale
    of 0 disables the regularizer: it returns None, so the layer adds no loss term.
    """
    if isinstance(scale, numbers.Integral):
        raise ValueError(f"scale cannot be an integer: {scale}")
    if isinstance(scale, numbers.Real):
        if scale < 0.0:
            raise ValueError(f"Setting a scale less than 0 on a regularizer: {scale:g}")
        if scale == 0.0:
            return lambda _: None

    def regularizer(weights):
        with tf1.name_scope(scope, default_name, [weights]) as name:
            my_scale = tf.convert_to_tensor(scale, dtype=weights.dtype.base_dtype, name="scale")
            return tf.multiply(my_scale, penalty(weights), name=name)

    return regularizer


def l1_regularizer(scale, scope=None):
    """``tf.contrib.layers.l1_regularizer``: ``scale * sum(|W|)``."""
    return _scaled_penalty(scale, scope, "l1_regularizer", lambda weights: tf.reduce_sum(tf.abs(weights)))


def l2_regularizer(scale, scope=None):
    """``tf.contrib.layers.l2_regularizer``: ``scale * sum(W**2) / 2`` (``tf.nn.l2_loss``).

    Not tf_keras' ``regularizers.l2(scale)``, which is ``scale * sum(W**2)`` (no halving).
    """
    return _scaled_penalty(scale, scope, "l2_regularizer", tf.nn.l2_loss)
