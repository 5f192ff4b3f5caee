"""Every private TensorFlow API the suite uses, each behind one named function.

The suite exists to keep working across TensorFlow releases, and a private API is where a
release breaks it first: nothing here is covered by TensorFlow's compatibility promise.
So each use lives here once, says why no public API does the job, and has a test in
``tests/unit/test_tf_private.py`` that fails by this function's name on a release that
removed or changed what it relies on (the fix is then here, not in six modules).

Each function says the TensorFlow releases it was checked on. ``setup.cfg`` admits 2.16
to 2.21; on a release not yet checked, ``pytest tests/unit/test_tf_private.py`` says which
use broke (``tox -e golden-tf216`` installs the oldest).
"""

import contextlib

#: The ``BaseSession`` methods :func:`wrap_session_methods` replaces: every way a TF1 session
#: runs a step (``run``; a callable without feeds; a callable from ``CallableOptions``).
SESSION_METHODS = ("run", "make_callable", "_make_callable_from_options")


def _session_module():
    from tensorflow.python.client import session as session_lib

    return session_lib


def callable_options():
    """A fresh ``CallableOptions`` proto (feeds, fetches, targets, tensor connections of a session callable).

    Private because: the proto lives in ``tensorflow.core.protobuf.config_pb2`` and, unlike
    ``RunOptions`` or ``ConfigProto``, is not exported as ``tf.compat.v1.CallableOptions``.
    Used by :mod:`tf1_recipes.in_graph` with :func:`make_callable_from_options`.

    Checked on: TensorFlow 2.21.0.
    """
    from tensorflow.core.protobuf.config_pb2 import CallableOptions

    return CallableOptions()


def make_callable_from_options(session, options):
    """``session``'s callable for a ``CallableOptions`` proto: call it with the fed values, in ``options.feed`` order.

    Private because: ``Session.make_callable`` has no ``tensor_connection`` (a tensor of
    the graph standing in for a placeholder, with no copy through Python), which the
    in-graph input path needs to replace the fed ``X`` and ``y`` by the batch gathered in
    the graph. ``BaseSession._make_callable_from_options`` is the only route to it from
    Python (tf_keras' graph-mode backend uses it for the same reason).

    Checked on: TensorFlow 2.21.0.
    """
    return session._make_callable_from_options(options)  # pylint: disable=protected-access


def unfinalize_graph(graph):
    """Open a finalized ``tf.Graph`` again, so that ops may be added to it.

    Private because: ``Graph.finalize()`` has no public inverse. The harness finalizes a
    run's graph when training starts (a recipe adding ops per step fails instead of slowing
    down) and opens it again when the run ends, for tools that inspect the graph afterwards
    (the doctor, tests). ``Graph._unsafe_unfinalize`` is what TensorFlow's own ``MonitoredSession`` uses.

    Checked on: TensorFlow 2.21.0.
    """
    graph._unsafe_unfinalize()  # pylint: disable=protected-access


def session_base_class():
    """The class every TF1 session derives from (``tf.compat.v1.Session`` and ``InteractiveSession``).

    Private because: ``BaseSession`` (``tensorflow.python.client.session``) is not exported;
    patching the exported ``Session`` would miss ``InteractiveSession``.

    Checked on: TensorFlow 2.21.0.
    """
    return _session_module().BaseSession


def wrap_session_methods(wrappers):
    """Replace each ``BaseSession`` method named in ``wrappers`` by ``wrappers[name](original)``.

    ``wrappers`` maps names of :data:`SESSION_METHODS` to functions taking the original
    method and returning its replacement. Returns the originals, for :func:`restore_session_methods`.

    Private because: TensorFlow has no hook for observing a TF1 session's steps (the
    ``tf_debug`` session wrappers replace the session object, which a recipe creates itself),
    so the observer (:mod:`tf1_recipes.session_observer`) patches the class. It relies on
    ``run(fetches, feed_dict, options, run_metadata)``, ``make_callable(fetches, feed_list,
    accept_options)`` delegating a non-empty ``feed_list`` to ``run``, and
    ``_make_callable_from_options(callable_options)``.

    Checked on: TensorFlow 2.21.0.
    """
    cls = session_base_class()
    originals = {name: getattr(cls, name) for name in wrappers}
    for name, wrap in wrappers.items():
        setattr(cls, name, wrap(originals[name]))
    return originals


