"""The ``import_meta_graph`` recipes' shim: the imported TF1 graph itself, run eagerly through ``tf.compat.v1.wrap_function``.

Why not a ``track_tf1_style_variables`` layer, as the other shims: ``import_meta_graph`` adds
a saved *graph* (its ``GraphDef``, collections and ``SaverDef``) to the current graph. An
eager layer's ``call`` has no graph to add it to, and a ``tf.function`` traces a new graph per
trace, so the imported variables would be imported again each time; the graph's ops
(``train/GradientDescent``, the ``save/restore_all`` op) are not Python code a layer could
re-run. There is no model code to call: the recipe's model *is* the ``.meta`` file.

TensorFlow's route for a TF1 graph in TF2 is ``tf.compat.v1.wrap_function`` (guide "Migrate
the SavedModel workflow", and what ``tf.saved_model.load`` does with a TF1 SavedModel):
the function that imports the graph is traced once into a graph of its own, its variables are
lifted out as eager resource variables owned by the wrapped function, and
``WrappedFunction.prune(feeds, fetches)`` turns any feed/fetch pair of that graph into a
callable ``ConcreteFunction`` - what ``sess.run(fetches, feed_dict)`` was. So the shim runs
the recipe's own graph code (``import_pretrained_graph``, then the recipe's
``important_ops`` or ``new_layers_on_hidden3``) inside ``wrap_function``, and then, without a
session:

* ``saver.restore(sess, path)`` → the ``SaverDef``'s restore op, pruned with its filename
  tensor as the feed, called with the path; ``saver.save`` → its save op the same way: TF1
  checkpoints, TF1 names (the new layers' recipe builds its ``Saver`` beside ``init``,
  outside the code the shim calls: that shim saves with an eager ``Saver`` by name);
* ``init.run()`` → nothing: variables the recipe's code creates inside ``wrap_function`` are
  lifted out and initialized as they are created (they have no initializer op, so
  ``global_variables_initializer`` cannot even be built there); the imported ones are
  restored, as in the recipe;
* ``sess.run(training_op, feed_dict={X: ..., y: ...})`` → the pruned imported (or new)
  training op with ``loss`` as a fetch, called in the native port's loop inside
  ``tf.function`` (the TF1 run's batches, 100 steps a call);
* ``accuracy.eval(feed_dict=...)`` → the pruned ``accuracy`` tensor.

What is lost against a rung-2 layer: the model is a graph, not Python code, so it cannot be
changed or composed with Keras code (the native ports rebuild it in code for that,
:mod:`tf1_recipes.tf2.families.import_meta_graph`); ``training`` modes, regularization
losses and the like would have to be graph tensors too. The ``.meta`` the graph comes from
is the run's pretrained checkpoint (or ``pretrained_checkpoint``), imported when ``fit`` (or
a tool, then at the preset's default seed) first needs the graph: a port is built before its
run, and the graph comes from a file the run names.
"""

import tensorflow as tf

from tf1_recipes import checkpoints
from tf1_recipes.compat import tf1
from tf1_recipes.recipes.families.import_meta_graph import import_pretrained_graph
from tf1_recipes.shim.base import ShimPort
from tf1_recipes.tf2.parity import logits_of_loss

PRETRAINED = "pretrain_5layer"


class ImportedGraph:
    """The shim's model: the imported graph's variables and its logits, imported on first use.

    What the loop and the parity tools ask a model for (``variables``,
    ``trainable_variables``, ``non_trainable_variables``, ``losses``, a call giving logits),
    answered from the shim's wrapped function (:meth:`ImportedGraphShim.import_graph`), which
    owns the variables.
    """

    def __init__(self, shim, name):
        self.shim, self.name = shim, name
        #: No ``REGULARIZATION_LOSSES``: the imported loss is the whole loss (a graph tensor).
        self.losses = []
        self.non_trainable_variables = []

    @property
    def variables(self):
        return list(self.shim.import_graph().variables)

    @property
    def trainable_variables(self):
        return list(self.shim.import_graph().trainable_variables)

    def __call__(self, X, training=False):
        """Logits ``[B, n_outputs]`` of float32 ``X [B, 784]`` (the tensor the graph's cross-entropy reads)."""
        return self.shim.functions()["logits"](tf.convert_to_tensor(X, tf.float32))


