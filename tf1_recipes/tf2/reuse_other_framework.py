"""TF2 port of :mod:`tf1_recipes.recipes.reuse_other_framework`: a Keras layer given NumPy weights.

TF1 → TF2, one preset each:

* ``assign_input``: the arrays fed into the initial-value inputs of the variables'
  ``Assign`` ops while ``init`` runs → the arrays *are* the initial values:
  ``Dense(kernel_initializer=keras.initializers.Constant(original_w), bias_initializer=Constant(original_b))``.
  A TF2 variable is initialised when it is created, so "the value ``init`` assigns" is
  the initializer.
* ``assign_placeholders``: placeholders and ``tf.compat.v1.assign`` nodes run after
  ``init`` → ``layer.kernel.assign(original_w)`` and ``layer.bias.assign(original_b)`` on
  the built layer (what ``layer.set_weights`` does): no placeholder, the array is the argument.

Either way ``hidden1`` computes ``relu(X @ kernel + bias)`` with the loaded values, and
each output unit is reported as one entry of the history, as the TF1 recipe does.
"""

import keras
import numpy as np

from tf1_recipes.recipes.reuse_other_framework import METHODS
from tf1_recipes.tf2 import port
from tf1_recipes.tf2.computation import Computation
from tf1_recipes.tf2.models import dense_variables


@port("reuse_other_framework")
class ReuseOtherFramework(Computation):
    """hidden1 loaded from NumPy arrays (by its initializers, or by assignment), evaluated on X_new."""

    variables = dense_variables("hidden1")

    def build(self, *, n_inputs, n_hidden1, original_w, original_b, X_new, method):
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
        self.original_w, self.original_b = np.asarray(original_w, np.float32), np.asarray(original_b, np.float32)
        if self.original_w.shape != (n_inputs, n_hidden1) or self.original_b.shape != (n_hidden1,):
            raise ValueError(
                f"original_w must have shape ({n_inputs}, {n_hidden1}) and original_b ({n_hidden1},); "
                f"got {self.original_w.shape} and {self.original_b.shape}"
            )
        self.method, self.X_new = method, np.asarray(X_new, np.float32)
        initializers = {}
        if method == "assign_input":
            initializers = dict(
                kernel_initializer=keras.initializers.Constant(self.original_w),
                bias_initializer=keras.initializers.Constant(self.original_b),
            )
        hidden1 = keras.layers.Dense(n_hidden1, activation="relu", name="hidden1", **initializers)
        return keras.Sequential([keras.Input(shape=(n_inputs,)), hidden1], name=self.recipe)

    def load_weights_from_the_other_framework(self):
        """assign_placeholders: assign the arrays to the built layer's variables (assign_input: already done)."""
        if self.method == "assign_placeholders":
            hidden1 = self.model.get_layer("hidden1")
            hidden1.kernel.assign(self.original_w)
            hidden1.bias.assign(self.original_b)

    def fit(self, run):
        self.load_weights_from_the_other_framework()
        # [...] Train the model on your new task
        outputs = self.model(self.X_new).numpy()
        run.log("hidden1 output:", outputs.tolist())
        for unit, value in enumerate(outputs.ravel()):
            run.report(unit, value)
        self.save(run.checkpoint_path)
