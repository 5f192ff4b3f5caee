"""Dropout with ``tf.layers.dropout`` and a ``training`` placeholder (classic TF1 MNIST recipe).

Run it: ``python -m tf1_recipes.recipes.dropout [--epochs N] ...``
"""

from tf1_recipes.compat import tf, tf1
from tf1_recipes.registry import recipe


def dropout_mlp(X, training, n_hidden1, n_hidden2, n_outputs, dropout_rate):
    """The model: ``X`` [batch, n_inputs] float32 -> logits [batch, n_outputs].

    ``tf.layers.dropout`` (rate ``dropout_rate``, the fraction dropped) on the inputs, then
    in the ``dnn`` scope two ReLU ``tf.layers.dense`` layers (``hidden1``, ``hidden2``), each
    followed by a dropout, and the linear ``outputs``. ``training``: the bool ``training``
    placeholder, or a Python bool; the dropouts drop (and scale the rest by
    ``1 / (1 - dropout_rate)``) only when it is true. The TF1 recipe builds its graph with
    it, the shim port (:mod:`tf1_recipes.shim.dropout`) calls it eagerly.
    """
    X_drop = tf1.layers.dropout(X, dropout_rate, training=training)

    with tf1.name_scope("dnn"):
        hidden1 = tf1.layers.dense(X_drop, n_hidden1, activation=tf.nn.relu, name="hidden1")
        hidden1_drop = tf1.layers.dropout(hidden1, dropout_rate, training=training)
        hidden2 = tf1.layers.dense(hidden1_drop, n_hidden2, activation=tf.nn.relu, name="hidden2")
        hidden2_drop = tf1.layers.dropout(hidden2, dropout_rate, training=training)
        return tf1.layers.dense(hidden2_drop, n_outputs, name="outputs")


@recipe("dropout", presets={"book": {}})
def dropout(
    run,
    *,
    n_inputs=28 * 28,
    n_hidden1=300,
    n_hidden2=50,
    n_outputs=10,
    dropout_rate=0.5,
    learning_rate=0.01,
    momentum=0.9,
    n_epochs=20,
    batch_size=50,
):
    """Dropout (rate 0.5) on the inputs and after both ReLU layers, only when training is fed True."""
    X = tf1.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    y = tf1.placeholder(tf.int64, shape=(None), name="y")
    training = tf1.placeholder_with_default(False, shape=(), name="training")

    logits = dropout_mlp(X, training, n_hidden1, n_hidden2, n_outputs, dropout_rate)

    with tf1.name_scope("loss"):
        xentropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        loss = tf.reduce_mean(xentropy, name="loss")

    with tf1.name_scope("train"):
        optimizer = tf1.train.MomentumOptimizer(learning_rate, momentum=momentum)
        training_op = optimizer.minimize(loss)

    with tf1.name_scope("eval"):
        correct = tf1.nn.in_top_k(logits, y, 1)
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32), name="accuracy")

    init = tf1.global_variables_initializer()
    saver = tf1.train.Saver()

    X_valid, y_valid = run.eval_split()
    with tf1.Session() as sess:
        init.run()
        train_step = run.make_callable(sess, training_op, feed_list=[X, y, training])
        for epoch in range(n_epochs):
            for X_batch, y_batch in run.batches(batch_size):
                train_step(X_batch, y_batch, True)
            accuracy_val = accuracy.eval(feed_dict={X: X_valid, y: y_valid})
            run.report(epoch, accuracy_val)
        saver.save(sess, run.checkpoint_path)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("dropout")
