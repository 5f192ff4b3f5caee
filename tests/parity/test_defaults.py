"""Every default that differs between the TF1 code and Keras 3, pinned (tf1_recipes.tf2.defaults.DIFFERENCES).

Each test checks the port against TF1 and, where Keras' default differs, shows that
substituting the Keras default breaks the agreement: the test fails if a port used it.
"""

import inspect

import keras
import numpy as np
import pytest

from tf1_recipes.tf2 import defaults, parity
from tf1_recipes.tf2.parity import build_port


def keras_default(callable_, parameter):
    """The default of ``parameter`` in Keras 3's own signature (read, not assumed)."""
    return inspect.signature(callable_).parameters[parameter].default


def tf1_default(callable_, parameter):
    return inspect.signature(callable_).parameters[parameter].default


def port_against_tf1(recipe, preset, tf1_trace, port):
    """Parity of ``port`` (a variant of the recipe's port) against an existing TF1 trace."""
    return parity.against(tf1_trace, recipe, preset, port)[1]


# --------------------------------------------------------------------------- batch norm


def test_batch_norm_momentum_is_the_recipes(pair):
    from tf1_recipes.compat import tf1

    tf1_trace, _, result = pair("batch_norm", "reference")
    assert result.k_steps_ok
    keras_momentum = keras_default(keras.layers.BatchNormalization, "momentum")
    assert keras_momentum == 0.99 == tf1_default(tf1.layers.batch_normalization, "momentum")
    wrong = port_against_tf1("batch_norm", "reference", tf1_trace, build_port("batch_norm", "reference", batch_norm_momentum=keras_momentum))
    assert not wrong.k_steps_ok and wrong.per_variable["batch_normalization/moving_mean"] > 1e-3


def test_batch_norm_epsilon_is_tf1s(pair, monkeypatch):
    from tf1_recipes.compat import tf1
    from tf1_recipes.tf2 import batch_norm

    assert defaults.BATCH_NORM_EPSILON == tf1_default(tf1.layers.batch_normalization, "epsilon") == 1e-3
    assert keras_default(keras.layers.BatchNormalization, "epsilon") == 1e-3  # the same today: passed explicitly anyway
    port = build_port("batch_norm", "reference")
    assert {port.model.get_layer(n).epsilon for n in ("bn1", "bn2", "logits_bn")} == {defaults.BATCH_NORM_EPSILON}
    # The epsilon is visible in the numbers: another one leaves the forward tolerance.
    tf1_trace, _, _ = pair("batch_norm", "reference")
    monkeypatch.setattr(batch_norm, "BATCH_NORM_EPSILON", 1e-5)
    wrong = port_against_tf1("batch_norm", "reference", tf1_trace, build_port("batch_norm", "reference"))
    assert wrong.forward["training"] > parity.FORWARD_TOLERANCE


# --------------------------------------------------------------------------- initializers

SHAPE = (4096, 4096)  # 16.8M draws: the sample std is known to ~2e-4 relative


def tf1_sample(make_layer_kernel):
    """Values of a TF1 kernel of SHAPE built by ``make_layer_kernel(X)`` in a fresh graph."""
    from tf1_recipes.compat import tf, tf1

    graph = tf1.Graph()
    with graph.as_default():
        tf1.set_random_seed(1)
        X = tf1.placeholder(tf.float32, (None, SHAPE[0]))
        make_layer_kernel(X)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            (kernel,) = [v for v in tf1.global_variables() if v.op.name.endswith("kernel")]
            return sess.run(kernel)


def keras_sample(initializer):
    keras.utils.set_random_seed(1)
    return np.asarray(initializer(SHAPE))


def same_distribution(a, b, rtol=1.2e-3):
    """Same std and same bound (max |w|) within ``rtol``: tight enough to tell 0.3% apart."""
    std_a, std_b = float(np.std(a)), float(np.std(b))
    max_a, max_b = float(np.max(np.abs(a))), float(np.max(np.abs(b)))
    return abs(std_a / std_b - 1) < rtol and abs(max_a / max_b - 1) < rtol


