"""The faster-optimizer recipes' shim: ``relu_mlp`` of the TF1 body; each recipe's own ``optimizer`` function.

The model is :func:`tf1_recipes.recipes.families.relu_mlp.relu_mlp` and the optimizer the
``optimizer`` function of the recipe's module (``tf1_recipes.recipes.adam.optimizer``, ...):
the code the TF1 graph is built with. Its slots keep TF1's names (``hidden1/kernel/Adam``,
``train/beta1_power``).
"""

import importlib
import inspect

from tf1_recipes.recipes.families.relu_mlp import relu_mlp
from tf1_recipes.shim.base import ShimPort


class ReluMLP(ShimPort):
    """The 300/50 ReLU MLP in a shim layer; the optimizer is ``tf1_recipes.recipes.<recipe>.optimizer``."""

    def forward(self, X, training):
        h = self.hyper
        return relu_mlp(X, h["n_hidden1"], h["n_hidden2"], h["n_outputs"])

    def tf1_optimizer(self):
        """The recipe module's ``optimizer(...)`` called with the hyperparameters it names."""
        make = importlib.import_module(f"tf1_recipes.recipes.{self.recipe}").optimizer
        return make(**{name: self.hyper[name] for name in inspect.signature(make).parameters})
