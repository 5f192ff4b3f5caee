"""Shim port of :mod:`tf1_recipes.recipes.reuse_other_framework`: hidden1 as TF1 code, loaded from NumPy arrays, eagerly.

The model is :func:`tf1_recipes.recipes.reuse_other_framework.hidden1_layer` in a shim layer.
TF1 → shim, one preset each:

* ``assign_input``: ``sess.run(init, feed_dict={<hidden1/kernel/Assign's initial-value
  input>: original_w, ...})``: the arrays fed as the variables' initial values → there are no
  ``Assign`` ops at rung 2 (``get_operation_by_name`` has no graph to look in); what was fed
  is still the initial value: the layer's first call, which creates the variables, runs in a
  ``tf.variable_creator_scope`` that hands ``hidden1/kernel`` and ``hidden1/bias`` (the TF1
  names the creator sees) the arrays as ``initial_value``. No other value is ever drawn.
* ``assign_placeholders``: ``tf.compat.v1.assign`` nodes fed through placeholders, run after
  ``init`` → ``tf.compat.v1.assign(variable, array)`` run eagerly on the layer's variables
  (found by their TF1 names, :meth:`ShimPort.keras_variables`: the ``variable_scope(reuse=True)``
  + ``get_variable`` lookup has no graph-wide variable store to search either).

Then ``hidden1.eval(feed_dict={X: X_new})`` → the layer called on ``X_new``, each output unit
reported as the TF1 recipe does, and ``saver.save`` → the same Saver (TF1 names).
"""

import numpy as np
import tensorflow as tf

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.reuse_other_framework import hidden1_layer, other_frameworks_arrays
from tf1_recipes.shim import shim
from tf1_recipes.shim.base import ShimLayer, ShimPort
from tf1_recipes.tf2.reuse_other_framework import ReuseOtherFramework


@shim("reuse_other_framework")
class Shim(ShimPort, ReuseOtherFramework):
    """hidden1 (TF1 code) given NumPy weights as its initial values or by assignment, evaluated on X_new; nothing trained.

    Nothing trains and no batches are drawn, so tests/parity/test_shim_other_framework.py
    compares it with the TF1 recipe (the generic K-step tests leave it out).
    """

    def build(self, *, n_inputs, n_hidden1, original_w, original_b, X_new, method):
        self.original_w, self.original_b = other_frameworks_arrays(method, n_inputs, n_hidden1, original_w, original_b)
        self.method, self.X_new = method, np.asarray(X_new, np.float32)
        fed = {"hidden1/kernel": self.original_w, "hidden1/bias": self.original_b} if method == "assign_input" else {}

        def fed_initial_values(next_creator, **kwargs):
            """``feed_dict={init_kernel: original_w, init_bias: original_b}`` while ``init`` runs: the fed value is the initial value."""
            if kwargs.get("name") in fed:
                kwargs["initial_value"] = fed[kwargs["name"]]
            return next_creator(**kwargs)

        model = ShimLayer(self.forward, name=self.recipe)
        with tf.variable_creator_scope(fed_initial_values):
            model(tf.zeros([1, n_inputs], tf.float32), training=False)
        return model

    def forward(self, X, training):
        return hidden1_layer(X, n_hidden1=self.hyper["n_hidden1"])

    def state_variables(self):
        """{}: no optimizer, no global step (nothing trains)."""
        return {}

    def load_weights_from_the_other_framework(self):
        """assign_placeholders: ``tf.compat.v1.assign`` of the arrays to hidden1's variables, by TF1 name (assign_input: done at creation)."""
        if self.method == "assign_placeholders":
            variables = self.keras_variables()
            tf1.assign(variables["hidden1/kernel"], self.original_w)
            tf1.assign(variables["hidden1/bias"], self.original_b)
