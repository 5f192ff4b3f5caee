"""Reusing a saved model through its ``.meta`` graph: ``import_meta_graph`` and handles by name.

Import the pretrained graph, recover ``X``, ``y``, the accuracy and the training op with
``get_tensor_by_name`` / ``get_operation_by_name``, keep them in the ``my_important_ops``
collection (saved with the new model, so whoever imports it next gets them with
``get_collection``), restore, and keep training. ``reuse_import_meta_graph_new_layers``
puts new layers on the same imported graph (:mod:`tf1_recipes.recipes.families.import_meta_graph`).

Run it: ``python -m tf1_recipes.recipes.reuse_import_meta_graph [--preset book]``
"""

from tf1_recipes import checkpoints
from tf1_recipes.compat import tf1
from tf1_recipes.recipes.families.import_meta_graph import import_pretrained_graph, train_and_save
from tf1_recipes.recipes.families.reuse_hidden_layers import SMOKE
from tf1_recipes.registry import recipe


def important_ops(pretrained_checkpoint):
    """(X, y, accuracy, training_op) of the imported graph, found by name and kept in ``my_important_ops``.

    ``X:0`` (float32 [batch, 784]), ``y:0`` (int64 [batch]), ``eval/accuracy:0`` and the
    operation ``train/GradientDescent`` of the default graph, into which the pretrained
    ``.meta`` was imported; a name the graph lacks is a CheckpointMismatchError naming
    ``pretrained_checkpoint``. The TF1 recipe calls it in its graph; the shim port
    (:mod:`tf1_recipes.shim.families.import_meta_graph`) inside ``tf.compat.v1.wrap_function``.
    """
    with checkpoints.graph_lookups(pretrained_checkpoint):
        X = tf1.get_default_graph().get_tensor_by_name("X:0")
        y = tf1.get_default_graph().get_tensor_by_name("y:0")
        accuracy = tf1.get_default_graph().get_tensor_by_name("eval/accuracy:0")
        training_op = tf1.get_default_graph().get_operation_by_name("train/GradientDescent")

    for op in (X, y, accuracy, training_op):
        tf1.add_to_collection("my_important_ops", op)

    X, y, accuracy, training_op = tf1.get_collection("my_important_ops")
    return X, y, accuracy, training_op


@recipe("reuse_import_meta_graph", presets={"book": {}, "smoke": SMOKE})
def reuse_import_meta_graph(run, *, n_epochs=20, batch_size=200, pretrained_checkpoint=None, pretrained_preset="book"):
    """Import the pretrained .meta graph, find X, y, accuracy and the training op by name, keep training."""
    pretrained_checkpoint, saver = import_pretrained_graph(run, pretrained_checkpoint, pretrained_preset)
    X, y, accuracy, training_op = important_ops(pretrained_checkpoint)

    with tf1.Session() as sess:
        saver.restore(sess, pretrained_checkpoint)
        # continue training the model...
        train_and_save(run, sess, training_op, accuracy, X, y, n_epochs, batch_size, saver)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("reuse_import_meta_graph")
