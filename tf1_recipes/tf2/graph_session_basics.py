"""TF2 port of :mod:`tf1_recipes.recipes.graph_session_basics`: the same six lessons, without graphs or sessions.

TF2 runs operations eagerly; a ``tf.function`` traces Python into a graph and one call of
it plays the part of one ``sess.run``. Each step reports its values in the TF1 recipe's
order, under the TF1 names where the fact is the same in TF2, and under a TF2 name where
the TF1 fact is about a session or the default graph (:data:`TF1_COUNTERPARTS`):

1. ``f = x * x * y + y + 2``: computed eagerly, no session: 42.
2. A variable's lifecycle: its value lives in the Python object, not in a session.
   ``x.assign(10)`` stays until the object is gone; starting over means a new
   ``tf.Variable`` (in TF1, a new session running ``init``), which holds the initial
   value, not 10. A TF2 variable is never uninitialised: creating it initialises it.
3. Node evaluation: ``x = w + 2`` with a counter incremented each time ``x`` is computed.
   ``y`` and ``z`` from two ``tf.function`` calls compute ``x`` twice; one call returning
   both computes it once (each call is one run of its traced graph, as ``sess.run`` was).
4. Graphs kept apart: ``x1`` is an eager variable (eager is TF2's default); ``x2`` made
   inside a ``tf.function``'s trace is a symbolic tensor of that function's graph, has a
   value only by calling the function, and cannot be mixed with eager values.
5. Placeholders → function arguments: ``B = A + 5`` as a ``tf.function`` with an
   ``input_signature`` of shape (None, 3), one traced graph for two batch sizes.
6. ``Saver`` → ``tf.train.Checkpoint``: ``theta`` written, read back into a new variable;
   ``import_meta_graph`` (the model back without its Python code) →
   ``tf.saved_model.save`` / ``tf.saved_model.load``. The last value is 1 when both round
   trips gave back the saved values exactly.

``theta``'s values are a random draw on each side (TF1 derives the op seed from the
graph, TF2 from its eager counter), so they are compared only with their own round trips.
"""

import itertools

import numpy as np
import tensorflow as tf

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.computation import Computation

#: TF1 step name → the name of the TF2 fact reported in its place (the other steps keep their names).
TF1_COUNTERPARTS = {
    "x_assigned_in_first_session": "x_assigned",
    "x_uninitialised_in_new_session": "x_new_variable_starts_over",
    "x_initial_in_new_session": "x_initial_in_new_variable",
    "y_eval": "y_separate_call",
    "z_eval": "z_separate_call",
    "y_run": "y_one_call",
    "z_run": "z_one_call",
    "x1_in_default_graph": "x1_eager",
    "x2_in_default_graph": "x2_eager",
    "x2_in_its_graph": "x2_from_its_function",
}
SAVED_MODEL_DIR = "theta_saved_model"


@port("graph_session_basics")
class GraphSessionBasics(Computation):
    """Eager values, a variable's lifecycle, tf.function calls and graphs, arguments, Checkpoint and SavedModel."""

    # Every variable lives only inside its step, as each TF1 step's lives in its sessions: no model.
    variables = {}

    def build(self, *, x_init, y_init):
        self.x_init, self.y_init = x_init, y_init
        return None

    def fit(self, run):
        steps = itertools.count()

        def show(name, value):
            """Report every element of ``value``, in order, as the next values of the history."""
            run.log(f"{name}:")
            for element in np.ravel(value):
                run.report(next(steps), element, **{name: element})

        # 1. No graph to build and no session to run it in: the value is computed at once.
        x = tf.Variable(self.x_init, name="x")
        y = tf.Variable(self.y_init, name="y")
        f = x * x * y + y + 2
        show("f", f.numpy())

        # 2. A variable's lifecycle: its value lives with the Python object.
        x.assign(10)
        show("x_assigned", x.numpy())
        x_new = tf.Variable(self.x_init, name="x")  # starting over: a new object, initialised at creation
        show("x_new_variable_starts_over", x_new.numpy() != x.numpy())
        show("x_initial_in_new_variable", x_new.numpy())

        # 3. A node's value is computed in each function call that needs it.
        x_evaluations = tf.Variable(0, name="x_evaluations")  # counts the computations of x
        w = tf.constant(3, name="w")

        def x_node():
            x_evaluations.assign_add(1)  # tf.function runs stateful ops in program order
            return tf.add(w, 2, name="x_node")

        y_fn = tf.function(lambda: x_node() + 5)
        z_fn = tf.function(lambda: x_node() * 3)

        @tf.function
        def y_and_z():
            x = x_node()
            return x + 5, x * 3

        show("y_separate_call", y_fn().numpy())  # 10
        show("z_separate_call", z_fn().numpy())  # 15
        show("x_evaluations_separate", x_evaluations.numpy())  # 2: x computed again for z
        x_evaluations.assign(0)
        y_val, z_val = y_and_z()
        show("y_one_call", y_val.numpy())
        show("z_one_call", z_val.numpy())
        show("x_evaluations_together", x_evaluations.numpy())  # 1: one call, x computed once

        # 4. Graphs: eager code has none; each tf.function traces its own.
        x1 = tf.Variable(1, name="x1")
        x1_eager = tf.executing_eagerly()
        traced = {}

        @tf.function
        def make_x2():
            traced["x2"] = x2 = tf.constant(2, name="x2")  # a tensor of make_x2's graph
            return x2

        x2_value = make_x2()
        x2 = traced["x2"]
        show("x1_eager", x1_eager)
        show("x2_eager", not tf.is_symbolic_tensor(x2))
        show("x2_from_its_function", x2_value.numpy())
        try:
            tf.add(x1, x2)
            mixed = True
        except TypeError:  # "... is out of scope and cannot be used here"
            mixed = False
        show("x1_plus_x2_refused", not mixed)

        # 5. Feeding data: the placeholder becomes the function's argument.
        B = tf.function(lambda A: A + 5, input_signature=[tf.TensorSpec((None, 3), tf.float32)])
        B_val_1 = B(tf.constant([[1, 2, 3]], tf.float32)).numpy()
        B_val_2 = B(tf.constant([[4, 5, 6], [7, 8, 9]], tf.float32)).numpy()
        show("B_val_1", B_val_1)
        show("B_val_2", B_val_2)

        # 6. Saving and restoring: tf.train.Checkpoint, and a SavedModel for the code-free way back.
        theta = tf.Variable(tf.random.uniform([3], -1.0, 1.0), name="theta")
        theta_saved = theta.numpy()
        save_path = tf.train.Checkpoint(theta=theta).write(run.checkpoint_path)
        theta_new = tf.Variable(tf.zeros([3]), name="theta")
        tf.train.Checkpoint(theta=theta_new).read(save_path).assert_consumed()
        theta_restored = theta_new.numpy()
        holder = tf.Module()
        holder.theta = theta
        saved_model = str(run.out_dir / SAVED_MODEL_DIR)
        tf.saved_model.save(holder, saved_model)
        theta_imported = tf.saved_model.load(saved_model).theta.numpy()
        show("theta_saved", theta_saved)
        show("theta_restored", theta_restored)
        show("theta_imported", theta_imported)
        # Last, the same for every seed: both round trips gave back the saved values bit for bit.
        show("round_trip_exact", np.array_equal(theta_restored, theta_saved) and np.array_equal(theta_imported, theta_saved))
