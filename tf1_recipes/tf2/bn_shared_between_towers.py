"""TF2 port of :mod:`tf1_recipes.recipes.bn_shared_between_towers`: two towers on one set of dense layers.

TF1 → TF2:

* ``variable_scope("dnn", reuse=True)`` around a second call of the tower code → the same
  Keras layer objects called twice: the tower models ``tower_a`` (MNIST) and ``tower_b``
  (``1 - X``) are built from one set of Dense layers and one (``shared``) or two
  (``separate``) sets of ``BatchNormalization`` layers;
* both towers' ``UPDATE_OPS`` fetched with the training op → :meth:`_train_step`. Keras
  cannot reproduce this by calling the shared layer twice: each training-mode call assigns
  at once, so tower B's update would start from tower A's result
  (``m -> 0.9 m + 0.1 a -> 0.9 (0.9 m + 0.1 a) + 0.1 b``). In the TF1 graph each update op
  reads the moving statistics before either writes (the reads depend on nothing else), so
  the two updates add up: ``m -> m - 0.1 (m - a) - 0.1 (m - b)``. The port computes every
  tower's new statistics with ``stateless_call`` from the values before the step and adds
  the changes, which covers the separate preset too (each variable then has one tower).

Nothing orders tower A's read of a shared statistic before tower B's update of it in the
TF1 graph, though: when the session hands the ops to its inter-op thread pool, now and then
tower B's update runs first and tower A's then starts from its result (about one run in
ten of a single step, measured). Run with every op in the caller's thread, the graph always
takes the order above, which the port reproduces; its parity runs use that schedule
(``tf1_caller_thread``).
"""

import functools

import keras
import numpy as np
import tensorflow as tf

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.base import Port
from tf1_recipes.tf2.defaults import BATCH_NORM_EPSILON, contrib_he_init
from tf1_recipes.tf2.optimizers import FusedSGD

DENSE = ("hidden1", "hidden2", "outputs")
BATCH_NORM_STATE = ("gamma", "beta", "moving_mean", "moving_variance")
#: The mismatch metric's guard against a unit with no spread (the TF1 recipe's constant).
STD_FLOOR = 1e-3


def batch_norm_names(share_batch_norm):
    """{tower: (name of its first batch-norm layer, of its second)}, as the TF1 recipe names them."""
    if share_batch_norm:
        return {"tower_a": ("bn1", "bn2"), "tower_b": ("bn1", "bn2")}
    return {tower: (f"{tower}_bn1", f"{tower}_bn2") for tower in ("tower_a", "tower_b")}


def xentropy(y, logits):
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)


