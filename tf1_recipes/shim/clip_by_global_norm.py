"""Shim port of :mod:`tf1_recipes.recipes.clip_by_global_norm`: its model and its ``clip``; the norms to TensorBoard.

The model code: :mod:`tf1_recipes.shim.families.five_relu`; the clipping is the
recipe's own :func:`tf1_recipes.recipes.clip_by_global_norm.clip`, between the tape's
gradients and the TF1 optimizer's ``apply_gradients``. What breaks at rung 2: the TF1 graph's
``tf.summary.scalar`` ops, merged and fetched with the training op, then written with
``FileWriter.add_summary``, have no session to run in. The loop, the per-step norms and
their summaries (the same tags at the same steps, through ``tf.summary.create_file_writer``)
are the native port's (:class:`tf1_recipes.tf2.clip_by_global_norm.ClipByGlobalNorm`);
only the model, the optimizer and the checkpoint (a TF1 ``Saver`` checkpoint, by the TF1
names) are the shim's.

The order of the variables matters here, as it does not for an elementwise clipping: the
global norm sums the gradients' squared norms one variable after another. TF1's
``compute_gradients`` lists the trainable variables in creation order (``hidden1/kernel``,
``hidden1/bias``, ``hidden2/kernel``, ...); the shim layer's ``trainable_variables`` are
sorted by name (``hidden1/bias`` first). In that order the K parity steps' losses differed
from TF1's by 2.4e-7 and the weights by 1.5e-8; the shim records the creation order
(``tf.variable_creator_scope`` around the build) and steps in it, and is bit-identical.
"""

import tensorflow as tf

from tf1_recipes.recipes.clip_by_global_norm import clip
from tf1_recipes.shim import shim
from tf1_recipes.shim.families.five_relu import FiveReLU
from tf1_recipes.tf2 import clip_by_global_norm as native


@shim("clip_by_global_norm")
class Shim(FiveReLU, native.ClipByGlobalNorm):
    """Five ReLU layers in a shim layer; gradients clipped by global norm (or by value) before GD applies them."""

    def build(self, **hyper):
        if hyper["clipping"] not in native.CLIPPING:
            raise ValueError(f"unknown clipping {hyper['clipping']!r}; choose one of {', '.join(native.CLIPPING)}")
        created = []

        def record(next_creator, **kwargs):
            variable = next_creator(**kwargs)
            created.append(variable)
            return variable

        with tf.variable_creator_scope(record):
            model, optimizer = super().build(**hyper)
        #: The trainable variables in creation order: TF1's ``compute_gradients`` order.
        self.tf1_ordered = [v for v in created if v.trainable]
        return model, optimizer

    def _train_step(self, X, y):
        """One step; returns (loss, global norm before clipping, global norm after), float32 scalars."""
        variables = self.tf1_ordered
        with tf.GradientTape() as tape:
            loss = self.loss(X, y, training=True)
        capped, global_norm, capped_norm = clip(tape.gradient(loss, variables), self.hyper["clipping"],
                                                self.hyper["threshold"])
        self.optimizer.apply_gradients(zip(capped, variables))
        return loss, global_norm, capped_norm
