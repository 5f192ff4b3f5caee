"""The 300/50 ReLU MLP the optimizer and learning-rate-schedule recipes train, and the
decorator that turns one variant of a shared recipe body into a recipe of its own.

The faster-optimizer recipes differ only in the optimizer line, the fed schedules only in
the learning rate of each epoch; each family keeps one body, and each member is a small
function (the optimizer it makes, the schedule it computes) registered with
:func:`variant_recipe`.
"""

import functools
import inspect

from tf1_recipes.compat import tf, tf1
from tf1_recipes.registry import recipe


def relu_mlp_classifier(n_inputs, n_hidden1, n_hidden2, n_outputs):
    """Placeholders, the two ReLU layers, the loss and the accuracy, by the reference names.

    Returns ``(X, y, loss, accuracy)``; the ops sit in the ``dnn``, ``loss`` and ``eval``
    scopes as in the reference code (``X:0``, ``y:0``, ``loss/loss:0``, ``eval/accuracy:0``).
    """
    X = tf1.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    y = tf1.placeholder(tf.int64, shape=(None), name="y")

    with tf1.name_scope("dnn"):
        hidden1 = tf1.layers.dense(X, n_hidden1, activation=tf.nn.relu, name="hidden1")
        hidden2 = tf1.layers.dense(hidden1, n_hidden2, activation=tf.nn.relu, name="hidden2")
        logits = tf1.layers.dense(hidden2, n_outputs, name="outputs")

    with tf1.name_scope("loss"):
        xentropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        loss = tf.reduce_mean(xentropy, name="loss")

    with tf1.name_scope("eval"):
        correct = tf1.nn.in_top_k(logits, y, 1)
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32), name="accuracy")
    return X, y, loss, accuracy


def _keyword_parameters(fn):
    return [p for p in inspect.signature(fn).parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]


def variant_recipe(body, presets=None, smoke=None):
    """Decorator: register the decorated ``variant`` as recipe ``variant.__name__`` running ``body``.

    The recipe calls ``body(run, functools.partial(variant, **its hyperparameters), **the rest)``.
    Its hyperparameters are the variant's keyword parameters followed by the body's, with
    their defaults; its description is the variant's docstring. The variant itself is
    returned unchanged (tests call it directly). ``smoke`` is :func:`~tf1_recipes.registry.recipe`'s.
    """

    def register(variant):
        own = _keyword_parameters(variant)
        shared = _keyword_parameters(body)
        clash = {p.name for p in own} & {p.name for p in shared}
        if clash:
            raise TypeError(f"{variant.__name__}: hyperparameters {sorted(clash)} are also {body.__name__}'s")

        def run_variant(run, **hyper):
            variant_hyper = {p.name: hyper.pop(p.name) for p in own}
            return body(run, functools.partial(variant, **variant_hyper), **hyper)

        run_variant.__signature__ = inspect.Signature(
            [inspect.Parameter("run", inspect.Parameter.POSITIONAL_OR_KEYWORD), *own, *shared]
        )
        run_variant.__name__ = run_variant.__qualname__ = variant.__name__
        run_variant.__doc__ = variant.__doc__
        run_variant.__module__ = variant.__module__
        recipe(variant.__name__, presets=presets or {"book": {}}, smoke=smoke)(run_variant)
        return variant

    return register