@port("bn_shared_between_towers")
class BNSharedBetweenTowers(Port):
    """Tower A on MNIST, tower B on inverted MNIST, dense weights shared; batch norm shared or per tower."""

    has_training_mode = True
    # The loss reads both towers' logits; the forward-pass probe compares tower A's
    # (tower B's are compared in tests/parity/test_bn_pitfall_ports.py).
    tf1_logits = "tower_a/dnn/outputs/BiasAdd:0"
    # The shared preset's TF1 numbers depend on the order of unordered ops (module docstring).
    tf1_caller_thread = True
    # Shared statistics drift to a blend of the two towers' that fits neither: in the shared
    # preset the inference-mode loss rises while the towers train (the pitfall);
    # tests/parity/test_bn_pitfall_ports.py checks that, and that the training-mode loss falls.
    parity_inference_loss_falls = False

    def build(self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate, batch_norm_momentum, share_batch_norm):
        dense = {
            name: keras.layers.Dense(units, kernel_initializer=contrib_he_init(), name=name)
            for name, units in zip(DENSE, (n_hidden1, n_hidden2, n_outputs))
        }
        batch_norm = {
            name: keras.layers.BatchNormalization(momentum=batch_norm_momentum, epsilon=BATCH_NORM_EPSILON, name=name)
            for names in batch_norm_names(share_batch_norm).values()
            for name in names
        }
        X = keras.Input(shape=(n_inputs,))
        inputs = {"tower_a": X, "tower_b": keras.ops.subtract(1.0, X)}  # tower B's input distribution
        hidden1, logits = {}, {}
        for tower, (bn1, bn2) in batch_norm_names(share_batch_norm).items():
            hidden1[tower] = dense["hidden1"](inputs[tower])
            hidden2 = dense["hidden2"](keras.activations.elu(batch_norm[bn1](hidden1[tower])))
            logits[tower] = dense["outputs"](keras.activations.elu(batch_norm[bn2](hidden2)))
        self.towers = [keras.Model(X, logits[tower], name=tower) for tower in ("tower_a", "tower_b")]
        # What the report fetches in one sess.run in TF1: both towers' hidden1 and logits, one forward pass.
        self.report_model = keras.Model(X, [hidden1["tower_a"], hidden1["tower_b"], logits["tower_a"], logits["tower_b"]],
                                        name="report")
        self.first_batch_norm = {tower: batch_norm[names[0]] for tower, names in batch_norm_names(share_batch_norm).items()}
        # TF1 names every variable under the "dnn" variable scope; the Keras layers carry the same names.
        self.variables = {f"dnn/{name}/{kind}": f"{name}/{kind}" for name in DENSE for kind in ("kernel", "bias")}
        self.variables.update({f"dnn/{name}/{kind}": f"{name}/{kind}" for name in batch_norm for kind in BATCH_NORM_STATE})
        model = keras.Model(X, [logits["tower_a"], logits["tower_b"]], name=self.recipe)
        return model, FusedSGD(learning_rate)

    def logits(self, X, training=False):
        """Tower A's logits (what the forward-pass probe compares with TF1's ``tower_a`` logits)."""
        return self.towers[0](X, training=training)

    def loss(self, X, y, training=False):
        """``reduce_mean(concat([xentropy_a, xentropy_b]))``, as TF1's ``loss/loss``."""
        logits_a, logits_b = self.model(X, training=training)
        return tf.reduce_mean(tf.concat([xentropy(y, logits_a), xentropy(y, logits_b)], axis=0))

    def _train_step(self, X, y):
        """One GD step; each tower's moving-statistics update computed from the values before the step, the updates added.

        Returns the training-mode loss before the update.
        """
        variables = self.model.trainable_variables
        statistics = {v.path: v for v in self.model.non_trainable_variables}
        before = {path: v.value for path, v in statistics.items()}
        change = {path: tf.zeros_like(value) for path, value in before.items()}
        with tf.GradientTape() as tape:
            xentropies = []
            for tower in self.towers:
                trainable = [v.value for v in tower.trainable_variables]
                paths = [v.path for v in tower.non_trainable_variables]
                logits, after = tower.stateless_call(trainable, [before[p] for p in paths], X, training=True)
                xentropies.append(xentropy(y, logits))
                for path, value in zip(paths, after):
                    change[path] += value - before[path]  # this tower's update op, from the pre-step value
            loss = tf.reduce_mean(tf.concat(xentropies, axis=0))
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        for path, variable in statistics.items():
            variable.assign(before[path] + change[path])
        return loss

    @functools.cached_property
    def report_values(self):
        """Both towers' hidden1 outputs, their accuracies and the loss on a split: one traced forward pass in inference mode.

        ``report_values(X, y)``: X float32 images ``[N, n_inputs]``, y int64 classes ``[N]``
        (:meth:`~tf1_recipes.tf2.base.Port.split_function`). Returns ``(h_a, h_b, accuracy_a, accuracy_b, loss)``
        as tensors: hidden1's outputs ``[N, n_hidden1]``, top-1 accuracies as ``in_top_k`` counts them,
        ``reduce_mean(concat([xentropy_a, xentropy_b]))`` (``loss/loss``).
        """

        def values(X, y):
            h_a, h_b, logits_a, logits_b = self.report_model(X, training=False)
            acc_a, acc_b = (tf.reduce_mean(tf.cast(tf.math.in_top_k(y, logits, 1), tf.float32)) for logits in (logits_a, logits_b))
            return h_a, h_b, acc_a, acc_b, tf.reduce_mean(tf.concat([xentropy(y, logits_a), xentropy(y, logits_b)], axis=0))

        return self.split_function(values)

    def report(self, run, epoch, X_eval, y_eval):
        h_a, h_b, acc_a, acc_b, loss = (value.numpy() for value in self.report_values(X_eval, y_eval))
        mean_a, mean_b = (self.first_batch_norm[tower].moving_mean.numpy() for tower in ("tower_a", "tower_b"))
        mismatch = [np.mean(np.abs(m - h.mean(axis=0)) / (h.std(axis=0) + STD_FLOOR)) for m, h in ((mean_a, h_a), (mean_b, h_b))]
        run.report(epoch, float(np.mean(mismatch)), accuracy_a=float(acc_a), accuracy_b=float(acc_b), loss=float(loss))
