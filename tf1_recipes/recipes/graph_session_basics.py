"""The TF1 basics: build a graph, run it in sessions, and see what lives where.

Each step reports the values it computed, in order (the run's history is that sequence;
``result.extras[name]`` holds the values of one named step):

1. ``f = x * x * y + y + 2`` with variables ``x = 3``, ``y = 4``: 42.
2. A variable's lifecycle: its value lives in a session, from the initializer to the end
   of that session; a new session starts uninitialised and gets the initial value back.
3. Node evaluation: with ``x = w + 2``, ``y = x + 5``, ``z = x * 3``, evaluating ``y`` and
   ``z`` in two ``eval()`` calls computes ``x`` twice; one ``sess.run([y, z])`` computes it
   once. A counter incremented every time ``x`` is computed shows it.
4. Two graphs kept apart: a variable made under another graph's ``as_default()`` is not
   in the default graph, runs only in a session on its own graph, and cannot be mixed in.
5. Placeholders: ``B = A + 5`` evaluated for two fed values of ``A`` of different lengths.
6. ``Saver``: a variable saved, restored into a new session, and restored again into an
   empty graph from the ``.meta`` file alone (``import_meta_graph``); the last value is 1
   when both round trips gave back the saved values exactly (the same for every seed).

Run it: ``python -m tf1_recipes.recipes.graph_session_basics``
"""

import itertools

import numpy as np

from tf1_recipes.compat import tf, tf1
from tf1_recipes.registry import recipe


def f_of_xy(x_init, y_init):
    """Step 1's graph: variables ``x``, ``y`` (int32 scalars, initial values ``x_init``, ``y_init``) and ``f = x * x * y + y + 2``.

    Returns ``(x, y, f)``.
    """
    x = tf.Variable(x_init, name="x")
    y = tf.Variable(y_init, name="y")
    f = x * x * y + y + 2
    return x, y, f


def counted_nodes():
    """Step 3's graph: ``x = w + 2`` (w = 3) run after incrementing the counter ``x_evaluations``; ``y = x + 5``, ``z = x * 3``.

    Returns ``(x_evaluations, y, z)`` (int32 scalars): the counter says how often ``x`` was computed.
    """
    x_evaluations = tf.Variable(0, name="x_evaluations")  # counts the computations of x
    w = tf.constant(3, name="w")
    with tf.control_dependencies([x_evaluations.assign_add(1, read_value=False)]):
        x = tf.add(w, 2, name="x_node")
    y = x + 5
    z = x * 3
    return x_evaluations, y, z


def two_graphs():
    """Step 4: ``x1`` made in the default graph, ``x2`` in a new graph made default for it. Returns ``(x1, graph, x2)``."""
    x1 = tf.Variable(1, name="x1")
    graph = tf1.Graph()
    with graph.as_default():
        x2 = tf.Variable(2, name="x2")
    return x1, graph, x2


def plus_five(A):
    """Step 5's computation of the fed ``A`` (float32 ``[B, 3]``): ``A + 5``."""
    return A + 5


def make_theta():
    """Step 6's variable: ``theta``, float32 ``[3]`` drawn uniformly from [-1, 1)."""
    return tf.Variable(tf1.random_uniform([3], -1.0, 1.0), name="theta")


@recipe(
    "graph_session_basics",
    presets={"book": {}, "smoke": {}},
    metric="value",
    metric_label="value",
)
def graph_session_basics(run, *, x_init=3, y_init=4):
    """Graphs and sessions: a variable's lifecycle, node evaluation, two graphs, feeding, Saver."""

    steps = itertools.count()

    def show(name, value):
        """Report every element of ``value``, in order, as the next values of the history."""
        run.log(f"{name}:")
        for element in np.ravel(value):
            run.report(next(steps), element, **{name: element})

    # 1. Creating a graph and running it in a session.
    x, y, f = f_of_xy(x_init, y_init)
    init = tf1.global_variables_initializer()
    with tf1.Session() as sess:
        init.run()
        result = f.eval()
    show("f", result)

    # 2. A variable's lifecycle: it starts with the initializer and ends with the session.
    with tf1.Session() as sess:
        init.run()
        sess.run(x.assign(10))
        show("x_assigned_in_first_session", x.eval())
    with tf1.Session() as sess:
        try:
            x.eval()
            uninitialised = False
        except tf.errors.FailedPreconditionError:
            uninitialised = True
        show("x_uninitialised_in_new_session", uninitialised)
        init.run()
        show("x_initial_in_new_session", x.eval())

    # 3. Lifecycle of a node value: x is computed for each eval() that needs it.
    x_evaluations, y, z = counted_nodes()
    init = tf1.global_variables_initializer()
    with tf1.Session() as sess:
        init.run()
        show("y_eval", y.eval())  # 10
        show("z_eval", z.eval())  # 15
        show("x_evaluations_separate", x_evaluations.eval())  # 2: x computed again for z
    with tf1.Session() as sess:
        init.run()
        y_val, z_val = sess.run([y, z])
        show("y_run", y_val)
        show("z_run", z_val)
        show("x_evaluations_together", x_evaluations.eval())  # 1: one run, x computed once

    # 4. Managing graphs: a node goes into the default graph unless another is made default.
    x1, graph, x2 = two_graphs()
    show("x1_in_default_graph", x1.graph is tf1.get_default_graph())
    show("x2_in_default_graph", x2.graph is tf1.get_default_graph())
    with tf1.Session(graph=graph) as sess:
        x2.initializer.run()
        show("x2_in_its_graph", x2.eval())
    try:
        tf.add(x1, x2)
        mixed = True
    except ValueError:  # "... must be from the same graph ..."
        mixed = False
    show("x1_plus_x2_refused", not mixed)

    # 5. Feeding data to the training algorithm: placeholders.
    A = tf1.placeholder(tf.float32, shape=(None, 3), name="A")
    B = plus_five(A)
    with tf1.Session() as sess:
        B_val_1 = B.eval(feed_dict={A: [[1, 2, 3]]})
        B_val_2 = B.eval(feed_dict={A: [[4, 5, 6], [7, 8, 9]]})
    show("B_val_1", B_val_1)
    show("B_val_2", B_val_2)

    # 6. Saving and restoring a model.
    theta = make_theta()
    init = tf1.global_variables_initializer()
    saver = tf1.train.Saver()
    with tf1.Session() as sess:
        init.run()
        theta_saved = theta.eval()
        save_path = saver.save(sess, run.checkpoint_path)
    with tf1.Session() as sess:
        saver.restore(sess, save_path)
        theta_restored = theta.eval()
    with tf1.Graph().as_default() as empty, tf1.Session(graph=empty) as sess:
        restorer = tf1.train.import_meta_graph(save_path + ".meta")
        restorer.restore(sess, save_path)
        imported = {v.op.name: v for v in tf1.global_variables()}
        theta_imported = imported["theta"].eval()
    show("theta_saved", theta_saved)
    show("theta_restored", theta_restored)
    show("theta_imported", theta_imported)
    # Last, the same for every seed: both round trips gave back the saved values bit for bit.
    show("round_trip_exact", np.array_equal(theta_restored, theta_saved) and np.array_equal(theta_imported, theta_saved))


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("graph_session_basics")
