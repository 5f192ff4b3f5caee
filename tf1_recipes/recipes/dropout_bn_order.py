"""Pitfall: dropout before batch normalisation (the variance shift).

Dropout changes the variance of what passes through it between training (units dropped,
the rest scaled by 1/(1-rate)) and inference (nothing dropped). A batch-norm layer fed by
dropout learns its moving variance from the training-time variance and applies it to the
smaller inference-time variance: the "variance shift" (Li et al., 2019). Putting dropout
after the last batch-norm layer avoids it. Preset ``before_bn``: dropout on the first
hidden layer's output, feeding the second dense + batch-norm layer; ``after_bn``: the same
dropout after the second (last) batch-norm layer.

Run it: ``python -m tf1_recipes.recipes.dropout_bn_order [--preset after_bn] ...``
"""

import functools

import numpy as np

from tf1_recipes import contrib
from tf1_recipes.compat import tf, tf1
from tf1_recipes.recipes.families.pitfalls import mean_variance_ratio, softmax_head
from tf1_recipes.registry import recipe


#: Where the dropout layer goes.
POSITIONS = ("before_bn", "after_bn")


def dropout_bn_dnn(X, training, n_hidden1, n_hidden2, n_outputs, batch_norm_momentum, dropout_rate, dropout_position):
    """The model: dense -> batch norm -> ELU twice, then dense logits; one dropout before or after the second batch norm.

    Args:
        X: float32 ``[batch, n_inputs]`` inputs.
        training: the bool ``training`` placeholder, or a Python bool (batch statistics and
            dropout when true; moving statistics, no dropout when false).
        n_hidden1, n_hidden2, n_outputs: the layers' widths.
        batch_norm_momentum: the moving averages' decay.
        dropout_rate: the fraction dropped.
        dropout_position: ``"before_bn"`` (on the first hidden layer's output, feeding the
            second batch norm: the variance shift) or ``"after_bn"``.

    Returns:
        ``(hidden2, logits)``: the second dense layer's output ``[batch, n_hidden2]`` (the
        variance-shift extra reads it) and the logits ``[batch, n_outputs]``. Built in the
        ``dnn`` scope (hidden1, hidden2, outputs, batch_normalization[_1]). The TF1 recipe
        builds its graph with it, the shim port calls it eagerly.

    Raises:
        ValueError: an unknown ``dropout_position``.
    """
    if dropout_position not in POSITIONS:
        raise ValueError(f"dropout_position must be one of {', '.join(POSITIONS)}, got {dropout_position!r}")
    with tf1.name_scope("dnn"):
        he_init = contrib.variance_scaling_initializer()
        my_batch_norm_layer = functools.partial(
            tf1.layers.batch_normalization, training=training, momentum=batch_norm_momentum
        )
        my_dense_layer = functools.partial(tf1.layers.dense, kernel_initializer=he_init)
        my_dropout_layer = functools.partial(tf1.layers.dropout, rate=dropout_rate, training=training)

        hidden1 = my_dense_layer(X, n_hidden1, name="hidden1")
        bn1 = tf.nn.elu(my_batch_norm_layer(hidden1))
        if dropout_position == "before_bn":
            bn1 = my_dropout_layer(bn1)  # feeds hidden2's batch norm: the variance shift
        hidden2 = my_dense_layer(bn1, n_hidden2, name="hidden2")
        bn2 = tf.nn.elu(my_batch_norm_layer(hidden2))
        if dropout_position == "after_bn":
            bn2 = my_dropout_layer(bn2)  # after the last batch norm: no shift
        return hidden2, my_dense_layer(bn2, n_outputs, name="outputs")


@recipe(
    "dropout_bn_order",
    presets={
        "before_bn": dict(dropout_position="before_bn"),
        "after_bn": dict(dropout_position="after_bn"),
    },
)
def dropout_bn_order(
    run,
    *,
    n_inputs=28 * 28,
    n_hidden1=300,
    n_hidden2=100,
    n_outputs=10,
    learning_rate=0.01,
    batch_norm_momentum=0.9,
    dropout_rate=0.5,
    n_epochs=5,
    batch_size=200,
    dropout_position="before_bn",
):
    """Dense -> batch norm -> ELU twice, one dropout layer (rate 0.5) before or after the second batch norm.

    Metric: inference-mode validation accuracy. Extras: ``variance_shift`` (the second
    batch-norm layer's moving variance over the variance of its input at inference on
    the validation split, averaged over units: 1 without a shift) and ``loss``.
    """
    X = tf1.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    y = tf1.placeholder(tf.int64, shape=(None), name="y")
    training = tf1.placeholder_with_default(False, shape=(), name="training")

    hidden2, logits = dropout_bn_dnn(
        X, training, n_hidden1, n_hidden2, n_outputs, batch_norm_momentum, dropout_rate, dropout_position
    )

    loss, accuracy = softmax_head(logits, y)

    with tf1.name_scope("train"):
        optimizer = tf1.train.GradientDescentOptimizer(learning_rate)
        extra_update_ops = tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)
        training_op = optimizer.minimize(loss)

    (moving_variance,) = [v for v in tf1.global_variables() if v.op.name == "batch_normalization_1/moving_variance"]

    init = tf1.global_variables_initializer()
    saver = tf1.train.Saver()

    X_eval, y_eval = run.eval_split()
    with tf1.Session() as sess:
        init.run()
        train_step = run.make_callable(sess, [training_op, extra_update_ops], feed_list=[X, y, training])
        for epoch in range(n_epochs):
            for X_batch, y_batch in run.batches(batch_size):
                train_step(X_batch, y_batch, True)
            accuracy_val, loss_val, hidden2_val, moving_variance_val = sess.run(
                [accuracy, loss, hidden2, moving_variance], feed_dict={X: X_eval, y: y_eval}
            )
            shift = mean_variance_ratio(moving_variance_val, np.var(hidden2_val, axis=0))
            run.report(epoch, accuracy_val, variance_shift=shift, loss=loss_val)
        saver.save(sess, run.checkpoint_path)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("dropout_bn_order")
