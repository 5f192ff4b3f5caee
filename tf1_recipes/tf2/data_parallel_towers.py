"""TF2 port of :mod:`tf1_recipes.recipes.data_parallel_towers`: ``tf.distribute`` instead of towers.

TF1 → TF2, line by line:

* one tower per device, ``tf.device("/cpu:i")`` + ``variable_scope(reuse=i > 0)`` →
  ``tf.distribute.MirroredStrategy(["/cpu:0", ...])``: the model and optimizer are built once
  under ``strategy.scope()`` (mirrored variables, one copy per device) and
  ``strategy.run(replica_step, args=(X, y))`` runs the step on every replica; each takes its
  slice of the batch by ``replica_id_in_sync_group``, the rows TF1's ``tf.split`` gave its tower;
* per-tower ``compute_gradients`` + ``average_gradients`` + one ``apply_gradients`` → each
  replica's ``tape.gradient`` of ``tf.nn.compute_average_loss`` (its cross-entropy summed over
  the *global* batch size) and ``optimizer.apply_gradients``, which all-reduces the gradients
  with a SUM across replicas before one update: the sum of gradients of ``sum_i / B`` is the
  mean of the towers' gradients of ``sum_i / (B / N)``;
* the step's loss → ``strategy.reduce(SUM, per_replica_loss)``;
* the evaluation's one ``sess.run`` of accuracy, loss and bn1's variance ratio over the towers'
  concatenated outputs → one traced function over the replicas' concatenated outputs
  (:attr:`DataParallelTowers.report_values`);
* tower 0's ``UPDATE_OPS`` (``batch_norm_statistics="tower0"``) → a ``BatchNormalization``
  whose moving statistics every replica updates with replica 0's moments, broadcast by an
  all-reduce (:class:`FirstReplicaBatchNormalization`): every replica normalises with its own
  slice's moments, as every tower does. ``aggregation="only_first_replica"`` alone is not
  enough: across workers it keeps each worker's first replica;
* synchronised statistics (``"sync"``) → ``keras.layers.BatchNormalization(synchronized=True)``,
  Keras 3's ``SyncBatchNormalization``: every replica's sum, sum of squares and count
  all-reduced, the same moments on every replica;
* ``TF_CONFIG`` naming a cluster → ``tf.distribute.MultiWorkerMirroredStrategy`` instead, with
  the same step: the same command on each machine (README: multi-worker).
"""

import functools
import json
import os

import keras
import tensorflow as tf

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.base import Port, mean_xentropy
from tf1_recipes.tf2.batch_norm import batch_norm_model
from tf1_recipes.tf2.defaults import contrib_he_init
from tf1_recipes.tf2.optimizers import FusedSGD

STATISTICS = ("tower0", "sync")
LAYERS = ("hidden1", "bn1", "hidden2", "bn2", "outputs", "logits_bn")
BATCH_NORM_STATE = ("gamma", "beta", "moving_mean", "moving_variance")