def test_contrib_he_init_distribution():
    from tf1_recipes import contrib
    from tf1_recipes.compat import tf1

    tf1_kernel = tf1_sample(lambda X: tf1.layers.dense(X, SHAPE[1], kernel_initializer=contrib.variance_scaling_initializer(), name="hidden1"))
    port_init = build_port("batch_norm", "reference").model.get_layer("hidden1").kernel_initializer
    assert same_distribution(keras_sample(port_init), tf1_kernel)
    # keras.initializers.HeNormal() is the "obvious" translation, and 0.3% too narrow.
    assert not same_distribution(keras_sample(keras.initializers.HeNormal()), tf1_kernel)


def test_variance_scaling_defaults_agree():
    from tf1_recipes.compat import tf1

    for parameter in ("scale", "mode", "distribution"):
        assert keras_default(keras.initializers.VarianceScaling, parameter) == tf1_default(
            tf1.variance_scaling_initializer, parameter
        )
    tf1_kernel = tf1_sample(lambda X: tf1.layers.dense(X, SHAPE[1], kernel_initializer=tf1.variance_scaling_initializer(), name="hidden1"))
    port_init = build_port("batch_norm", "book").model.get_layer("hidden1").kernel_initializer
    assert same_distribution(keras_sample(port_init), tf1_kernel)
    # ...and the book preset's initializer is not the reference preset's contrib one.
    assert not same_distribution(keras_sample(defaults.contrib_he_init()), tf1_kernel)


def test_default_kernel_initializer_is_glorot_uniform_in_both():
    from tf1_recipes.compat import tf1

    tf1_kernel = tf1_sample(lambda X: tf1.layers.dense(X, SHAPE[1], name="hidden1"))  # no kernel_initializer
    limit = np.sqrt(6.0 / (SHAPE[0] + SHAPE[1]))
    assert np.max(np.abs(tf1_kernel)) <= limit and np.max(np.abs(tf1_kernel)) > 0.999 * limit
    port_init = build_port("gradient_clipping", "reference").model.get_layer("hidden1").kernel_initializer
    assert same_distribution(keras_sample(port_init), tf1_kernel)
    assert not same_distribution(keras_sample(keras.initializers.GlorotNormal()), tf1_kernel)


@pytest.mark.parametrize("difference", defaults.DIFFERENCES, ids=lambda d: d.what)
def test_every_named_difference_names_a_test_that_exists(difference):
    from pathlib import Path

    path, name = difference.test.split("::")
    module_path = Path(__file__).resolve().parents[2] / path
    assert module_path.is_file(), difference.test
    source = module_path.read_text()
    assert f"def {name}(" in source, difference.test


# --------------------------------------------------------------------------- optimizers


def test_adam_epsilon_is_tf1s(pair, monkeypatch):
    from tf1_recipes.compat import tf1
    from tf1_recipes.tf2 import adam

    tf1_trace, _, result = pair("adam", "book")
    assert result.k_steps_ok
    assert adam.ADAM_EPSILON == tf1_default(tf1.train.AdamOptimizer, "epsilon") == 1e-8
    keras_epsilon = keras_default(keras.optimizers.Adam, "epsilon")
    assert keras_epsilon == 1e-7
    monkeypatch.setattr(adam, "ADAM_EPSILON", keras_epsilon)
    wrong = port_against_tf1("adam", "book", tf1_trace, build_port("adam", "book"))
    assert not wrong.k_steps_ok and wrong.weights > 1e-3


def optimizer_trajectory_tf1(make_optimizer, grads):
    """A scalar variable (start 1.0) after TF1 applies each of ``grads`` in turn (:func:`vector_trajectory_tf1` of one element)."""
    rows = np.asarray(grads, np.float32)[:, None]
    return vector_trajectory_tf1(make_optimizer, rows, np.array([1.0], np.float32))[:, 0].astype(np.float64)


