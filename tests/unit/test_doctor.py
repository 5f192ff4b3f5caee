"""The doctor's checks, each shown able to fail on a graph built to fail it (and to pass on a healthy one).

The constructed graphs are tiny (20 inputs, 10 well-separated classes), so each check runs in
well under a second; the recipe-level tests run the doctor on batch_norm and on
bn_pitfall_no_update_ops.
"""

import dataclasses
import math

import numpy as np
import pytest

from tf1_recipes import doctor
from tf1_recipes.compat import tf, tf1

N_INPUTS, N_CLASSES = 20, 10
BUDGET = doctor.Budget(overfit_steps=200, lr_steps=40, regularisation_steps=5)


def _data(n=256, seed=0):
    """Ten Gaussian blobs in 20 dimensions: easy to overfit, inputs of norm about 1.5."""
    rng = np.random.RandomState(seed)
    centres = rng.normal(0, 0.3, (N_CLASSES, N_INPUTS))
    y = rng.randint(0, N_CLASSES, n)
    X = (centres[y] + 0.1 * rng.normal(0, 1, (n, N_INPUTS))).astype(np.float32)
    return X, y.astype(np.int64)


def _graph(kernel_stddev=None, hidden_bias=0.0, learning_rate=0.5, l2=0.0, include_reg=True,
           disconnected=False, bad_relu_gradient=False):
    """A small classifier by the suite's conventions, with one thing optionally broken."""
    graph = tf1.Graph()
    with graph.as_default():
        tf1.set_random_seed(0)
        X = tf1.placeholder(tf.float32, (None, N_INPUTS), name="X")
        y = tf1.placeholder(tf.int64, (None), name="y")
        init = tf1.random_normal_initializer(stddev=kernel_stddev) if kernel_stddev else None
        regularizer = tf.keras.regularizers.l2(l2) if l2 else None
        with tf1.name_scope("dnn"):
            if bad_relu_gradient:
                with graph.gradient_override_map({"Relu": "DoctorTestBadReluGrad"}):
                    hidden = tf1.layers.dense(X, 32, activation=tf.nn.relu, kernel_initializer=init, name="hidden1")
            else:
                hidden = tf1.layers.dense(X, 32, activation=tf.nn.relu, kernel_initializer=init,
                                          bias_initializer=tf1.constant_initializer(hidden_bias),
                                          kernel_regularizer=regularizer, name="hidden1")
            logits = tf1.layers.dense(hidden, N_CLASSES, kernel_initializer=init, name="outputs")
            if disconnected:
                tf1.layers.dense(X, 5, name="unused")
        with tf1.name_scope("loss"):
            xentropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
            base_loss = tf.reduce_mean(xentropy, name="avg_xentropy")
            reg_losses = tf1.get_collection(tf1.GraphKeys.REGULARIZATION_LOSSES)
            terms = [base_loss] + (reg_losses if include_reg else [])
            tf.add_n(terms, name="loss")
        with tf1.name_scope("train"):
            tf1.train.GradientDescentOptimizer(learning_rate).minimize(graph.get_tensor_by_name("loss/loss:0"))
    return graph


@tf1.RegisterGradient("DoctorTestBadReluGrad")
def _bad_relu_grad(op, grad):
    """A wrong ReLU gradient: passes the gradient where the input is negative too (a leaky 0.5 slope)."""
    return tf.where(op.outputs[0] > 0, grad, 0.5 * grad)


def _check(name, graph, **options):
    report = doctor.diagnose(graph, _data(), budget=BUDGET, checks=[name], **options)
    return report.finding(name)


def test_healthy_graph_passes_every_check():
    report = doctor.diagnose(_graph(), _data(), budget=BUDGET)
    statuses = {f.check: f.status for f in report.findings}
    assert statuses == {
        "initial_loss": "PASS", "gradient_check": "PASS", "wiring": "PASS", "batch_norm": "SKIP",
        "regularisation": "SKIP", "overfit": "PASS", "learning_rate": "PASS",
    }, report.format()
    assert report.status == "PASS"