def first_replicas(value):
    """Replica 0's ``value`` on every replica of a multi-worker strategy (inside ``strategy.run``); else ``value``.

    Across workers: an all-reduce (SUM) of ``value`` from replica 0 and zeros from the others:
    adding zeros is exact, so every replica, on every worker, gets replica 0's bits. Outside a
    strategy, and on one worker, ``value`` itself: there an assignment to an
    ``aggregation="only_first_replica"`` variable already keeps replica 0's value (TensorFlow's
    ``values_util.apply_aggregation``: a broadcast of the first local result), and an all-reduce
    per statistic and step would only cost time.
    """
    context = tf.distribute.get_replica_context()
    if context is None or not isinstance(context.strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return value
    mine = tf.cast(tf.equal(context.replica_id_in_sync_group, 0), value.dtype)
    return context.all_reduce(tf.distribute.ReduceOp.SUM, value * mine)


class FirstReplicaBatchNormalization(keras.layers.BatchNormalization):
    """``BatchNormalization`` whose moving statistics follow the first replica's batch (TF1: tower 0's ``UPDATE_OPS``).

    In training mode each replica normalises with the moments of its own slice of the batch,
    as each TF1 tower does, and the moving mean and variance take replica 0's update, as tower
    0's update ops do. The moving statistics are ``aggregation="only_first_replica"``
    variables, which on one worker is enough: every replica's assignment keeps the first
    replica's value. Across workers it is not: under ``MultiWorkerMirroredStrategy`` "first
    replica" is each worker's own first replica, and the workers' moving statistics would drift
    apart (``tests/parity/test_data_parallel_towers_port.py``), so there every replica updates
    with replica 0's moments (:func:`first_replicas`). Outside a strategy, or in inference
    mode, it is a plain ``BatchNormalization``.
    """

    def add_weight(self, *args, **kwargs):
        if kwargs.get("trainable") is False:
            kwargs["aggregation"] = "only_first_replica"
        return super().add_weight(*args, **kwargs)

    def call(self, inputs, training=None, mask=None):
        if not (training and self.trainable) or mask is not None or self.renorm:
            return super().call(inputs, training=training, mask=mask)
        mean, variance = self._moments(inputs, None)  # this replica's slice
        first_mean, first_variance = first_replicas(mean), first_replicas(variance)
        self.moving_mean.assign(self.moving_mean * self.momentum + first_mean * (1.0 - self.momentum))
        self.moving_variance.assign(self.moving_variance * self.momentum + first_variance * (1.0 - self.momentum))
        return keras.ops.batch_normalization(
            inputs, mean, variance, axis=self.axis, offset=self.beta, scale=self.gamma, epsilon=self.epsilon
        )


def cluster_from_tf_config():
    """The ``cluster`` of ``$TF_CONFIG`` (``{"worker": ["host:port", ...]}``), or None when it names none.

    Raises:
        ValueError: ``TF_CONFIG`` is set but is not a JSON object with a ``cluster`` and a ``task``.
    """
    text = os.environ.get("TF_CONFIG", "").strip()
    if not text:
        return None
    try:
        config = json.loads(text)
    except ValueError as err:
        raise ValueError(f"TF_CONFIG is not JSON ({err}); give {{\"cluster\": {{...}}, \"task\": {{...}}}}") from None
    if not isinstance(config, dict) or not isinstance(config.get("cluster"), dict) or "task" not in config:
        raise ValueError('TF_CONFIG needs "cluster" (a JSON object) and "task"; see README.md, multi-worker runs')
    return config["cluster"] or None


def make_strategy(n_towers):
    """The strategy for ``n_towers`` replicas: MultiWorkerMirroredStrategy under ``TF_CONFIG``, else MirroredStrategy.

    Args:
        n_towers: replicas the recipe's preset trains with (its TF1 towers).

    Without a cluster in ``TF_CONFIG``: ``MirroredStrategy`` over ``/cpu:0`` ..
    ``/cpu:<n_towers-1>``, the logical CPU devices of :func:`tf1_recipes.compat.require_cpu_devices`
    (which refuses when the process has fewer), reducing on ``/cpu:0``
    (``ReductionToOneDevice``). With one: ``MultiWorkerMirroredStrategy()``
    (TensorFlow's collective ops over gRPC; one CPU replica per worker), which must then
    have ``n_towers`` replicas in all.

    Raises:
        ValueError: too few CPU devices, a malformed ``TF_CONFIG``, or a cluster whose replicas
            are not ``n_towers``.
    """
    from tf1_recipes.compat import require_cpu_devices

    if cluster_from_tf_config():
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    else:
        devices = require_cpu_devices(n_towers, f"data_parallel_towers with {n_towers} towers")
        # The all-reduce on /cpu:0, where TF1's average_gradients ran (and no collective ops,
        # whose group keys clash between two MirroredStrategy objects of one process).
        all_reduce = tf.distribute.ReductionToOneDevice(reduce_to_device=devices[0])
        strategy = tf.distribute.MirroredStrategy(devices, cross_device_ops=all_reduce)
    if strategy.num_replicas_in_sync != n_towers:
        raise ValueError(
            f"TF_CONFIG's cluster gives {strategy.num_replicas_in_sync} replicas and the preset has n_towers {n_towers}: "
            "give it as many workers as towers (one CPU replica each)"
        )
    return strategy


def replica_slice(batch):
    """This replica's rows of ``batch`` (inside ``strategy.run``): the recipe's ``tower_sizes`` split.

    Replica ``i`` of ``n`` gets ``rows // n + (i < rows % n)`` rows, after those of replicas
    ``0 .. i-1``: the same rows as TF1's ``tf.split`` gives tower ``i``.
    """
    context = tf.distribute.get_replica_context()
    n, i = context.num_replicas_in_sync, context.replica_id_in_sync_group
    rows = tf.shape(batch)[0]
    base, extra = rows // n, rows % n
    start = i * base + tf.minimum(i, extra)
    size = base + tf.cast(i < extra, tf.int32)
    return batch[start : start + size]


@port("data_parallel_towers")
class DataParallelTowers(Port):
    """batch_norm's MLP trained data-parallel with a ``tf.distribute`` strategy (one replica per TF1 tower)."""

    has_training_mode = True
    # The towers' logits, concatenated in tower order (the loss reads one cross-entropy per tower).
    tf1_logits = "logits:0"
    variables = {
        f"dnn/{layer}/{kind}": f"{layer}/{kind}"
        for layer in LAYERS
        for kind in (BATCH_NORM_STATE if layer.endswith("bn") or layer.startswith("bn") else ("kernel", "bias"))
    }

    def __init__(self, **hyper):
        self.strategy = make_strategy(hyper["n_towers"])
        with self.strategy.scope():
            super().__init__(**hyper)
        self._logits_on_replicas = tf.function(self._replica_logits)

    def build(
        self, *, n_inputs, n_hidden1, n_hidden2, n_outputs, learning_rate, batch_norm_momentum, n_towers, batch_norm_statistics
    ):
        if batch_norm_statistics not in STATISTICS:
            raise ValueError(f"batch_norm_statistics must be one of {', '.join(STATISTICS)}, got {batch_norm_statistics!r}")
        if self.batch_size % n_towers:
            raise ValueError(f"batch_size {self.batch_size} does not split evenly into n_towers {n_towers}")

        if batch_norm_statistics == "sync":
            layer, options = keras.layers.BatchNormalization, {"synchronized": True}
        else:
            layer, options = FirstReplicaBatchNormalization, {}
        model = batch_norm_model(self.recipe, n_inputs, n_hidden1, n_hidden2, n_outputs, batch_norm_momentum,
                                 contrib_he_init, layer, **options)
        #: (hidden1's output, the logits): what the TF1 recipe's evaluation reads from its towers.
        self.report_model = keras.Model(model.inputs, [model.get_layer("hidden1").output, model.layers[-1].output])
        return model, FusedSGD(learning_rate)

    def _train_step(self, X, y):
        """One synchronous step on every replica; returns the training-mode loss of the whole batch before the update."""
        variables = self.model.trainable_variables

        def replica_step(X, y):
            with tf.GradientTape() as tape:
                logits = self.model(replica_slice(X), training=True)
                per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=replica_slice(y), logits=logits)
                loss = tf.nn.compute_average_loss(per_example, global_batch_size=tf.shape(X)[0])
            grads = tape.gradient(loss, variables)
            self.optimizer.apply_gradients(zip(grads, variables))  # all-reduced (SUM) across replicas first
            return loss

        per_replica = self.strategy.run(replica_step, args=(X, y))
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    def _on_replicas(self, model, X, training):
        """``model`` on every replica's slice of ``X``, its outputs concatenated in replica order (TF1: the towers')."""

        def replica_outputs(X):
            return model(replica_slice(X), training=training)

        per_replica = self.strategy.run(replica_outputs, args=(X,))
        if isinstance(self.strategy, tf.distribute.MultiWorkerMirroredStrategy):  # the other workers' replicas too
            return tf.nest.map_structure(lambda value: self.strategy.gather(value, axis=0), per_replica)
        # Every replica is local: concatenated here, without a collective all-gather.
        return tf.nest.map_structure(lambda *values: tf.concat(values, axis=0),
                                     *self.strategy.experimental_local_results(per_replica))

    def _replica_logits(self, X, training):
        return self._on_replicas(self.model, X, training)

    def logits(self, X, training=False):
        """The logits of ``X`` computed on the replicas, each on its slice (TF1: the towers' concatenated logits).

        In training mode each replica normalises with its own slice's moments (``tower0``) or
        the synchronised ones, as the TF1 towers do; a training-mode call updates the moving
        statistics as a training step does.
        """
        return self._logits_on_replicas(tf.convert_to_tensor(X, tf.float32), bool(training))

    @functools.cached_property
    def report_values(self):
        """The accuracy, the loss and bn1's variance ratio on a split: one traced forward pass on the replicas, in inference mode.

        ``report_values(X, y)``: X float32 images ``[N, n_inputs]``, y int64 classes ``[N]``
        (:meth:`~tf1_recipes.tf2.base.Port.split_function`), each replica on its slice as each
        TF1 tower on its rows. Returns float32 scalars ``(accuracy, loss, bn1_variance_ratio)``:
        what the TF1 recipe fetches in one ``sess.run`` (``eval/accuracy`` as ``in_top_k``
        counts it; ``loss/loss``, the mean cross-entropy; ``eval/bn1_variance_ratio``, the mean
        over units of bn1's moving variance over hidden1's variance on the split, ``tf.nn.moments``).
        """
        moving_variance = self.model.get_layer("bn1").moving_variance

        def values(X, y):
            hidden1, logits = self._on_replicas(self.report_model, X, False)
            accuracy = tf.reduce_mean(tf.cast(tf.math.in_top_k(y, logits, 1), tf.float32))
            _, hidden1_variance = tf.nn.moments(hidden1, [0])
            return accuracy, mean_xentropy(y, logits), tf.reduce_mean(moving_variance / hidden1_variance)

        return self.split_function(values)

    def report(self, run, epoch, X_eval, y_eval):
        """Test accuracy, with the TF1 recipe's extras ``loss`` and ``bn1_variance_ratio``."""
        accuracy, loss, ratio = (float(value) for value in self.report_values(X_eval, y_eval))
        run.report(epoch, accuracy, loss=loss, bn1_variance_ratio=ratio)
