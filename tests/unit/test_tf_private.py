"""Each private TensorFlow API behind tf1_recipes.tf_private: still there, and still doing its job.

On a TensorFlow release that removes or changes one, the test of that use fails with a
message naming the function in ``tf_private`` that needs another route; the rest of the
suite then fails in the same place, not in six modules.
"""

import numpy as np
import pytest

from tf1_recipes import session_observer, tf_private
from tf1_recipes.compat import tf, tf1


def _module(path):
    import importlib

    try:
        return importlib.import_module(path)
    except ImportError as err:
        pytest.fail(f"TF removed {path} ({err}): tf_private needs a new route")


def _tiny_graph():
    graph = tf1.Graph()
    with graph.as_default():
        x = tf1.placeholder(tf.float32, (None,), name="x")
        doubled = tf.multiply(x, 2.0, name="doubled")
        source = tf.constant([5.0, 6.0], name="source")
        total = tf.reduce_sum(doubled, name="total")
    return graph, x, doubled, source, total


def test_make_callable_from_options_connects_a_tensor_to_a_placeholder():
    session_lib = _module("tensorflow.python.client.session")
    assert hasattr(session_lib.BaseSession, "_make_callable_from_options"), (
        "TF removed BaseSession._make_callable_from_options: tf_private.make_callable_from_options needs a new route"
    )
    assert hasattr(_module("tensorflow.core.protobuf.config_pb2"), "CallableOptions"), (
        "TF moved CallableOptions: tf_private.callable_options needs a new route"
    )
    graph, x, doubled, source, total = _tiny_graph()
    options = tf_private.callable_options()
    options.fetch.append(total.name)
    connection = options.tensor_connection.add()
    connection.from_tensor, connection.to_tensor = source.name, x.name
    with tf1.Session(graph=graph) as sess:
        step = tf_private.make_callable_from_options(sess, options)
        assert float(step()[0]) == 22.0, "tf_private.make_callable_from_options: the connected tensor was not used"


def test_unfinalize_graph_opens_a_finalized_graph():
    assert hasattr(tf1.Graph, "_unsafe_unfinalize"), (
        "TF removed Graph._unsafe_unfinalize: tf_private.unfinalize_graph needs a new route"
    )
    graph = tf1.Graph()
    graph.finalize()
    tf_private.unfinalize_graph(graph)
    assert not graph.finalized, "tf_private.unfinalize_graph left the graph finalized"
    with graph.as_default():
        tf.constant(1.0)  # adding an op works again


def test_wrap_session_methods_sees_every_way_a_session_runs_a_step():
    session_lib = _module("tensorflow.python.client.session")
    assert hasattr(session_lib, "BaseSession"), "TF removed BaseSession: tf_private.session_base_class needs a new route"
    for name in tf_private.SESSION_METHODS:
        assert hasattr(session_lib.BaseSession, name), (
            f"TF removed BaseSession.{name}: tf_private.wrap_session_methods needs a new route"
        )
    assert issubclass(tf1.Session, tf_private.session_base_class())
    assert issubclass(tf1.InteractiveSession, tf_private.session_base_class())

    seen = []

    def wrap(name):
        def wrapper(original):
            def method(*args, **kwargs):
                seen.append(name)
                return original(*args, **kwargs)
            return method
        return wrapper

    graph, x, doubled, source, total = _tiny_graph()
    originals = tf_private.wrap_session_methods({name: wrap(name) for name in tf_private.SESSION_METHODS})
    try:
        with tf1.Session(graph=graph) as sess:
            assert sess.run(total, {x: [1.0, 2.0]}) == 6.0
            fed = sess.make_callable(total, feed_list=[x])
            seen.clear()
            assert fed([3.0]) == 6.0
            assert seen == ["run"], "make_callable with feeds no longer runs through Session.run: the observer misses it"
            sess.make_callable(source)
            options = tf_private.callable_options()
            options.fetch.append(source.name)
            tf_private.make_callable_from_options(sess, options)
    finally:
        tf_private.restore_session_methods(originals)
    assert "make_callable" in seen and "_make_callable_from_options" in seen
    assert all(getattr(tf_private.session_base_class(), n) is originals[n] for n in originals)