def test_initial_loss_fails_with_a_badly_scaled_initialisation():
    finding = _check("initial_loss", _graph(kernel_stddev=3.0))
    assert finding.status == "FAIL"
    assert finding.numbers["expected"] == pytest.approx(math.log(10))
    assert finding.numbers["loss"] > 2 * math.log(10)


def test_gradient_check_catches_a_wrong_gradient_registration():
    finding = _check("gradient_check", _graph(bad_relu_gradient=True))
    assert finding.status == "FAIL", finding.summary
    assert finding.numbers["dtype"] == "float64"
    assert finding.numbers["worst_relative_error"] > 1e-2
    assert _check("gradient_check", _graph()).numbers["worst_relative_error"] < 1e-6


def test_wiring_names_a_disconnected_variable():
    finding = _check("wiring", _graph(disconnected=True))
    assert finding.status == "FAIL"
    assert "unused/kernel:0: disconnected" in finding.summary


def test_wiring_fails_on_a_dead_layer_with_all_zero_gradients():
    finding = _check("wiring", _graph(hidden_bias=-100.0))
    assert finding.status == "FAIL"
    assert "hidden1/kernel:0: all-zero gradient" in finding.summary
    assert finding.numbers["activations"]["dnn/hidden1/Relu"]["dead_fraction"] == 1.0


def test_regularisation_warns_when_it_dominates_the_data_loss():
    finding = _check("regularisation", _graph(l2=10.0))
    assert finding.status == "WARN"
    assert finding.numbers["ratio_step0"] > 1.0
    assert _check("regularisation", _graph(l2=1e-5)).status == "PASS"


def test_regularisation_warns_when_the_terms_are_left_out_of_the_loss():
    finding = _check("regularisation", _graph(l2=1e-3, include_reg=False))
    assert finding.status == "WARN"
    assert "does not include them" in finding.summary


def test_overfit_fails_when_the_model_cannot_learn():
    finding = _check("overfit", _graph(learning_rate=0.0))
    assert finding.status == "FAIL"
    assert finding.numbers["final_loss"] == pytest.approx(finding.numbers["initial_loss"])
    healthy = _check("overfit", _graph())
    assert healthy.status == "PASS" and healthy.numbers["final_loss"] <= healthy.numbers["target_loss"]


def test_learning_rate_warns_when_the_model_rate_is_past_divergence():
    # A sweep up to 1e5: this small network's loss diverges somewhere past lr 10, well below 1000.
    budget = dataclasses.replace(BUDGET, lr_range=(1e-5, 1e5))
    report = doctor.diagnose(_graph(learning_rate=1000.0), _data(), budget=budget, checks=["learning_rate"],
                             learning_rate=1000.0)
    finding = report.finding("learning_rate")
    assert finding.status == "WARN", finding.summary
    assert finding.numbers["diverging_rate"] is not None and finding.numbers["diverging_rate"] <= 1000.0
    assert finding.numbers["best_rate"] < finding.numbers["diverging_rate"]
    assert "past where the loss diverges" in finding.summary


def test_checks_restore_the_initial_values():
    graph = _graph()
    with tf1.Session(graph=graph) as sess:
        sess.run(tf1.global_variables_initializer())
        variable = [v for v in graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES) if v.name == "hidden1/kernel:0"][0]
        before = sess.run(variable)
        report = doctor.diagnose(graph, _data(), budget=BUDGET, session=sess, checks=["overfit", "learning_rate"])
        assert report.finding("overfit").numbers["steps"] > 0  # it did train, then put the values back
        np.testing.assert_array_equal(sess.run(variable), before)


