"""Gradient clipping by global norm next to clipping by value, with the global norm logged per step.

``tf.clip_by_global_norm(gradients, threshold)`` rescales all gradients together when
their joint norm exceeds the threshold, keeping the update's direction;
``tf.clip_by_value`` clips each component to [-threshold, threshold], which can turn the
direction. Same network and optimiser as ``gradient_clipping`` (five ReLU layers, GD
0.01, batch 50), threshold 0.5 for both. Every training step writes the global norm before and after clipping
as TensorBoard summaries (``per_step/global_norm_before`` and ``_after`` in ``run.log_dir``);
each epoch reports their means.

Run it: ``python -m tf1_recipes.recipes.clip_by_global_norm [--preset by_value] --out DIR``
and ``tensorboard --logdir DIR/tensorboard``.
"""

import numpy as np

from tf1_recipes.compat import tf, tf1
from tf1_recipes.recipes.families.relu_mlp import five_relu_mlp
from tf1_recipes.recipes.families.pitfalls import softmax_head
from tf1_recipes.registry import recipe


def clip(grads, clipping, threshold):
    """The gradients clipped by global norm or by value, and their global norms before and after.

    Args:
        grads: the gradients (float32 tensors, one per trainable variable).
        clipping: "global_norm" (``tf.clip_by_global_norm``: all rescaled together when their
            joint L2 norm exceeds ``threshold``) or "by_value" (each component clipped to
            [-threshold, threshold]).
        threshold: the bound (float, > 0).

    Returns:
        ``(capped_grads, global_norm, capped_norm)``: the clipped gradients, and the float32
        scalars ``global_norm(grads)`` and ``global_norm(capped_grads)``.
    """
    if clipping == "global_norm":
        capped_grads, global_norm = tf.clip_by_global_norm(grads, threshold)
    else:
        capped_grads = [tf.clip_by_value(grad, -threshold, threshold) for grad in grads]
        global_norm = tf.linalg.global_norm(grads)
    capped_norm = tf.linalg.global_norm(capped_grads)
    return capped_grads, global_norm, capped_norm


@recipe(
    "clip_by_global_norm",
    presets={
        "global_norm": dict(clipping="global_norm"),
        "by_value": dict(clipping="by_value"),
    },
    # gradient_clipping's network and plateau: 3 epochs of all 55,000 images for a smoke band
    # that can fail (10 seeds: 0.86 .. 0.89; with 2 x 150 steps, 0.07 .. 0.69).
    smoke=dict(train_size=None, n_epochs=3),
)
def clip_by_global_norm(
    run,
    *,
    n_inputs=28 * 28,
    n_hidden1=300,
    n_hidden2=50,
    n_hidden3=50,
    n_hidden4=50,
    n_hidden5=50,
    n_outputs=10,
    learning_rate=0.01,
    threshold=0.5,
    n_epochs=5,
    batch_size=50,
    clipping="global_norm",
):
    """Five ReLU layers; gradients clipped by global norm (or by value) at 0.5 before they are applied.

    The threshold, 0.5, is about the median global norm of the first epoch, so clipping by
    global norm acts on many steps; clipping each component at 0.5 acts on almost none:
    the same number means very different things for the two methods.

    Metric: validation accuracy. Extras per epoch: ``global_norm_before`` and
    ``global_norm_after`` (means over the epoch's steps), ``clipped_fraction`` (steps where
    clipping changed the gradients), ``loss``.
    """
    X = tf1.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    y = tf1.placeholder(tf.int64, shape=(None), name="y")

    logits = five_relu_mlp(X, n_hidden1, n_hidden2, n_hidden3, n_hidden4, n_hidden5, n_outputs)

    loss, accuracy = softmax_head(logits, y)

    with tf1.name_scope("train"):
        optimizer = tf1.train.GradientDescentOptimizer(learning_rate)
        grads_and_vars = optimizer.compute_gradients(loss)
        grads, variables = zip(*grads_and_vars)
        capped_grads, global_norm, capped_norm = clip(grads, clipping, threshold)
        training_op = optimizer.apply_gradients(zip(capped_grads, variables))

    norm_summary = tf1.summary.merge(
        [
            tf1.summary.scalar("per_step/global_norm_before", global_norm),
            tf1.summary.scalar("per_step/global_norm_after", capped_norm),
        ]
    )
    file_writer = tf1.summary.FileWriter(run.log_dir, tf1.get_default_graph())

    init = tf1.global_variables_initializer()
    saver = tf1.train.Saver()

    X_eval, y_eval = run.eval_split()
    step = 0
    with tf1.Session() as sess:
        init.run()
        train_step = run.make_callable(sess, [training_op, global_norm, capped_norm, norm_summary], feed_list=[X, y])
        for epoch in range(n_epochs):
            norms = []
            for X_batch, y_batch in run.batches(batch_size):
                _, before, after, summary_str = train_step(X_batch, y_batch)
                file_writer.add_summary(summary_str, step)
                norms.append((before, after))
                step += 1
            accuracy_val, loss_val = sess.run([accuracy, loss], feed_dict={X: X_eval, y: y_eval})
            before, after = np.mean(norms, axis=0)
            clipped = np.mean([after < before for before, after in norms])
            run.report(epoch, accuracy_val, global_norm_before=before, global_norm_after=after,
                       clipped_fraction=clipped, loss=loss_val)
        saver.save(sess, run.checkpoint_path)
    file_writer.close()


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("clip_by_global_norm")
