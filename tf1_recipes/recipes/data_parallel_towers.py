"""Data-parallel towers: the batch split across devices, one set of shared weights, averaged gradients.

TF1 code that outgrew one GPU looks alike everywhere (the CIFAR-10 multi-GPU tutorial,
``tf_cnn_benchmarks``): each device ("tower") builds the model under ``tf.device`` on its
slice of the batch, the variables shared through ``variable_scope(reuse=...)``; each tower's
``compute_gradients``; ``average_gradients`` over the towers; one ``apply_gradients``. Here
the towers are logical CPU devices (``/cpu:0`` .. ``/cpu:N-1``,
:data:`tf1_recipes.compat.DEFAULT_CPU_DEVICES`), so it runs on any machine.

The model is ``batch_norm``'s (Dense → batch norm → ELU, twice, Dense → batch norm logits;
contrib He init, plain GD) and batch norm is where towers differ from one device:

* ``batch_norm_statistics="tower0"`` (the classic): every tower normalises with the moments
  of its own slice (``batch_size / n_towers`` rows), and the shared moving statistics are
  updated from tower 0's ``UPDATE_OPS`` alone (``get_collection(UPDATE_OPS, "tower_0")``):
  both differ from one device on the whole batch;
* ``batch_norm_statistics="sync"``: synchronised statistics, as TF1 code did them across
  GPUs (tensorpack's ``BatchNorm(sync_statistics=...)``: every tower's sum and sum of squares
  all-reduced, variance ``E[x²] - E[x]²``): each batch-norm layer needs every tower's inputs
  before any tower normalises, so the graph is built layer by layer across the towers. With
  synchronised statistics and averaged gradients the towers compute what one device does on
  the whole batch (``tests/unit/test_data_parallel_towers.py`` checks it against
  ``n_towers=1`` to a stated tolerance).

Every tower's ``UPDATE_OPS`` on the shared moving statistics (instead of tower 0's) would add
the towers' updates up, and in an order nothing in the graph fixes (the
``bn_shared_between_towers`` pitfall): not offered.

Run it: ``python -m tf1_recipes.recipes.data_parallel_towers [--preset 4towers] ...``
"""

import contextlib

from tf1_recipes import contrib
from tf1_recipes.compat import require_cpu_devices, tf, tf1
from tf1_recipes.registry import recipe

STATISTICS = ("tower0", "sync")
BATCH_NORM_EPSILON = 1e-3  # tf.layers.batch_normalization's default


def tower_sizes(rows, n_towers):
    """The rows of each tower's slice of a batch of ``rows`` (an int32 tensor): ``[rows // n + (i < rows % n)]``.

    Training batches split evenly (the recipe checks ``batch_size % n_towers == 0``); the
    evaluation split may not, and then the first towers get one row more.
    """
    base, extra = rows // n_towers, rows % n_towers
    return tf.stack([base + tf.cast(i < extra, tf.int32) for i in range(n_towers)])


def average_gradients(tower_grads):
    """The mean over towers of each variable's gradient: the CIFAR-10 multi-GPU tutorial's function.

    Args:
        tower_grads: one list of (gradient, variable) pairs per tower, as ``compute_gradients``
            returns them, the variables in the same order in every list.

    Returns:
        [(mean gradient, variable)]: ``reduce_mean`` over a new leading tower axis (float32).
    """
    average_grads = []
    for grad_and_vars in zip(*tower_grads):
        grads = [tf.expand_dims(g, 0) for g, _ in grad_and_vars]
        grad = tf.reduce_mean(tf.concat(grads, 0), 0)
        average_grads.append((grad, grad_and_vars[0][1]))
    return average_grads