def test_checkpoint_state_proto_parses_a_state_file():
    from google.protobuf import text_format

    state = text_format.Parse(
        'model_checkpoint_path: "model.ckpt"\nall_model_checkpoint_paths: "model.ckpt"\n', tf_private.checkpoint_state_proto()
    )
    assert state.model_checkpoint_path == "model.ckpt", "tf_private.checkpoint_state_proto: CheckpointState changed"


def test_freeze_session_graph_turns_variables_into_constants():
    graph = tf1.Graph()
    with graph.as_default():
        v = tf1.get_variable("v", initializer=tf.constant([1.0, 2.0]))
        out = tf.reduce_sum(v * 3.0, name="out")
        init = tf1.global_variables_initializer()
    with tf1.Session(graph=graph) as sess:
        sess.run(init)
        frozen = tf_private.freeze_session_graph(sess, graph.as_graph_def(), [out.op.name])
    assert not [n.op for n in frozen.node if "Variable" in n.op], "tf_private.freeze_session_graph left a variable"
    with tf1.Graph().as_default() as again:
        (result,) = tf1.import_graph_def(frozen, return_elements=["out:0"], name="")
        with tf1.Session(graph=again) as sess:
            assert sess.run(result) == 9.0


def test_dropout_noise_replaces_the_uniform_sampler():
    nn_ops = _module("tensorflow.python.ops.nn_ops")
    assert hasattr(nn_ops, "_dropout"), "TF removed nn_ops._dropout: tf_private.dropout_noise needs a new route"
    x = tf.ones((2, 4))
    with tf_private.dropout_noise(lambda x, shape, dtype: tf.constant([[0.0, 1.0, 0.0, 1.0]] * 2, dtype)):
        dropped = tf.nn.dropout(x, rate=0.5)
    np.testing.assert_array_equal(dropped.numpy(), [[0.0, 2.0, 0.0, 2.0]] * 2, "tf_private.dropout_noise: noise unused")


def test_eager_context_config_is_the_sessions_default_config():
    config = tf_private.eager_context_config()
    assert isinstance(config, tf1.ConfigProto), "tf_private.eager_context_config: not a ConfigProto any more"
    assert config.intra_op_parallelism_threads == tf.config.threading.get_intra_op_parallelism_threads()


# ------------------------------------------------------------------ the observer built on them


def test_the_observer_chains_listeners_and_sees_callables():
    graph, x, doubled, source, total = _tiny_graph()
    order, made = [], []

    def outer(proceed, session, fetches, *args):
        order.append("outer")
        return proceed(session, fetches, *args)

    def inner(proceed, session, fetches, *args):
        order.append("inner")
        return proceed(session, fetches, *args) + 1.0

    def on_callable(session, step, fetches, feed_keys):
        made.append((sorted(fetches), sorted(feed_keys)))
        return step

    with tf1.Session(graph=graph) as sess:
        with session_observer.listen(on_run=outer, on_callable=on_callable), session_observer.listen(on_run=inner):
            assert sess.run(total, {x: [1.0]}) == 3.0
            options = tf_private.callable_options()
            options.fetch.append(total.name)
            options.feed.append(x.name)
            tf_private.make_callable_from_options(sess, options)
        assert sess.run(total, {x: [1.0]}) == 2.0  # the listeners are gone
    assert order == ["outer", "inner"]
    assert made == [(["total:0"], ["x:0"])]


def test_the_observer_skips_a_run_started_inside_a_run():
    outer_graph, *_ = _tiny_graph()
    graph, x, doubled, source, total = _tiny_graph()
    seen = []
    with session_observer.listen(on_run=lambda proceed, s, *a: seen.append(s.graph) or proceed(s, *a)):
        with session_observer.run_graph(outer_graph), tf1.Session(graph=graph) as sess:
            sess.run(total, {x: [1.0]})
            assert session_observer.outermost_run_graph() is outer_graph
        with tf1.Session(graph=graph) as sess:
            sess.run(total, {x: [1.0]})
    assert seen == [graph]  # only the call outside any run
    assert session_observer.outermost_run_graph() is None


def test_the_observer_does_not_show_the_numerics_fingerprint_to_listeners():
    from tf1_recipes import numerics

    seen = []
    with session_observer.listen(on_run=lambda proceed, s, *a: seen.append(s.graph) or proceed(s, *a)):
        numerics.group_hashes()  # what a run's provenance computes after the recipe, in a fresh process
        graph, x, doubled, source, total = _tiny_graph()
        with tf1.Session(graph=graph) as sess:
            sess.run(total, {x: [1.0]})
    assert seen == [graph]


