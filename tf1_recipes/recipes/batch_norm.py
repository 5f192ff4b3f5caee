"""Batch normalisation with ``UPDATE_OPS`` (the classic TF1 MNIST recipe).

Run it: ``python -m tf1_recipes.recipes.batch_norm [--preset book] [--epochs N] ...``
"""

from tf1_recipes.compat import tf, tf1
from tf1_recipes.recipes.families.pitfalls import batch_norm_dnn
from tf1_recipes.registry import recipe


@recipe(
    "batch_norm",
    presets={
        # The reference run: tutorial MNIST reader, test accuracy per epoch.
        "reference": dict(reader="next_batch", eval_split="test"),
        # Same model, the update ops wired in with control_dependencies instead of fetched.
        "control_deps": dict(reader="next_batch", eval_split="test", update_ops="control_dependencies"),
        # The book's later version: shuffle_batch, validation accuracy, tf.variance_scaling_initializer().
        "book": dict(initializer="variance_scaling"),
    },
)
def batch_norm(
    run,
    *,
    n_inputs=28 * 28,
    n_hidden1=300,
    n_hidden2=100,
    n_outputs=10,
    learning_rate=0.01,
    batch_norm_momentum=0.9,
    n_epochs=20,
    batch_size=200,
    initializer="contrib",
    update_ops="fetch",
):
    """Batch norm after every dense layer (ELU, He init); UPDATE_OPS run with each training step."""
    X = tf1.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    y = tf1.placeholder(tf.int64, shape=(None), name="y")
    training = tf1.placeholder_with_default(False, shape=(), name="training")

    # The model (Dense -> batch norm -> ELU twice, Dense -> batch norm), shared with the
    # batch-norm pitfalls and the shim port.
    logits = batch_norm_dnn(X, training, n_hidden1, n_hidden2, n_outputs, batch_norm_momentum, initializer)

    with tf1.name_scope("loss"):
        xentropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        loss = tf.reduce_mean(xentropy, name="loss")

    with tf1.name_scope("train"):
        optimizer = tf1.train.GradientDescentOptimizer(learning_rate)
        extra_update_ops = tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)
        if update_ops == "control_dependencies":
            with tf.control_dependencies(extra_update_ops):
                training_op = optimizer.minimize(loss)
            train_fetches = training_op
        else:
            training_op = optimizer.minimize(loss)
            train_fetches = [training_op, extra_update_ops]

    with tf1.name_scope("eval"):
        correct = tf1.nn.in_top_k(logits, y, 1)
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32), name="accuracy")

    init = tf1.global_variables_initializer()
    saver = tf1.train.Saver()

    X_eval, y_eval = run.eval_split()
    with tf1.Session() as sess:
        init.run()
        train_step = run.make_callable(sess, train_fetches, feed_list=[X, y, training])
        for epoch in range(n_epochs):
            for X_batch, y_batch in run.batches(batch_size):
                train_step(X_batch, y_batch, True)
            accuracy_val = accuracy.eval(feed_dict={X: X_eval, y: y_eval})
            run.report(epoch, accuracy_val)
        saver.save(sess, run.checkpoint_path)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("batch_norm")