def synchronized_batch_norm(inputs, training, momentum, towers, name):
    """Batch norm whose batch moments are every tower's: ``tf.layers.batch_normalization``'s variables, shared statistics.

    Args:
        inputs: one float32 ``(rows_i, units)`` tensor per tower.
        training: the bool placeholder: the batch moments (and the moving-statistics update)
            when True, the moving statistics when False.
        momentum: the moving averages' decay (0.9 here).
        towers: ``towers(i)``, the context of tower ``i`` (device, name and variable scope).
        name: the layer's name; its variables are ``<scope>/<name>/{gamma,beta,moving_mean,moving_variance}``.

    Returns:
        One normalised tensor per tower. The all-reduce is ``add_n`` of the towers' sums,
        sums of squares and row counts on tower 0's device; mean ``= sum / count``, variance
        ``= max(sum_sq / count - mean², 0)`` (Keras' ``BatchNormalization(synchronized=True)``
        formula). Tower 0's scope holds the one update of each moving statistic
        (``m -= (m - batch) * (1 - momentum)``, in ``UPDATE_OPS``).
    """
    units = int(inputs[0].shape[-1])
    local = []
    for i, x in enumerate(inputs):
        with towers(i), tf1.variable_scope(name):
            if i == 0:
                gamma = tf1.get_variable("gamma", [units], initializer=tf1.ones_initializer())
                beta = tf1.get_variable("beta", [units], initializer=tf1.zeros_initializer())
                moving_mean = tf1.get_variable("moving_mean", [units], initializer=tf1.zeros_initializer(), trainable=False)
                moving_variance = tf1.get_variable(
                    "moving_variance", [units], initializer=tf1.ones_initializer(), trainable=False
                )
            count = tf.cast(tf.shape(x)[0], tf.float32)
            local.append((tf.reduce_sum(x, 0), tf.reduce_sum(tf.square(x), 0), count))
    with towers(0), tf1.name_scope(f"{name}_all_reduce"):
        total, total_sq, rows = (tf.add_n(list(parts)) for parts in zip(*local))
        batch_mean = tf.math.divide_no_nan(total, rows)
        batch_variance = tf.maximum(tf.math.divide_no_nan(total_sq, rows) - tf.square(batch_mean), 0.0)
        mean, variance = tf.cond(
            training, lambda: (batch_mean, batch_variance), lambda: (moving_mean.read_value(), moving_variance.read_value())
        )

        def update(variable, value):
            return tf.cond(
                training,
                lambda: variable.assign_sub((variable - value) * (1.0 - momentum)),
                lambda: variable.read_value(),
            )

        tf1.add_to_collection(tf1.GraphKeys.UPDATE_OPS, update(moving_mean, batch_mean))
        tf1.add_to_collection(tf1.GraphKeys.UPDATE_OPS, update(moving_variance, batch_variance))
    outputs = []
    for i, x in enumerate(inputs):
        with towers(i), tf1.name_scope(name):
            outputs.append(tf.nn.batch_normalization(x, mean, variance, beta, gamma, BATCH_NORM_EPSILON))
    return outputs


def split_batch(n_towers, *batch):
    """Each tower's slice of the batch: ``tf.split`` of every tensor by :func:`tower_sizes`, in the name scope ``split``.

    Args:
        n_towers: the towers.
        *batch: tensors with the same rows ``B`` (the images, float32 ``[B, n_inputs]``; the
            labels, int64 ``[B]``).

    Returns:
        One list of ``n_towers`` slices per tensor of ``batch``, tower ``i``'s rows after
        those of towers ``0 .. i-1``.
    """
    with tf1.name_scope("split"):
        sizes = tower_sizes(tf.shape(batch[0])[0], n_towers)
        return tuple(tf.split(tensor, sizes, num=n_towers) for tensor in batch)


