"""The partial-restore ports' model: partial restore, freezing, caching; each port is ``tf2/<name>.py``.


TF1 → TF2:

* ``Saver(reuse_vars)`` over the ``GLOBAL_VARIABLES`` matching ``hidden[123]``, restored
  from the pretrained *name-based* checkpoint → ``tf.train.load_checkpoint`` and an
  assignment of every table entry whose TF1 name matches the same regex
  (:func:`restore_matching`): the TF1 checkpoint is read by name, as ``migrate-ckpt`` does.
* ``minimize(var_list=TRAINABLE_VARIABLES matching hidden[34]|outputs)`` → the other
  layers' ``trainable = False`` (the tape and the optimizer then see only the trained ones).
* ``tf.stop_gradient(hidden2)`` → ``trainable = False`` on hidden1-2: no gradient reaches
  them either way, and hidden3 still trains.
* hidden-layer caching (hidden2's output computed once, fed in place of ``hidden2``) → a
  second Keras model made of the *same* layer objects from hidden3 up, trained on the cache.
"""

import functools
import re

import keras
import numpy as np
import tensorflow as tf

from tf1_recipes.data import DataSet
from tf1_recipes.tf2.base import Port
from tf1_recipes.tf2.models import dense_variables, mlp
from tf1_recipes.tf2.optimizers import FusedSGD

LAYERS = ("hidden1", "hidden2", "hidden3", "hidden4", "outputs")
FROZEN_BY_STOP_GRADIENT = ("hidden1", "hidden2")


def restore_matching(port, checkpoint, scope):
    """Assign every variable of ``port``'s table whose TF1 name matches ``scope`` from a TF1 checkpoint.

    Returns the TF1 names restored; the regex is matched as ``tf.get_collection(scope=...)``
    matches (``re.match`` from the start of the name).
    """
    reader = tf.train.load_checkpoint(checkpoint)
    stored = reader.get_variable_to_shape_map()
    restored = []
    for tf1_name, variable in port.mapped_variables().items():
        if re.match(scope, tf1_name):
            if tf1_name not in stored:
                raise KeyError(f"{checkpoint} has no {tf1_name}")
            variable.assign(reader.get_tensor(tf1_name))
            restored.append(tf1_name)
    if not restored:
        raise ValueError(f"scope {scope!r} matches none of {sorted(port.variables)}: nothing to restore")
    return restored


class ReuseHiddenLayers(Port):
    """hidden1-3 restored from the pretrained checkpoint, new hidden4 and outputs; GD."""

    variables = dense_variables(*LAYERS)
    # The parity runs restore from the pretrain_5layer smoke checkpoint (seconds to make), not the full one.
    parity_overrides = {"pretrained_preset": "smoke"}

    def build(
        self,
        *,
        n_inputs,
        n_hidden1,
        n_hidden2,
        n_hidden3,
        n_hidden4,
        n_outputs,
        learning_rate,
        reuse_scope,
        train_scope,
        stop_gradient,
        cache_hidden2,
        pretrained_checkpoint,
        pretrained_preset,
    ):
        self.reuse_scope, self.cache_hidden2 = reuse_scope, cache_hidden2
        self.pretrained_checkpoint, self.pretrained_preset = pretrained_checkpoint, pretrained_preset
        model = mlp(self.recipe, n_inputs, [n_hidden1, n_hidden2, n_hidden3, n_hidden4], n_outputs)
        for layer in model.layers:
            if train_scope is not None and not re.match(train_scope, f"{layer.name}/"):
                layer.trainable = False
            if stop_gradient and layer.name in FROZEN_BY_STOP_GRADIENT:
                layer.trainable = False
        if cache_hidden2:
            # The frozen layers' cache feeds this model: hidden3 up, the same layer objects.
            self.top = keras.Sequential(
                [keras.Input(shape=(n_hidden2,))] + [model.get_layer(n) for n in ("hidden3", "hidden4", "outputs")]
            )
            self.bottom = keras.Sequential([keras.Input(shape=(n_inputs,))] + [model.get_layer(n) for n in FROZEN_BY_STOP_GRADIENT])
        return model, FusedSGD(learning_rate)

    def restore_pretrained(self, run):
        from tf1_recipes import checkpoints

        path = self.pretrained_checkpoint or checkpoints.pretrained_checkpoint("pretrain_5layer", self.pretrained_preset, run)
        return restore_matching(self, path, self.reuse_scope)

    def fit(self, run):
        self.restore_pretrained(run)
        if not self.cache_hidden2:
            return super().fit(run)
        if run.settings["reader"] != "shuffle_batch":
            raise ValueError("cache_hidden2 needs the shuffle_batch reader")
        X_train, y_train = run.train_split()
        X_valid, y_valid = run.eval_split()
        h2_cache, h2_cache_valid = self.bottom(X_train).numpy(), self.bottom(X_valid).numpy()
        n_batches = len(X_train) // self.batch_size
        cached, top_step = DataSet(h2_cache, y_train), functools.partial(self.gradient_loss, self.top)
        for epoch in range(self.n_epochs):
            shuffled_idx = np.random.permutation(len(X_train))  # the same NumPy draws as the TF1 loop
            self.train_held(run, cached, np.array_split(shuffled_idx, n_batches), top_step, outputs=False)
            logits = self.top(h2_cache_valid)
            run.report(epoch, float(tf.reduce_mean(tf.cast(tf.math.in_top_k(y_valid, logits, 1), tf.float32))))
        self.checkpoint().write(run.checkpoint_path)
