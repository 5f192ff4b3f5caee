"""Mini-batch logistic regression on two moons, with TensorBoard logging and checkpoints.

The classic TF1 exercise: the model is built by a function, :func:`logistic_regression`,
inside name scopes; the inputs are the two moon coordinates enhanced with their squares
and cubes (plus a bias column); a ``log_loss`` scalar summary of the test loss goes to a
``FileWriter`` every epoch, in a timestamped run directory
``<out>/tf_logs/logreg-run-<UTC time>/`` (point TensorBoard at ``<out>/tf_logs``); a Saver
checkpoints the model every ``checkpoint_every`` epochs (``<out>/logreg_model.ckpt-<epoch>``)
and saves the final model at ``<out>/model.ckpt``.

The metric is the test log loss after each epoch. Run it:
``python -m tf1_recipes.recipes.logistic_regression_tensorboard --out DIR``
"""

import datetime

import numpy as np

from tf1_recipes.compat import tf, tf1
from tf1_recipes.registry import recipe


def make_moons(n_samples=100, noise=None, random_state=None):
    """Two interleaving half circles, as ``sklearn.datasets.make_moons`` makes them.

    The upper moon (label 0) is ``(cos t, sin t)``, the lower one (label 1)
    ``(1 - cos t, 0.5 - sin t)``, t evenly spaced over [0, pi]; the points are shuffled,
    then Gaussian noise of standard deviation ``noise`` is added, all from
    ``np.random.RandomState(random_state)``. Returns ``X`` (n, 2) float64 and ``y`` (n,) int64.
    """
    if n_samples < 2:
        raise ValueError(f"n_samples must be at least 2, got {n_samples}")
    rng = np.random.RandomState(random_state)
    n_samples_out = n_samples // 2
    n_samples_in = n_samples - n_samples_out
    outer = np.linspace(0, np.pi, n_samples_out)
    inner = np.linspace(0, np.pi, n_samples_in)
    X = np.vstack(
        [np.append(np.cos(outer), 1 - np.cos(inner)), np.append(np.sin(outer), 1 - np.sin(inner) - 0.5)]
    ).T
    y = np.hstack([np.zeros(n_samples_out, dtype=np.int64), np.ones(n_samples_in, dtype=np.int64)])
    order = np.arange(n_samples)
    rng.shuffle(order)
    X, y = X[order], y[order]
    if noise is not None:
        X = X + rng.normal(scale=noise, size=X.shape)
    return X, y


def enhance(X):
    """[1, x1, x2, x1^2, x2^2, x1^3, x2^3]: a bias column and the polynomial features."""
    return np.c_[np.ones((len(X), 1)), X, X[:, 0] ** 2, X[:, 1] ** 2, X[:, 0] ** 3, X[:, 1] ** 3].astype(np.float32)


def random_batch(X_train, y_train, batch_size):
    """``batch_size`` training rows drawn with replacement (the exercise's reader)."""
    rnd_indices = np.random.randint(0, len(X_train), batch_size)
    return X_train[rnd_indices], y_train[rnd_indices]


def model(X, initializer=None, seed=42):
    """The model, in the ``model`` name scope: ``sigmoid(X theta)``, ``theta`` a ``tf.Variable``.

    Args:
        X: float32 ``[B, n]``, the inputs with their bias column (n known).
        initializer: theta's initial value ``[n, 1]``; None: ``tf.random_uniform([n, 1], -1, 1, seed=seed)``.
        seed: the op seed of that draw.

    Returns:
        ``y_proba``: float32 ``[B, 1]``, the probability of class 1.
    """
    n_inputs_including_bias = int(X.get_shape()[1])
    with tf1.name_scope("model"):
        if initializer is None:
            initializer = tf1.random_uniform([n_inputs_including_bias, 1], -1.0, 1.0, seed=seed)
        theta = tf.Variable(initializer, name="theta")
        logits = tf.matmul(X, theta, name="logits")
        y_proba = tf.sigmoid(logits)
    return y_proba


