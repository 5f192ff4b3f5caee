"""Pitfall: batch normalisation trained without running ``UPDATE_OPS``.

``tf.layers.batch_normalization`` puts the assignments that update its moving mean and
variance in ``tf.GraphKeys.UPDATE_OPS``; ``optimizer.minimize(loss)`` does not run them.
Trained like this, the moving statistics stay at their initial values (mean 0, variance
1): the training accuracy (training mode, batch statistics) is fine while the inference
accuracy (moving statistics) falls far below it. Compare ``batch_norm``, which fetches
the update ops.

Run it: ``python -m tf1_recipes.recipes.bn_pitfall_no_update_ops [--epochs N] ...``
"""

import numpy as np

from tf1_recipes.compat import tf, tf1
from tf1_recipes.pitfalls import batch_norm_dnn, softmax_head
from tf1_recipes.registry import recipe


@recipe(
    "bn_pitfall_no_update_ops",
    presets={
        # batch_norm's model and training, 5 epochs, the update ops never run.
        "pitfall": {},
    },
)
def bn_pitfall_no_update_ops(
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
):
    """batch_norm's network trained with minimize() alone: moving statistics never updated.

    Metric: validation accuracy in inference mode (training=False, moving statistics).
    Extras: ``train_accuracy`` (the epoch's training batches, each scored in training
    mode as it is trained on, batch statistics) and ``loss`` (inference-mode validation loss).
    """
    X = tf1.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    y = tf1.placeholder(tf.int64, shape=(None), name="y")
    training = tf1.placeholder_with_default(False, shape=(), name="training")

    # batch_norm's network: dense -> batch norm -> ELU (x2), dense -> batch norm.
    logits = batch_norm_dnn(X, training, n_hidden1, n_hidden2, n_outputs, batch_norm_momentum)

    loss, accuracy = softmax_head(logits, y)

    with tf1.name_scope("train"):
        optimizer = tf1.train.GradientDescentOptimizer(learning_rate)
        # The pitfall: tf.GraphKeys.UPDATE_OPS is neither fetched nor a control dependency.
        training_op = optimizer.minimize(loss)

    init = tf1.global_variables_initializer()
    saver = tf1.train.Saver()

    X_eval, y_eval = run.eval_split()
    with tf1.Session() as sess:
        init.run()
        train_step = run.make_callable(sess, [training_op, accuracy], feed_list=[X, y, training])
        for epoch in range(n_epochs):
            train_accuracies = []
            for X_batch, y_batch in run.batches(batch_size):
                _, acc_train = train_step(X_batch, y_batch, True)
                train_accuracies.append(acc_train)
            accuracy_val, loss_val = sess.run([accuracy, loss], feed_dict={X: X_eval, y: y_eval})
            run.report(epoch, accuracy_val, train_accuracy=np.mean(train_accuracies), loss=loss_val)
        saver.save(sess, run.checkpoint_path)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("bn_pitfall_no_update_ops")
