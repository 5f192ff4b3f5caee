"""The ReLU MLPs: 300/50 (the faster-optimizer and learning-rate-schedule recipes), five layers (the gradient-clipping recipes)."""

from tf1_recipes.compat import tf, tf1


def relu_mlp(X, n_hidden1, n_hidden2, n_outputs):
    """The model: ``X`` [batch, n_inputs] float32 -> logits [batch, n_outputs], in the ``dnn`` scope.

    Two ReLU ``tf.layers.dense`` layers (``hidden1``, ``hidden2``) and the linear ``outputs``;
    the TF1 recipes build their graph with it, their shim ports call it eagerly.
    """
    with tf1.name_scope("dnn"):
        hidden1 = tf1.layers.dense(X, n_hidden1, activation=tf.nn.relu, name="hidden1")
        hidden2 = tf1.layers.dense(hidden1, n_hidden2, activation=tf.nn.relu, name="hidden2")
        return tf1.layers.dense(hidden2, n_outputs, name="outputs")


def five_relu_mlp(X, n_hidden1, n_hidden2, n_hidden3, n_hidden4, n_hidden5, n_outputs):
    """The model of ``gradient_clipping`` and ``clip_by_global_norm``: ``X`` [batch, n_inputs] float32
    -> logits [batch, n_outputs], in the ``dnn`` scope.

    Five ReLU ``tf.layers.dense`` layers (``hidden1`` .. ``hidden5``) and the linear ``outputs``;
    the TF1 recipes build their graph with it, their shim ports call it eagerly.
    """
    with tf1.name_scope("dnn"):
        hidden1 = tf1.layers.dense(X, n_hidden1, activation=tf.nn.relu, name="hidden1")
        hidden2 = tf1.layers.dense(hidden1, n_hidden2, activation=tf.nn.relu, name="hidden2")
        hidden3 = tf1.layers.dense(hidden2, n_hidden3, activation=tf.nn.relu, name="hidden3")
        hidden4 = tf1.layers.dense(hidden3, n_hidden4, activation=tf.nn.relu, name="hidden4")
        hidden5 = tf1.layers.dense(hidden4, n_hidden5, activation=tf.nn.relu, name="hidden5")
        return tf1.layers.dense(hidden5, n_outputs, name="outputs")


def relu_mlp_classifier(n_inputs, n_hidden1, n_hidden2, n_outputs):
    """Placeholders, the two ReLU layers, the loss and the accuracy, by the reference names.

    Returns ``(X, y, loss, accuracy)``; the ops sit in the ``dnn``, ``loss`` and ``eval``
    scopes as in the reference code (``X:0``, ``y:0``, ``loss/loss:0``, ``eval/accuracy:0``).
    """
    X = tf1.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    y = tf1.placeholder(tf.int64, shape=(None), name="y")

    logits = relu_mlp(X, n_hidden1, n_hidden2, n_outputs)

    with tf1.name_scope("loss"):
        xentropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        loss = tf.reduce_mean(xentropy, name="loss")

    with tf1.name_scope("eval"):
        correct = tf1.nn.in_top_k(logits, y, 1)
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32), name="accuracy")
    return X, y, loss, accuracy
