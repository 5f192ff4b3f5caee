"""The batch-size gap: the same network trained with a small and a large batch for the same epochs.

With the number of epochs fixed, a large batch takes far fewer steps (55,000 / 2,048 = 26
per epoch against 1,718 at batch 32) at the same learning rate, and plain gradient
descent ends well short of the small-batch accuracy. Presets ``small_batch`` (32) and
``large_batch`` (2,048) pin both validation accuracies; their difference is the gap.

Run it: ``python -m tf1_recipes.recipes.batch_size_gap [--preset large_batch] ...``
"""

from tf1_recipes.compat import tf, tf1
from tf1_recipes.recipes.families.pitfalls import softmax_head
from tf1_recipes.recipes.families.relu_mlp import relu_mlp
from tf1_recipes.registry import recipe


@recipe(
    "batch_size_gap",
    presets={
        "small_batch": dict(batch_size=32),
        "large_batch": dict(batch_size=2048),
    },
)
def batch_size_gap(
    run,
    *,
    n_inputs=28 * 28,
    n_hidden1=300,
    n_hidden2=100,
    n_outputs=10,
    learning_rate=0.1,
    n_epochs=5,
    batch_size=32,
):
    """ReLU 300/100 MLP, GD 0.1, 5 epochs; only the batch size differs between presets.

    Metric: validation accuracy. Extras: ``steps`` (training steps so far), ``loss``.
    """
    X = tf1.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    y = tf1.placeholder(tf.int64, shape=(None), name="y")

    logits = relu_mlp(X, n_hidden1, n_hidden2, n_outputs)  # the 300/100 ReLU MLP, in the dnn scope

    loss, accuracy = softmax_head(logits, y)

    with tf1.name_scope("train"):
        global_step = tf.Variable(0, trainable=False, name="global_step")
        optimizer = tf1.train.GradientDescentOptimizer(learning_rate)
        training_op = optimizer.minimize(loss, global_step=global_step)

    init = tf1.global_variables_initializer()
    saver = tf1.train.Saver()

    X_eval, y_eval = run.eval_split()
    with tf1.Session() as sess:
        init.run()
        train_step = run.make_callable(sess, training_op, feed_list=[X, y])
        for epoch in range(n_epochs):
            for X_batch, y_batch in run.batches(batch_size):
                train_step(X_batch, y_batch)
            accuracy_val, loss_val, steps = sess.run([accuracy, loss, global_step], feed_dict={X: X_eval, y: y_eval})
            run.report(epoch, accuracy_val, steps=steps, loss=loss_val)
        saver.save(sess, run.checkpoint_path)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("batch_size_gap")