def restore_session_methods(originals):
    """Put back the ``BaseSession`` methods :func:`wrap_session_methods` returned."""
    cls = session_base_class()
    for name, original in originals.items():
        setattr(cls, name, original)


def onednn_enabled():
    """Whether this TensorFlow runs its oneDNN kernels in this process (True/False; None if it cannot say).

    Private because: no public API says it. ``TF_ENABLE_ONEDNN_OPTS`` set to 1 or 0 decides
    when set; unset, TensorFlow's Linux builds turn oneDNN on only on CPUs with AVX512_VNNI,
    AVX512_BF16, AVX_VNNI or AMX (``DefaultOneDnnPolicy`` in ``tensorflow/core/util/port.cc``,
    which ``IsMklEnabled`` reads), so an AVX2-only EPYC runs Eigen's kernels (measured here:
    False unset, True with 1, on an AMD EPYC family 25 model 1).

    Checked on: TensorFlow 2.21.0.
    """
    try:
        from tensorflow.python.util import _pywrap_util_port
    except ImportError:
        return None
    return bool(_pywrap_util_port.IsMklEnabled())


def checkpoint_state_proto():
    """A fresh ``CheckpointState`` proto: what a ``checkpoint`` state file holds, as text format.

    Private because: ``tf.train.get_checkpoint_state`` parses the file too, but turns a
    damaged one into a generic error (or None) without saying what is wrong with it; the
    suite parses it itself to name the damage. The proto class is not exported.

    Checked on: TensorFlow 2.21.0.
    """
    from tensorflow.python.training.checkpoint_state_pb2 import CheckpointState

    return CheckpointState()


def freeze_session_graph(session, graph_def, output_names):
    """``graph_def`` with every variable the outputs need replaced by its value in ``session`` (a GraphDef).

    Private because: the public ``tf.compat.v1.graph_util.convert_variables_to_constants``
    is this same function behind a deprecation decorator that logs a warning on the first
    call (into the doctor's output); ``convert_to_constants`` is where TF 2.x implements it.
    Should this function go, the public one is the fallback.

    Checked on: TensorFlow 2.21.0.
    """
    from tensorflow.python.framework import convert_to_constants

    return convert_to_constants.convert_variables_to_constants_from_session_graph(session, graph_def, list(output_names))


@contextlib.contextmanager
def dropout_noise(sampler):
    """While active, every dropout built draws its uniform noise from ``sampler(x, shape, dtype)``.

    Private because: ``tf.nn.dropout`` (TF1's ``tf.layers.dropout``) and Keras 3's
    ``stateless_dropout`` take no noise of the caller's; both end in
    ``nn_ops._dropout(x, rate, noise_shape, uniform_sampler, dummy_rng_step, name,
    default_name)``, whose ``uniform_sampler(shape, dtype)`` this replaces. The TF1/TF2
    parity checks inject the same masks on both sides this way.

    Checked on: TensorFlow 2.21.0.
    """
    from tensorflow.python.ops import nn_ops

    original = nn_ops._dropout  # pylint: disable=protected-access

    def injected(x, rate, noise_shape, uniform_sampler, dummy_rng_step, name, default_name):
        return original(x, rate, noise_shape, lambda shape, dtype: sampler(x, shape, dtype), dummy_rng_step, name,
                        default_name)

    nn_ops._dropout = injected  # pylint: disable=protected-access
    try:
        yield
    finally:
        nn_ops._dropout = original  # pylint: disable=protected-access


