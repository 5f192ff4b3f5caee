"""Reusing a saved model through its ``.meta`` graph: ``import_meta_graph`` and handles by name.

* ``reuse_import_meta_graph``: import the pretrained graph, recover ``X``, ``y``, the
  accuracy and the training op with ``get_tensor_by_name`` / ``get_operation_by_name``,
  keep them in the ``my_important_ops`` collection (saved with the new model, so whoever
  imports it next gets them with ``get_collection``), restore, and keep training.
* ``reuse_import_meta_graph_new_layers``: on the imported graph take ``dnn/hidden3/Relu:0``,
  add ``new_hidden4`` (20 units) and ``new_outputs`` with new loss/eval/train scopes,
  initialise everything, then restore the old variables.

Run one: ``python -m tf1_recipes.recipes.reuse_import_meta_graph [--preset book]``
"""

from tf1_recipes import checkpoints
from tf1_recipes.compat import tf, tf1
from tf1_recipes.recipes.reuse_partial_restore import SMOKE
from tf1_recipes.registry import recipe


def _import_pretrained_graph(run, pretrained_checkpoint, pretrained_preset):
    """(checkpoint path, the Saver ``import_meta_graph`` returns): the pretrained graph imported.

    Without a path, the cached pretrain_5layer checkpoint of ``pretrained_preset``.
    """
    if pretrained_checkpoint is None:
        pretrained_checkpoint = checkpoints.pretrained_checkpoint("pretrain_5layer", pretrained_preset, run)
    checkpoints.require_checkpoint(pretrained_checkpoint, meta=True)
    return pretrained_checkpoint, tf1.train.import_meta_graph(pretrained_checkpoint + ".meta")


def _train_and_save(run, sess, training_op, accuracy, X, y, n_epochs, batch_size, saver):
    """The reference epoch loop on an imported graph: train, validation accuracy, save."""
    X_valid, y_valid = run.eval_split()
    train_step = run.make_callable(sess, training_op, feed_list=[X, y])
    for epoch in range(n_epochs):
        for X_batch, y_batch in run.batches(batch_size):
            train_step(X_batch, y_batch)
        accuracy_val = accuracy.eval(feed_dict={X: X_valid, y: y_valid})
        run.report(epoch, accuracy_val)
    saver.save(sess, run.checkpoint_path)


@recipe("reuse_import_meta_graph", presets={"book": {}, "smoke": SMOKE})
def reuse_import_meta_graph(run, *, n_epochs=20, batch_size=200, pretrained_checkpoint=None, pretrained_preset="book"):
    """Import the pretrained .meta graph, find X, y, accuracy and the training op by name, keep training."""
    pretrained_checkpoint, saver = _import_pretrained_graph(run, pretrained_checkpoint, pretrained_preset)

    with checkpoints.graph_lookups(pretrained_checkpoint):
        X = tf1.get_default_graph().get_tensor_by_name("X:0")
        y = tf1.get_default_graph().get_tensor_by_name("y:0")
        accuracy = tf1.get_default_graph().get_tensor_by_name("eval/accuracy:0")
        training_op = tf1.get_default_graph().get_operation_by_name("train/GradientDescent")

    for op in (X, y, accuracy, training_op):
        tf1.add_to_collection("my_important_ops", op)

    X, y, accuracy, training_op = tf1.get_collection("my_important_ops")

    with tf1.Session() as sess:
        saver.restore(sess, pretrained_checkpoint)
        # continue training the model...
        _train_and_save(run, sess, training_op, accuracy, X, y, n_epochs, batch_size, saver)


@recipe("reuse_import_meta_graph_new_layers", presets={"book": {}, "smoke": SMOKE})
def reuse_import_meta_graph_new_layers(
    run,
    *,
    n_hidden4=20,  # new layer
    n_outputs=10,  # new layer
    learning_rate=0.01,
    n_epochs=20,
    batch_size=200,
    pretrained_checkpoint=None,
    pretrained_preset="book",
):
    """Import the pretrained .meta graph, put new_hidden4 and new_outputs on dnn/hidden3, train."""
    pretrained_checkpoint, saver = _import_pretrained_graph(run, pretrained_checkpoint, pretrained_preset)

    with checkpoints.graph_lookups(pretrained_checkpoint):
        X = tf1.get_default_graph().get_tensor_by_name("X:0")
        y = tf1.get_default_graph().get_tensor_by_name("y:0")
        hidden3 = tf1.get_default_graph().get_tensor_by_name("dnn/hidden3/Relu:0")

    new_hidden4 = tf1.layers.dense(hidden3, n_hidden4, activation=tf.nn.relu, name="new_hidden4")
    new_logits = tf1.layers.dense(new_hidden4, n_outputs, name="new_outputs")

    with tf1.name_scope("new_loss"):
        xentropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=new_logits)
        loss = tf.reduce_mean(xentropy, name="loss")

    with tf1.name_scope("new_eval"):
        correct = tf1.nn.in_top_k(new_logits, y, 1)
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32), name="accuracy")

    with tf1.name_scope("new_train"):
        optimizer = tf1.train.GradientDescentOptimizer(learning_rate)
        training_op = optimizer.minimize(loss)

    init = tf1.global_variables_initializer()
    new_saver = tf1.train.Saver()

    with tf1.Session() as sess:
        init.run()
        saver.restore(sess, pretrained_checkpoint)
        _train_and_save(run, sess, training_op, accuracy, X, y, n_epochs, batch_size, new_saver)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("reuse_import_meta_graph")
