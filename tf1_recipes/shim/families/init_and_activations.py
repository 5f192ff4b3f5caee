"""The initialisation and activation recipes' shim: ``dnn`` of the TF1 body, ``GradientDescentOptimizer``.

The model is :func:`tf1_recipes.recipes.families.init_and_activations.dnn`, the function the
TF1 graph is built with; the loop, and ``selu``'s standardised inputs, are the native port's
(:class:`tf1_recipes.tf2.families.init_and_activations.Train300x100`).
"""

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.families.init_and_activations import dnn
from tf1_recipes.shim.base import ShimPort
from tf1_recipes.tf2.families import init_and_activations as native


class Train300x100(ShimPort, native.Train300x100):
    """The 300/100 MLP of ``train_300_100`` in a shim layer, trained with plain GD."""

    def build(self, **hyper):
        self.scale_inputs = hyper["scale_inputs"]
        return super().build(**hyper)

    def forward(self, X, training):
        h = self.hyper
        return dnn(X, n_hidden1=h["n_hidden1"], n_hidden2=h["n_hidden2"], n_outputs=h["n_outputs"],
                   activation=h["activation"], initializer=h["initializer"])

    def tf1_optimizer(self):
        return tf1.train.GradientDescentOptimizer(self.hyper["learning_rate"])
