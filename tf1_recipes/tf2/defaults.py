"""Where TF1's defaults and Keras 3's differ, and the TF1 values and pieces the ports use instead.

Each difference below would change a port's numbers silently if the Keras default were
used; every port passes the TF1 value explicitly, and ``tests/parity/test_defaults.py``
pins each one with a test that fails when the Keras default is substituted.
:data:`DIFFERENCES` lists them (MIGRATION.md is written from the same facts).
"""

import dataclasses

import keras

#: Standard deviation of a standard normal truncated to [-2, 2]. TF's and Keras'
#: ``VarianceScaling`` divide their stddev by it so the *truncated* samples have
#: variance ``scale / n``; ``tf.contrib.layers.variance_scaling_initializer`` did not.
TRUNCATED_NORMAL_STD = 0.87962566103423978

#: ``tf.contrib.layers.variance_scaling_initializer()`` draws a truncated normal with
#: stddev ``sqrt(1.3 * factor / n)`` (factor 2.0, before truncation). The Keras
#: ``VarianceScaling`` scale that gives the same distribution: ``1.3 * 2.0 * 0.8796^2``
#: (about 2.0117). ``keras.initializers.HeNormal()`` (scale 2.0) is 0.3% narrower.
CONTRIB_HE_SCALE = 1.3 * 2.0 * TRUNCATED_NORMAL_STD**2


def contrib_he_init():
    """Keras 3 initializer equal in distribution to contrib's ``variance_scaling_initializer()``."""
    return keras.initializers.VarianceScaling(scale=CONTRIB_HE_SCALE, mode="fan_in", distribution="truncated_normal")


def tf1_variance_scaling():
    """``tf.variance_scaling_initializer()``: scale 1.0, fan-in, truncated normal, as Keras' defaults."""
    return keras.initializers.VarianceScaling(scale=1.0, mode="fan_in", distribution="truncated_normal")


#: ``tf.layers.batch_normalization``'s epsilon (Keras 3's default is also 1e-3; passed
#: explicitly so a change of either default cannot slip in).
BATCH_NORM_EPSILON = 1e-3


@dataclasses.dataclass(frozen=True)
class Difference:
    """One default that differs (or could be mistaken) between the TF1 code and Keras 3."""

    what: str
    tf1: str
    keras_default: str
    port: str
    test: str


