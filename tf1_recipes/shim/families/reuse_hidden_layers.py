"""The partial-restore recipes' shim: ``frozen_layers`` and ``upper_layers`` of the TF1 body, restored by name.

The model is :func:`tf1_recipes.recipes.families.reuse_hidden_layers.frozen_layers` (hidden1-2)
then :func:`~tf1_recipes.recipes.families.reuse_hidden_layers.upper_layers` (hidden3, hidden4,
outputs; ``tf.stop_gradient`` after hidden2 when the recipe stops it there), the code the TF1
graph is built with, trained by the recipe's ``GradientDescentOptimizer``. TF1 → shim:

* ``Saver(reuse_vars).restore(sess, pretrained)``, ``reuse_vars`` the ``GLOBAL_VARIABLES``
  matching ``hidden[123]`` → the same: a ``tf.compat.v1.train.Saver`` over the shim's
  variables whose TF1 name matches the regex, restored eagerly (:meth:`ReuseHiddenLayers.restore_pretrained`).
  The names are TF1's, so there is no table: "restore these names".
* ``minimize(var_list=TRAINABLE_VARIABLES matching hidden[34]|outputs)`` → the step updates
  :meth:`ReuseHiddenLayers.trained_variables`, the variables whose TF1 name matches.
* ``tf.stop_gradient(hidden2)`` → unchanged, it is in the model code: eagerly the tape gives
  hidden1-2 no gradient (None) and TF1's ``apply_gradients`` skips them, as ``minimize`` did.
* ``cache_frozen_layers``: hidden2's output computed once and *fed in place of the tensor
  ``hidden2``* → a feed of an inner tensor has no eager form; the shim layer calls the two
  halves of the model code separately (``part="frozen"`` to compute the cache,
  ``part="upper"`` to train on it), the same variables by name in one layer.
"""

import re

import numpy as np
import tensorflow as tf

from tf1_recipes import checkpoints
from tf1_recipes.compat import tf1
from tf1_recipes.recipes.families.reuse_hidden_layers import frozen_layers, upper_layers
from tf1_recipes.shim.base import ShimLayer, ShimPort
from tf1_recipes.tf2.base import mean_xentropy, steps_function
from tf1_recipes.tf2.families import reuse_hidden_layers as native

#: What :class:`PartedShimLayer` can run of the model: all of it, hidden1-2 alone, hidden3-outputs alone.
PARTS = ("all", "frozen", "upper")


class PartedShimLayer(ShimLayer):
    """A :class:`ShimLayer` whose ``forward(inputs, training, part)`` runs all of the model or one of its halves.

    ``part`` (one of :data:`PARTS`) is a Python string fixed at trace time. The variables are
    created by name and reused by name whichever part runs, so the halves share hidden3's
    kernel as one TF1 graph did.
    """

    @tf1.keras.utils.track_tf1_style_variables
    def call(self, inputs, training=False, part="all"):
        return self.forward(inputs, training, part)


class PartedShimPort(ShimPort):
    """A shim port whose model code runs whole or in halves (a :class:`PartedShimLayer`); restores by TF1 name.

    For the recipes that feed a frozen layer's cached output in place of its tensor
    (``cache_frozen_layers``, ``transfer_digits_5_to_9``'s ``cache_frozen``): a subclass's
    :meth:`forward` takes ``part``; :meth:`upper_steps` is the loop function of training
    steps fed the cache.
    """

    def build(self, **hyper):
        """The parted shim layer, its variables created by one inference-mode call of the whole model; the TF1 optimizer."""
        layer = PartedShimLayer(self.forward, name=self.recipe)
        layer(tf.zeros([1, self.input_width()], tf.float32), training=False)
        return layer, self.tf1_optimizer()

    #: The regex of the recipe's ``minimize(var_list=get_collection(TRAINABLE_VARIABLES, scope=...))``; None: every variable.
    train_scope = None

    def trained_variables(self):
        """TF1's ``var_list``: the trainable variables whose TF1 name matches ``train_scope`` (all when None).

        Matched as ``tf.get_collection(TRAINABLE_VARIABLES, scope=...)`` matches: ``re.match``
        from the start of the name (``hidden3/kernel``).
        """
        variables = self.model.trainable_variables
        if self.train_scope is None:
            return variables
        return [v for v in variables if re.match(self.train_scope, v.name)]

    def restore_names(self, path, scope):
        """``tf.train.Saver(<variables matching scope>).restore(sess, path)``, eagerly: restore these names.

        Args:
            path: a TF1 checkpoint prefix.
            scope: the regex of the recipe's ``get_collection(..., scope=...)``, matched with
                ``re.match`` from the start of each TF1 name (``hidden1/kernel``).

        Returns the TF1 names restored (sorted).

        Raises:
            checkpoints.NothingToRestoreError: the regex matches no variable of the shim.
            checkpoints.CheckpointMismatchError: a matched variable is not in the checkpoint, or has another shape.
        """
        reuse_vars = {name: v for name, v in self.keras_variables().items() if re.match(scope, name)}
        checkpoints.check_restorable(path, reuse_vars, scope=scope)
        tf1.train.Saver(reuse_vars).restore(None, path)
        return sorted(reuse_vars)

    def frozen_output(self, X):
        """The frozen half's output on ``X`` (float32 ``[N, n_inputs]``) as a NumPy array: the cache.

        Computed in a ``tf.function``, as TF1's ``sess.run`` computed it: Grappler fuses the
        ``MatMul``, ``BiasAdd`` and activation of a graph into one kernel whose rounding an
        eager call's three ops need not match (measured on transfer_digits_5_to_9's ELU
        layers: 6e-8 apart after an epoch eagerly, 0 through the function).
        """
        return tf.function(lambda inputs: self.model(inputs, part="frozen"))(tf.constant(X, tf.float32)).numpy()

    def upper_steps(self, width):
        """The loop function (:func:`~tf1_recipes.tf2.base.steps_function`) of steps fed the cache: float32 ``[B, width]``, int64 ``[B]``."""
        return steps_function(self._upper_step, (tf.TensorSpec([None, width], tf.float32), tf.TensorSpec([None], tf.int64)))

    def _upper_step(self, cached, y):
        """One step fed the frozen layers' cached output (TF1: ``feed_dict={<frozen output>: cache, y: ...}``); returns the loss."""
        variables = self.trained_variables()
        with tf.GradientTape() as tape:
            loss = mean_xentropy(y, self.model(cached, training=True, part="upper"))
        self.apply_gradients(tape.gradient(loss, variables), variables)
        return loss