def eager_context_config():
    """The ``ConfigProto`` of TensorFlow's eager context (threads, devices), what ``tf1.Session()`` starts from.

    Private because: ``tf.config.threading`` sets and reads the thread counts one by one,
    but no public API returns the whole ``ConfigProto`` a session would get by default.

    Checked on: TensorFlow 2.21.0.
    """
    from tensorflow.python.eager import context

    return context.context().config


def create_tf1_optimizer_state(optimizer, var_list):
    """Create a ``tf.compat.v1.train`` optimizer's slots and global state for ``var_list`` now, eagerly.

    Private because: a TF1 optimizer makes its slots (``<variable>/Momentum``, ``/Adam``,
    ``/Adam_1``) and its non-slot state (Adam's ``beta1_power``) inside its first
    ``apply_gradients``; under ``tf.function`` that is the first traced step, inside the
    loop's name scope (``while/beta1_power``), and a checkpoint cannot be restored into
    state that does not exist yet. ``Optimizer._create_slots`` is the step that makes them,
    with no public entry. Used by :class:`tf1_recipes.shim.base.ShimPort`, so the shim's
    optimizer state has the TF1 Saver's names before training starts.

    Checked on: TensorFlow 2.21.0.
    """
    import tensorflow as tf

    with tf.init_scope():
        optimizer._create_slots(list(var_list))  # pylint: disable=protected-access


@contextlib.contextmanager
def collected_batch_norm_updates():
    """While active, ``tf.compat.v1.layers.batch_normalization`` collects its moving-statistics updates instead of running them.

    Yields a list; every training-mode call of a TF1 batch-norm layer (tf-keras'
    ``BatchNormalizationBase``, which ``tf.compat.v1.layers.batch_normalization`` builds)
    appends ``(name_scope, variable, delta)`` for its moving mean and its moving variance:
    ``name_scope`` the ``tf.get_current_name_scope()`` of the call (``"tower_0/dnn/bn1"``),
    ``variable`` the moving statistic, ``delta`` the float32 tensor
    ``(variable - batch_statistic) * (1 - momentum)`` read from the variable's value at the
    call, the formula and ops of tf-keras' own update (``variable.assign_sub(delta)`` is
    the update). Nothing is assigned: the caller runs ``assign_sub`` for the updates it
    wants, after the forward pass, as a TF1 session runs the fetched ``UPDATE_OPS``.

    Private because: eagerly and inside ``tf.function`` the layer assigns each update inside
    its call (``_assign_moving_average``), so a second layer call on shared moving
    statistics reads the first call's result; a TF1 graph's update ops all read the value
    from before the step. No public API defers the update (``UPDATE_OPS`` is ignored outside
    a graph). Used by the towers' shim ports (``tf1_recipes.shim.bn_shared_between_towers``,
    ``data_parallel_towers``).

    Checked on: TensorFlow 2.21.0, tf-keras 2.21.0.
    """
    import tensorflow as tf
    from tf_keras.src.layers.normalization import batch_normalization

    base = batch_normalization.BatchNormalizationBase
    original = base._assign_moving_average  # pylint: disable=protected-access
    updates = []

    def collect(layer, variable, value, momentum, inputs_size):
        with tf.name_scope("AssignMovingAvg"):
            decay = tf.convert_to_tensor(1.0 - momentum, name="decay")
            if decay.dtype != variable.dtype.base_dtype:
                decay = tf.cast(decay, variable.dtype.base_dtype)
            delta = (variable - tf.cast(value, variable.dtype)) * decay
            if inputs_size is not None:
                delta = tf.where(inputs_size > 0, delta, tf.zeros_like(delta))
        updates.append((tf.get_current_name_scope(), variable, delta))
        return variable

    base._assign_moving_average = collect  # pylint: disable=protected-access
    try:
        yield updates
    finally:
        base._assign_moving_average = original  # pylint: disable=protected-access
