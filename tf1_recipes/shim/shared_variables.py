"""Shim port of :mod:`tf1_recipes.recipes.shared_variables`: ``summed_relus`` in a shim layer, one shared threshold.

The model code is the recipe's :func:`~tf1_recipes.recipes.shared_variables.summed_relus`, unchanged:
five ``relu()`` calls in ``variable_scope("relu", reuse=(relu_index >= 1))``. What breaks at rung 2:

* The sharing itself works: ``track_tf1_style_variables`` honours ``variable_scope`` reuse, and
  ``get_variable("threshold")`` gives the five calls one ``relu/threshold``.
* ``relu()``'s weights and bias are bare ``tf.Variable`` calls, which the decorator neither tracks
  nor reuses: unchanged, every call of the layer made five new weights with new random values,
  and the layer's variables were the threshold alone. The recipe's code did not have to change:
  :class:`~tf1_recipes.shim.families.tf_variables.CreatedOnce` does what TensorFlow's guide asks
  for bare ``tf.Variable`` calls (created once, attached to the layer, reused), from a
  ``tf.variable_creator_scope`` around the recipe's function.
* Names: eagerly the five calls' name scopes are not made unique (all ``relu/weights``); the
  variables are given the TF1 graph's names (``relu/weights``, ``relu_1/weights``, ...), read from
  the same function built in a throwaway graph, and the recipe's ``Saver`` checkpoint loads by name.
* ``threshold.load(value, sess)`` -> ``threshold.assign(value)``; the ``X`` placeholder and
  ``output.eval(feed_dict=...)`` -> a call of the layer on the NumPy batch. No training.
"""

import numpy as np
import tensorflow as tf

from tf1_recipes.recipes.shared_variables import summed_relus
from tf1_recipes.shim import shim
from tf1_recipes.shim.base import ShimLayer, ShimPort
from tf1_recipes.shim.families.tf_variables import CreatedOnce, tf1_variable_names
from tf1_recipes.tf2.computation import Computation


@shim("shared_variables")
class Shim(Computation, ShimPort):
    """The recipe's five ReLU units in a ``track_tf1_style_variables`` layer; the mean summed output per threshold."""

    # Not an MNIST network: tests/parity/test_shim_basics.py compares it with the TF1 run instead of the probe.
    probe_parity = False

    def build(self, *, n_features, n_relus, n_samples, thresholds):
        self.n_features, self.n_relus, self.n_samples, self.thresholds = n_features, n_relus, n_samples, tuple(thresholds)
        spec = tf.TensorSpec([None, n_features], tf.float32)
        self.created_once = CreatedOnce(tf1_variable_names(lambda X: summed_relus(X, n_relus), spec))
        model = ShimLayer(self.forward, name=self.recipe)
        model(tf.zeros([1, n_features], tf.float32), training=False)
        self.created_once.adopt(model)
        return model

    def forward(self, X, training):
        """The recipe's ``summed_relus(X, n_relus)``: float32 ``X [B, n_features]`` -> ``[B, 1]``."""
        with self.created_once.scope():
            return summed_relus(X, self.n_relus)

    @property
    def threshold(self):
        """The shared ``relu/threshold`` (the one ``get_variable`` made; the five units read it)."""
        return self.keras_variables()["relu/threshold"]

    def state_variables(self):
        return {}  # no optimizer

    def fit(self, run):
        X_data = np.random.randn(self.n_samples, self.n_features).astype(np.float32)  # the TF1 run's draw
        for step, threshold_value in enumerate(self.thresholds):
            self.threshold.assign(threshold_value)  # TF1: threshold.load(threshold_value, sess)
            output_val = self.model(X_data).numpy()
            run.report(step, output_val.mean(), threshold=threshold_value)
        self.save(run.checkpoint_path)