DIFFERENCES = (
    Difference(
        "batch norm momentum",
        "tf.layers.batch_normalization(momentum=0.99); the recipe passes momentum=0.9",
        "keras.layers.BatchNormalization(momentum=0.99)",
        "BatchNormalization(momentum=batch_norm_momentum) (0.9)",
        "tests/parity/test_defaults.py::test_batch_norm_momentum_is_the_recipes",
    ),
    Difference(
        "batch norm epsilon",
        "tf.layers.batch_normalization(epsilon=0.001)",
        "keras.layers.BatchNormalization(epsilon=0.001)",
        "BatchNormalization(epsilon=BATCH_NORM_EPSILON) (0.001, explicit)",
        "tests/parity/test_defaults.py::test_batch_norm_epsilon_is_tf1s",
    ),
    Difference(
        "He initialisation (contrib)",
        "tf.contrib.layers.variance_scaling_initializer(): truncated normal, stddev sqrt(1.3*2/fan_in)",
        "keras.initializers.HeNormal(): truncated normal, sample std sqrt(2/fan_in)",
        "VarianceScaling(scale=CONTRIB_HE_SCALE, mode='fan_in', distribution='truncated_normal')",
        "tests/parity/test_defaults.py::test_contrib_he_init_distribution",
    ),
    Difference(
        "variance_scaling defaults",
        "tf.variance_scaling_initializer(): scale 1.0, fan_in, truncated_normal",
        "keras.initializers.VarianceScaling(): scale 1.0, fan_in, truncated_normal (same)",
        "VarianceScaling(scale=1.0, mode='fan_in', distribution='truncated_normal') (explicit)",
        "tests/parity/test_defaults.py::test_variance_scaling_defaults_agree",
    ),
    Difference(
        "default kernel initializer",
        "tf.layers.dense(kernel_initializer=None): Glorot uniform",
        "keras.layers.Dense(kernel_initializer='glorot_uniform')",
        "Dense's default (Glorot uniform in both)",
        "tests/parity/test_defaults.py::test_default_kernel_initializer_is_glorot_uniform_in_both",
    ),
    Difference(
        "Adam epsilon",
        "tf.train.AdamOptimizer(epsilon=1e-8)",
        "keras.optimizers.Adam(epsilon=1e-7)",
        "Adam(lr, epsilon=ADAM_EPSILON) (1e-8)",
        "tests/parity/test_defaults.py::test_adam_epsilon_is_tf1s",
    ),
    Difference(
        "RMSProp decay, momentum, epsilon, initial accumulator",
        "tf.train.RMSPropOptimizer(decay=0.9, momentum=0.0, epsilon=1e-10); mean square starts at 1",
        "keras.optimizers.RMSprop(rho=0.9, momentum=0.0, epsilon=1e-7); mean square starts at 0",
        "TF1RMSprop(lr, rho=decay, momentum=momentum, epsilon=epsilon): accumulators from 1",
        "tests/parity/test_defaults.py::test_rmsprop_decay_is_rho_momentum_and_epsilon_are_passed_and_accumulators_start_at_one",
    ),
    Difference(
        "momentum with a changing learning rate",
        "tf.train.MomentumOptimizer: m = beta m + g; w -= lr_t m",
        "keras.optimizers.SGD(momentum=...): m = beta m - lr_t g; w += m",
        "TF1Momentum (SGD with TF1's rule) wherever the rate changes",
        "tests/parity/test_defaults.py::test_momentum_with_a_changing_rate_keeps_the_rate_out_of_the_buffer",
    ),
    Difference(
        "exponential_decay vs ExponentialDecay",
        "tf.train.exponential_decay(lr0, global_step, decay_steps, rate, staircase=False)",
        "keras.optimizers.schedules.ExponentialDecay(lr0, decay_steps, rate, staircase=False), at optimizer.iterations",
        "ExponentialDecay(lr0, decay_steps, rate) given to TF1Momentum; step = optimizer.iterations",
        "tests/parity/test_defaults.py::test_exponential_decay_and_exponential_decay_schedule_agree_step_by_step",
    ),
    Difference(
        "L1/L2 regulariser scales",
        "contrib l1_regularizer(s) = s*sum|W|; l2_regularizer(s) = s*sum(W^2)/2",
        "keras.regularizers.L1(s) = s*sum|W|; L2(s) = s*sum(W^2)",
        "L1(scale); L2(scale * L2_FACTOR) with L2_FACTOR = 0.5",
        "tests/parity/test_defaults.py::test_l1_and_l2_scales_are_contribs",
    ),
    Difference(
        "max-norm axis and bound",
        "clip_by_norm(W, threshold, axes=1) on a (inputs, units) kernel: each row",
        "keras.constraints.MaxNorm(max_value=2, axis=0): each column",
        "MaxNorm(threshold, axis=MAX_NORM_AXIS) (1), or tf.clip_by_norm(axes=[1]) after each step",
        "tests/parity/test_defaults.py::test_max_norm_clips_rows_as_clip_by_norm_axes_1",
    ),
    Difference(
        "dropout rate vs keep_prob",
        "tf.layers.dropout(x, rate) drops `rate`; tf.nn.dropout(x, keep_prob) (TF1) kept `keep_prob`",
        "keras.layers.Dropout(rate) drops `rate`",
        "Dropout(dropout_rate)",
        "tests/parity/test_defaults.py::test_dropout_rate_is_the_fraction_dropped_not_keep_prob",
    ),
    Difference(
        "random normal initializer stddev",
        "tf.random_normal_initializer(stddev=1.0)",
        "keras.initializers.RandomNormal(stddev=0.05)",
        "RandomNormal(stddev=init_stddev)",
        "tests/parity/test_defaults.py::test_random_normal_stddev_is_passed",
    ),
    Difference(
        "leaky ReLU slope",
        "the reference's tf.maximum(0.01 * z, z) (tf.nn.leaky_relu default alpha 0.2)",
        "keras.activations.leaky_relu(negative_slope=0.2); keras.layers.LeakyReLU(negative_slope=0.3)",
        "leaky_relu with negative_slope=LEAKY_RELU_SLOPE (0.01)",
        "tests/parity/test_defaults.py::test_leaky_relu_slope_is_the_references",
    ),
)
