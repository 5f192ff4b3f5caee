"""Sharing a variable between the pieces of a modular graph: ``variable_scope`` and ``get_variable``.

``relu(X)`` builds one ReLU unit, ``max(X w + b, threshold)``. Five of them are summed;
all five must use the same ``threshold``. Each call runs inside
``variable_scope("relu", reuse=(relu_index >= 1))``: the first call creates
``relu/threshold`` with ``get_variable``, the other four get that same variable back,
while each call's own ops and its weights and bias land in its own name scope
(``relu/``, ``relu_1/``, ... ``relu_4/``).

The run sets the shared threshold to each value of ``thresholds`` in turn and reports the
mean of the summed output on a fixed batch of standard normal inputs. The last threshold,
100, lies far above every unit's ``X w + b``, so all five units return it and the mean is
exactly 500 whatever the seed: a sixth unit, or a unit with its own threshold, would show. Run it:
``python -m tf1_recipes.recipes.shared_variables``
"""

import numpy as np

from tf1_recipes.compat import tf, tf1
from tf1_recipes.registry import recipe


def relu(X):
    """One ReLU unit whose threshold is the ``threshold`` of the enclosing variable scope."""
    threshold = tf1.get_variable("threshold", shape=(), initializer=tf1.constant_initializer(0.0))
    w_shape = (int(X.get_shape()[1]), 1)
    w = tf.Variable(tf1.random_normal(w_shape), name="weights")
    b = tf.Variable(0.0, name="bias")
    z = tf.add(tf.matmul(X, w), b, name="z")
    return tf.maximum(z, threshold, name="max")


def summed_relus(X, n_relus):
    """``n_relus`` relu() units on ``X`` (float32 ``[B, n_features]``) sharing ``relu/threshold``, summed: ``[B, 1]``.

    Each call runs in ``variable_scope("relu", reuse=(relu_index >= 1))``: the first creates
    ``relu/threshold``, the others get it back; each call's weights and bias are its own
    (``relu/weights``, ``relu_1/weights``, ... in a TF1 graph).
    """
    relus = []
    for relu_index in range(n_relus):
        with tf1.variable_scope("relu", reuse=(relu_index >= 1)):
            relus.append(relu(X))
    return tf.add_n(relus, name="output")


@recipe(
    "shared_variables",
    presets={"book": {}, "smoke": {}},
    metric="output_mean",
    metric_label="mean output",
)
def shared_variables(run, *, n_features=3, n_relus=5, n_samples=100, thresholds=(0.0, 0.5, 1.0, 2.0, -1.0, 100.0)):
    """Five relu() calls sharing one threshold variable through variable_scope(reuse) and get_variable."""
    X = tf1.placeholder(tf.float32, shape=(None, n_features), name="X")
    output = summed_relus(X, n_relus)

    with tf1.variable_scope("relu", reuse=True):
        threshold = tf1.get_variable("threshold")
    init = tf1.global_variables_initializer()
    saver = tf1.train.Saver()

    X_data = np.random.randn(n_samples, n_features).astype(np.float32)
    with tf1.Session() as sess:
        init.run()
        for step, threshold_value in enumerate(thresholds):
            threshold.load(threshold_value, sess)
            output_val = output.eval(feed_dict={X: X_data})
            run.report(step, output_val.mean(), threshold=threshold_value)
        saver.save(sess, run.checkpoint_path)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("shared_variables")
