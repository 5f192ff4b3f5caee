"""Shim port of :mod:`tf1_recipes.recipes.pretrain_5layer`: ``gradient_clipping``'s model code and clipping, eagerly.

The model is :func:`tf1_recipes.recipes.gradient_clipping.dnn` and the clipping between the
tape and ``apply_gradients`` is :func:`tf1_recipes.recipes.gradient_clipping.clip_gradients`,
the code the TF1 graph is built with (TF1's ``compute_gradients`` → ``tape.gradient``). Its
checkpoint is a TF1 ``Saver`` checkpoint with the recipe's names, which the reuse recipes'
TF1 graphs and shims restore as they restore the TF1 recipe's.
"""

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.gradient_clipping import clip_gradients, dnn
from tf1_recipes.shim import shim
from tf1_recipes.shim.base import ShimPort
from tf1_recipes.tf2.pretrain_5layer import Pretrain5Layer


@shim("pretrain_5layer")
class Shim(ShimPort, Pretrain5Layer):
    """Five ReLU layers in a shim layer, TF1's GD on gradients clipped to [-threshold, threshold]."""

    def build(self, *, threshold, **hyper):
        self.threshold = threshold
        return super().build(**hyper)

    def forward(self, X, training):
        h = self.hyper
        return dnn(X, **{k: h[k] for k in ("n_hidden1", "n_hidden2", "n_hidden3", "n_hidden4", "n_hidden5", "n_outputs")})

    def tf1_optimizer(self):
        return tf1.train.GradientDescentOptimizer(self.hyper["learning_rate"])

    def process_gradients(self, grads):
        """The recipe's ``capped_gvs``: :func:`~tf1_recipes.recipes.gradient_clipping.clip_gradients` on the tape's gradients."""
        return [grad for grad, _ in clip_gradients([(grad, None) for grad in grads], self.threshold)]
