"""The faster-optimizer recipes' body: one 300/50 ReLU MLP, the optimizer line changed.

``momentum``, ``nesterov``, ``adagrad``, ``rmsprop`` and ``adam`` are the reference code with
only the optimizer changed, so they share :func:`train_with_optimizer`; each recipe's module
(``tf1_recipes/recipes/adam.py``, ...) passes it the function that makes its optimizer.
``tests/unit/update_rules.py`` has the same five update rules written out in NumPy.
"""

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.families.relu_mlp import relu_mlp_classifier


def train_with_optimizer(
    run,
    make_optimizer,
    *,
    n_inputs=28 * 28,
    n_hidden1=300,
    n_hidden2=50,
    n_outputs=10,
    n_epochs=10,
    batch_size=50,
):
    """The reference training loop with ``optimizer = make_optimizer()`` in the train scope."""
    X, y, loss, accuracy = relu_mlp_classifier(n_inputs, n_hidden1, n_hidden2, n_outputs)

    with tf1.name_scope("train"):
        optimizer = make_optimizer()
        training_op = optimizer.minimize(loss)

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