def optimizer_trajectory_keras(optimizer, grads):
    """A scalar variable (start 1.0) after ``optimizer`` applies each of ``grads`` in turn (:func:`vector_trajectory_keras` of one element)."""
    rows = np.asarray(grads, np.float32)[:, None]
    return vector_trajectory_keras(optimizer, rows, np.array([1.0], np.float32))[0][:, 0].astype(np.float64)


#: 200 steps of tiny gradients after one of 1.0: RMSProp's mean square decays to ~1e-9,
#: where an epsilon of 1e-10 and of 1e-7 give very different steps.
TINY_GRADS = [1.0] + [1e-6] * 199


def test_fused_adam_is_keras_adams_rule_run_as_tf1s_kernel():
    """FusedAdam (TF1Adam's base) follows TF1's AdamOptimizer and Keras' Adam step by step; the adam port's keeps Keras' slots."""
    from tf1_recipes.compat import tf1
    from tf1_recipes.tf2.optimizers import FusedAdam, TF1Adam, keras_slots

    grads = np.random.RandomState(0).normal(size=50).tolist() + [1e-6] * 50
    expected = optimizer_trajectory_tf1(lambda: tf1.train.AdamOptimizer(0.01, epsilon=1e-8), grads)
    ours = optimizer_trajectory_keras(FusedAdam(0.01, epsilon=1e-8), grads)
    # TF1 keeps b^t as running products, Keras (and FusedAdam) computes pow(b, t); Keras rounds each of its ops:
    # float32 roundings apart, accumulating over the 100 steps (measured: 1.2e-6 at most).
    np.testing.assert_allclose(ours, expected, rtol=1e-5)
    np.testing.assert_allclose(ours, optimizer_trajectory_keras(keras.optimizers.Adam(0.01, epsilon=1e-8), grads), rtol=1e-5)
    assert not np.allclose(optimizer_trajectory_keras(FusedAdam(0.01, epsilon=1e-8, beta_2=0.9), grads), expected, rtol=1e-3)
    port = build_port("adam", "book")
    assert isinstance(port.optimizer, TF1Adam)
    kernel = port.model.trainable_variables[0]
    assert {role: v.shape for role, v in keras_slots(port.optimizer, kernel).items()} == {"m": kernel.shape, "v": kernel.shape}


def test_tf1_adam_is_tf1s_adam_optimizer_bit_for_bit():
    """TF1Adam (the Adam ports' optimizer): TF1's AdamOptimizer's numbers exactly on a vector of 1037 over 60 steps,
    its beta powers TF1's running products; FusedAdam's pow(b, t) is not (what the powers change), and amsgrad is refused."""
    from tf1_recipes.compat import tf1
    from tf1_recipes.tf2.optimizers import FusedAdam, TF1Adam

    rng = np.random.RandomState(0)
    grads, start = rng.normal(size=(60, 1037)).astype(np.float32), rng.normal(size=1037).astype(np.float32)
    grads[30:] *= 1e-3  # small gradients: the step is then m / sqrt(v), where the bias corrections weigh most
    expected = vector_trajectory_tf1(lambda: tf1.train.AdamOptimizer(0.01, epsilon=1e-8), grads, start)
    optimizer = TF1Adam(0.01, epsilon=1e-8)
    ours, graph = vector_trajectory_keras(optimizer, grads, start)
    np.testing.assert_array_equal(ours, expected)
    powers = np.float32(0.9), np.float32(0.999)
    for _ in range(len(grads)):
        powers = powers[0] * np.float32(0.9), powers[1] * np.float32(0.999)
    assert (optimizer.beta_1_power.numpy(), optimizer.beta_2_power.numpy()) == powers
    assert [op.type for op in graph.get_operations()].count("ResourceApplyAdam") == 1
    fused, _ = vector_trajectory_keras(FusedAdam(0.01, epsilon=1e-8), grads, start)
    assert not np.array_equal(fused, expected)
    np.testing.assert_allclose(fused, expected, rtol=0, atol=1e-6)  # float32 roundings of the step size apart (measured: 1.2e-7)
    with pytest.raises(ValueError, match="no AMSGrad"):
        TF1Adam(0.01, amsgrad=True)


