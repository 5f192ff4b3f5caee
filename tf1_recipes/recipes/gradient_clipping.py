"""Gradient clipping through ``compute_gradients`` / ``apply_gradients`` (classic TF1 MNIST recipe).

Run it: ``python -m tf1_recipes.recipes.gradient_clipping [--preset book] [--epochs N] ...``
"""

from tf1_recipes.compat import tf, tf1
from tf1_recipes.registry import recipe


def dnn(X, *, n_hidden1, n_hidden2, n_hidden3, n_hidden4, n_hidden5, n_outputs):
    """The model: ``X`` [batch, n_inputs] float32 -> logits [batch, n_outputs], in the ``dnn`` scope.

    Five ReLU ``tf.layers.dense`` layers (``hidden1`` ... ``hidden5``) and the linear
    ``outputs``. The TF1 recipe (and ``pretrain_5layer``) builds its graph with it; the
    shim port of ``pretrain_5layer`` (:mod:`tf1_recipes.shim.pretrain_5layer`) calls it eagerly.
    """
    with tf1.name_scope("dnn"):
        hidden1 = tf1.layers.dense(X, n_hidden1, activation=tf.nn.relu, name="hidden1")
        hidden2 = tf1.layers.dense(hidden1, n_hidden2, activation=tf.nn.relu, name="hidden2")
        hidden3 = tf1.layers.dense(hidden2, n_hidden3, activation=tf.nn.relu, name="hidden3")
        hidden4 = tf1.layers.dense(hidden3, n_hidden4, activation=tf.nn.relu, name="hidden4")
        hidden5 = tf1.layers.dense(hidden4, n_hidden5, activation=tf.nn.relu, name="hidden5")
        logits = tf1.layers.dense(hidden5, n_outputs, name="outputs")
    return logits


def clip_gradients(grads_and_vars, threshold):
    """Each gradient of ``[(gradient, variable), ...]`` (``compute_gradients``' list) clipped to [-threshold, threshold].

    ``tf.clip_by_value`` element by element; the variables are passed through. Called between
    ``compute_gradients`` and ``apply_gradients`` by the TF1 recipe, on the tape's gradients by the shim.
    """
    return [(tf.clip_by_value(grad, -threshold, threshold), var) for grad, var in grads_and_vars]


@recipe(
    "gradient_clipping",
    presets={
        # The reference run: tutorial MNIST reader, batch 50, test accuracy per epoch.
        "reference": dict(reader="next_batch", eval_split="test"),
        # The book's later version: shuffle_batch, batch 200, validation accuracy.
        "book": dict(batch_size=200),
    },
    # Five ReLU layers under GD 0.01 sit on a plateau for their first few hundred steps, and
    # each seed leaves it at another time: 2 x 150 steps spread 10 seeds over 0.07 .. 0.97,
    # 2 x 600 steps over 0.88 .. 0.90.
    smoke=dict(train_size=600 * 50),
)
def gradient_clipping(
    run,
    *,
    n_inputs=28 * 28,
    n_hidden1=300,
    n_hidden2=50,
    n_hidden3=50,
    n_hidden4=50,
    n_hidden5=50,
    n_outputs=10,
    learning_rate=0.01,
    threshold=1.0,
    n_epochs=20,
    batch_size=50,
):
    """Five ReLU layers; every gradient clipped to [-threshold, threshold] before it is applied."""
    X = tf1.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    y = tf1.placeholder(tf.int64, shape=(None), name="y")

    logits = dnn(X, n_hidden1=n_hidden1, n_hidden2=n_hidden2, n_hidden3=n_hidden3, n_hidden4=n_hidden4,
                 n_hidden5=n_hidden5, n_outputs=n_outputs)

    with tf1.name_scope("loss"):
        xentropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        loss = tf.reduce_mean(xentropy, name="loss")

    with tf1.name_scope("train"):
        optimizer = tf1.train.GradientDescentOptimizer(learning_rate)
        grads_and_vars = optimizer.compute_gradients(loss)
        capped_gvs = clip_gradients(grads_and_vars, threshold)
        training_op = optimizer.apply_gradients(capped_gvs)

    with tf1.name_scope("eval"):
        correct = tf1.nn.in_top_k(logits, y, 1)
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32), name="accuracy")

    init = tf1.global_variables_initializer()
    saver = tf1.train.Saver()

    X_eval, y_eval = run.eval_split()
    with tf1.Session() as sess:
        init.run()
        train_step = run.make_callable(sess, training_op, feed_list=[X, y])
        for epoch in range(n_epochs):
            for X_batch, y_batch in run.batches(batch_size):
                train_step(X_batch, y_batch)
            accuracy_val = accuracy.eval(feed_dict={X: X_eval, y: y_eval})
            run.report(epoch, accuracy_val)
        saver.save(sess, run.checkpoint_path)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("gradient_clipping")
