"""Exponential decay in the graph: ``tf.train.exponential_decay(0.1, global_step, 10000, 0.1)`` on a momentum MLP.

The reference code's in-graph schedule, with ``minimize(..., global_step=global_step)`` advancing
the step counter (5 epochs), MomentumOptimizer(learning_rate, momentum=0.9) on the 300/50 ReLU MLP.
Every epoch's learning rate is recorded with the metric (``result.extras["learning_rate"]``).
Run it: ``python -m tf1_recipes.recipes.lr_exponential_decay``.
"""

from tf1_recipes.compat import tf, tf1
from tf1_recipes.recipes.families.relu_mlp import relu_mlp_classifier
from tf1_recipes.registry import recipe


def decaying_optimizer(initial_learning_rate, decay_steps, decay_rate, momentum):
    """The step counter, the in-graph schedule and the optimizer that reads it (in the caller's name scope).

    Args:
        initial_learning_rate: the rate at step 0 (float).
        decay_steps: steps over which the rate is multiplied by ``decay_rate`` (int; not staircased).
        decay_rate: the factor per ``decay_steps`` (float).
        momentum: MomentumOptimizer's momentum (float).

    Returns:
        ``(global_step, learning_rate, optimizer)``: the int32 variable ``global_step`` that
        ``minimize``/``apply_gradients`` increments, ``tf.train.exponential_decay(...)`` (a float32
        tensor in a graph; eagerly, a callable returning it, as the shim port uses it) =
        ``initial_learning_rate * decay_rate ** (global_step / decay_steps)``, and the
        ``MomentumOptimizer`` reading that rate at every step.
    """
    global_step = tf.Variable(0, trainable=False, name="global_step")
    learning_rate = tf1.train.exponential_decay(initial_learning_rate, global_step, decay_steps, decay_rate)
    optimizer = tf1.train.MomentumOptimizer(learning_rate, momentum=momentum)
    return global_step, learning_rate, optimizer


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
        global_step, learning_rate, optimizer = decaying_optimizer(initial_learning_rate, decay_steps, decay_rate, momentum)
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


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("lr_exponential_decay")
