"""Shim port of :mod:`tf1_recipes.recipes.graph_session_basics`: the recipe's TF1 code for each lesson, run eagerly.

Each lesson's graph-building code is the recipe's own function (``f_of_xy``, ``counted_nodes``,
``two_graphs``, ``plus_five``, ``make_theta``), called in a
:class:`~tf1_recipes.shim.families.tf_variables.TF1Code` (a ``tf.Module`` whose ``__call__`` is
decorated with ``track_tf1_style_variables``; its bare ``tf.Variable`` calls create their variables
once, under their TF1 names, and reuse them). One call of it is one run of the code: what one
``sess.run`` was. The steps are reported in the recipe's order; where the TF1 fact is about a
session or a graph, the shim reports, under another name (:data:`TF1_COUNTERPARTS`), what the
same TF1 code does at rung 2, measured:

1. ``f = x * x * y + y + 2``: the call computes it at once: 42, no session.
2. Lifecycle: ``x.assign(10)`` stays in the variable, and a later call of the same code computes
   with it (no ``init`` to run, none that resets); "a new session starts uninitialised" has no
   counterpart: a new module running the same code creates a new ``x``, initialised at creation.
3. Node evaluation: ``tf.control_dependencies`` is a no-op eagerly, but the ``assign_add`` runs
   where it is written, once per call: two calls (for ``y``, for ``z``) count 2, one call
   returning both counts 1, as two ``eval()`` and one ``sess.run`` did. TF1's ``init.run()`` of a
   new session, which reset the counter, is an explicit ``assign(0)``.
4. Graphs: the default graph is gone (``x1`` is eager: ``x1.graph`` raises AttributeError), but the
   recipe's ``tf.Graph().as_default()`` block still builds ``x2`` in a graph of its own, and a
   ``tf.compat.v1.Session`` on that graph still evaluates it (2); mixing them is still refused
   (TypeError instead of ValueError).
5. ``tf.compat.v1.placeholder`` is refused eagerly (RuntimeError); the fed values are the module's
   call arguments, ``B = plus_five(A)`` for two batch sizes.
6. ``Saver()`` with no ``var_list`` is refused eagerly (no global collection to save); with the
   variables the steps created, by their TF1 names, it writes and restores TF1 checkpoints
   (``sess=None``; no ``.meta`` file). ``import_meta_graph`` is refused ("not supported when eager
   execution is enabled"): the code-free way back is a SavedModel of the module.

The checkpoint at ``run.checkpoint_path`` has the TF1 run's names, shapes and dtypes (``x``,
``y``, ``x_evaluations``, ``x1``, ``theta``); its values are the variables' live values (``x`` is
10: nothing re-initialises it), where TF1's last session had just run ``init`` (``x`` 3).
"""

import itertools

import numpy as np
import tensorflow as tf

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.graph_session_basics import counted_nodes, f_of_xy, make_theta, plus_five, two_graphs
from tf1_recipes.shim import shim
from tf1_recipes.shim.base import ShimPort
from tf1_recipes.shim.families.tf_variables import TF1Code
from tf1_recipes.tf2.computation import Computation

#: TF1 step name -> the name of the rung-2 fact reported in its place (the other steps keep their names).
TF1_COUNTERPARTS = {
    "x_uninitialised_in_new_session": "x_new_module_starts_over",
    "x_initial_in_new_session": "x_initial_in_new_module",
    "y_eval": "y_separate_call",
    "z_eval": "z_separate_call",
    "y_run": "y_one_call",
    "z_run": "z_one_call",
    "x1_in_default_graph": "x1_eager",
}
#: Rung-2 facts with no TF1 step (extra series, one value each, reported with B_val_1, theta_saved and
#: theta_imported): TF1 calls refused eagerly (1 when refused).
RUNG2_ONLY = ("placeholder_refused", "saver_without_var_list_refused", "import_meta_graph_refused")
SAVED_MODEL_DIR = "theta_saved_model"


def refused(call, error):
    """Whether ``call()`` raises ``error`` (the TF1 call refused at rung 2)."""
    try:
        call()
    except error:
        return True
    return False


