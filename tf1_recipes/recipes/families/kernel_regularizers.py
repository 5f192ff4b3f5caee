"""The kernel-regularizer recipes' body: L1 or L2 through ``kernel_regularizer`` and ``REGULARIZATION_LOSSES``.

``l1_regularizer`` and ``l2_regularizer`` are the same reference code with the contrib
regularizer swapped (:mod:`tf1_recipes.contrib` reproduces ``tf.contrib.layers.l1_regularizer``
and ``l2_regularizer``: ``scale * sum|W|`` and ``scale * sum(W**2) / 2``), so they share one
body, :func:`train_regularized`; each recipe's module sets ``regularizer`` in its ``book`` preset.
"""

import functools

from tf1_recipes import contrib
from tf1_recipes.compat import tf, tf1

REGULARIZERS = {"l1": contrib.l1_regularizer, "l2": contrib.l2_regularizer}


def regularized_dnn(X, *, n_hidden1, n_hidden2, n_outputs, regularizer, scale):
    """The model: ``X`` [batch, n_inputs] float32 -> logits [batch, n_outputs], in the ``dnn`` scope.

    Two ReLU ``tf.layers.dense`` layers (``hidden1``, ``hidden2``) and the linear ``outputs``,
    every kernel with ``kernel_regularizer=REGULARIZERS[regularizer](scale)`` (contrib's
    ``l1_regularizer``: ``scale * sum|W|``; ``l2_regularizer``: ``scale * sum(W**2) / 2``).
    In a graph each layer adds its penalty to the ``REGULARIZATION_LOSSES`` collection; in
    the shim port (:mod:`tf1_recipes.shim.families.kernel_regularizers`), which calls this
    function eagerly, they become the shim layer's ``losses``.

    Raises:
        ValueError: an unknown regularizer (not a key of :data:`REGULARIZERS`).
    """
    if regularizer not in REGULARIZERS:
        raise ValueError(f"unknown regularizer {regularizer!r}; choose one of {', '.join(REGULARIZERS)}")
    my_dense_layer = functools.partial(
        tf1.layers.dense, activation=tf.nn.relu, kernel_regularizer=REGULARIZERS[regularizer](scale)
    )

    with tf1.name_scope("dnn"):
        hidden1 = my_dense_layer(X, n_hidden1, name="hidden1")
        hidden2 = my_dense_layer(hidden1, n_hidden2, name="hidden2")
        return my_dense_layer(hidden2, n_outputs, activation=None, name="outputs")


def train_regularized(
    run,
    *,
    n_inputs=28 * 28,
    n_hidden1=300,
    n_hidden2=50,
    n_outputs=10,
    scale=0.001,
    learning_rate=0.01,
    n_epochs=20,
    batch_size=200,
    regularizer="l1",
):
    """300/50 ReLU MLP, every kernel regularised; loss = add_n([base_loss] + REGULARIZATION_LOSSES)."""
    if regularizer not in REGULARIZERS:
        raise ValueError(f"unknown regularizer {regularizer!r}; choose one of {', '.join(REGULARIZERS)}")
    X = tf1.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    y = tf1.placeholder(tf.int64, shape=(None), name="y")
    logits = regularized_dnn(X, n_hidden1=n_hidden1, n_hidden2=n_hidden2, n_outputs=n_outputs,
                             regularizer=regularizer, scale=scale)

    with tf1.name_scope("loss"):
        xentropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        base_loss = tf.reduce_mean(xentropy, name="avg_xentropy")
        reg_losses = tf1.get_collection(tf1.GraphKeys.REGULARIZATION_LOSSES)
        loss = tf.add_n([base_loss] + reg_losses, name="loss")

    with tf1.name_scope("eval"):
        correct = tf1.nn.in_top_k(logits, y, 1)
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32), name="accuracy")

    with tf1.name_scope("train"):
        optimizer = tf1.train.GradientDescentOptimizer(learning_rate)
        training_op = optimizer.minimize(loss)

    init = tf1.global_variables_initializer()
    saver = tf1.train.Saver()

    X_valid, y_valid = run.eval_split()
    with tf1.Session() as sess:
        init.run()
        train_step = run.make_callable(sess, training_op, feed_list=[X, y])
        for epoch in range(n_epochs):
            for X_batch, y_batch in run.batches(batch_size):
                train_step(X_batch, y_batch)
            accuracy_val = accuracy.eval(feed_dict={X: X_valid, y: y_valid})
            run.report(epoch, accuracy_val)
        saver.save(sess, run.checkpoint_path)