def make_towers(devices):
    """``towers(i)``: the context of tower ``i``: its device, its name scope ``tower_<i>/dnn``, the shared variables.

    Args:
        devices: one device name per tower (``/cpu:0`` ...).

    Returns:
        A context-manager function: inside ``towers(i)`` ops go on ``devices[i]`` in the name
        scope ``tower_<i>/dnn``, and variables are ``dnn/...``, created by tower 0 and reused
        (``variable_scope(reuse=True)``) by the others.
    """
    with tf1.variable_scope("dnn") as dnn_scope:
        pass

    @contextlib.contextmanager
    def towers(i):
        """Tower ``i``: its device, its name scope, the shared variables (created by tower 0, reused by the others)."""
        with tf.device(devices[i]), tf1.name_scope(f"tower_{i}/"):
            with tf1.variable_scope(dnn_scope, reuse=i > 0, auxiliary_name_scope=False), tf1.name_scope("dnn"):
                yield

    return towers


def towers_model(X_towers, training, towers, n_hidden1, n_hidden2, n_outputs, batch_norm_momentum, batch_norm_statistics):
    """batch_norm's MLP on every tower, built layer by layer across the towers: the recipe's TF1 model code.

    Each tower's ops in its context (:func:`make_towers`: ``tf.device(devices[i])``, the name
    scope ``tower_<i>/dnn``); the variables (``dnn/hidden1/kernel``, ``dnn/bn1/moving_mean`` ...)
    created by tower 0 and reused by the others (``variable_scope(reuse=i > 0)``). The shim
    port (:mod:`tf1_recipes.shim.data_parallel_towers`) calls it eagerly.

    Args:
        X_towers: one float32 ``[rows_i, n_inputs]`` slice per tower (:func:`split_batch`).
        training: a bool (placeholder, tensor or Python bool): batch moments (and the
            moving-statistics updates, in ``UPDATE_OPS``) when True, the moving statistics when False.
        towers: :func:`make_towers`' contexts, one per tower.
        n_hidden1, n_hidden2, n_outputs: the dense layers' widths.
        batch_norm_momentum: the moving averages' decay.
        batch_norm_statistics: ``"tower0"`` (each tower's own moments,
            ``tf.layers.batch_normalization``) or ``"sync"`` (:func:`synchronized_batch_norm`).

    Returns:
        ``(hidden1, logits)``: lists, one float32 tensor per tower: the first dense layer's
        output ``[rows_i, n_hidden1]`` and the logits ``[rows_i, n_outputs]``.
    """
    he_init = contrib.variance_scaling_initializer()

    def dense(inputs, units, name):
        outputs = []
        for i, x in enumerate(inputs):
            with towers(i):
                outputs.append(tf1.layers.dense(x, units, kernel_initializer=he_init, name=name))
        return outputs

    def batch_norm(inputs, name):
        if batch_norm_statistics == "sync":
            return synchronized_batch_norm(inputs, training, batch_norm_momentum, towers, name)
        outputs = []
        for i, x in enumerate(inputs):
            with towers(i):
                outputs.append(tf1.layers.batch_normalization(x, training=training, momentum=batch_norm_momentum, name=name))
        return outputs

    def elu(inputs):
        outputs = []
        for i, x in enumerate(inputs):
            with towers(i):
                outputs.append(tf.nn.elu(x))
        return outputs

    # The model, layer by layer across the towers (each op in its tower's device and scope).
    hidden1 = dense(X_towers, n_hidden1, "hidden1")
    hidden2 = dense(elu(batch_norm(hidden1, "bn1")), n_hidden2, "hidden2")
    logits_towers = batch_norm(dense(elu(batch_norm(hidden2, "bn2")), n_outputs, "outputs"), "logits_bn")
    return hidden1, logits_towers