def log_loss(y, y_proba):
    """``tf.losses.log_loss`` of the labels ``y`` (float32 ``[B, 1]``) and ``y_proba``, in the ``loss`` scope: a scalar."""
    return tf1.losses.log_loss(y, y_proba, scope="loss")


def loss_summary(loss):
    """The ``log_loss`` scalar summary of ``loss`` (a serialized ``Summary``; tag prefixed by the name scopes)."""
    return tf1.summary.scalar("log_loss", loss)


def logistic_regression(X, y, initializer=None, seed=42, learning_rate=0.01):
    """The model, its training op, the ``log_loss`` summary, init and Saver, in name scopes."""
    with tf1.name_scope("logistic_regression"):
        y_proba = model(X, initializer, seed)
        with tf1.name_scope("train"):
            loss = log_loss(y, y_proba)
            optimizer = tf1.train.GradientDescentOptimizer(learning_rate=learning_rate)
            training_op = optimizer.minimize(loss)
            loss_summary_op = loss_summary(loss)
        with tf1.name_scope("init"):
            init = tf1.global_variables_initializer()
        with tf1.name_scope("save"):
            saver = tf1.train.Saver(max_to_keep=None)
    return y_proba, loss, training_op, loss_summary_op, init, saver


def log_dir(root_logdir, prefix=""):
    """``<root_logdir>/<prefix>-run-<UTC time>/``: one TensorBoard run directory per run."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d%H%M%S")
    if prefix:
        prefix += "-"
    return f"{root_logdir}/{prefix}run-{now}/"


@recipe(
    "logistic_regression_tensorboard",
    presets={"book": {}, "smoke": {}},
    metric="test_log_loss",
    metric_label="Test log loss",
)
def logistic_regression_tensorboard(
    run,
    *,
    n_samples=1000,
    noise=0.1,
    data_seed=42,
    test_ratio=0.2,
    learning_rate=0.01,
    n_epochs=201,
    batch_size=50,
    checkpoint_every=50,
):
    """Logistic regression on two moons in name scopes; log_loss to TensorBoard each epoch, checkpoints."""
    X_moons, y_moons = make_moons(n_samples, noise=noise, random_state=data_seed)
    test_size = int(n_samples * test_ratio)
    X_train_enhanced, X_test_enhanced = enhance(X_moons[:-test_size]), enhance(X_moons[-test_size:])
    y_train = y_moons[:-test_size].reshape(-1, 1).astype(np.float32)
    y_test = y_moons[-test_size:].reshape(-1, 1).astype(np.float32)

    n_inputs = X_train_enhanced.shape[1] - 1
    logdir = log_dir(run.out_dir / "tf_logs", "logreg")
    X = tf1.placeholder(tf.float32, shape=(None, n_inputs + 1), name="X")
    y = tf1.placeholder(tf.float32, shape=(None, 1), name="y")
    y_proba, loss, training_op, loss_summary, init, saver = logistic_regression(X, y, learning_rate=learning_rate)
    file_writer = tf1.summary.FileWriter(logdir, tf1.get_default_graph())

    n_batches = int(np.ceil(len(X_train_enhanced) / batch_size))
    checkpoint_path = str(run.out_dir / "logreg_model.ckpt")

    with tf1.Session() as sess:
        sess.run(init)
        for epoch in range(n_epochs):
            for batch_index in range(n_batches):
                X_batch, y_batch = random_batch(X_train_enhanced, y_train, batch_size)
                sess.run(training_op, feed_dict={X: X_batch, y: y_batch})
            loss_val, summary_str = sess.run([loss, loss_summary], feed_dict={X: X_test_enhanced, y: y_test})
            file_writer.add_summary(summary_str, epoch)
            if epoch % checkpoint_every == 0:
                saver.save(sess, checkpoint_path, global_step=epoch)
            y_pred = y_proba.eval(feed_dict={X: X_test_enhanced}) >= 0.5
            run.report(epoch, loss_val, test_accuracy=np.mean(y_pred == y_test))
        saver.save(sess, run.checkpoint_path)
    file_writer.close()


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("logistic_regression_tensorboard")
