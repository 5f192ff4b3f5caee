"""The shim port of a recipe: its TF1 model code in a ``track_tf1_style_variables`` layer, its TF1 optimizer.

A shim port subclasses :class:`ShimPort` and writes two methods:

* :meth:`ShimPort.forward` ``(X, training)`` -> logits: a call of the recipe's own model
  function (``tf1_recipes/recipes/<name>.py``), the ``tf.compat.v1.layers`` code the TF1
  graph is built from; ``training`` is a Python bool where the graph had its ``training``
  placeholder;
* :meth:`ShimPort.tf1_optimizer` -> the recipe's ``tf.compat.v1.train`` optimizer.

Everything else is the native port's loop (:class:`tf1_recipes.tf2.base.Port`): the TF1
run's batches in its order, ``steps_per_execution`` steps per ``tf.function`` call, a
``GradientTape`` step; only the model (a tf-keras layer, not a Keras 3 model) and the
optimizer (TF1's, applied eagerly) differ. What TF1 did around the step changes form:

* ``UPDATE_OPS``: a ``tf.compat.v1.layers.batch_normalization`` called with
  ``training=True`` inside the shim updates its moving statistics as part of the call;
  there is no collection to fetch (tf-keras warns that ``UPDATE_OPS`` is ignored).
* Regularization losses: the layer's ``losses`` (what ``REGULARIZATION_LOSSES`` held),
  added by :meth:`tf1_recipes.tf2.base.Port.loss`.
* ``global_step``: a variable of the port (``global_step``), passed to ``apply_gradients``
  by the ports whose recipe passes it to ``minimize``.
* Collections, ``get_tensor_by_name``, sessions: gone; a shim port that needs a variable
  takes it from :meth:`ShimPort.keras_variables` by its TF1 name.

The variables keep their TF1 names (``hidden1/kernel``), and so does the optimizer's state
(``hidden1/kernel/Momentum``, ``beta1_power``): :meth:`ShimPort.restore_tf1` loads a TF1
``Saver`` checkpoint by name, and :meth:`ShimPort.save` writes one the TF1 recipe can restore.
"""

import re
import warnings

import tensorflow as tf
import tf_keras

from tf1_recipes import tf_private
from tf1_recipes.compat import tf1
from tf1_recipes.tf2.base import Port


# tf-keras' legacy layers read their own ``updates`` once per eager call to feed UPDATE_OPS, and
# that read warns that ``layer.updates`` is deprecated: nothing the shim's user wrote or can change.
warnings.filterwarnings("ignore", message="`layer.updates` will be removed", category=UserWarning)


def as_if_built_once():
    """A context in which TF1 code names its variable scopes as in a graph built once: the counts it adds are dropped on exit.

    A layer without a name (``tf.compat.v1.layers.batch_normalization(x)``) takes its
    variable scope from ``default_name``, made unique (``batch_normalization``, ``_1``,
    ``_2``) by the variable-scope store's counts, and so does a TF1 optimizer's slot
    (``hidden1/kernel/Momentum``). The counts live in the default graph's collections; a
    TF1 graph is built once, but eagerly the default graph is one for the whole process,
    so a second shim call would name its layers ``batch_normalization_3`` ... (new
    variables) and a second shim's optimizer its slots ``Momentum_1`` (not the Saver's
    names). Re-entering the current ``VariableScope`` object restores the counts on exit
    (``tf.compat.v1.variable_scope``'s behaviour for a scope object, TensorFlow 2.21
    ``variable_scope.py``), so each use starts from the same counts.
    """
    return tf1.variable_scope(tf1.get_variable_scope())


def run_collected_updates(updates, scope=None):
    """Run batch-norm moving-statistics updates collected by :func:`tf1_recipes.tf_private.collected_batch_norm_updates`.

    TF1's ``sess.run([training_op, get_collection(UPDATE_OPS, scope)])`` for a model the
    shim called with the updates collected: each ``variable.assign_sub(delta)`` (the
    update op's own assignment; ``delta`` was read from the value before the step), in the
    order the layers were called.

    Args:
        updates: ``[(name_scope, variable, delta)]``, as collected.
        scope: as ``tf.compat.v1.get_collection``'s: run only the updates whose name scope
            ``re.match``\ es it (``"tower_0"``: tower 0's); None: all of them.
    """
    for name_scope, variable, delta in updates:
        if scope is None or re.match(scope, name_scope):
            variable.assign_sub(delta)


class ShimLayer(tf_keras.layers.Layer):
    """A tf-keras layer whose ``call`` is TF1 model code, its variables tracked by ``track_tf1_style_variables``.

    Args:
        forward: ``forward(X, training)`` -> logits; TF1 code (``tf.compat.v1.layers``,
            ``tf.compat.v1.get_variable``, variable scopes). Variables it creates on the
            first call are kept (by their TF1 names, e.g. ``hidden1/kernel:0``) and reused
            on every later call, as a TF1 graph built once would use them.
        **kwargs: the tf-keras ``Layer``'s (``name``).

    Source: TensorFlow's guide "Use TF1.x models in TF2 workflows" (the model-mapping shim,
    ``tf.compat.v1.keras.utils.track_tf1_style_variables``), tf-keras 2.21.
    """

    def __init__(self, forward, **kwargs):
        super().__init__(**kwargs)
        self.forward = forward

    @tf1.keras.utils.track_tf1_style_variables
    def call(self, inputs, training=False):
        # Each call builds the model as the TF1 graph was built: once, from fresh scope counts
        # (see as_if_built_once).
        with as_if_built_once():
            return self.forward(inputs, training)