def test_no_module_but_tf_private_reaches_into_tensorflow_internals():
    """Private TensorFlow lives in one place: a new use elsewhere fails here, naming the file."""
    import re
    from pathlib import Path

    import tf1_recipes

    package = Path(tf1_recipes.__file__).parent
    private = re.compile(r"(from|import) tensorflow\.python|\._unsafe_unfinalize\(|\._make_callable_from_options\(")
    offenders = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "tf_private.py":
            continue
        code = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith(("#", "``")))
        offenders += [f"{path.relative_to(package)}: {m.group(0)}" for m in private.finditer(code)]
    assert not offenders, f"private TensorFlow outside tf_private.py: {offenders}"


def test_create_tf1_optimizer_state_makes_slots_and_globals_with_tf1_names_before_any_step():
    from tf1_recipes.shim.base import as_if_built_once

    kernel = tf.Variable(tf.ones([2, 3]), name="hidden1/kernel")
    optimizer = tf1.train.AdamOptimizer(0.1)
    # As ShimPort.build_optimizer_state calls it: eagerly the slots' scope counts are the whole
    # process's, and a count left here named a later shim's slots hidden1/kernel/Adam_2.
    with as_if_built_once(), tf1.name_scope("train"):
        tf_private.create_tf1_optimizer_state(optimizer, [kernel])
    names = sorted(v.name for v in optimizer.variables())
    assert names == ["hidden1/kernel/Adam:0", "hidden1/kernel/Adam_1:0", "train/beta1_power:0", "train/beta2_power:0"], (
        f"tf_private.create_tf1_optimizer_state: {names}")
    assert all(not v.numpy().any() for v in optimizer.variables() if "/Adam" in v.name)  # slots start at 0
    optimizer.apply_gradients([(tf.ones([2, 3]), kernel)])  # the step uses them, creating nothing more
    assert sorted(v.name for v in optimizer.variables()) == names


def test_collected_batch_norm_updates_defers_tf1_batch_norms_moving_statistics_updates():
    bn = _module("tf_keras.src.layers.normalization.batch_normalization")
    assert hasattr(bn.BatchNormalizationBase, "_assign_moving_average"), (
        "tf-keras removed BatchNormalizationBase._assign_moving_average: tf_private.collected_batch_norm_updates needs a new route")
    layer = tf1.layers.BatchNormalization(momentum=0.9, name="bn")
    x = tf.constant([[1.0, 2.0], [3.0, 6.0]])
    layer(x, training=False)  # built; moving mean 0, moving variance 1
    with tf.name_scope("tower_0"), tf_private.collected_batch_norm_updates() as updates:
        layer(x, training=True)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), [0.0, 0.0], "tf_private.collected_batch_norm_updates: assigned")
    assert [(scope.split("/")[0], v.name) for scope, v, _ in updates] == [
        ("tower_0", layer.moving_mean.name), ("tower_0", layer.moving_variance.name)], (
        f"tf_private.collected_batch_norm_updates: {[(s, v.name) for s, v, _ in updates]}")
    # delta = (moving - batch) * (1 - momentum): batch mean [2, 4], batch variance [1, 4]
    np.testing.assert_allclose(updates[0][2].numpy(), [-0.2, -0.4], rtol=1e-6)
    np.testing.assert_allclose(updates[1][2].numpy(), [0.0, -0.3], rtol=1e-6, atol=1e-7)
    layer(x, training=True)  # outside the context: assigned in the call again
    np.testing.assert_allclose(layer.moving_mean.numpy(), [0.2, 0.4], rtol=1e-6)


@pytest.mark.parametrize("setting,expected", [("1", True), ("0", False)])
def test_onednn_enabled_is_what_tensorflow_runs_under_the_variable(setting, expected):
    """Set, TF_ENABLE_ONEDNN_OPTS decides; unset, the CPU does (off on an AVX2-only EPYC), which only TensorFlow knows."""
    import os
    import subprocess
    import sys

    _module("tensorflow.python.util._pywrap_util_port")
    code = "from tf1_recipes import tf_private; print(tf_private.onednn_enabled())"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "TF_ENABLE_ONEDNN_OPTS": setting},
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip().splitlines()[-1] == str(expected), out.stderr
