"""The partial-restore recipes' body: the pretrained hidden1-3 restored with a ``Saver(var_list)``.

Four recipes train one model, the pretrained ``pretrain_5layer``'s hidden1-3 rebuilt in
Python plus a new ``hidden4`` (20 units) and ``outputs``, with :func:`reuse_hidden_layers`:

* ``reuse_partial_restore``: restore only the ``GLOBAL_VARIABLES`` matching ``hidden[123]``
  with a ``Saver(reuse_vars)``; a ``Saver`` over everything saves the new model.
* ``freeze_var_list``: the same, training only the ``TRAINABLE_VARIABLES`` matching
  ``hidden[34]|outputs`` (``minimize(var_list=...)``): hidden1-2 stay frozen.
* ``freeze_stop_gradient``: ``tf.stop_gradient`` after ``hidden2`` freezes hidden1-2.
* ``cache_frozen_layers``: as ``freeze_stop_gradient``, but hidden2's output is computed
  once for the training and validation sets and training feeds the cache into ``hidden2``.
  Same seed, same batch order: the same accuracies as ``freeze_stop_gradient``.

Each recipe's module fixes its variant in its ``book`` preset.
"""

import numpy as np

from tf1_recipes import checkpoints
from tf1_recipes.compat import tf, tf1

#: The reuse recipes' smoke runs reuse the pretrain_5layer smoke checkpoint, and train 3 epochs
#: of all 55,000 images (825 steps of 200): with 2 x 150 steps, 10 seeds spread over a band
#: 0.5 wide; with 3 x 275, over 0.04 (tf1_recipes/golden/README.md: a smoke band must be able to fail).
SMOKE = dict(n_epochs=3, train_size=None, pretrained_preset="smoke")


def frozen_layers(X, *, n_hidden1, n_hidden2):
    """hidden1 and hidden2 (ReLU ``tf.layers.dense``, reused): ``X`` [batch, n_inputs] float32 -> hidden2's output [batch, n_hidden2].

    The layers ``cache_frozen_layers`` caches the output of. Called inside the ``dnn`` name
    scope by the TF1 recipe (:func:`reuse_hidden_layers`) and, eagerly, by the shim port
    (:mod:`tf1_recipes.shim.families.reuse_hidden_layers`).
    """
    hidden1 = tf1.layers.dense(X, n_hidden1, activation=tf.nn.relu, name="hidden1")  # reused
    hidden2 = tf1.layers.dense(hidden1, n_hidden2, activation=tf.nn.relu, name="hidden2")  # reused
    return hidden2


def upper_layers(hidden2, *, n_hidden3, n_hidden4, n_outputs, stop_gradient):
    """hidden3 (reused), hidden4 and outputs (new): hidden2's output [batch, n_hidden2] float32 -> logits [batch, n_outputs].

    With ``stop_gradient`` no gradient flows back through ``hidden2`` (``tf.stop_gradient``):
    hidden1-2 are frozen. ``hidden2`` is :func:`frozen_layers`' output, or its cache.
    """
    hidden2_stop = tf.stop_gradient(hidden2) if stop_gradient else hidden2  # frozen below
    hidden3 = tf1.layers.dense(hidden2_stop, n_hidden3, activation=tf.nn.relu, name="hidden3")  # reused
    hidden4 = tf1.layers.dense(hidden3, n_hidden4, activation=tf.nn.relu, name="hidden4")  # new!
    logits = tf1.layers.dense(hidden4, n_outputs, name="outputs")  # new!
    return logits


def reuse_hidden_layers(
    run,
    *,
    n_inputs=28 * 28,
    n_hidden1=300,  # reused
    n_hidden2=50,  # reused
    n_hidden3=50,  # reused
    n_hidden4=20,  # new!
    n_outputs=10,  # new!
    learning_rate=0.01,
    n_epochs=20,
    batch_size=200,
    reuse_scope="hidden[123]",
    train_scope=None,
    stop_gradient=False,
    cache_hidden2=False,
    pretrained_checkpoint=None,
    pretrained_preset="book",
):
    """Rebuild hidden1-3, restore them from the pretrained checkpoint, train new hidden4 and outputs."""
    if cache_hidden2 and not (stop_gradient and run.settings["reader"] == "shuffle_batch"):
        raise ValueError("cache_hidden2 needs stop_gradient=True (hidden1-2 frozen) and the shuffle_batch reader")
    if pretrained_checkpoint is None:
        pretrained_checkpoint = checkpoints.pretrained_checkpoint("pretrain_5layer", pretrained_preset, run)

    X = tf1.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    y = tf1.placeholder(tf.int64, shape=(None), name="y")

    with tf1.name_scope("dnn"):
        hidden2 = frozen_layers(X, n_hidden1=n_hidden1, n_hidden2=n_hidden2)
        logits = upper_layers(hidden2, n_hidden3=n_hidden3, n_hidden4=n_hidden4, n_outputs=n_outputs, stop_gradient=stop_gradient)

    with tf1.name_scope("loss"):
        xentropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        loss = tf.reduce_mean(xentropy, name="loss")

    with tf1.name_scope("eval"):
        correct = tf1.nn.in_top_k(logits, y, 1)
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32), name="accuracy")

    with tf1.name_scope("train"):
        optimizer = tf1.train.GradientDescentOptimizer(learning_rate)
        train_vars = tf1.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES, scope=train_scope)
        training_op = optimizer.minimize(loss, var_list=train_vars)

    reuse_vars = tf1.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES, scope=reuse_scope)  # regular expression
    checkpoints.check_restorable(pretrained_checkpoint, reuse_vars, scope=reuse_scope)
    restore_saver = tf1.train.Saver(reuse_vars)  # to restore layers 1-3

    init = tf1.global_variables_initializer()
    saver = tf1.train.Saver()

    X_train, y_train = run.train_split()
    X_valid, y_valid = run.eval_split()
    with tf1.Session() as sess:
        init.run()
        restore_saver.restore(sess, pretrained_checkpoint)

        if cache_hidden2:
            h2_cache = sess.run(hidden2, feed_dict={X: X_train})
            h2_cache_valid = sess.run(hidden2, feed_dict={X: X_valid})
            n_batches = len(X_train) // batch_size
        else:
            train_step = run.make_callable(sess, training_op, feed_list=[X, y])

        for epoch in range(n_epochs):
            if cache_hidden2:
                shuffled_idx = np.random.permutation(len(X_train))
                hidden2_batches = np.array_split(h2_cache[shuffled_idx], n_batches)
                y_batches = np.array_split(y_train[shuffled_idx], n_batches)
                for hidden2_batch, y_batch in zip(hidden2_batches, y_batches):
                    sess.run(training_op, feed_dict={hidden2: hidden2_batch, y: y_batch})
                accuracy_val = accuracy.eval(feed_dict={hidden2: h2_cache_valid, y: y_valid})
            else:
                for X_batch, y_batch in run.batches(batch_size):
                    train_step(X_batch, y_batch)
                accuracy_val = accuracy.eval(feed_dict={X: X_valid, y: y_valid})
            run.report(epoch, accuracy_val)

        saver.save(sess, run.checkpoint_path)
