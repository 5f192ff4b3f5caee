"""The max-norm recipes' body: clip every row of the hidden kernels to norm <= threshold after each step.

``max_norm_manual`` builds the two ``assign(W, clip_by_norm(W, threshold, axes=1))`` ops from
the kernels fetched by name; ``max_norm_regularizer`` gets the same ops from a
``kernel_regularizer`` (:func:`max_norm_regularizer`) that puts them in the ``max_norm``
collection and adds no loss term. Otherwise the reference code is the same, so both share
one body, :func:`train_max_norm`, and each recipe's module sets ``clipping`` in its ``book``
preset. The layers are built in :func:`tf1_recipes.compat.ref_variables` so that
``get_tensor_by_name("hidden1/kernel:0")`` is the kernel, as in TF1.
"""

from tf1_recipes.compat import ref_variables, tf, tf1

CLIPPING = ("manual", "regularizer")


def max_norm_regularizer(threshold, axes=1, name="max_norm", collection="max_norm"):
    """A kernel_regularizer that adds ``assign(W, clip_by_norm(W))`` to ``collection`` and no loss."""

    def max_norm(weights):
        clipped = tf.clip_by_norm(weights, clip_norm=threshold, axes=axes)
        clip_weights = tf1.assign(weights, clipped, name=name)
        tf1.add_to_collection(collection, clip_weights)
        return None  # there is no regularization loss term

    return max_norm


def max_norm_dnn(X, *, n_hidden1, n_hidden2, n_outputs, max_norm_reg):
    """The model: ``X`` [batch, n_inputs] float32 -> logits [batch, n_outputs], in the ``dnn`` scope.

    Two ReLU ``tf.layers.dense`` layers (``hidden1``, ``hidden2``) whose kernels get
    ``kernel_regularizer=max_norm_reg`` (:func:`max_norm_regularizer`'s function, or None for
    the manual variant), and the linear ``outputs``. The TF1 recipe calls it inside
    :func:`tf1_recipes.compat.ref_variables` (graph mode only: eagerly, TensorFlow refuses
    ``use_resource=False``); the shim port (:mod:`tf1_recipes.shim.families.max_norm`) calls it
    eagerly without.
    """
    with tf1.name_scope("dnn"):
        hidden1 = tf1.layers.dense(X, n_hidden1, activation=tf.nn.relu, kernel_regularizer=max_norm_reg, name="hidden1")
        hidden2 = tf1.layers.dense(
            hidden1, n_hidden2, activation=tf.nn.relu, kernel_regularizer=max_norm_reg, name="hidden2"
        )
        return tf1.layers.dense(hidden2, n_outputs, name="outputs")


def clip_max_norm(weights, threshold):
    """``assign(weights, clip_by_norm(weights, threshold, axes=1))``: each row of a ``[inputs, units]``
    kernel rescaled to L2 norm <= ``threshold`` (float); in a graph the assign op, eagerly the assignment done."""
    clipped_weights = tf.clip_by_norm(weights, clip_norm=threshold, axes=1)
    return tf1.assign(weights, clipped_weights)


def train_max_norm(
    run,
    *,
    n_inputs=28 * 28,
    n_hidden1=300,
    n_hidden2=50,
    n_outputs=10,
    learning_rate=0.01,
    momentum=0.9,
    threshold=1.0,
    n_epochs=20,
    batch_size=50,
    clipping="manual",
):
    """300/50 ReLU MLP, MomentumOptimizer; the hidden kernels max-norm clipped after every step."""
    if clipping not in CLIPPING:
        raise ValueError(f"unknown clipping {clipping!r}; choose one of {', '.join(CLIPPING)}")
    X = tf1.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    y = tf1.placeholder(tf.int64, shape=(None), name="y")

    max_norm_reg = max_norm_regularizer(threshold=threshold) if clipping == "regularizer" else None

    with ref_variables():
        logits = max_norm_dnn(X, n_hidden1=n_hidden1, n_hidden2=n_hidden2, n_outputs=n_outputs,
                              max_norm_reg=max_norm_reg)

    with tf1.name_scope("loss"):
        xentropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        loss = tf.reduce_mean(xentropy, name="loss")

    with tf1.name_scope("train"):
        optimizer = tf1.train.MomentumOptimizer(learning_rate, momentum)
        training_op = optimizer.minimize(loss)

    with tf1.name_scope("eval"):
        correct = tf1.nn.in_top_k(logits, y, 1)
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32), name="accuracy")

    if clipping == "manual":
        weights = tf1.get_default_graph().get_tensor_by_name("hidden1/kernel:0")
        clip_weights = clip_max_norm(weights, threshold)

        weights2 = tf1.get_default_graph().get_tensor_by_name("hidden2/kernel:0")
        clip_weights2 = clip_max_norm(weights2, threshold)
        clip_all_weights = [clip_weights, clip_weights2]
    else:
        clip_all_weights = tf1.get_collection("max_norm")

    init = tf1.global_variables_initializer()
    saver = tf1.train.Saver()

    X_valid, y_valid = run.eval_split()
    with tf1.Session() as sess:
        init.run()
        train_step = run.make_callable(sess, training_op, feed_list=[X, y])
        for epoch in range(n_epochs):
            for X_batch, y_batch in run.batches(batch_size):
                train_step(X_batch, y_batch)
                sess.run(clip_all_weights)
            accuracy_val = accuracy.eval(feed_dict={X: X_valid, y: y_valid})
            run.report(epoch, accuracy_val)
        saver.save(sess, run.checkpoint_path)