@recipe(
    "data_parallel_towers",
    presets={
        # The classic: 2 towers, per-tower batch moments, moving statistics from tower 0's UPDATE_OPS.
        "2towers": dict(reader="next_batch", eval_split="test", n_towers=2),
        # The same on 4 towers (50 rows a tower).
        "4towers": dict(reader="next_batch", eval_split="test", n_towers=4),
        # 4 towers with synchronised batch-norm statistics: single-device training on the whole batch.
        "4towers_sync": dict(reader="next_batch", eval_split="test", n_towers=4, batch_norm_statistics="sync"),
    },
)
def data_parallel_towers(
    run,
    *,
    n_inputs=28 * 28,
    n_hidden1=300,
    n_hidden2=100,
    n_outputs=10,
    learning_rate=0.01,
    batch_norm_momentum=0.9,
    n_epochs=3,
    batch_size=200,
    n_towers=2,
    batch_norm_statistics="tower0",
):
    """batch_norm's MLP on N towers (logical CPU devices): per-tower gradients averaged, one update.

    Extras per epoch: ``loss`` (the evaluated split's mean cross-entropy, inference mode) and
    ``bn1_variance_ratio``: the first batch-norm layer's moving variance over the variance of
    its inputs on the evaluated split, averaged over units (1: the statistic is right; the
    per-tower moments of ``tower0`` see fewer rows a batch).

    Raises:
        ValueError: an unknown ``batch_norm_statistics``, a batch the towers cannot split
            evenly, or fewer CPU devices than towers (TooFewDevicesError).
    """
    if batch_norm_statistics not in STATISTICS:
        raise ValueError(f"batch_norm_statistics must be one of {', '.join(STATISTICS)}, got {batch_norm_statistics!r}")
    if n_towers < 1 or batch_size % n_towers:
        raise ValueError(f"batch_size {batch_size} does not split evenly into n_towers {n_towers}")
    devices = require_cpu_devices(n_towers, f"data_parallel_towers with {n_towers} towers")

    X = tf1.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    y = tf1.placeholder(tf.int64, shape=(None), name="y")
    training = tf1.placeholder_with_default(False, shape=(), name="training")
    X_towers, y_towers = split_batch(n_towers, X, y)
    towers = make_towers(devices)
    hidden1, logits_towers = towers_model(
        X_towers, training, towers, n_hidden1, n_hidden2, n_outputs, batch_norm_momentum, batch_norm_statistics
    )

    optimizer = tf1.train.GradientDescentOptimizer(learning_rate)
    tower_grads, xentropies = [], []
    for i in range(n_towers):
        with towers(i):
            xentropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_towers[i], logits=logits_towers[i])
            tower_loss = tf.reduce_mean(xentropy, name="tower_loss")
            tower_grads.append(optimizer.compute_gradients(tower_loss))
            xentropies.append(xentropy)

    with tf1.name_scope("loss"):
        loss = tf.reduce_mean(tf.concat(xentropies, 0), name="loss")
    logits = tf.concat(logits_towers, 0, name="logits")

    with tf.device(devices[0]), tf1.name_scope("train"):
        # The classic: the moving statistics from tower 0's batch-norm update ops only.
        update_ops = tf1.get_collection(tf1.GraphKeys.UPDATE_OPS, scope="tower_0")
        training_op = optimizer.apply_gradients(average_gradients(tower_grads))

    with tf1.name_scope("eval"):
        correct = tf1.nn.in_top_k(logits, y, 1)
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32), name="accuracy")
        h1 = tf.concat(hidden1, 0)
        _, h1_variance = tf.nn.moments(h1, [0])
        (moving_variance,) = [v for v in tf1.global_variables() if v.op.name == "dnn/bn1/moving_variance"]
        variance_ratio = tf.reduce_mean(moving_variance / h1_variance, name="bn1_variance_ratio")

    init = tf1.global_variables_initializer()
    saver = tf1.train.Saver()

    X_eval, y_eval = run.eval_split()
    with tf1.Session() as sess:
        init.run()
        train_step = run.make_callable(sess, [training_op, update_ops], feed_list=[X, y, training])
        for epoch in range(n_epochs):
            for X_batch, y_batch in run.batches(batch_size):
                train_step(X_batch, y_batch, True)
            accuracy_val, loss_val, ratio = sess.run([accuracy, loss, variance_ratio], feed_dict={X: X_eval, y: y_eval})
            run.report(epoch, accuracy_val, loss=loss_val, bn1_variance_ratio=ratio)
        saver.save(sess, run.checkpoint_path)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("data_parallel_towers")