def test_fused_adagrad_runs_tf1s_kernel_at_epsilon_0_and_keras_ops_otherwise():
    """FusedAdagrad (the adagrad port's optimizer): at epsilon 0, TF1's ResourceApplyAdagrad on Keras' accumulator,
    TF1's AdagradOptimizer bit for bit and Keras' Adagrad to float32 roundings; another epsilon is Keras' rule."""
    from tf1_recipes.compat import tf1
    from tf1_recipes.tf2.optimizers import FusedAdagrad, keras_slots

    grads = np.random.RandomState(0).normal(size=50).tolist() + [1e-6] * 50
    expected = optimizer_trajectory_tf1(lambda: tf1.train.AdagradOptimizer(0.01), grads)
    ours = optimizer_trajectory_keras(FusedAdagrad(0.01, initial_accumulator_value=0.1, epsilon=0.0), grads)
    np.testing.assert_array_equal(ours, expected)
    keras_ops = keras.optimizers.Adagrad(0.01, initial_accumulator_value=0.1, epsilon=0.0)
    np.testing.assert_allclose(ours, optimizer_trajectory_keras(keras_ops, grads), rtol=1e-6)
    for epsilon in (1e-7, 1e-2):  # Keras' sqrt(s + epsilon): its ops, not TF1's kernel
        hyper = dict(initial_accumulator_value=0.1, epsilon=epsilon)
        np.testing.assert_array_equal(optimizer_trajectory_keras(FusedAdagrad(0.01, **hyper), grads),
                                      optimizer_trajectory_keras(keras.optimizers.Adagrad(0.01, **hyper), grads))
    with_epsilon = optimizer_trajectory_keras(FusedAdagrad(0.01, initial_accumulator_value=0.1, epsilon=1e-2), grads)
    assert not np.allclose(1.0 - with_epsilon, 1.0 - expected, rtol=1e-4)  # distance moved from 1.0: measured 1e-3 apart
    port = build_port("adagrad", "book")
    assert isinstance(port.optimizer, FusedAdagrad) and port.optimizer.epsilon == 0
    kernel = port.model.trainable_variables[0]
    assert {role: v.shape for role, v in keras_slots(port.optimizer, kernel).items()} == {"accumulator": kernel.shape}


def vector_trajectory_keras(optimizer, grads, start):
    """The variable (``start``, a vector) after each of ``grads`` (rows), applied in a tf.function as the ports' steps are."""
    import tensorflow as tf

    var = keras.Variable(start)
    optimizer.build([var])
    step = tf.function(lambda g: optimizer.apply_gradients([(g, var)]))
    out = []
    for g in grads:
        step(tf.constant(g))
        out.append(var.numpy())
    return np.array(out), step.get_concrete_function(tf.constant(grads[0])).graph


def vector_trajectory_tf1(make_optimizer, grads, start):
    """The TF1 variable (``start``) after each of ``grads`` (rows), applied by ``make_optimizer()``'s ``apply_gradients``."""
    from tf1_recipes.compat import tf1

    graph = tf1.Graph()
    with graph.as_default():
        var = tf1.get_variable("w", initializer=start)
        grad = tf1.placeholder(np.float32, start.shape)
        step = make_optimizer().apply_gradients([(grad, var)])
        out = []
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            for g in grads:
                sess.run(step, {grad: g})
                out.append(sess.run(var))  # after the step (one run fetching both would read it in any order)
    return np.array(out)


