"""Learning-rate schedules for MomentumOptimizer(learning_rate, momentum=0.9) on the 300/50 ReLU MLP.

* ``lr_exponential_decay``: the reference code's in-graph schedule,
  ``tf.train.exponential_decay(0.1, global_step, 10000, 0.1)``, with ``minimize(...,
  global_step=global_step)`` advancing the step counter (5 epochs).
* ``lr_inverse_time_decay`` and ``lr_step_decay``: schedules computed per epoch in Python
  and fed through a ``learning_rate`` placeholder (20 epochs each). They share one body,
  :func:`train_with_schedule`; each recipe is its schedule function below.

Every epoch's learning rate is recorded with the metric (``result.extras["learning_rate"]``).
Run one: ``python -m tf1_recipes.recipes.lr_step_decay`` (likewise the other two).
"""

import math

from tf1_recipes.compat import tf, tf1
from tf1_recipes.registry import recipe
from tf1_recipes.relu_mlp import relu_mlp_classifier, variant_recipe


@recipe("lr_exponential_decay", presets={"book": {}})
def lr_exponential_decay(
    run,
    *,
    n_inputs=28 * 28,
    n_hidden1=300,
    n_hidden2=50,
    n_outputs=10,
    initial_learning_rate=0.1,
    decay_steps=10000,
    decay_rate=1 / 10,
    momentum=0.9,
    n_epochs=5,
    batch_size=50,
):
    """Exponential decay in the graph: lr = 0.1 * 0.1 ** (global_step / 10000), momentum 0.9."""
    X, y, loss, accuracy = relu_mlp_classifier(n_inputs, n_hidden1, n_hidden2, n_outputs)

    with tf1.name_scope("train"):
        global_step = tf.Variable(0, trainable=False, name="global_step")
        learning_rate = tf1.train.exponential_decay(initial_learning_rate, global_step, decay_steps, decay_rate)
        optimizer = tf1.train.MomentumOptimizer(learning_rate, momentum=momentum)
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
            accuracy_val = accuracy.eval(feed_dict={X: X_eval, y: y_eval})
            # The rate the next step will use, and the step count it is computed from.
            step_val, learning_rate_val = sess.run([global_step, learning_rate])
            run.report(epoch, accuracy_val, global_step=step_val, learning_rate=learning_rate_val)
        saver.save(sess, run.checkpoint_path)


def train_with_schedule(
    run,
    learning_rate_at,
    *,
    n_inputs=28 * 28,
    n_hidden1=300,
    n_hidden2=50,
    n_outputs=10,
    momentum=0.9,
    n_epochs=20,
    batch_size=50,
):
    """Momentum training with the learning rate fed each epoch: ``learning_rate_at(epoch)``."""
    X, y, loss, accuracy = relu_mlp_classifier(n_inputs, n_hidden1, n_hidden2, n_outputs)

    with tf1.name_scope("train"):
        learning_rate = tf1.placeholder(tf.float32, shape=(), name="learning_rate")
        optimizer = tf1.train.MomentumOptimizer(learning_rate, momentum=momentum)
        training_op = optimizer.minimize(loss)

    init = tf1.global_variables_initializer()
    saver = tf1.train.Saver()

    X_eval, y_eval = run.eval_split()
    with tf1.Session() as sess:
        init.run()
        train_step = run.make_callable(sess, training_op, feed_list=[X, y, learning_rate])
        for epoch in range(n_epochs):
            lr = learning_rate_at(epoch)
            for X_batch, y_batch in run.batches(batch_size):
                train_step(X_batch, y_batch, lr)
            accuracy_val = accuracy.eval(feed_dict={X: X_eval, y: y_eval})
            run.report(epoch, accuracy_val, learning_rate=lr)
        saver.save(sess, run.checkpoint_path)


@variant_recipe(train_with_schedule)
def lr_inverse_time_decay(epoch, *, initial_learning_rate=0.1, decay=0.1):
    """Inverse-time decay fed per epoch: lr = 0.1 / (1 + 0.1 * epoch), momentum 0.9.

    The issue leaves lr0 and the decay open. lr0 = 0.1 starts where the other two schedules
    start; decay = 0.1 per epoch halves the rate after 10 epochs (0.05 at epoch 10, like
    the step schedule's first drop) and ends at 0.1 / 2.9 = 0.0345 at epoch 19.
    """
    return initial_learning_rate / (1 + decay * epoch)


@variant_recipe(train_with_schedule)
def lr_step_decay(epoch, *, initial_learning_rate=0.1, drop=0.5, epochs_drop=10):
    """Step decay fed per epoch: lr = 0.1 * 0.5 ** floor((1 + epoch) / 10), momentum 0.9."""
    return initial_learning_rate * drop ** math.floor((1 + epoch) / epochs_drop)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("lr_exponential_decay")
