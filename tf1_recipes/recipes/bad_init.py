"""Pitfall: a deep sigmoid network with a badly scaled initialisation.

Weights drawn from N(0, 1) make every pre-activation of a 784-input layer large (its
standard deviation is the norm of the input, about 9 for an MNIST image): the sigmoids
saturate at 0 or 1, their derivative is nearly zero, gradients vanish on their way down
to the lower layers, and the output layer starts with logits of standard deviation near
7 instead of near 0, so the initial loss is far above ln(10). ``tf1-recipes doctor
bad_init`` FAILs its initial-loss check and reports the vanishing gradients.

(No well-initialised twin is pinned here: with Glorot initialisation the same five-layer
sigmoid network under plain gradient descent sits on the classic sigmoid plateau at
chance accuracy for the first epochs, Glorot & Bengio 2010, which would make a misleading
contrast; ``xavier_init`` and ``he_init`` show good initialisations.)

Run it: ``python -m tf1_recipes.recipes.bad_init [--epochs N] ...``
"""

import functools

from tf1_recipes.compat import tf, tf1
from tf1_recipes.recipes.families.pitfalls import softmax_head
from tf1_recipes.registry import recipe


def sigmoid_dnn(X, n_hidden, n_layers, n_outputs, init_stddev):
    """The model: ``n_layers`` sigmoid ``tf.layers.dense`` layers of ``n_hidden`` units, then linear logits.

    Every kernel (``hidden1`` .. ``hidden<n_layers>``, ``outputs``) drawn from
    N(0, ``init_stddev``) (``tf.random_normal_initializer``), biases zero; built in the
    ``dnn`` scope. ``X`` float32 ``[batch, n_inputs]`` -> logits ``[batch, n_outputs]``.
    The TF1 recipe builds its graph with it, the shim port calls it eagerly.
    """
    with tf1.name_scope("dnn"):
        initializer = tf1.random_normal_initializer(stddev=init_stddev)
        my_dense_layer = functools.partial(tf1.layers.dense, kernel_initializer=initializer)

        hidden = X
        for layer in range(1, n_layers + 1):
            hidden = my_dense_layer(hidden, n_hidden, activation=tf.nn.sigmoid, name=f"hidden{layer}")
        return my_dense_layer(hidden, n_outputs, name="outputs")


@recipe(
    "bad_init",
    presets={
        # Kernels from N(0, 1): the classic badly scaled initialisation.
        "bad": {},
    },
    # Saturated sigmoids learn slowly and unevenly: 2 x 150 steps spread 10 seeds over a band
    # 0.27 wide, 2 x 600 steps over one 0.10 wide.
    smoke=dict(train_size=600 * 50),
)
def bad_init(
    run,
    *,
    n_inputs=28 * 28,
    n_hidden=100,
    n_layers=5,
    n_outputs=10,
    learning_rate=0.1,
    init_stddev=1.0,
    n_epochs=3,
    batch_size=50,
):
    """Five sigmoid layers of 100 units, GD 0.1, kernels drawn from N(0, 1): saturated from the start.

    Metric: validation accuracy. Extra: ``loss`` (validation loss).
    """
    X = tf1.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    y = tf1.placeholder(tf.int64, shape=(None), name="y")

    logits = sigmoid_dnn(X, n_hidden, n_layers, n_outputs, init_stddev)

    loss, accuracy = softmax_head(logits, y)

    with tf1.name_scope("train"):
        optimizer = tf1.train.GradientDescentOptimizer(learning_rate)
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
            accuracy_val, loss_val = sess.run([accuracy, loss], feed_dict={X: X_eval, y: y_eval})
            run.report(epoch, accuracy_val, loss=loss_val)
        saver.save(sess, run.checkpoint_path)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("bad_init")