class ShimPort(Port):
    """One recipe at rung 2. Subclasses write :meth:`forward` and :meth:`tf1_optimizer`.

    ``__init__`` takes the recipe's resolved hyperparameters (as :class:`Port` does);
    ``self.hyper`` holds them all, for :meth:`forward` and :meth:`tf1_optimizer`.
    """

    #: The port's global step when its recipe passes one to ``minimize`` (a subclass
    #: creates it in :meth:`tf1_optimizer`, e.g. for a learning-rate schedule).
    global_step = None
    #: The name scope the recipe builds its training op in: the TF1 optimizer's global state
    #: takes its name from it (Adam's ``train/beta1_power``), as its slots do from their variable.
    optimizer_scope = "train"

    def forward(self, X, training):
        """The recipe's TF1 model code: float32 ``X [B, n_inputs]`` -> logits ``[B, n_outputs]``."""
        raise NotImplementedError

    def tf1_optimizer(self):
        """The recipe's ``tf.compat.v1.train`` optimizer (built after the model's variables exist)."""
        raise NotImplementedError

    def input_width(self):
        """The width of one input row (``n_inputs`` of the recipe, 784 pixels by default)."""
        return self.hyper.get("n_inputs", 28 * 28)

    def build(self, **hyper):
        """The shim layer, its variables created by one inference-mode call; the TF1 optimizer."""
        model = ShimLayer(self.forward, name=self.recipe)
        model(tf.zeros([1, self.input_width()], tf.float32), training=False)
        return model, self.tf1_optimizer()

    def trained_variables(self):
        """The variables the training step updates: TF1's ``minimize(var_list=...)``; default every trainable one.

        A subclass whose recipe passes ``var_list`` (a ``TRAINABLE_VARIABLES`` scope) returns
        the variables of that scope, by their TF1 names; the others keep their values.
        """
        return self.model.trainable_variables

    def build_optimizer_state(self):
        """Create the TF1 optimizer's slots now, with their TF1 names (see tf_private.create_tf1_optimizer_state)."""
        with as_if_built_once(), tf1.name_scope(self.optimizer_scope):
            tf_private.create_tf1_optimizer_state(self.optimizer, self.trained_variables())

    def step_signature(self):
        return tf.TensorSpec([None, self.input_width()], tf.float32), tf.TensorSpec([None], tf.int64)

    def apply_gradients(self, grads, variables):
        """TF1's ``optimizer.apply_gradients(grads_and_vars, global_step)``."""
        self.optimizer.apply_gradients(zip(grads, variables), global_step=self.global_step)

    def _train_step(self, X, y):
        variables = self.trained_variables()
        with tf.GradientTape() as tape:
            loss = self.loss(X, y, training=True)
        grads = self.process_gradients(tape.gradient(loss, variables))
        self.apply_gradients(grads, variables)
        self.after_step()
        return loss

    # -- TF1 names ---------------------------------------------------------------------
    def keras_variables(self):
        """{TF1 name: variable} of the model's variables (``hidden1/kernel``: the name without ``:0``)."""
        return {v.name.split(":")[0]: v for v in self.model.variables}

    @property
    def variables(self):
        """The table from TF1 names to the model's variables: the identity (the names are TF1's)."""
        return {name: name for name in self.keras_variables()}

    def state_variables(self):
        """{TF1 name: variable} of the TF1 optimizer's slots and globals (and ``global_step``)."""
        state = {v.name.split(":")[0]: v for v in self.optimizer.variables()}
        if self.global_step is not None:
            state[self.global_step.name.split(":")[0]] = self.global_step
        return state

    def tf1_training_state(self):
        return {name: "TF1 optimizer state" for name in self.state_variables()}

    def saver(self):
        """A ``tf.compat.v1.train.Saver`` of every variable by its TF1 name: the model's and the optimizer's."""
        return tf1.train.Saver(var_list={**self.keras_variables(), **self.state_variables()})

    def save(self, path):
        """A TF1 ``Saver`` checkpoint at ``path`` (the recipe's format and names)."""
        self.saver().save(None, path, write_meta_graph=False)

    def restore_tf1(self, prefix):
        """Load a TF1 ``Saver`` checkpoint (the recipe's ``model.ckpt``) by name, no mapping table.

        Args:
            prefix: the checkpoint prefix (``.../model.ckpt``).

        Raises:
            tf.errors.NotFoundError: the checkpoint lacks a variable of the shim (TensorFlow's
                message names it), e.g. a checkpoint of another recipe.
        """
        self.saver().restore(None, prefix)

    def checkpoint(self):
        """The object-based checkpoint of the shim (a tf-keras layer and a TF1 optimizer are both trackable)."""
        return tf.train.Checkpoint(model=self.model, optimizer=self.optimizer)