@pytest.mark.parametrize("momentum,nesterov,kernel", [
    (0.0, False, "ResourceApplyGradientDescent"),
    (0.9, False, "ResourceApplyKerasMomentum"),
    (0.9, True, "ResourceApplyKerasMomentum"),
])
def test_fused_sgd_is_keras_sgd_bit_for_bit_in_one_kernel_per_variable(momentum, nesterov, kernel):
    """FusedSGD (the SGD ports' optimizer): Keras' SGD's numbers exactly, on a vector of 1037 (Eigen's
    vectorised path and its remainder), each update one kernel instead of Keras' multiply and assign-sub;
    without momentum also TF1's GradientDescentOptimizer's numbers exactly (the same kernel)."""
    from tf1_recipes.compat import tf1
    from tf1_recipes.tf2.optimizers import FusedSGD

    rng = np.random.RandomState(0)
    grads, start = rng.normal(size=(30, 1037)).astype(np.float32), rng.normal(size=1037).astype(np.float32)
    ours, graph = vector_trajectory_keras(FusedSGD(0.05, momentum=momentum, nesterov=nesterov), grads, start)
    keras_ops, keras_graph = vector_trajectory_keras(keras.optimizers.SGD(0.05, momentum=momentum, nesterov=nesterov), grads, start)
    np.testing.assert_array_equal(ours, keras_ops)
    assert not np.array_equal(ours[-1], ours[-2])  # it moves
    ops = [op.type for op in graph.get_operations()]
    assert ops.count(kernel) == 1 and "AssignSubVariableOp" not in ops and "Mul" not in ops, ops
    assert "Mul" in [op.type for op in keras_graph.get_operations()]  # what the kernel replaces
    if momentum == 0:
        np.testing.assert_array_equal(ours, vector_trajectory_tf1(lambda: tf1.train.GradientDescentOptimizer(0.05), grads, start))


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_fused_sgd_leaves_a_sparse_gradient_to_keras_row_updates(momentum):
    """An embedding's gradient (tf.IndexedSlices) goes through Keras' own SGD ops: only the rows it names move."""
    import tensorflow as tf

    from tf1_recipes.tf2.optimizers import FusedSGD

    start = np.arange(12, dtype=np.float32).reshape(4, 3)

    def trajectory(optimizer):
        table = keras.Variable(start)
        optimizer.build([table])
        step = tf.function(lambda: optimizer.apply_gradients(
            [(tf.IndexedSlices(tf.ones([2, 3]), tf.constant([1, 3]), tf.constant([4, 3])), table)]))
        values = np.array([(step(), table.numpy())[1] for _ in range(3)])
        return values, {op.type for op in step.get_concrete_function().graph.get_operations()}

    ours, ops = trajectory(FusedSGD(0.5, momentum=momentum))
    keras_values, keras_ops = trajectory(keras.optimizers.SGD(0.5, momentum=momentum))
    np.testing.assert_array_equal(ours, keras_values)
    assert ops == keras_ops and not ops & {"ResourceApplyGradientDescent", "ResourceApplyKerasMomentum"}
    assert ("ResourceScatterSub" in ops) == (momentum == 0)  # plain SGD: only the named rows are written
    np.testing.assert_array_equal(ours[:, [0, 2]], np.broadcast_to(start[[0, 2]], (3, 2, 3)))
    assert (ours[-1, [1, 3]] < start[[1, 3]]).all()


@pytest.mark.parametrize("recipe", ["he_init", "batch_norm", "momentum", "nesterov", "dropout"])
def test_the_sgd_ports_build_fused_sgd_with_the_recipes_momentum(recipe):
    from tf1_recipes.tf2.optimizers import FusedSGD

    optimizer = build_port(recipe).optimizer
    assert type(optimizer) is FusedSGD
    assert optimizer.nesterov == (recipe == "nesterov") and (optimizer.momentum > 0) == (recipe in ("momentum", "nesterov", "dropout"))