class ImportedGraphShim(ShimPort):
    """A shim port whose model is a TF1 graph imported from the pretrained ``.meta`` inside ``wrap_function``.

    A subclass writes :meth:`tf1_graph`: the recipe's graph code, run in the wrapped
    function's graph after the ``.meta`` is imported, returning the handles by name
    (``X``, ``y``, ``loss``, ``accuracy``, ``training_op``; ``saver`` when the recipe saves
    with a ``Saver`` built in the graph, else :meth:`ShimPort.saver`, an eager one, saves).
    """

    def tf1_graph(self, pretrained_checkpoint, imported_saver):
        """The recipe's code on the imported graph: {handle: tensor or op}, see the class docstring."""
        raise NotImplementedError

    def build(self, *, pretrained_checkpoint, pretrained_preset, **hyper):
        self.pretrained_checkpoint, self.pretrained_preset = pretrained_checkpoint, pretrained_preset
        #: The WrappedFunction that imported the graph, and the handles tf1_graph returned (once imported).
        self.wrapped, self.handles, self._functions = None, None, None
        return ImportedGraph(self, name=self.recipe), None

    def pretrained_path(self, run=None):
        """The pretrained checkpoint: ``pretrained_checkpoint``, else the cached one of the preset (and of ``run``'s seed)."""
        return self.pretrained_checkpoint or checkpoints.pretrained_checkpoint(PRETRAINED, self.pretrained_preset, run)

    def import_graph(self, run=None):
        """The WrappedFunction of ``import_meta_graph`` and the recipe's graph code, made on first use.

        The ``.meta`` is the pretrained checkpoint's of ``run`` (its seed) when :meth:`fit`
        asks first, of the preset's default seed when a tool asks before any run (the
        parity tests); the graph is the same either way, and :meth:`fit` restores the run's
        own checkpoint into it.
        """
        if self.wrapped is None:
            meta_from = self.pretrained_path(run)
            handles = {}

            def import_and_build():
                _, imported_saver = import_pretrained_graph(None, meta_from, self.pretrained_preset)
                handles.update(imported_saver=imported_saver, **self.tf1_graph(meta_from, imported_saver))

            self.wrapped, self.handles = tf1.wrap_function(import_and_build, []), handles
        return self.wrapped

    def functions(self):
        """{name: the graph's ``sess.run`` as a pruned ``ConcreteFunction``}: ``train``, ``loss``, ``accuracy``, ``logits``, the Savers'."""
        if self._functions is None:
            wrapped, handles = self.import_graph(), self.handles
            X, y = handles["X"], handles["y"]
            prune = wrapped.prune
            functions = dict(
                train=prune(feeds=[X, y], fetches=[handles["loss"], handles["training_op"]]),
                loss=prune(feeds=[X, y], fetches=handles["loss"]),
                accuracy=prune(feeds=[X, y], fetches=handles["accuracy"]),
                logits=prune(feeds=[X], fetches=logits_of_loss(wrapped.graph, handles["loss"])),
                restore_imported=self._saver_function(handles["imported_saver"], "restore"),
            )
            if "saver" in handles:  # the recipe saves with a Saver of the graph: its ops
                functions.update(restore=self._saver_function(handles["saver"], "restore"), save=self._saver_function(handles["saver"], "save"))
            self._functions = functions
        return self._functions

    def _saver_function(self, saver, kind):
        """The ``Saver``'s restore (or save) op as a function of the checkpoint path (its ``SaverDef``'s filename tensor)."""
        saver_def, graph = saver.saver_def, self.wrapped.graph
        fetch = saver_def.restore_op_name if kind == "restore" else saver_def.save_tensor_name
        return self.wrapped.prune(feeds=[graph.as_graph_element(saver_def.filename_tensor_name)], fetches=[graph.as_graph_element(fetch)])

    def build_optimizer_state(self):
        """Nothing to create: the optimizer is inside the imported graph (GD: no slots)."""

    def state_variables(self):
        """{}: every variable of the graph is a model variable (GD keeps no state); see :meth:`keras_variables`."""
        return {}

    def keras_variables(self):
        """{TF1 name: variable} of every variable of the imported graph (lifted out of ``wrap_function``)."""
        return {v.name.split(":")[0]: v for v in self.model.variables}

    # -- sess.run, pruned ----------------------------------------------------------------
    def logits(self, X, training=False):
        return self.model(X)

    def loss(self, X, y, training=False):
        """The graph's loss tensor on (float32 ``[B, 784]``, int64 ``[B]``)."""
        return self.functions()["loss"](tf.convert_to_tensor(X, tf.float32), tf.convert_to_tensor(y, tf.int64))

    def accuracy(self, X, y):
        """``accuracy.eval(feed_dict={X: X, y: y})``: the graph's accuracy tensor."""
        return float(self.functions()["accuracy"](tf.convert_to_tensor(X, tf.float32), tf.convert_to_tensor(y, tf.int64)))

    def _train_step(self, X, y):
        """``sess.run([loss, training_op], feed_dict={X: X, y: y})``; returns the loss."""
        loss, _ = self.functions()["train"](X, y)
        return loss

    # -- the Saver, as ops -----------------------------------------------------------------
    def restore_tf1(self, prefix):
        """``saver.restore(sess, prefix)`` with the recipe's saver (every variable, TF1 names).

        Raises:
            tf.errors.NotFoundError: the checkpoint lacks a variable of the graph (TensorFlow's message names it).
        """
        checkpoints.require_checkpoint(prefix)
        if "restore" not in self.functions():
            return super().restore_tf1(prefix)
        self.functions()["restore"](tf.constant(prefix))

    def restore_pretrained(self, run):
        """``saver.restore(sess, pretrained)`` with the imported graph's saver: the run's pretrained checkpoint (its seed)."""
        path = self.pretrained_path(run)
        checkpoints.require_checkpoint(path)
        self.import_graph(run)
        self.functions()["restore_imported"](tf.constant(path))
        return path

    def save(self, path):
        """``saver.save(sess, path)`` with the recipe's saver: a TF1 checkpoint (data and index; the graph is the ``.meta`` it came from)."""
        if "save" not in self.functions():
            return super().save(path)
        tf.io.gfile.makedirs(str(path).rsplit("/", 1)[0] or ".")
        self.functions()["save"](tf.constant(str(path)))

    def fit(self, run):
        self.restore_pretrained(run)
        super().fit(run)
