"""Shim port of :mod:`tf1_recipes.recipes.bn_shared_between_towers`: both towers' ``UPDATE_OPS``, collected and run after the step.

The model is the recipe's own :func:`~tf1_recipes.recipes.bn_shared_between_towers.two_towers`
(tower A on ``X``, tower B on ``1 - X``, ``variable_scope("dnn", reuse=...)``), its
variables by their TF1 names (``dnn/bn1/moving_mean`` shared, or ``dnn/tower_a_bn1/...``).

What breaks at rung 2 is ``UPDATE_OPS``. Called eagerly (or in the loop's ``tf.function``,
whose automatic control dependencies keep program order) with ``training=True``, a TF1
batch-norm layer assigns its moving statistics inside the call; with shared batch norm,
tower B's update then reads tower A's result and the two updates chain
(``m -> 0.9 (0.9 m + 0.1 a) + 0.1 b``). In the TF1 graph both towers' update ops read the
value from before the step and their changes add up (``m - 0.1 (m - a) - 0.1 (m - b)``,
under the one op schedule the parity runs use, ``Port.tf1_caller_thread``). The shim
restores that: its training step runs the model with the layers' updates collected, not
run (:func:`tf1_recipes.tf_private.collected_batch_norm_updates`: each delta read from the
pre-step value, TF1's formula), then runs them in the order the graph built them (tower A's,
tower B's), as ``sess.run([training_op, extra_update_ops])`` did. With per-tower batch norm
(``separate``) each statistic has one update and the collected form gives what the in-call
update would.
"""

import numpy as np
import tensorflow as tf

from tf1_recipes import tf_private
from tf1_recipes.compat import tf1
from tf1_recipes.recipes.bn_shared_between_towers import two_towers
from tf1_recipes.shim import shim
from tf1_recipes.shim.base import ShimPort, run_collected_updates
from tf1_recipes.tf2.bn_shared_between_towers import STD_FLOOR, xentropy


@shim("bn_shared_between_towers")
class Shim(ShimPort):
    """The recipe's two towers (TF1 code) trained with plain GD; both towers' moving-statistics updates from the pre-step values."""

    # The parity runs' TF1 side (one op schedule, tower A's logits) is set by the native port
    # (BNSharedBetweenTowers.tf1_caller_thread, tf1_logits).
    has_training_mode = True

    def forward(self, X, training):
        """``(hidden1_a, logits_a, hidden1_b, logits_b)`` of the recipe's :func:`two_towers`."""
        h = self.hyper
        return two_towers(X, training, h["n_hidden1"], h["n_hidden2"], h["n_outputs"], h["batch_norm_momentum"],
                          h["share_batch_norm"])

    def tf1_optimizer(self):
        return tf1.train.GradientDescentOptimizer(self.hyper["learning_rate"])

    def logits(self, X, training=False):
        """Tower A's logits (what the forward-pass probe compares with TF1's ``tower_a/dnn/outputs/BiasAdd``)."""
        return self.model(X, training=training)[1]

    def loss(self, X, y, training=False):
        """``reduce_mean(concat([xentropy_a, xentropy_b]))``, as TF1's ``loss/loss``."""
        _, logits_a, _, logits_b = self.model(X, training=training)
        return tf.reduce_mean(tf.concat([xentropy(y, logits_a), xentropy(y, logits_b)], axis=0))

    def _train_step(self, X, y):
        """One GD step, then every collected moving-statistics update (tower A's, tower B's), each from the pre-step value.

        Returns the training-mode loss before the update.
        """
        variables = self.model.trainable_variables
        with tf_private.collected_batch_norm_updates() as updates:
            with tf.GradientTape() as tape:
                loss = self.loss(X, y, training=True)
        self.apply_gradients(tape.gradient(loss, variables), variables)
        run_collected_updates(updates)  # TF1: extra_update_ops = get_collection(UPDATE_OPS), fetched with the step
        return loss

    def report(self, run, epoch, X_eval, y_eval):
        """The moving-mean mismatch of both towers' first batch norm, with ``accuracy_a``, ``accuracy_b`` and ``loss``."""
        X_eval = tf.convert_to_tensor(X_eval, tf.float32)
        y = tf.convert_to_tensor(y_eval, tf.int64)
        h_a, logits_a, h_b, logits_b = (t.numpy() for t in self.model(X_eval, training=False))
        named = self.keras_variables()
        prefixes = ("", "") if self.hyper["share_batch_norm"] else ("tower_a_", "tower_b_")
        mean_a, mean_b = (named[f"dnn/{prefix}bn1/moving_mean"].numpy() for prefix in prefixes)
        mismatch = [np.mean(np.abs(m - h.mean(axis=0)) / (h.std(axis=0) + STD_FLOOR)) for m, h in ((mean_a, h_a), (mean_b, h_b))]
        acc_a, acc_b = (float(tf.reduce_mean(tf.cast(tf.math.in_top_k(y, logits, 1), tf.float32))) for logits in (logits_a, logits_b))
        loss = float(tf.reduce_mean(tf.concat([xentropy(y, logits_a), xentropy(y, logits_b)], axis=0)))
        run.report(epoch, float(np.mean(mismatch)), accuracy_a=acc_a, accuracy_b=acc_b, loss=loss)

