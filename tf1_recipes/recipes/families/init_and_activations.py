"""The initialisation and activation recipes' body: the reference 300/100 MLP, plain GD (0.01).

``he_init`` and ``xavier_init`` (ReLU, 20 epochs) are the reference network with its hidden
layers' kernel initializer changed; ``leaky_relu``, ``elu`` and ``selu`` (40 epochs) with their
activation changed, and ``selu`` also feeds inputs standardised with the training set's
per-pixel mean and standard deviation, as its reference code does. They share one body,
:func:`train_300_100`; each recipe's module gives it a ``book`` preset that sets
``activation``, ``initializer`` and ``scale_inputs``.
"""

from tf1_recipes.compat import tf, tf1


def leaky_relu(z, name=None):
    """The reference's leaky ReLU: slope 0.01 for negative inputs."""
    return tf.maximum(0.01 * z, z, name=name)


ACTIVATIONS = {"relu": tf.nn.relu, "leaky_relu": leaky_relu, "elu": tf.nn.elu, "selu": tf.nn.selu}
INITIALIZERS = ("xavier", "he")


def dnn(X, *, n_hidden1, n_hidden2, n_outputs, activation, initializer):
    """The model: ``X`` [batch, n_inputs] float32 -> logits [batch, n_outputs], in the ``dnn`` scope.

    Two hidden ``tf.layers.dense`` layers (``hidden1``, ``hidden2``) with ``activation``
    (a key of :data:`ACTIVATIONS`) and ``initializer`` kernels ("he": variance scaling,
    fan-in, scale 2, truncated normal; "xavier": ``tf.layers.dense``'s own default, Glorot
    uniform), then the linear ``outputs`` layer. The TF1 recipe builds its graph with it,
    the shim port (:mod:`tf1_recipes.shim.families.init_and_activations`) calls it eagerly.

    Raises:
        ValueError: an unknown activation or initializer.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    if initializer not in INITIALIZERS:
        raise ValueError(f"unknown initializer {initializer!r}; choose one of {', '.join(INITIALIZERS)}")
    # He init: variance scaling, fan-in, scale 2 (truncated normal). None is tf.layers.dense's
    # own default, Glorot (Xavier) uniform.
    he_init = tf1.variance_scaling_initializer(scale=2.0)
    kernel_initializer = he_init if initializer == "he" else None
    act = ACTIVATIONS[activation]

    with tf1.name_scope("dnn"):
        hidden1 = tf1.layers.dense(X, n_hidden1, activation=act, kernel_initializer=kernel_initializer, name="hidden1")
        hidden2 = tf1.layers.dense(
            hidden1, n_hidden2, activation=act, kernel_initializer=kernel_initializer, name="hidden2"
        )
        return tf1.layers.dense(hidden2, n_outputs, name="outputs")


def train_300_100(
    run,
    *,
    n_inputs=28 * 28,
    n_hidden1=300,
    n_hidden2=100,
    n_outputs=10,
    learning_rate=0.01,
    n_epochs=40,
    batch_size=50,
    activation="leaky_relu",
    initializer="xavier",
    scale_inputs=False,
):
    """Two hidden layers with ``activation`` and ``initializer`` kernels; GD; validation accuracy per epoch."""
    X = tf1.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    y = tf1.placeholder(tf.int64, shape=(None), name="y")
    logits = dnn(X, n_hidden1=n_hidden1, n_hidden2=n_hidden2, n_outputs=n_outputs, activation=activation,
                 initializer=initializer)

    with tf1.name_scope("loss"):
        xentropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        loss = tf.reduce_mean(xentropy, name="loss")

    with tf1.name_scope("train"):
        optimizer = tf1.train.GradientDescentOptimizer(learning_rate)
        training_op = optimizer.minimize(loss)

    with tf1.name_scope("eval"):
        correct = tf1.nn.in_top_k(logits, y, 1)
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32), name="accuracy")

    init = tf1.global_variables_initializer()
    saver = tf1.train.Saver()

    X_train, y_train = run.train_split()
    X_valid, y_valid = run.eval_split()
    if scale_inputs:
        means = X_train.mean(axis=0, keepdims=True)
        stds = X_train.std(axis=0, keepdims=True) + 1e-10
        X_valid = (X_valid - means) / stds

    with tf1.Session() as sess:
        init.run()
        train_step = run.make_callable(sess, training_op, feed_list=[X, y])
        for epoch in range(n_epochs):
            for X_batch, y_batch in run.batches(batch_size):
                if scale_inputs:
                    X_batch = (X_batch - means) / stds
                train_step(X_batch, y_batch)
            accuracy_val = accuracy.eval(feed_dict={X: X_valid, y: y_valid})
            run.report(epoch, accuracy_val)
        saver.save(sess, run.checkpoint_path)
