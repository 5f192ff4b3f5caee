"""Pitfall: two towers sharing one set of batch-norm statistics while fed different distributions.

Multi-tower TF1 code builds the model once per tower with ``reuse=True``. The dense
weights are meant to be shared; if the batch-norm layers are too, every tower's update
ops pull the same moving mean and variance towards its own batch statistics, and the
moving statistics end up a blend that fits no tower. Here tower A sees MNIST and tower B
the inverted images (``1 - X``): with shared batch norm (preset ``shared``) the moving
mean sits between the two towers' means; with per-tower batch norm (``separate``) each
tracks its own. The dense weights are shared in both.

Run it: ``python -m tf1_recipes.recipes.bn_shared_between_towers [--preset separate] ...``
"""

import numpy as np

from tf1_recipes import contrib
from tf1_recipes.compat import tf, tf1
from tf1_recipes.registry import recipe


def two_towers(X, training, n_hidden1, n_hidden2, n_outputs, batch_norm_momentum, share_batch_norm):
    """The recipe's model: tower A on ``X``, tower B on ``1 - X``, one set of dense layers; batch norm shared or per tower.

    TF1 code (``tf.compat.v1.layers``, variable scopes): the graph's ops, in its order; the
    shim port (:mod:`tf1_recipes.shim.bn_shared_between_towers`) calls it eagerly.

    Args:
        X: float32 ``[B, n_inputs]`` images in [0, 1].
        training: a bool (placeholder, tensor or Python bool): batch statistics and their
            moving-average updates (``UPDATE_OPS``) when True, the moving statistics when False.
        n_hidden1, n_hidden2, n_outputs: the dense layers' widths.
        batch_norm_momentum: the moving averages' decay.
        share_batch_norm: both towers reuse one batch-norm layer per depth (``dnn/bn1``,
            ``dnn/bn2``) when True; each tower has its own (``dnn/tower_a_bn1`` ...) when False.

    Returns:
        ``(hidden1_a, logits_a, hidden1_b, logits_b)``: each tower's first dense output
        ``[B, n_hidden1]`` and logits ``[B, n_outputs]`` (float32), built in the name scopes
        ``tower_a`` and ``tower_b``; the variables are ``dnn/...`` (He-initialised dense layers).
    """
    X_inverted = tf.subtract(1.0, X, name="X_inverted")  # tower B's input distribution

    he_init = contrib.variance_scaling_initializer()

    def tower(inputs, reuse, bn_prefix):
        with tf1.variable_scope("dnn", reuse=reuse):
            hidden1 = tf1.layers.dense(inputs, n_hidden1, kernel_initializer=he_init, name="hidden1")
            bn1 = tf1.layers.batch_normalization(
                hidden1, training=training, momentum=batch_norm_momentum, name=f"{bn_prefix}bn1"
            )
            hidden2 = tf1.layers.dense(tf.nn.elu(bn1), n_hidden2, kernel_initializer=he_init, name="hidden2")
            bn2 = tf1.layers.batch_normalization(
                hidden2, training=training, momentum=batch_norm_momentum, name=f"{bn_prefix}bn2"
            )
            logits = tf1.layers.dense(tf.nn.elu(bn2), n_outputs, kernel_initializer=he_init, name="outputs")
        return hidden1, logits

    with tf1.name_scope("tower_a"):
        hidden1_a, logits_a = tower(X, reuse=False, bn_prefix="" if share_batch_norm else "tower_a_")
    with tf1.name_scope("tower_b"):
        # reuse=True shares the dense layers, and the batch-norm layers when their names match.
        reuse = True if share_batch_norm else tf1.AUTO_REUSE
        hidden1_b, logits_b = tower(X_inverted, reuse=reuse, bn_prefix="" if share_batch_norm else "tower_b_")
    return hidden1_a, logits_a, hidden1_b, logits_b


@recipe(
    "bn_shared_between_towers",
    presets={
        # Both towers reuse one batch-norm layer per depth (the pitfall).
        "shared": dict(share_batch_norm=True),
        # Dense weights shared, each tower with its own batch-norm layers.
        "separate": dict(share_batch_norm=False),
    },
    metric="moving_mean_mismatch",
    metric_label="Moving-mean mismatch (std units)",
)
def bn_shared_between_towers(
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
    share_batch_norm=True,
):
    """Tower A on MNIST, tower B on inverted MNIST, dense weights shared; batch norm shared or per tower.

    Metric (per epoch): how far each tower's first moving mean is from the mean of that
    tower's batch-norm input over the validation split, in units of its standard
    deviation, averaged over units and both towers (0: the moving statistics are right).
    Extras: ``accuracy_a`` / ``accuracy_b`` (inference-mode validation accuracy of each
    tower on its own distribution), ``loss``.
    """
    X = tf1.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    y = tf1.placeholder(tf.int64, shape=(None), name="y")
    training = tf1.placeholder_with_default(False, shape=(), name="training")
    hidden1_a, logits_a, hidden1_b, logits_b = two_towers(
        X, training, n_hidden1, n_hidden2, n_outputs, batch_norm_momentum, share_batch_norm
    )

    with tf1.name_scope("loss"):
        xentropy_a = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits_a)
        xentropy_b = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits_b)
        loss = tf.reduce_mean(tf.concat([xentropy_a, xentropy_b], axis=0), name="loss")

    with tf1.name_scope("eval"):
        accuracy_a = tf.reduce_mean(tf.cast(tf1.nn.in_top_k(logits_a, y, 1), tf.float32), name="accuracy")
        accuracy_b = tf.reduce_mean(tf.cast(tf1.nn.in_top_k(logits_b, y, 1), tf.float32), name="accuracy_b")

    with tf1.name_scope("train"):
        optimizer = tf1.train.GradientDescentOptimizer(learning_rate)
        extra_update_ops = tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)
        training_op = optimizer.minimize(loss)

    variables = {v.op.name: v for v in tf1.global_variables()}
    moving_mean_a = variables["dnn/bn1/moving_mean" if share_batch_norm else "dnn/tower_a_bn1/moving_mean"]
    moving_mean_b = variables["dnn/bn1/moving_mean" if share_batch_norm else "dnn/tower_b_bn1/moving_mean"]

    init = tf1.global_variables_initializer()
    saver = tf1.train.Saver()

    X_eval, y_eval = run.eval_split()
    with tf1.Session() as sess:
        init.run()
        train_step = run.make_callable(sess, [training_op, extra_update_ops], feed_list=[X, y, training])
        for epoch in range(n_epochs):
            for X_batch, y_batch in run.batches(batch_size):
                train_step(X_batch, y_batch, True)
            eval_feed = {X: X_eval, y: y_eval}
            h_a, h_b, mean_a, mean_b = sess.run([hidden1_a, hidden1_b, moving_mean_a, moving_mean_b], eval_feed)
            mismatch = [np.mean(np.abs(m - h.mean(axis=0)) / (h.std(axis=0) + 1e-3)) for m, h in ((mean_a, h_a), (mean_b, h_b))]  # noqa: E501
            acc_a, acc_b, loss_val = sess.run([accuracy_a, accuracy_b, loss], eval_feed)
            run.report(epoch, float(np.mean(mismatch)), accuracy_a=acc_a, accuracy_b=acc_b, loss=loss_val)
        saver.save(sess, run.checkpoint_path)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("bn_shared_between_towers")
