"""Pitfall: evaluating a batch-normalised network with ``training=True``.

In training mode a batch-norm layer normalises with the statistics of the batch it is
given; at test time it must use the moving statistics (``training=False``). Evaluated
with ``training=True`` a prediction depends on whichever examples share its batch: served
in small batches the accuracy drops, and one example at a time every prediction is the
same class (a single example normalises to zero). The model here is trained correctly
(the update ops run); only the evaluation differs.

Run it: ``python -m tf1_recipes.recipes.bn_pitfall_training_flag [--epochs N] ...``
"""

from tf1_recipes.compat import tf, tf1
from tf1_recipes.recipes.families.pitfalls import accuracy_in_batches, batch_norm_dnn, softmax_head
from tf1_recipes.registry import recipe


@recipe(
    "bn_pitfall_training_flag",
    presets={
        # batch_norm's model trained correctly for 5 epochs; evaluated 10 images at a time.
        "pitfall": {},
    },
    metric="valid_accuracy_training_mode",
    metric_label="Validation accuracy with training=True",
)
def bn_pitfall_training_flag(
    run,
    *,
    n_inputs=28 * 28,
    n_hidden1=300,
    n_hidden2=100,
    n_outputs=10,
    learning_rate=0.01,
    batch_norm_momentum=0.9,
    n_epochs=5,
    batch_size=200,
    eval_batch_size=10,
):
    """Correctly trained batch_norm network evaluated in training mode, in batches of 10.

    Metric: validation accuracy with training=True (batch statistics of each 10-image
    batch). Extras: ``inference_accuracy`` (training=False, the moving statistics, the
    right way) and ``loss`` (inference-mode validation loss).
    """
    X = tf1.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    y = tf1.placeholder(tf.int64, shape=(None), name="y")
    training = tf1.placeholder_with_default(False, shape=(), name="training")

    # batch_norm's network: dense -> batch norm -> ELU (x2), dense -> batch norm.
    logits = batch_norm_dnn(X, training, n_hidden1, n_hidden2, n_outputs, batch_norm_momentum)

    loss, accuracy = softmax_head(logits, y)

    with tf1.name_scope("train"):
        optimizer = tf1.train.GradientDescentOptimizer(learning_rate)
        extra_update_ops = tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)
        training_op = optimizer.minimize(loss)

    init = tf1.global_variables_initializer()
    saver = tf1.train.Saver()

    X_eval, y_eval = run.eval_split()
    with tf1.Session() as sess:
        init.run()
        train_step = run.make_callable(sess, [training_op, extra_update_ops], feed_list=[X, y, training])
        for epoch in range(n_epochs):
            for X_batch, y_batch in run.batches(batch_size):
                train_step(X_batch, y_batch, True)
            # The pitfall: batch statistics at test time (the update ops are not fetched here).
            training_mode_val = accuracy_in_batches(
                accuracy, X, y, X_eval, y_eval, eval_batch_size, feed={training: True}
            )
            accuracy_val, loss_val = sess.run([accuracy, loss], feed_dict={X: X_eval, y: y_eval})
            run.report(epoch, training_mode_val, inference_accuracy=accuracy_val, loss=loss_val)
        saver.save(sess, run.checkpoint_path)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("bn_pitfall_training_flag")
