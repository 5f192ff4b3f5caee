"""L1 regularisation written into the loss by hand, from the kernels fetched by name.

The reference code gets the kernels with ``get_tensor_by_name("hidden1/kernel:0")``, which in
TF1 is the kernel itself; the layers are built in :func:`tf1_recipes.compat.ref_variables` so
that this still holds (TF2's resource variables would give a handle there).

Run it: ``python -m tf1_recipes.recipes.l1_manual [--epochs N] ...``
"""

from tf1_recipes.compat import ref_variables, tf, tf1
from tf1_recipes.registry import recipe


def dnn(X, *, n_hidden1, n_outputs):
    """The model: ``X`` [batch, n_inputs] float32 -> logits [batch, n_outputs], in the ``dnn`` scope.

    One ReLU ``tf.layers.dense`` layer (``hidden1``) and the linear ``outputs``. The TF1
    recipe calls it inside :func:`tf1_recipes.compat.ref_variables` (graph mode only: eagerly,
    TensorFlow refuses ``use_resource=False``); the shim port (:mod:`tf1_recipes.shim.l1_manual`)
    calls it eagerly without.
    """
    with tf1.name_scope("dnn"):
        hidden1 = tf1.layers.dense(X, n_hidden1, activation=tf.nn.relu, name="hidden1")
        return tf1.layers.dense(hidden1, n_outputs, name="outputs")


def l1_loss(y, logits, W1, W2, scale):
    """The loss, in the ``loss`` scope: mean cross-entropy + ``scale * (sum|W1| + sum|W2|)``.

    Args:
        y: int64 classes [batch]; logits: float32 [batch, n_outputs].
        W1, W2: the kernels (float32 [n_inputs, n_hidden1], [n_hidden1, n_outputs]): in the
            graph the tensors ``get_tensor_by_name`` gives, in the shim port the variables.
        scale: the L1 factor (float).

    Returns:
        The float32 scalar ``loss/loss``.
    """
    with tf1.name_scope("loss"):
        xentropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        base_loss = tf.reduce_mean(xentropy, name="avg_xentropy")
        reg_losses = tf.reduce_sum(tf.abs(W1)) + tf.reduce_sum(tf.abs(W2))
        return tf.add(base_loss, scale * reg_losses, name="loss")


@recipe("l1_manual", presets={"book": {}})
def l1_manual(
    run,
    *,
    n_inputs=28 * 28,
    n_hidden1=300,
    n_outputs=10,
    scale=0.001,
    learning_rate=0.01,
    n_epochs=20,
    batch_size=200,
):
    """One 300-unit ReLU layer; loss = mean cross-entropy + scale * (sum|W1| + sum|W2|), GD."""
    X = tf1.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    y = tf1.placeholder(tf.int64, shape=(None), name="y")

    with ref_variables():
        logits = dnn(X, n_hidden1=n_hidden1, n_outputs=n_outputs)

    W1 = tf1.get_default_graph().get_tensor_by_name("hidden1/kernel:0")
    W2 = tf1.get_default_graph().get_tensor_by_name("outputs/kernel:0")
    loss = l1_loss(y, logits, W1, W2, scale)

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


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("l1_manual")
