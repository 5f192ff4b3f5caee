"""Early stopping on validation loss, resumable after a kill (the classic exercise on digits 0-4).

Five ELU hidden layers of 100 units with He initialisation, Adam (0.01), batch 20, on the
digits 0-4 only (training, validation and test sets filtered by label < 5). Up to 1000
epochs; the validation loss is checked after every epoch and training stops after
``max_checks_without_progress`` checks without a new best (as the reference code does:
when the count of checks without progress exceeds it). The best model is kept, in its own
checkpoint (``book``) or as NumPy arrays restored through the ``Assign`` ops' inputs
(``in_memory``), and its test accuracy is the result.

Resumable (``book``): every ``checkpoint_every`` epochs the run writes a checkpoint and the
next epoch number, best loss and patience counter to ``<out>/training_state.json``
(:mod:`tf1_recipes.resume`). Started again with the same ``--out`` it prints
``Training was interrupted. Continuing at epoch N`` and carries on. Each epoch's data
order comes from ``RandomState(seed + epoch)``, never from how many epochs this process
ran, so a resumed run ends exactly where an uninterrupted one does.

What is recorded: ``history`` is [best validation loss, test accuracy of the best model]
(so a golden pins both, and its final value is the test accuracy whatever epoch training
stopped at); the per-epoch ``valid_loss``, ``valid_accuracy``, ``best_loss`` and
``epoch_seconds`` series are in ``extras`` (and TensorBoard, with ``--out``).

Run it: ``python -m tf1_recipes.recipes.early_stopping --out DIR [--preset in_memory]``
"""

import time

import numpy as np

from tf1_recipes import resume
from tf1_recipes.compat import tf, tf1
from tf1_recipes.registry import recipe

KEEP_BEST = ("checkpoint", "memory")
SERIES = ("valid_loss", "valid_accuracy", "best_loss", "epoch_seconds")
#: What a resumed loop reads from its state besides the epoch.
RESUMED = ("best_loss", "checks_without_progress", "series")


def digits_below(dataset_images, dataset_labels, limit):
    """The images and labels of the digits < ``limit`` (the exercise's X_train1, y_train1, ...)."""
    keep = dataset_labels < limit
    return dataset_images[keep], dataset_labels[keep]


class EarlyStopping:
    """The exercise's stopping rule: keep the best validation loss, and stop once more than
    ``max_checks_without_progress`` checks in a row brought no new best."""

    def __init__(self, max_checks_without_progress, best_loss=np.inf, checks_without_progress=0):
        self.max_checks_without_progress = max_checks_without_progress
        self.best_loss, self.checks_without_progress = best_loss, checks_without_progress

    def check(self, loss_val):
        """Count one check of the validation loss; True when it is a new best (save the model then)."""
        if loss_val < self.best_loss:
            self.best_loss = float(loss_val)
            self.checks_without_progress = 0
            return True
        self.checks_without_progress += 1
        return False

    @property
    def should_stop(self):
        return self.checks_without_progress > self.max_checks_without_progress


def hidden_layers(X, *, n_hidden_layers, n_neurons, kernel_initializer):
    """``hidden1`` ... ``hidden<n_hidden_layers>``: ELU ``tf.layers.dense`` layers of ``n_neurons`` units.

    ``X`` [batch, n_inputs] float32 -> the last hidden layer's output [batch, n_neurons].
    ``kernel_initializer``: the exercise's ``tf.variance_scaling_initializer()`` (He, fan-in,
    truncated normal). Called inside the ``dnn`` name scope by ``early_stopping`` and
    ``transfer_digits_5_to_9``, eagerly by their shim ports (:mod:`tf1_recipes.shim.early_stopping`).
    """
    hidden = X
    for layer in range(n_hidden_layers):
        hidden = tf1.layers.dense(
            hidden, n_neurons, activation=tf.nn.elu, kernel_initializer=kernel_initializer, name=f"hidden{layer + 1}"
        )
    return hidden


def output_layer(hidden, *, n_outputs, kernel_initializer):
    """``outputs``: the linear ``tf.layers.dense`` layer, the last hidden output [batch, n_neurons] -> logits [batch, n_outputs]."""
    return tf1.layers.dense(hidden, n_outputs, kernel_initializer=kernel_initializer, name="outputs")


