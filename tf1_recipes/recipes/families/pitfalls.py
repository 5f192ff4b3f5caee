"""Pieces the pitfall recipes share: the softmax head and evaluation in mini-batches.

Each pitfall recipe writes its own network (the part that shows the pitfall) and ends it
with :func:`softmax_head`, which builds the reference ``loss`` and ``eval`` scopes
(``loss/loss:0``, ``eval/accuracy:0``) exactly as the classic code does.
"""

import functools

import numpy as np

from tf1_recipes import contrib
from tf1_recipes.compat import tf, tf1


#: The kernel initializers of batch_norm_dnn.
BATCH_NORM_INITIALIZERS = ("contrib", "variance_scaling")


def batch_norm_dnn(X, training, n_hidden1, n_hidden2, n_outputs, batch_norm_momentum, initializer="contrib"):
    """``batch_norm``'s network: dense (He init) -> batch norm -> ELU, twice, then dense -> batch norm.

    Args:
        X: float32 ``[batch, n_inputs]`` inputs.
        training: a bool scalar (the ``training`` placeholder) or a Python bool: batch
            statistics (and, in a graph, ``UPDATE_OPS`` for the moving statistics; eagerly,
            the update itself) when true, the moving statistics when false.
        n_hidden1, n_hidden2, n_outputs: the layers' widths.
        batch_norm_momentum: the moving averages' decay (0.9 in the recipes).
        initializer: ``"contrib"`` (``tf.contrib.layers.variance_scaling_initializer()``:
            factor 2.0, fan-in, truncated normal) or ``"variance_scaling"``
            (``tf.variance_scaling_initializer()``: scale 1.0, fan-in, truncated normal).

    Built in the ``dnn`` scope with the reference layer names (hidden1, hidden2, outputs,
    batch_normalization[_1, _2]); returns the logits ``[batch, n_outputs]``. The TF1 recipes
    (``batch_norm`` and its pitfalls) build their graph with it, their shim ports call it eagerly.

    Raises:
        ValueError: an unknown ``initializer``.
    """
    if initializer not in BATCH_NORM_INITIALIZERS:
        raise ValueError(f"unknown initializer {initializer!r}; choose one of {', '.join(BATCH_NORM_INITIALIZERS)}")
    with tf1.name_scope("dnn"):
        if initializer == "contrib":
            # tf.contrib.layers.variance_scaling_initializer(): factor 2.0, fan-in, truncated normal.
            he_init = contrib.variance_scaling_initializer()
        else:
            # tf.variance_scaling_initializer(): scale 1.0, fan-in, truncated normal.
            he_init = tf1.variance_scaling_initializer()
        my_batch_norm_layer = functools.partial(
            tf1.layers.batch_normalization, training=training, momentum=batch_norm_momentum
        )
        my_dense_layer = functools.partial(tf1.layers.dense, kernel_initializer=he_init)

        hidden1 = my_dense_layer(X, n_hidden1, name="hidden1")
        bn1 = tf.nn.elu(my_batch_norm_layer(hidden1))
        hidden2 = my_dense_layer(bn1, n_hidden2, name="hidden2")
        bn2 = tf.nn.elu(my_batch_norm_layer(hidden2))
        logits_before_bn = my_dense_layer(bn2, n_outputs, name="outputs")
        return my_batch_norm_layer(logits_before_bn)


def softmax_head(logits, y):
    """Mean softmax cross-entropy (``loss/loss``) and top-1 accuracy (``eval/accuracy``) of ``logits``."""
    with tf1.name_scope("loss"):
        xentropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        loss = tf.reduce_mean(xentropy, name="loss")

    with tf1.name_scope("eval"):
        correct = tf1.nn.in_top_k(logits, y, 1)
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32), name="accuracy")
    return loss, accuracy


def accuracy_in_batches(accuracy, X, y, X_eval, y_eval, batch_size, feed=None):
    """``accuracy`` over the eval split, evaluated ``batch_size`` examples at a time (default session).

    The mean of per-batch accuracies weighted by batch size: the accuracy of the whole
    split, as a model serving small batches would score it.
    """
    total = 0.0
    for start in range(0, len(X_eval), batch_size):
        X_batch, y_batch = X_eval[start : start + batch_size], y_eval[start : start + batch_size]
        total += accuracy.eval(feed_dict={**(feed or {}), X: X_batch, y: y_batch}) * len(X_batch)
    return total / len(X_eval)


def mean_variance_ratio(moving_variance, batch_variance):
    """Mean over units of moving variance / actual variance: 1 when the moving statistics are right."""
    return float(np.mean(np.asarray(moving_variance) / np.maximum(np.asarray(batch_variance), 1e-12)))
