"""What the two ``import_meta_graph`` recipes share: importing the pretrained ``.meta`` graph, the epoch loop.

``reuse_import_meta_graph`` keeps training the imported graph; ``reuse_import_meta_graph_new_layers``
puts new layers on it. Both import it with :func:`import_pretrained_graph` and train with
:func:`train_and_save`.
"""

from tf1_recipes import checkpoints
from tf1_recipes.compat import tf1


def import_pretrained_graph(run, pretrained_checkpoint, pretrained_preset):
    """(checkpoint path, the Saver ``import_meta_graph`` returns): the pretrained graph imported.

    Without a path, the cached pretrain_5layer checkpoint of ``pretrained_preset``.
    """
    if pretrained_checkpoint is None:
        pretrained_checkpoint = checkpoints.pretrained_checkpoint("pretrain_5layer", pretrained_preset, run)
    checkpoints.require_checkpoint(pretrained_checkpoint, meta=True)
    return pretrained_checkpoint, tf1.train.import_meta_graph(pretrained_checkpoint + ".meta")


def train_and_save(run, sess, training_op, accuracy, X, y, n_epochs, batch_size, saver):
    """The reference epoch loop on an imported graph: train, validation accuracy, save."""
    X_valid, y_valid = run.eval_split()
    train_step = run.make_callable(sess, training_op, feed_list=[X, y])
    for epoch in range(n_epochs):
        for X_batch, y_batch in run.batches(batch_size):
            train_step(X_batch, y_batch)
        accuracy_val = accuracy.eval(feed_dict={X: X_valid, y: y_valid})
        run.report(epoch, accuracy_val)
    saver.save(sess, run.checkpoint_path)