def record_epoch(run, epoch, loss_val, acc_val, best_loss, seconds):
    """Record one epoch's series (run extras, TensorBoard) and print the exercise's line for it."""
    run.record(epoch, **dict(zip(SERIES, (loss_val, acc_val, best_loss, seconds))))
    run.log(f"{epoch}\tValidation loss: {loss_val:.6f}\tBest loss: {best_loss:.6f}\tAccuracy: {acc_val * 100:.2f}%")


def report_best_model(run, best_loss, acc_test):
    """Record the run's result: history = [best validation loss, test accuracy of the best model]."""
    run.log(f"Final test accuracy: {acc_test * 100:.2f}%")
    run.report("Validation loss", best_loss)
    run.report("Test accuracy", acc_test)


def get_model_params():
    """Every global variable's value, by name, as NumPy arrays (the best model kept in memory)."""
    gvars = tf1.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)
    return {gvar.op.name: value for gvar, value in zip(gvars, tf1.get_default_session().run(gvars))}


def restore_model_params(model_params):
    """Put ``model_params`` back by feeding the initial-value inputs of the variables' Assign ops."""
    gvar_names = list(model_params.keys())
    assign_ops = {
        gvar_name: tf1.get_default_graph().get_operation_by_name(gvar_name + "/Assign") for gvar_name in gvar_names
    }
    init_values = {gvar_name: assign_op.inputs[1] for gvar_name, assign_op in assign_ops.items()}
    feed_dict = {init_values[gvar_name]: model_params[gvar_name] for gvar_name in gvar_names}
    tf1.get_default_session().run(assign_ops, feed_dict=feed_dict)


def check_keep_best(keep_best, checkpoint_every):
    """Refuse a ``keep_best`` (one of :data:`KEEP_BEST`) that is unknown or cannot resume with ``checkpoint_every``.

    Raises:
        ValueError: an unknown ``keep_best``; ``"memory"`` with ``checkpoint_every`` > 0 (a best model
            kept only in memory cannot be resumed).
    """
    if keep_best not in KEEP_BEST:
        raise ValueError(f"keep_best must be one of {', '.join(KEEP_BEST)}, got {keep_best!r}")
    if keep_best == "memory" and checkpoint_every:
        raise ValueError("keep_best='memory' keeps the best model only in memory, so it cannot resume: set checkpoint_every=0")


