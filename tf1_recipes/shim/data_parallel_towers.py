"""Shim port of :mod:`tf1_recipes.recipes.data_parallel_towers`: the TF1 towers, ``tf.device`` and all, run eagerly.

The model is the recipe's own :func:`~tf1_recipes.recipes.data_parallel_towers.towers_model`:
the batch split by :func:`~tf1_recipes.recipes.data_parallel_towers.split_batch`, each
tower's ops under ``tf.device("/cpu:i")`` (it works eagerly and in ``tf.function``:
TensorFlow places each op on the tower's logical CPU device, which
:func:`tf1_recipes.compat.require_cpu_devices` insists exist), the variables created by
tower 0 and reused by the others, by their TF1 names (``dnn/bn1/moving_mean``). The step is
the recipe's: each tower's loss (``reduce_mean`` of its cross-entropy), its gradients
(TF1's ``compute_gradients``: one ``tape.gradient`` per tower loss), the recipe's
:func:`~tf1_recipes.recipes.data_parallel_towers.average_gradients`, one ``apply_gradients``
of the TF1 optimizer on tower 0's device. This is rung 2, not ``tf.distribute``: one
replica of each variable, the towers one program (the native port,
:mod:`tf1_recipes.tf2.data_parallel_towers`, is the ``MirroredStrategy`` form).

What breaks at rung 2 is ``UPDATE_OPS``. ``batch_norm_statistics="tower0"`` runs only tower
0's update ops (``get_collection(UPDATE_OPS, scope="tower_0")``); called eagerly with
``training=True``, every tower's TF1 batch-norm layer assigns the shared moving statistics
inside its call, one after the other, so all N towers would update them, chained. The shim
collects the layers' updates instead of running them
(:func:`tf1_recipes.tf_private.collected_batch_norm_updates`, each with its name scope
``tower_<i>/dnn/...``) and runs those whose name scope matches ``tower_0``, as the
collection's scope filter did (:func:`tf1_recipes.shim.base.run_collected_updates`).
``"sync"``'s :func:`~tf1_recipes.recipes.data_parallel_towers.synchronized_batch_norm`
makes one update per statistic, in tower 0's scope, with its own ``assign_sub`` inside a
``tf.cond``: that one runs inside the call, which is what the graph's single update op did
(nothing else in the step reads the moving statistics in training mode).
"""

import tensorflow as tf

from tf1_recipes import tf_private
from tf1_recipes.compat import require_cpu_devices, tf1
from tf1_recipes.recipes.data_parallel_towers import STATISTICS, average_gradients, make_towers, split_batch, towers_model
from tf1_recipes.shim import shim
from tf1_recipes.shim.base import ShimPort, run_collected_updates


def xentropy(labels, logits):
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)


@shim("data_parallel_towers")
class Shim(ShimPort):
    """batch_norm's MLP on N TF1 towers (logical CPU devices); per-tower gradients averaged; tower 0's (or the synchronised) updates."""

    has_training_mode = True

    def __init__(self, **hyper):
        if hyper["batch_norm_statistics"] not in STATISTICS:
            raise ValueError(f"batch_norm_statistics must be one of {', '.join(STATISTICS)}, got {hyper['batch_norm_statistics']!r}")
        n_towers = hyper["n_towers"]
        if n_towers < 1 or hyper["batch_size"] % n_towers:
            raise ValueError(f"batch_size {hyper['batch_size']} does not split evenly into n_towers {n_towers}")
        self.devices = require_cpu_devices(n_towers, f"data_parallel_towers with {n_towers} towers")
        super().__init__(**hyper)

    def forward(self, X, training):
        """``(hidden1, logits)``: lists with one tensor per tower, of the recipe's :func:`towers_model` on :func:`split_batch`'s slices.

        ``training`` goes in as a bool tensor, what the graph's ``training`` placeholder was:
        :func:`synchronized_batch_norm` branches on it with ``tf.cond``, which refuses a
        Python bool inside ``tf.function``.
        """
        h = self.hyper
        (X_towers,) = split_batch(h["n_towers"], X)
        training = tf.constant(bool(training))
        return towers_model(X_towers, training, make_towers(self.devices), h["n_hidden1"], h["n_hidden2"], h["n_outputs"],
                            h["batch_norm_momentum"], h["batch_norm_statistics"])

    def tf1_optimizer(self):
        return tf1.train.GradientDescentOptimizer(self.hyper["learning_rate"])

    def tower_xentropies(self, X, y, training):
        """Each tower's cross-entropy on its slice ([rows_i] float32), as the TF1 towers compute them."""
        (y_towers,) = split_batch(self.hyper["n_towers"], y)
        _, logits_towers = self.model(X, training=training)
        xentropies = []
        for device, y_i, logits_i in zip(self.devices, y_towers, logits_towers):
            with tf.device(device):
                xentropies.append(xentropy(y_i, logits_i))
        return xentropies

    def logits(self, X, training=False):
        """The towers' logits concatenated in tower order (TF1's ``logits``)."""
        return tf.concat(self.model(X, training=training)[1], 0)

    def loss(self, X, y, training=False):
        """TF1's ``loss/loss``: ``reduce_mean`` of the towers' cross-entropies, concatenated."""
        return tf.reduce_mean(tf.concat(self.tower_xentropies(X, y, training), 0))

    def _train_step(self, X, y):
        """TF1's step: per-tower gradients, averaged, applied once; then tower 0's collected moving-statistics updates.

        Returns the training-mode loss before the update.
        """
        variables = self.model.trainable_variables
        with tf_private.collected_batch_norm_updates() as updates:
            with tf.GradientTape(persistent=True) as tape:
                xentropies = self.tower_xentropies(X, y, training=True)
                tower_losses = []
                for device, x in zip(self.devices, xentropies):
                    with tf.device(device):
                        tower_losses.append(tf.reduce_mean(x))
        tower_grads = [list(zip(tape.gradient(loss, variables), variables)) for loss in tower_losses]
        del tape
        with tf.device(self.devices[0]):
            self.optimizer.apply_gradients(average_gradients(tower_grads))
            run_collected_updates(updates, scope="tower_0")  # TF1: get_collection(UPDATE_OPS, scope="tower_0")
        return tf.reduce_mean(tf.concat(xentropies, 0))

    def report(self, run, epoch, X_eval, y_eval):
        """Accuracy, with the TF1 recipe's extras ``loss`` and ``bn1_variance_ratio`` (the graph's ops, eagerly)."""
        accuracy, loss = self.evaluate(X_eval, y_eval)
        hidden1, _ = self.model(tf.convert_to_tensor(X_eval, tf.float32), training=False)
        _, h1_variance = tf.nn.moments(tf.concat(hidden1, 0), [0])
        moving_variance = self.keras_variables()["dnn/bn1/moving_variance"]
        ratio = float(tf.reduce_mean(moving_variance / h1_variance))
        run.report(epoch, accuracy, loss=loss, bn1_variance_ratio=ratio)