class ReuseHiddenLayers(PartedShimPort, native.ReuseHiddenLayers):
    """hidden1-3 restored by name from the pretrained TF1 checkpoint, new hidden4 and outputs; TF1's GD.

    The loop, the batches and the cache's epochs are the native port's
    (:class:`tf1_recipes.tf2.families.reuse_hidden_layers.ReuseHiddenLayers`); the model,
    the optimizer and the restore are TF1's.
    """

    def build(self, *, reuse_scope, train_scope, stop_gradient, cache_hidden2, pretrained_checkpoint, pretrained_preset, **model):
        self.reuse_scope, self.train_scope, self.cache_hidden2 = reuse_scope, train_scope, cache_hidden2
        self.pretrained_checkpoint, self.pretrained_preset = pretrained_checkpoint, pretrained_preset
        return super().build(**model)

    def forward(self, X, training, part="all"):
        """The recipe's model code on ``X`` (float32 ``[B, n_inputs]``; for ``part="upper"``, hidden2's output ``[B, n_hidden2]``).

        Returns logits ``[B, n_outputs]``, or hidden2's output for ``part="frozen"``.
        """
        if part not in PARTS:
            raise ValueError(f"part must be one of {', '.join(PARTS)}, got {part!r}")
        h = self.hyper
        hidden2 = X
        if part != "upper":
            hidden2 = frozen_layers(X, n_hidden1=h["n_hidden1"], n_hidden2=h["n_hidden2"])
            if part == "frozen":
                return hidden2
        return upper_layers(hidden2, n_hidden3=h["n_hidden3"], n_hidden4=h["n_hidden4"], n_outputs=h["n_outputs"],
                            stop_gradient=h["stop_gradient"])

    def tf1_optimizer(self):
        return tf1.train.GradientDescentOptimizer(self.hyper["learning_rate"])

    def restore_pretrained(self, run):
        """``Saver(reuse_vars).restore``: the variables matching ``reuse_scope``, by their TF1 names, from the pretrained checkpoint.

        Returns the TF1 names restored (sorted).

        Raises:
            checkpoints.NothingToRestoreError: the regex matches no variable of the shim.
            checkpoints.CheckpointMismatchError: a matched variable is not in the checkpoint, or has another shape.
        """
        path = self.pretrained_checkpoint or checkpoints.pretrained_checkpoint("pretrain_5layer", self.pretrained_preset, run)
        return self.restore_names(path, self.reuse_scope)

    def fit(self, run):
        if not self.cache_hidden2:
            return native.ReuseHiddenLayers.fit(self, run)  # restore_pretrained, then Port.fit: the TF1 batches, save
        self.restore_pretrained(run)
        if run.settings["reader"] != "shuffle_batch":
            raise ValueError("cache_hidden2 needs the shuffle_batch reader")
        X_train, y_train = run.train_split()
        X_valid, y_valid = run.eval_split()
        # sess.run(hidden2, feed_dict={X: ...}): the frozen half, once per split.
        h2_cache, h2_cache_valid = self.frozen_output(X_train), self.frozen_output(X_valid)
        n_batches = len(X_train) // self.batch_size
        upper_steps = self.upper_steps(self.hyper["n_hidden2"])
        for epoch in range(self.n_epochs):
            shuffled_idx = np.random.permutation(len(X_train))  # the same NumPy draws as the TF1 loop
            batches = zip(np.array_split(h2_cache[shuffled_idx], n_batches), np.array_split(y_train[shuffled_idx], n_batches))
            self.train_batches(batches, upper_steps)
            logits = self.model(tf.constant(h2_cache_valid), part="upper")
            run.report(epoch, float(tf.reduce_mean(tf.cast(tf.math.in_top_k(y_valid, logits, 1), tf.float32))))
        self.save(run.checkpoint_path)