def test_rmsprop_decay_is_rho_momentum_and_epsilon_are_passed_and_accumulators_start_at_one():
    from tf1_recipes.compat import tf1
    from tf1_recipes.tf2.optimizers import TF1RMSprop

    assert tf1_default(tf1.train.RMSPropOptimizer, "epsilon") == 1e-10
    assert keras_default(keras.optimizers.RMSprop, "epsilon") == 1e-7
    assert keras_default(keras.optimizers.RMSprop, "momentum") == 0.0 == tf1_default(tf1.train.RMSPropOptimizer, "momentum")

    def tf1_rmsprop():
        return tf1.train.RMSPropOptimizer(0.01, decay=0.5, momentum=0.3, epsilon=1e-10)

    expected = optimizer_trajectory_tf1(tf1_rmsprop, TINY_GRADS)
    port = build_port("rmsprop", "book", decay=0.5, momentum=0.3).optimizer  # the port maps decay -> rho
    assert port.rho == 0.5 and port.momentum == 0.3 and port.epsilon == 1e-10
    ours = optimizer_trajectory_keras(TF1RMSprop(**port.get_config()), TINY_GRADS)
    np.testing.assert_allclose(ours, expected, rtol=1e-5)
    # Each Keras default instead: zero-initialised accumulators, epsilon 1e-7, rho 0.9, no momentum.
    for wrong in (
        keras.optimizers.RMSprop(0.01, rho=0.5, momentum=0.3, epsilon=1e-10),
        TF1RMSprop(0.01, rho=0.5, momentum=0.3),
        TF1RMSprop(0.01, momentum=0.3, epsilon=1e-10),
        TF1RMSprop(0.01, rho=0.5, epsilon=1e-10),
    ):
        assert not np.allclose(optimizer_trajectory_keras(wrong, TINY_GRADS), expected, rtol=1e-3), wrong.get_config()


def test_tf1_rmsprop_runs_tf1s_kernel_with_momentum_and_keras_ops_without():
    """TF1RMSprop (the rmsprop port's optimizer): with momentum, TF1's ResourceApplyRMSProp (centered: its
    centered kernel) on Keras' slots, TF1's trajectory bit for bit and Keras' rule to float32 roundings;
    without momentum (no momentum slot in Keras), Keras' ops, TF1's trajectory to float32 roundings."""
    from tf1_recipes.compat import tf1
    from tf1_recipes.tf2.optimizers import TF1RMSprop, keras_slots

    class KerasOps(TF1RMSprop):  # the same optimizer with Keras' element-wise update
        update_step = keras.optimizers.RMSprop.update_step

    grads = np.random.RandomState(0).normal(size=50).tolist() + [1e-6] * 50
    for centered in (False, True):
        hyper = dict(momentum=0.9, epsilon=1e-10, centered=centered)
        expected = optimizer_trajectory_tf1(lambda: tf1.train.RMSPropOptimizer(0.01, decay=0.9, **hyper), grads)
        ours = optimizer_trajectory_keras(TF1RMSprop(0.01, rho=0.9, **hyper), grads)
        np.testing.assert_array_equal(ours, expected)
        # Keras' accumulator is rho ms + (1 - rho) g^2, TF1's ms + (g^2 - ms)(1 - rho): roundings apart (measured 7.6e-8).
        np.testing.assert_allclose(ours, optimizer_trajectory_keras(KerasOps(0.01, rho=0.9, **hyper), grads), rtol=1e-5, atol=1e-6)
    expected = optimizer_trajectory_tf1(lambda: tf1.train.RMSPropOptimizer(0.01, decay=0.9, epsilon=1e-10), grads)
    np.testing.assert_allclose(optimizer_trajectory_keras(TF1RMSprop(0.01, rho=0.9, epsilon=1e-10), grads), expected, rtol=1e-5)
    port = build_port("rmsprop", "book")
    kernel = port.model.trainable_variables[0]
    assert {role: v.shape for role, v in keras_slots(port.optimizer, kernel).items()} == {"rms": kernel.shape, "momentum": kernel.shape}


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_with_a_changing_rate_keeps_the_rate_out_of_the_buffer(nesterov):
    """exponential_decay + MomentumOptimizer → ExponentialDecay + TF1Momentum: TF1's numbers bit for bit (its
    ResourceApplyMomentum kernel, one op per variable), on a vector of 1037; Keras' SGD(momentum) differs."""
    from tf1_recipes.compat import tf1
    from tf1_recipes.tf2.optimizers import TF1Momentum

    rng = np.random.RandomState(0)
    start = rng.normal(size=1037).astype(np.float32)
    grads = np.linspace(1.0, 0.1, 30)[:, None].astype(np.float32) * rng.normal(size=(30, 1037)).astype(np.float32)

    def tf1_momentum():
        step = tf1.train.get_or_create_global_step()
        lr = tf1.train.exponential_decay(0.1, step, 5, 0.1)
        optimizer = tf1.train.MomentumOptimizer(lr, momentum=0.9, use_nesterov=nesterov)
        apply = optimizer.apply_gradients

        class WithStep:  # minimize(global_step=...) advances the step after each update
            def apply_gradients(self, gvs):
                return apply(gvs, global_step=step)

        return WithStep()

    expected = vector_trajectory_tf1(tf1_momentum, grads, start)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 5, 0.1)
    ours, graph = vector_trajectory_keras(TF1Momentum(schedule, momentum=0.9, nesterov=nesterov), grads, start)
    np.testing.assert_array_equal(ours, expected)
    assert [op.type for op in graph.get_operations()].count("ResourceApplyMomentum") == 1
    keras_sgd, _ = vector_trajectory_keras(keras.optimizers.SGD(schedule, momentum=0.9, nesterov=nesterov), grads, start)
    assert not np.allclose(keras_sgd - start, expected - start, rtol=1e-3)


