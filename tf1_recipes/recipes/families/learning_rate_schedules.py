"""The fed learning-rate schedules' body: MomentumOptimizer(rate, momentum=0.9) on the 300/50 ReLU MLP.

``lr_inverse_time_decay`` and ``lr_step_decay`` compute a learning rate per epoch in Python
and feed it through a ``learning_rate`` placeholder (20 epochs each); they share
:func:`train_with_schedule`, and each recipe's module passes it its schedule. Every epoch's
learning rate is recorded with the metric (``result.extras["learning_rate"]``).
``lr_exponential_decay`` (the schedule in the graph) has its own body.
"""

from tf1_recipes.compat import tf, tf1
from tf1_recipes.recipes.families.relu_mlp import relu_mlp_classifier


def fed_rate_optimizer(learning_rate, momentum):
    """``MomentumOptimizer(learning_rate, momentum=momentum)``: ``learning_rate`` is the fed float32
    scalar placeholder in the graph, a float32 variable assigned each epoch in the shim port."""
    return tf1.train.MomentumOptimizer(learning_rate, momentum=momentum)


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
        optimizer = fed_rate_optimizer(learning_rate, momentum)
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
