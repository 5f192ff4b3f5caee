"""The port of a recipe that trains nothing: a fixed computation, no optimizer, no batches.

Some recipes show a TF1 mechanism on a fixed computation (sharing a variable, loading
weights from NumPy, graphs and sessions) and report the values it gives. Their ports
are :class:`Computation` subclasses: ``build`` returns only the model (or ``None`` when
the recipe has no model that outlives its steps), and ``fit`` runs the computation and
reports its values through ``run.report`` as the TF1 recipe does. There is no training
step; the parity probe (which watches ``run.batches``) cannot watch them, so each port
names the test comparing it with its TF1 recipe instead.
"""

import tensorflow as tf

from tf1_recipes.tf2.base import Port


class Computation(Port):
    """A Port without training: ``build(**hyper)`` returns the model; ``fit(run)`` computes and reports."""

    LOOP_HYPERPARAMETERS = ()
    probe_parity = False

    def __init__(self, **hyper):
        self.hyper = dict(hyper)
        self.optimizer = None
        self.model = self.build(**hyper)

    def build(self, **hyper):
        """The Keras model from the recipe's hyperparameters (``None``: nothing outlives ``fit``)."""
        raise NotImplementedError

    def fit(self, run):
        """Run the recipe's computation on ``run``, reporting each value as the TF1 recipe does."""
        raise NotImplementedError

    def checkpoint(self):
        """The object-based checkpoint of the model (TF1: ``tf.train.Saver``); no optimizer to save."""
        return tf.train.Checkpoint(model=self.model)

    def keras_variables(self):
        return {} if self.model is None else super().keras_variables()
