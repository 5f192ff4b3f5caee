"""Helpers shared by a recipe's own tests (``test_<name>.py``) and its family's (``test_family_<family>.py``)."""

import inspect
from pathlib import Path

import numpy as np

from tf1_recipes.compat import tf1

ROOT = Path(__file__).resolve().parents[2]


#: The hyperparameters each family's shared body takes, with their reference values, pinned once:
#: a recipe's own test asserts its full set as these plus its own (tests/unit/test_<name>.py).
FAMILY_HYPERPARAMETERS = {'faster_optimizers': {'n_inputs': 784,
                       'n_hidden1': 300,
                       'n_hidden2': 50,
                       'n_outputs': 10,
                       'n_epochs': 10,
                       'batch_size': 50},
 'reuse_hidden_layers': {'n_inputs': 784,
                         'n_hidden1': 300,
                         'n_hidden2': 50,
                         'n_hidden3': 50,
                         'n_hidden4': 20,
                         'n_outputs': 10,
                         'learning_rate': 0.01,
                         'n_epochs': 20,
                         'batch_size': 200,
                         'reuse_scope': 'hidden[123]',
                         'train_scope': None,
                         'stop_gradient': False,
                         'cache_hidden2': False,
                         'pretrained_checkpoint': None,
                         'pretrained_preset': 'book'},
 'init_and_activations': {'n_inputs': 784,
                          'n_hidden1': 300,
                          'n_hidden2': 100,
                          'n_outputs': 10,
                          'learning_rate': 0.01,
                          'n_epochs': 40,
                          'batch_size': 50,
                          'activation': 'leaky_relu',
                          'initializer': 'xavier',
                          'scale_inputs': False},
 'kernel_regularizers': {'n_inputs': 784,
                         'n_hidden1': 300,
                         'n_hidden2': 50,
                         'n_outputs': 10,
                         'scale': 0.001,
                         'learning_rate': 0.01,
                         'n_epochs': 20,
                         'batch_size': 200,
                         'regularizer': 'l1'},
 'learning_rate_schedules': {'initial_learning_rate': 0.1,
                             'n_inputs': 784,
                             'n_hidden1': 300,
                             'n_hidden2': 50,
                             'n_outputs': 10,
                             'momentum': 0.9,
                             'n_epochs': 20,
                             'batch_size': 50},
 'max_norm': {'n_inputs': 784,
              'n_hidden1': 300,
              'n_hidden2': 50,
              'n_outputs': 10,
              'learning_rate': 0.01,
              'momentum': 0.9,
              'threshold': 1.0,
              'n_epochs': 20,
              'batch_size': 50,
              'clipping': 'manual'}}


def assert_found_by_name(name):
    """Recipe ``name`` is registered by ``tf1_recipes/recipes/<name>.py`` and ported by ``tf1_recipes/tf2/<name>.py``.

    Returns its registry entry.
    """
    from tf1_recipes.registry import get_recipe
    from tf1_recipes.tf2 import get_port

    spec = get_recipe(name)
    # By file, not __module__: runpy (``python -m``, tests/unit/test_recipe_modules.py) runs a
    # recipe's module as __main__ and registers its function again from there.
    assert spec.name == name and Path(spec.fn.__code__.co_filename).resolve() == ROOT / "tf1_recipes" / "recipes" / f"{name}.py"
    assert Path(inspect.getfile(get_port(name))).resolve() == ROOT / "tf1_recipes" / "tf2" / f"{name}.py"
    assert get_port(name).recipe == name
    assert (ROOT / "tf1_recipes" / "golden" / name).is_dir()
    return spec


def initial_values(graph, names):
    """Values right after ``init`` of the named variables (read through the variable) or tensors."""
    variables = {v.name: v for v in graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)}
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        return dict(zip(names, sess.run([variables.get(n, n) for n in names])))


def initial_kernels(graph):
    """{layer: kernel right after init} of the three layers."""
    names = [f"{layer}/kernel:0" for layer in ("hidden1", "hidden2", "outputs")]
    return {name.split("/")[0]: value for name, value in initial_values(graph, names).items()}


def kernels(graph, layers):
    """The kernel variables of ``layers``, in that order."""
    variables = {v.name: v for v in graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)}
    return [variables[f"{layer}/kernel:0"] for layer in layers]


def one_step(graph, layer, feed):
    """(kernel before, gradient of the data loss alone, kernel after) for one training step."""
    (kernel,) = kernels(graph, [layer])
    with graph.as_default():
        (data_gradient,) = tf1.gradients(graph.get_tensor_by_name("loss/avg_xentropy:0"), [kernel])
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        before, gradient = sess.run([kernel, data_gradient], feed_dict=feed)
        sess.run(graph.get_operation_by_name("train/GradientDescent"), feed_dict=feed)
        return before, gradient, sess.run(kernel)


def fed_inputs(recipe, overrides, batch_size=50):
    """Every X fed to a session during a tiny run of ``recipe``: (training batches, evaluation feeds).

    The run is watched through the suite's one Session observer (``tf1_recipes.session_observer``).
    """
    from tf1_recipes import session_observer
    from tf1_recipes.harness import RecipeConfig, run_recipe

    fed = []

    def recording_run(proceed, session, fetches, feed_dict, options, run_metadata):
        for key, value in (feed_dict or {}).items():
            if getattr(key, "name", key) == "X:0":
                fed.append(np.array(value))
        return proceed(session, fetches, feed_dict, options, run_metadata)

    with session_observer.listen(on_run=recording_run):
        run_recipe(RecipeConfig(recipe, overrides=overrides, quiet=True, progress=False))
    return [x for x in fed if len(x) == batch_size], [x for x in fed if len(x) != batch_size]


def clip_ops(graph):
    """The Assign ops that write a clip_by_norm result back into a variable, by target name."""
    ops = [op for op in graph.get_operations() if op.type == "Assign" and "clip_by_norm" in op.inputs[1].name]
    return {op.inputs[0].name: op for op in ops}


def row_norms(value):
    return np.linalg.norm(value, axis=1)


def graph_variables(graph):
    """{op name: variable} of every global variable of ``graph``."""
    return {v.op.name: v for v in graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)}