def _bn_graph(update_ops="control_dependencies", hard_wired_training=False):
    graph = tf1.Graph()
    with graph.as_default():
        tf1.set_random_seed(0)
        X = tf1.placeholder(tf.float32, (None, N_INPUTS), name="X")
        y = tf1.placeholder(tf.int64, (None), name="y")
        training = True if hard_wired_training else tf1.placeholder_with_default(False, (), name="training")
        hidden = tf1.layers.dense(X, 32, name="hidden1")
        hidden = tf.nn.elu(tf1.layers.batch_normalization(hidden, training=training, momentum=0.9))
        logits = tf1.layers.dense(hidden, N_CLASSES, name="outputs")
        with tf1.name_scope("loss"):
            xentropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
            loss = tf.reduce_mean(xentropy, name="loss")
        with tf1.name_scope("train"):
            optimizer = tf1.train.GradientDescentOptimizer(0.1)
            if update_ops == "control_dependencies":
                with tf.control_dependencies(tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)):
                    optimizer.minimize(loss)
            else:
                optimizer.minimize(loss)
    return graph


def test_batch_norm_check_fails_when_the_training_op_does_not_run_update_ops():
    finding = _check("batch_norm", _bn_graph(update_ops=None))
    assert finding.status == "FAIL"
    assert "did not move" in finding.summary
    assert all(change <= 1e-7 for change in finding.numbers["moving_statistics_change"].values())
    passing = _check("batch_norm", _bn_graph())
    assert passing.status == "PASS", passing.summary
    assert min(passing.numbers["moving_statistics_change"].values()) > 1e-4


def test_batch_norm_check_fails_when_inference_ignores_the_moving_statistics():
    finding = _check("batch_norm", _bn_graph(hard_wired_training=True))
    assert finding.status == "FAIL"
    assert "inference ignores the moving statistics" in finding.summary
    assert finding.numbers["inference_response_to_moving_statistics"] < 1e-6


def test_a_graph_without_the_conventions_gets_skips_and_warnings_not_a_crash():
    graph = tf1.Graph()
    with graph.as_default():
        a = tf1.placeholder(tf.float32, (None, 3), name="a")
        w = tf1.Variable(tf1.ones((3, 1)), name="w")
        tf.reduce_sum(tf.matmul(a, w), name="total")
    report = doctor.diagnose(graph, (np.ones((8, 3), np.float32), np.zeros(8)), loss="total:0", X="a:0",
                             budget=doctor.Budget.quick())
    statuses = {f.check: f.status for f in report.findings}
    assert statuses["initial_loss"] == "SKIP" and statuses["batch_norm"] == "SKIP"
    assert set(statuses.values()) <= {"PASS", "WARN", "SKIP", "FAIL"}
    with pytest.raises(doctor.targets.DoctorError, match="no loss tensor"):
        doctor.diagnose(graph, (np.ones((8, 3)), np.zeros(8)), X="a:0")


# ----------------------------------------------------------------------------- recipes


def test_doctor_passes_batch_norm_and_fails_check_4_on_the_missing_update_ops(monkeypatch):
    from tf1_recipes import numerics

    # As in a fresh process with nothing measured before it: the run's provenance computes the numerics
    # fingerprint (its own graph, a batch-norm layer fed training=True) after the recipe; the doctor must not see it.
    monkeypatch.setattr(numerics, "measured_before", lambda key: None)
    numerics.fingerprint_groups.cache_clear()
    good = doctor.diagnose_recipe("batch_norm", "reference", budget=doctor.Budget.quick(),
                                  checks=["initial_loss", "batch_norm"])
    assert good.status == "PASS", good.format()
    assert good.finding("batch_norm").numbers["step"] == "the recipe's own first training step"
    bad = doctor.diagnose_recipe("bn_pitfall_no_update_ops", budget=doctor.Budget.quick(), checks=["batch_norm"])
    finding = bad.finding("batch_norm")
    assert finding.status == "FAIL" and bad.status == "FAIL"
    assert "UPDATE_OPS not run" in finding.summary
    assert "training=True" not in finding.summary and "fed True" not in finding.summary
