"""Bare ``tf.Variable`` calls in TF1 model code, made to work in a shim layer without changing the code.

``track_tf1_style_variables`` tracks and reuses what ``tf.compat.v1.get_variable`` (and so
``tf.compat.v1.layers``) creates; a bare ``tf.Variable(...)`` in the decorated call is neither
tracked nor reused: every call creates a new one, with a new random value (measured on
``shared_variables.relu``: two calls of the shim layer on the same input differed by up to 3.6).
TensorFlow's guide ("Use TF1.x models in TF2 workflows", section "Nesting tf.Variables,
tf.Modules, tf.keras.layers & tf.keras.models in decorated calls") says what to do with them:
make sure each is created only once, attach it to the layer as an attribute, and reuse the
created object on every later call. Its example does that in the layer's code; the recipes
here create theirs inside the model function the TF1 graph is built from, so
:class:`CreatedOnce` does it from outside the function, with ``tf.variable_creator_scope``:
on the first call it lets each ``tf.Variable`` be created (under its TF1 name), on every later
call it hands back the one created at the same place in the sequence, and
:meth:`CreatedOnce.adopt` attaches them to the layer.

Their names: the guide warns that names of ``tf.Variable`` calls "may change when going to eager
execution"; measured, they do: eagerly a name scope re-entered is not made unique, so the five
``relu()`` calls' weights are all ``<layer>/relu/weights`` where the TF1 graph has ``relu/weights``,
``relu_1/weights``, ... ``relu_4/weights``. :func:`tf1_variable_names` builds the same model
function in a throwaway TF1 graph and reads its variables' names in creation order; the k-th
variable created in the shim gets the k-th of them, so a ``Saver`` checkpoint of the recipe still
loads by name.
"""

import contextlib

import tensorflow as tf

from tf1_recipes.compat import tf1


def tf1_variable_names(model_fn, *input_specs):
    """The names a TF1 graph gives the variables ``model_fn`` creates, in creation order.

    Args:
        model_fn: the recipe's model function, called as ``model_fn(*placeholders)``.
        *input_specs: a ``tf.TensorSpec`` per argument (dtype and shape, batch dimension None);
            each becomes a placeholder of a new ``tf1.Graph``.

    Returns:
        list of str: ``[v.op.name for v in tf1.global_variables()]`` of that graph, in the order
        the variables were created (``relu/threshold``, ``relu/weights``, ``relu/bias``,
        ``relu_1/weights``, ...). The graph is discarded: it only names the variables.
    """
    with tf1.Graph().as_default():
        # A graph seed: with op determinism on, a random initializer refuses a graph without one
        # (nothing is run, so the value does not matter).
        tf1.set_random_seed(0)
        placeholders = [tf1.placeholder(spec.dtype, spec.shape) for spec in input_specs]
        model_fn(*placeholders)
        return [v.op.name for v in tf1.global_variables()]


class CreatedOnce:
    """Every variable the TF1 model code creates gets its TF1 name; bare ``tf.Variable`` ones are created once.

    Args:
        tf1_names: the TF1 graph's variable names in creation order (:func:`tf1_variable_names`),
            ``get_variable`` ones included: the k-th variable created on the first call is given
            the k-th name.

    Use: call the model code inside :meth:`scope` on every call of the shim layer; after the
    first call, :meth:`adopt` the layer.
    """

    def __init__(self, tf1_names):
        self.tf1_names = list(tf1_names)
        #: The bare ``tf.Variable`` ones, in creation order (None until :meth:`adopt`).
        self.variables = None
        self._created = []

    @contextlib.contextmanager
    def scope(self):
        """The ``tf.variable_creator_scope`` to run the model code in.

        First call (before :meth:`adopt`): every variable is created, under its TF1 name, outside
        any ``tf.function`` (``tf.init_scope``, as ``get_variable`` does in a shim) and name scope.
        Later calls: the i-th ``tf.Variable`` call returns the i-th bare variable, creating nothing.

        Raises:
            ValueError: on the first call, a variable whose requested name does not end as its
                TF1 name (the code creates variables in another order than the TF1 graph did).
            RuntimeError: on a later call, more or fewer ``tf.Variable`` calls than on the first.
        """
        if self.variables is None:
            creator = self._create
        else:
            calls = iter(self.variables)

            def creator(next_creator, **kwargs):
                try:
                    return next(calls)
                except StopIteration:
                    raise RuntimeError(f"the model code called tf.Variable more than the {len(self.variables)} times of its first call") from None

        with tf.variable_creator_scope(creator):
            yield
        if self.variables is not None and next(calls, None) is not None:
            raise RuntimeError(f"the model code called tf.Variable fewer than the {len(self.variables)} times of its first call")

    def _create(self, next_creator, **kwargs):
        if len(self._created) == len(self.tf1_names):
            raise ValueError(f"the model code creates more variables than the TF1 graph's {len(self.tf1_names)}")
        tf1_name = self.tf1_names[len(self._created)]
        requested = (kwargs.get("name") or "Variable").split("/")[-1]
        if tf1_name.split("/")[-1] != requested:
            raise ValueError(f"variable {len(self._created)} of the model code is {requested!r}; the TF1 graph's is {tf1_name!r}")
        with tf.init_scope(), tf1.name_scope(None):  # the name as it is: no name scope of the call
            variable = next_creator(**{**kwargs, "name": tf1_name})
        self._created.append(variable)
        return variable

    def adopt(self, layer):
        """After the layer's first call: keep the bare variables, attach them to ``layer`` (tracked as ``tf_variables``).

        The others are ``get_variable``'s, tracked by the layer already.

        Raises:
            ValueError: the first call created fewer variables than the TF1 graph has.
        """
        if len(self._created) != len(self.tf1_names):
            raise ValueError(f"the model code created {len(self._created)} variables; the TF1 graph has {len(self.tf1_names)}")
        tracked = {id(v) for v in layer.variables}
        self.variables = [v for v in self._created if id(v) not in tracked]
        layer.tf_variables = self.variables


class TF1Code(tf.Module):
    """TF1 code that is no model (no input batch, no training) run eagerly in a shimmed ``tf.Module``.

    The guide's decorator also applies to ``tf.Module`` methods: ``__call__`` runs ``fn(*args)``
    under ``track_tf1_style_variables`` and :meth:`CreatedOnce.scope`, so ``get_variable`` and bare
    ``tf.Variable`` variables are created on the first call, under their TF1 names, and reused by
    every later call; each call is one run of the code (what one ``sess.run`` was).

    Args:
        fn: the TF1 code, ``fn(*args)``.
        *input_specs: a ``tf.TensorSpec`` per argument, to name the variables (:func:`tf1_variable_names`).
        name: the module's name.
    """

    def __init__(self, fn, *input_specs, name=None):
        super().__init__(name=name)
        self.fn = fn
        self.created_once = CreatedOnce(tf1_variable_names(fn, *input_specs))

    @tf1.keras.utils.track_tf1_style_variables
    def __call__(self, *args):
        with self.created_once.scope():
            outputs = self.fn(*args)
        if self.created_once.variables is None:
            self.created_once.adopt(self)
        return outputs

    def tf1_variables(self):
        """{TF1 name: variable} of what the code created (without ``:0``)."""
        return {v.name.split(":")[0]: v for v in self.variables}
