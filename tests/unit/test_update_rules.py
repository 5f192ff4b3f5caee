"""The NumPy update rules against TF1's optimizers, side by side on one small least-squares problem.

TF's side is made by the faster-optimizer recipes' own optimizer functions
(``tf1_recipes/recipes/<name>.py``'s ``optimizer``) with the recipes' default
hyperparameters, so these tests also pin the recipes' configurations.
"""

import importlib
import inspect

import numpy as np
import pytest

import update_rules  # tests/unit/update_rules.py: the rules in NumPy, test-only
from tf1_recipes.compat import tf, tf1
from tf1_recipes.registry import get_recipe

STEPS = 20
RNG = np.random.RandomState(7)
A = RNG.randn(8, 3)
B = RNG.randn(8)
THETA0 = RNG.randn(3)

#: recipe -> the NumPy rule with the values the reference exercise gives for it.
RULES = {
    "momentum": lambda: update_rules.Momentum(0.01, 0.9),
    "nesterov": lambda: update_rules.Momentum(0.01, 0.9, use_nesterov=True),
    "adagrad": lambda: update_rules.AdaGrad(0.01, initial_accumulator_value=0.1),
    "rmsprop": lambda: update_rules.RMSProp(0.01, decay=0.9, momentum=0.9, epsilon=1e-10),
    "adam": lambda: update_rules.Adam(0.001, beta1=0.9, beta2=0.999, epsilon=1e-8),
}


def recipe_optimizer(name):
    """Recipe ``name``'s optimizer, made by its module's ``optimizer`` with the recipe's default hyperparameters."""
    make = importlib.import_module(f"tf1_recipes.recipes.{name}").optimizer
    defaults = get_recipe(name).hyperparameters
    return make(**{p: defaults[p] for p in inspect.signature(make).parameters})


def gradient(theta, a=A, b=B):
    """Gradient of 0.5 * mean((a theta - b)^2)."""
    return a.T @ (a @ theta - b) / len(b)


def numpy_trajectory(rule, a=A, b=B, steps=STEPS):
    theta, out = THETA0.copy(), []
    for _ in range(steps):
        theta = rule.step(theta, gradient(theta, a, b))
        out.append(theta)
    return np.array(out)


def tf_trajectory(optimizer_name, a=A, b=B, steps=STEPS):
    """theta after each of ``steps`` minimize() steps of the recipe's optimizer, in float64."""
    graph = tf1.Graph()
    with graph.as_default():
        theta = tf1.Variable(THETA0, dtype=tf.float64, name="theta")
        loss = 0.5 * tf.reduce_mean(tf.square(tf.linalg.matvec(tf.constant(a), theta) - b))
        training_op = recipe_optimizer(optimizer_name).minimize(loss)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            out = []
            for _ in range(steps):
                sess.run(training_op)
                out.append(sess.run(theta))
    return np.array(out)


@pytest.fixture(scope="module")
def tf_runs():
    return {name: tf_trajectory(name) for name in RULES}


@pytest.mark.parametrize("name", list(RULES))
def test_numpy_rule_follows_tf_optimizer_step_by_step(name, tf_runs):
    ours = numpy_trajectory(RULES[name]())
    assert np.abs(tf_runs[name][-1] - THETA0).max() > 1e-3, "the problem must move theta visibly"
    np.testing.assert_allclose(ours, tf_runs[name], rtol=0, atol=1e-6)


def _far_apart(x, y):
    return np.abs(x - y).max() > 1e-4


def test_the_comparison_tells_momentum_and_nesterov_apart(tf_runs):
    assert _far_apart(tf_runs["momentum"], tf_runs["nesterov"])
    assert _far_apart(numpy_trajectory(RULES["momentum"]()), tf_runs["nesterov"])


def test_adagrad_accumulator_starts_at_0_1(tf_runs):
    # With a (nearly) empty accumulator the first step is eta * sign(g): far from TF's.
    assert _far_apart(numpy_trajectory(update_rules.AdaGrad(0.01, initial_accumulator_value=1e-8)), tf_runs["adagrad"])


def test_rmsprop_mean_square_starts_at_one(tf_runs):
    from_zero = update_rules.RMSProp(0.01, decay=0.9, momentum=0.9, epsilon=1e-10)
    from_zero.s, from_zero.m = np.zeros(3), np.zeros(3)
    assert _far_apart(numpy_trajectory(from_zero), tf_runs["rmsprop"])


def test_adam_first_step_is_bias_corrected(tf_runs):
    # Bias-corrected: m_hat = g and s_hat = g^2 at t = 1, so every coordinate moves by eta.
    # Without the correction it would move by eta * 0.1 / sqrt(0.001) = 3.16 eta.
    first_step = np.abs(tf_runs["adam"][0] - THETA0)
    np.testing.assert_allclose(first_step, 0.001, rtol=1e-4)


def test_adam_adds_epsilon_to_sqrt_s_not_to_sqrt_s_hat():
    # Gradients of order 1e-7 make sqrt(s) comparable with epsilon, where the placement shows.
    a, b = A * 1e-4, B * 1e-4
    tf_theta = tf_trajectory("adam", a, b, steps=1)[0]
    ours = numpy_trajectory(RULES["adam"](), a, b, steps=1)[0]
    np.testing.assert_allclose(ours, tf_theta, rtol=0, atol=1e-9)
    g = gradient(THETA0, a, b)
    textbook = THETA0 - 0.001 * g / (np.abs(g) + 1e-8)  # m_hat / (sqrt(s_hat) + eps) at t = 1
    assert np.abs(textbook - tf_theta).max() > 1e-4


def test_bias_corrected_average_of_a_constant_is_the_constant_from_the_first_step():
    values = [5.0] * 10
    corrected = update_rules.exponentially_weighted_average(values, beta=0.9, bias_correction=True)
    np.testing.assert_allclose(corrected, 5.0, rtol=1e-12)
    plain = update_rules.exponentially_weighted_average(values, beta=0.9)
    assert plain[0] == pytest.approx(0.5)
    assert all(v < 5.0 - 1e-3 for v in plain)
    assert plain == sorted(plain), "the uncorrected average creeps up towards the constant"


def test_average_follows_its_recurrence():
    values = [1.0, 3.0, -2.0]
    expected, v = [], 0.0
    for value in values:
        v = 0.8 * v + 0.2 * value
        expected.append(v)
    np.testing.assert_allclose(update_rules.exponentially_weighted_average(values, 0.8), expected)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="beta"):
        update_rules.exponentially_weighted_average([1.0], beta=1.0)
    with pytest.raises(ValueError, match="initial_accumulator_value"):
        update_rules.AdaGrad(0.01, initial_accumulator_value=0.0)