def test_exponential_decay_and_exponential_decay_schedule_agree_step_by_step():
    from tf1_recipes.compat import tf, tf1

    steps = [0, 1, 4999, 5000, 9999, 10000, 12345, 55000]
    graph = tf1.Graph()
    with graph.as_default():
        step = tf1.placeholder(tf.int64, [])
        lr = tf1.train.exponential_decay(0.1, step, 10000, 0.1)  # staircase=False by default, as Keras
        with tf1.Session() as sess:
            expected = [sess.run(lr, {step: s}) for s in steps]
    port = build_port("lr_exponential_decay", "book")
    ours = [float(port.schedule(s)) for s in steps]
    np.testing.assert_allclose(ours, expected, rtol=1e-6)
    assert tf1_default(tf1.train.exponential_decay, "staircase") is False
    assert keras_default(keras.optimizers.schedules.ExponentialDecay, "staircase") is False


# --------------------------------------------------------------------------- regularisation


def test_l1_and_l2_scales_are_contribs(pair, monkeypatch):
    from tf1_recipes.tf2.families import kernel_regularizers

    W = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    assert float(kernel_regularizers.keras_regularizer("l1", 0.001)(W)) == pytest.approx(0.001 * np.abs(W).sum(), rel=1e-6)
    assert float(kernel_regularizers.keras_regularizer("l2", 0.001)(W)) == pytest.approx(0.001 * (W**2).sum() / 2, rel=1e-6)
    # Keras' L2(scale) is scale * sum(W**2): the contrib scale unhalved doubles the penalty.
    assert float(keras.regularizers.L2(0.001)(W)) == pytest.approx(0.001 * (W**2).sum(), rel=1e-6)
    for recipe in ("l1_regularizer", "l2_regularizer"):
        assert pair(recipe, "book")[2].k_steps_ok
    tf1_trace, _, _ = pair("l2_regularizer", "book")
    monkeypatch.setattr(kernel_regularizers, "L2_FACTOR", 1.0)
    wrong = port_against_tf1("l2_regularizer", "book", tf1_trace, build_port("l2_regularizer", "book"))
    assert not wrong.k_steps_ok and abs(wrong.forward_loss["inference"]) > parity.FORWARD_TOLERANCE


