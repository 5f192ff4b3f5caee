"""Loading weights from another framework (NumPy arrays) into a TF1 layer.

Two ways, one per preset:

* ``assign_input``: feed the arrays into the initial-value inputs of the variables'
  ``Assign`` ops (``hidden1/kernel/Assign``, ``hidden1/bias/Assign``) while running ``init``.
* ``assign_placeholders``: dedicated placeholders and ``tf.compat.v1.assign`` nodes, run
  after ``init``.

Either way ``hidden1`` then computes ``relu(X @ kernel + bias)`` with the loaded values:
for kernel [[1, 2, 3], [4, 5, 6]], bias [7, 8, 9] and input [[10, 11]] that is
[[61, 83, 105]]. The recipe reports each output unit (0, 1, 2) as one entry of its history.

Run it: ``python -m tf1_recipes.recipes.reuse_other_framework [--preset assign_placeholders]``
"""

import numpy as np

from tf1_recipes.compat import tf, tf1
from tf1_recipes.registry import recipe

METHODS = ("assign_input", "assign_placeholders")


def other_frameworks_arrays(method, n_inputs, n_hidden1, original_w, original_b):
    """The kernel and bias "from the other framework" as float32 arrays ``[n_inputs, n_hidden1]`` and ``[n_hidden1]``.

    Raises:
        ValueError: ``method`` is not one of :data:`METHODS`, or an array has another shape.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    original_w, original_b = np.asarray(original_w, np.float32), np.asarray(original_b, np.float32)
    if original_w.shape != (n_inputs, n_hidden1) or original_b.shape != (n_hidden1,):
        raise ValueError(
            f"original_w must have shape ({n_inputs}, {n_hidden1}) and original_b ({n_hidden1},); "
            f"got {original_w.shape} and {original_b.shape}"
        )
    return original_w, original_b


def hidden1_layer(X, *, n_hidden1):
    """The model: ``hidden1``, a ReLU ``tf.layers.dense`` of ``n_hidden1`` units; ``X`` float32 [batch, n_inputs] -> [batch, n_hidden1].

    The TF1 recipe builds its graph with it; the shim port (:mod:`tf1_recipes.shim.reuse_other_framework`) calls it eagerly.
    """
    return tf1.layers.dense(X, n_hidden1, activation=tf.nn.relu, name="hidden1")


@recipe(
    "reuse_other_framework",
    presets={
        "assign_input": dict(method="assign_input"),
        "assign_placeholders": dict(method="assign_placeholders"),
        # No training and no MNIST: the smoke run is the reference run.
        "smoke": dict(method="assign_input"),
    },
    metric="hidden1_output",
    metric_label="hidden1 output",
)
def reuse_other_framework(
    run,
    *,
    n_inputs=2,
    n_hidden1=3,
    original_w=((1.0, 2.0, 3.0), (4.0, 5.0, 6.0)),  # Load the weights from the other framework
    original_b=(7.0, 8.0, 9.0),  # Load the biases from the other framework
    X_new=((10.0, 11.0),),
    method="assign_input",
):
    """Load a kernel and bias given as NumPy arrays into hidden1, via the Assign ops' inputs or tf.assign."""
    original_w, original_b = other_frameworks_arrays(method, n_inputs, n_hidden1, original_w, original_b)

    X = tf1.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    hidden1 = hidden1_layer(X, n_hidden1=n_hidden1)
    # [...] Build the rest of the model

    graph = tf1.get_default_graph()
    if method == "assign_input":
        # Get a handle on the assignment nodes for the hidden1 variables
        assign_kernel = graph.get_operation_by_name("hidden1/kernel/Assign")
        assign_bias = graph.get_operation_by_name("hidden1/bias/Assign")
        init_kernel = assign_kernel.inputs[1]
        init_bias = assign_bias.inputs[1]
    else:
        # Get a handle on the variables of layer hidden1
        with tf1.variable_scope("", default_name="", reuse=True):  # root scope
            hidden1_weights = tf1.get_variable("hidden1/kernel")
            hidden1_biases = tf1.get_variable("hidden1/bias")
        # Create dedicated placeholders and assignment nodes
        original_weights = tf1.placeholder(tf.float32, shape=(n_inputs, n_hidden1))
        original_biases = tf1.placeholder(tf.float32, shape=n_hidden1)
        assign_hidden1_weights = tf1.assign(hidden1_weights, original_weights)
        assign_hidden1_biases = tf1.assign(hidden1_biases, original_biases)

    init = tf1.global_variables_initializer()
    saver = tf1.train.Saver()

    with tf1.Session() as sess:
        if method == "assign_input":
            sess.run(init, feed_dict={init_kernel: original_w, init_bias: original_b})
        else:
            sess.run(init)
            sess.run(assign_hidden1_weights, feed_dict={original_weights: original_w})
            sess.run(assign_hidden1_biases, feed_dict={original_biases: original_b})
        # [...] Train the model on your new task
        outputs = hidden1.eval(feed_dict={X: np.asarray(X_new, np.float32)})
        run.log("hidden1 output:", outputs.tolist())
        for unit, value in enumerate(outputs.ravel()):
            run.report(unit, value)
        saver.save(sess, run.checkpoint_path)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("reuse_other_framework")
