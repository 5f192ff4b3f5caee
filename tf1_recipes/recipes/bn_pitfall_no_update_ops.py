"""Pitfall: batch normalisation trained without running ``UPDATE_OPS``.

``tf.layers.batch_normalization`` puts the assignments that update its moving mean and
variance in ``tf.GraphKeys.UPDATE_OPS``; ``optimizer.minimize(loss)`` does not run them.
Trained like this, the moving statistics stay at their initial values (mean 0, variance
1): the training accuracy (training mode, batch statistics) is fine while the inference
accuracy (moving statistics) falls far below it. Compare ``batch_norm``, which fetches
the update ops.

What the golden pins is the pitfall itself, the moving statistics: ``moving_variance_ratio``,
the mean over hidden1's 300 units of the first batch-norm layer's moving variance divided
by hidden1's actual variance on the evaluation split. Right moving statistics give about 1
(the ``fixed`` preset, which runs the update ops, lands there); never updated, the moving
variance stays 1 while hidden1's variance is far below it, so the ratio is several times 1.
The inference accuracy is recorded too, but it cannot tell the pitfall from the fix: how
far it falls depends so much on the seed that its band over seeds holds the fixed
recipe's accuracy.

Run it: ``python -m tf1_recipes.recipes.bn_pitfall_no_update_ops [--epochs N] ...``
"""

import numpy as np

from tf1_recipes.compat import tf, tf1
from tf1_recipes.recipes.families.pitfalls import batch_norm_dnn, mean_variance_ratio, softmax_head
from tf1_recipes.registry import recipe


@recipe(
    "bn_pitfall_no_update_ops",
    presets={
        # batch_norm's model and training, 5 epochs, the update ops never run.
        "pitfall": {},
        # The fix: the same training with UPDATE_OPS as control dependencies of the training op.
        "fixed": dict(run_update_ops=True),
    },
    metric="moving_variance_ratio",
    metric_label="Moving / actual variance of hidden1",
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
    run_update_ops=False,
):
    """batch_norm's network trained with minimize() alone: moving statistics never updated.

    Metric: ``moving_variance_ratio`` (see the module docstring). Extras: ``valid_accuracy``
    (inference mode, training=False, moving statistics), ``train_accuracy`` (the epoch's
    training batches, each scored in training mode as it is trained on, batch statistics) and
    ``loss`` (inference-mode validation loss). ``run_update_ops`` (preset ``fixed``) is the fix.
    """
    X = tf1.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    y = tf1.placeholder(tf.int64, shape=(None), name="y")
    training = tf1.placeholder_with_default(False, shape=(), name="training")

    # batch_norm's network: dense -> batch norm -> ELU (x2), dense -> batch norm.
    logits = batch_norm_dnn(X, training, n_hidden1, n_hidden2, n_outputs, batch_norm_momentum)

    loss, accuracy = softmax_head(logits, y)

    with tf1.name_scope("train"):
        optimizer = tf1.train.GradientDescentOptimizer(learning_rate)
        if run_update_ops:  # the fix, as batch_norm's control_deps preset does it
            with tf1.control_dependencies(tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)):
                training_op = optimizer.minimize(loss)
        else:
            # The pitfall: tf.GraphKeys.UPDATE_OPS is neither fetched nor a control dependency.
            training_op = optimizer.minimize(loss)

    hidden1 = tf1.get_default_graph().get_tensor_by_name("dnn/hidden1/BiasAdd:0")
    (moving_variance,) = [v for v in tf1.global_variables() if v.op.name == "batch_normalization/moving_variance"]

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
            accuracy_val, loss_val, hidden1_val, moving_variance_val = sess.run(
                [accuracy, loss, hidden1, moving_variance], feed_dict={X: X_eval, y: y_eval}
            )
            ratio = mean_variance_ratio(moving_variance_val, np.var(hidden1_val, axis=0))
            run.report(
                epoch, ratio, valid_accuracy=accuracy_val, train_accuracy=np.mean(train_accuracies), loss=loss_val
            )
        saver.save(sess, run.checkpoint_path)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("bn_pitfall_no_update_ops")