@shim("graph_session_basics")
class Shim(Computation, ShimPort):
    """The recipe's six lessons, each its own TF1 code in a shimmed ``tf.Module``, run eagerly."""

    # No network: tests/parity/test_shim_basics.py compares it with the TF1 run step by step.
    probe_parity = False

    def build(self, *, x_init, y_init):
        self.x_init, self.y_init = x_init, y_init
        return None  # each step's variables live in its own module, as each TF1 step's lived in its sessions

    def state_variables(self):
        return {}

    def fit(self, run):
        steps = itertools.count()

        def show(name, value, **facts):
            """Report every element of ``value``, in order, as the next values of the history
            (``facts``: rung-2 facts with no TF1 step, reported alongside the first element)."""
            run.log(f"{name}:")
            for element in np.ravel(value):
                run.report(next(steps), element, **{name: element}, **facts)
                facts = {}

        # 1. The code runs when called: f's value, no session.
        xy = TF1Code(lambda: f_of_xy(self.x_init, self.y_init), name="f_of_xy")
        x, y, f = xy()
        show("f", f.numpy())

        # 2. A variable's lifecycle: the value lives in the variable, across calls; a new module starts over.
        x.assign(10)
        xy()  # another run of the code: it computes with x = 10 and resets nothing
        show("x_assigned_in_first_session", xy.tf1_variables()["x"].numpy())
        x_new = TF1Code(lambda: f_of_xy(self.x_init, self.y_init), name="f_of_xy")()[0]
        show("x_new_module_starts_over", x_new.numpy() != x.numpy())
        show("x_initial_in_new_module", x_new.numpy())

        # 3. Node evaluation: one call of the code, one computation of x.
        counted = TF1Code(counted_nodes, name="counted_nodes")
        show("y_separate_call", counted()[1].numpy())  # 10
        show("z_separate_call", counted()[2].numpy())  # 15
        x_evaluations = counted.tf1_variables()["x_evaluations"]
        show("x_evaluations_separate", x_evaluations.numpy())  # 2: x computed again for z
        x_evaluations.assign(0)  # TF1: a new session's init.run()
        _, y_val, z_val = counted()
        show("y_one_call", y_val.numpy())
        show("z_one_call", z_val.numpy())
        show("x_evaluations_together", x_evaluations.numpy())  # 1: one call, x computed once

        # 4. Graphs: no default graph, but the recipe's own graph block still works.
        graphs = TF1Code(two_graphs, name="two_graphs")
        x1, graph, x2 = graphs()
        show("x1_eager", refused(lambda: x1.graph, AttributeError))
        show("x2_in_default_graph", x2.graph is tf1.get_default_graph())
        with tf1.Session(graph=graph) as sess:
            x2.initializer.run()
            show("x2_in_its_graph", x2.eval())
        show("x1_plus_x2_refused", refused(lambda: tf.add(x1, x2), TypeError))  # "... is out of scope and cannot be used here"

        # 5. Placeholders are refused; the fed values are the call's arguments.
        placeholder_refused = refused(lambda: tf1.placeholder(tf.float32, shape=(None, 3), name="A"), RuntimeError)
        B = TF1Code(plus_five, tf.TensorSpec((None, 3), tf.float32), name="plus_five")
        show("B_val_1", B(tf.constant([[1, 2, 3]], tf.float32)).numpy(), placeholder_refused=placeholder_refused)
        show("B_val_2", B(tf.constant([[4, 5, 6], [7, 8, 9]], tf.float32)).numpy())

        # 6. Saver, with the variables named; import_meta_graph refused, a SavedModel instead.
        theta_code = TF1Code(make_theta, name="make_theta")
        theta = theta_code()
        theta_saved = theta.numpy()
        created = {**xy.tf1_variables(), **counted.tf1_variables(), "x1": x1, **theta_code.tf1_variables()}
        save_path = tf1.train.Saver(var_list=created).save(None, run.checkpoint_path, write_meta_graph=False)
        fresh = TF1Code(make_theta, name="make_theta")
        fresh()  # a new theta, another draw
        tf1.train.Saver(var_list=fresh.tf1_variables()).restore(None, save_path)
        theta_restored = fresh.tf1_variables()["theta"].numpy()
        show("theta_saved", theta_saved, saver_without_var_list_refused=refused(tf1.train.Saver, RuntimeError))
        show("theta_restored", theta_restored)
        import_meta_graph_refused = refused(lambda: tf1.train.import_meta_graph(save_path + ".meta"), RuntimeError)
        saved_model = str(run.out_dir / SAVED_MODEL_DIR)
        tf.saved_model.save(theta_code, saved_model)
        theta_imported = tf.saved_model.load(saved_model).tf_variables[0].numpy()
        show("theta_imported", theta_imported, import_meta_graph_refused=import_meta_graph_refused)
        # Last, the same for every seed: both round trips gave back the saved values bit for bit.
        show("round_trip_exact", np.array_equal(theta_restored, theta_saved) and np.array_equal(theta_imported, theta_saved))