def test_max_norm_clips_rows_as_clip_by_norm_axes_1(pair, monkeypatch):
    from tf1_recipes.tf2.families import max_norm

    for recipe in ("max_norm_manual", "max_norm_regularizer"):
        tf1_trace, _, result = pair(recipe, "book")
        assert result.k_steps_ok, result.summary()
        rows = np.linalg.norm(tf1_trace.final["hidden1/kernel"], axis=1)
        assert rows.max() == pytest.approx(0.5, abs=1e-5)  # the clipping did bite (parity threshold 0.5)
    assert keras_default(keras.constraints.MaxNorm, "axis") == 0 and keras_default(keras.constraints.MaxNorm, "max_value") == 2
    monkeypatch.setattr(max_norm, "MAX_NORM_AXIS", keras_default(keras.constraints.MaxNorm, "axis"))
    for recipe in ("max_norm_manual", "max_norm_regularizer"):
        tf1_trace, _, _ = pair(recipe, "book")
        wrong = port_against_tf1(recipe, "book", tf1_trace, build_port(recipe, "book", threshold=0.5))
        assert not wrong.k_steps_ok and wrong.per_variable["hidden1/kernel"] > 1e-3, recipe


def test_dropout_rate_is_the_fraction_dropped_not_keep_prob(pair):
    from tf1_recipes.compat import tf1

    rate = 0.2  # at the reference 0.5, rate and keep_prob coincide and the trap is invisible
    tf1_trace, tf2_trace, result = pair("dropout", "book", {"dropout_rate": rate})
    assert result.k_steps_ok and result.forward["training"] < parity.FORWARD_TOLERANCE
    assert tf1_default(tf1.layers.dropout, "rate") == 0.5
    keep_prob = 1 - rate
    wrong = port_against_tf1("dropout", "book", tf1_trace, build_port("dropout", "book", {"dropout_rate": rate}, dropout_rate=keep_prob))
    assert wrong.forward["training"] > 1e-2 and not wrong.k_steps_ok


def test_leaky_relu_slope_is_the_references(pair, monkeypatch):
    from tf1_recipes.tf2.families import init_and_activations

    tf1_trace, _, result = pair("leaky_relu", "book")
    assert result.k_steps_ok
    assert keras_default(keras.layers.LeakyReLU, "negative_slope") == 0.3
    assert keras_default(keras.activations.leaky_relu, "negative_slope") == 0.2
    monkeypatch.setattr(init_and_activations, "LEAKY_RELU_SLOPE", keras_default(keras.activations.leaky_relu, "negative_slope"))
    wrong = port_against_tf1("leaky_relu", "book", tf1_trace, build_port("leaky_relu", "book"))
    assert wrong.forward["inference"] > 1e-3


def test_random_normal_stddev_is_passed():
    from tf1_recipes.compat import tf1

    assert tf1_default(tf1.random_normal_initializer, "stddev") == 1.0
    assert keras_default(keras.initializers.RandomNormal, "stddev") == 0.05
    tf1_kernel = tf1_sample(lambda X: tf1.layers.dense(X, SHAPE[1], kernel_initializer=tf1.random_normal_initializer(), name="hidden1"))
    port_init = build_port("bad_init", "bad").model.get_layer("hidden1").kernel_initializer
    assert abs(np.std(keras_sample(port_init)) / np.std(tf1_kernel) - 1) < 1e-3
    assert abs(np.std(keras_sample(keras.initializers.RandomNormal())) / np.std(tf1_kernel) - 1) > 0.5


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_zero_is_plain_gradient_descent_as_tf1s_momentum_optimizer(nesterov):
    """TF1Momentum(lr, momentum=0.0): Keras' SGD builds no momentum slot at 0 (IndexError before);
    TF1's MomentumOptimizer(lr, 0.0) is plain GD with a zero-decay accumulator slot."""
    from tf1_recipes.compat import tf1
    from tf1_recipes.tf2.optimizers import TF1Momentum

    grads = [1.0, -0.5, 0.25, 2.0, 0.1]
    expected = optimizer_trajectory_tf1(lambda: tf1.train.MomentumOptimizer(0.1, momentum=0.0, use_nesterov=nesterov), grads)
    np.testing.assert_allclose(expected, 1.0 - 0.1 * np.cumsum(grads), rtol=1e-6)  # plain GD, as TF1 documents
    optimizer = TF1Momentum(0.1, momentum=0.0, nesterov=nesterov)
    np.testing.assert_array_equal(optimizer_trajectory_keras(optimizer, grads), expected)
    assert len(optimizer.momentums) == 1  # the accumulator slot TF1 has too