@recipe(
    "early_stopping",
    presets={
        # The exercise: best model saved to its own checkpoint; resumable through --out.
        "book": {},
        # Best parameters kept as NumPy arrays and restored through the Assign ops (no disk).
        "in_memory": dict(keep_best="memory", checkpoint_every=0),
        # A few seconds: the first 5,000 training images (about 2,500 of digits 0-4).
        "smoke": dict(train_size=5000, n_epochs=30, max_checks_without_progress=5),
        # The exercise with Adam at 0.001: it does not collapse (5 seeds: test accuracy
        # 0.993 .. 0.995), so the model transfer_digits_5_to_9 reuses is a trained one.
        "lr_0_001": dict(learning_rate=0.001),
        # The smoke run's model with Adam at 0.001: it does not collapse, so the hidden layers
        # transfer_digits_5_to_9's smoke run reuses are alike from seed to seed.
        "small_lr_0_001": dict(train_size=5000, n_epochs=30, max_checks_without_progress=5, learning_rate=0.001),
    },
    metric="test_accuracy",
    metric_label="of the best model",
)
def early_stopping(
    run,
    *,
    n_inputs=28 * 28,
    n_hidden_layers=5,
    n_neurons=100,
    n_outputs=5,
    learning_rate=0.01,
    n_epochs=1000,
    batch_size=20,
    max_checks_without_progress=20,
    keep_best="checkpoint",
    checkpoint_every=1,
):
    """Five ELU layers (He init), Adam, digits 0-4, early stopping on validation loss; resumable via --out."""
    check_keep_best(keep_best, checkpoint_every)

    X_train1, y_train1 = digits_below(*run.train_split(), n_outputs)
    X_valid1, y_valid1 = digits_below(run.mnist.validation.images, run.mnist.validation.labels, n_outputs)
    X_test1, y_test1 = digits_below(run.mnist.test.images, run.mnist.test.labels, n_outputs)

    X = tf1.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    y = tf1.placeholder(tf.int64, shape=(None), name="y")

    # The exercise's he_init: tf.variance_scaling_initializer() (fan-in, truncated normal).
    he_init = tf1.variance_scaling_initializer()

    with tf1.name_scope("dnn"):
        hidden = hidden_layers(X, n_hidden_layers=n_hidden_layers, n_neurons=n_neurons, kernel_initializer=he_init)
        logits = output_layer(hidden, n_outputs=n_outputs, kernel_initializer=he_init)
    tf.nn.softmax(logits, name="Y_proba")  # "Y_proba:0", for whoever reuses the model

    with tf1.name_scope("loss"):
        xentropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        loss = tf.reduce_mean(xentropy, name="loss")

    with tf1.name_scope("train"):
        optimizer = tf1.train.AdamOptimizer(learning_rate)
        training_op = optimizer.minimize(loss, name="training_op")

    with tf1.name_scope("eval"):
        correct = tf1.nn.in_top_k(logits, y, 1)
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32), name="accuracy")

    init = tf1.global_variables_initializer()
    saver = tf1.train.Saver()
    if checkpoint_every:  # resumable: a checkpoint and a state file in the run's directory
        state = resume.TrainingState(run.out_dir, resume.fingerprint(run.recipe, run.settings, run.hyper))

    seed = run.settings["seed"]
    stopper = EarlyStopping(max_checks_without_progress)
    start_epoch = 0
    best_params = None
    t0 = time.perf_counter()

    with tf1.Session() as sess:
        init.run()
        interrupted = state.load(required=RESUMED) if checkpoint_every else None
        if interrupted:
            run.log(f"Training was interrupted. Continuing at epoch {interrupted['epoch']}")
            state.restore(sess, interrupted)
            start_epoch = interrupted["epoch"]
            stopper = EarlyStopping(
                max_checks_without_progress, interrupted["best_loss"], interrupted["checks_without_progress"]
            )
            run.extras.update(interrupted["series"])  # the epochs before the interruption

        for epoch in range(start_epoch, n_epochs):
            epoch_start = time.perf_counter()
            rnd_idx = np.random.RandomState(seed + epoch).permutation(len(X_train1))
            for rnd_indices in np.array_split(rnd_idx, len(X_train1) // batch_size):
                X_batch, y_batch = X_train1[rnd_indices], y_train1[rnd_indices]
                sess.run(training_op, feed_dict={X: X_batch, y: y_batch})
            loss_val, acc_val = sess.run([loss, accuracy], feed_dict={X: X_valid1, y: y_valid1})
            if stopper.check(loss_val):  # a new best model
                if keep_best == "memory":
                    best_params = get_model_params()
                else:
                    saver.save(sess, run.checkpoint_path)
            record_epoch(run, epoch, loss_val, acc_val, stopper.best_loss, time.perf_counter() - epoch_start)
            if stopper.should_stop:
                run.log("Early stopping!")
                break
            if checkpoint_every and (epoch + 1) % checkpoint_every == 0:
                state.save(
                    sess,
                    epoch + 1,
                    best_loss=stopper.best_loss,
                    checks_without_progress=stopper.checks_without_progress,
                    series={name: run.extras[name] for name in SERIES},
                )

        if keep_best == "memory":
            restore_model_params(best_params)
            acc_test = accuracy.eval(feed_dict={X: X_test1, y: y_test1})
            saver.save(sess, run.checkpoint_path)

    if keep_best == "checkpoint":
        with tf1.Session() as sess:
            saver.restore(sess, run.checkpoint_path)
            acc_test = accuracy.eval(feed_dict={X: X_test1, y: y_test1})

    if checkpoint_every:
        state.clear()
    run.log(f"Total training time: {time.perf_counter() - t0:.1f}s")
    report_best_model(run, stopper.best_loss, acc_test)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("early_stopping")
