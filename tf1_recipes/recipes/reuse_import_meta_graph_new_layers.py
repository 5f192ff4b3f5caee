"""New layers on an imported ``.meta`` graph: ``new_hidden4`` and ``new_outputs`` on ``dnn/hidden3/Relu:0``.

On the imported pretrained graph take ``dnn/hidden3/Relu:0``, add ``new_hidden4`` (20 units)
and ``new_outputs`` with new loss/eval/train scopes, initialise everything, then restore
the old variables (:mod:`tf1_recipes.recipes.families.import_meta_graph`).

Run it: ``python -m tf1_recipes.recipes.reuse_import_meta_graph_new_layers [--preset book]``
"""

from tf1_recipes import checkpoints
from tf1_recipes.compat import tf, tf1
from tf1_recipes.recipes.families.import_meta_graph import import_pretrained_graph, train_and_save
from tf1_recipes.recipes.families.reuse_hidden_layers import SMOKE
from tf1_recipes.registry import recipe


def new_layers_on_hidden3(pretrained_checkpoint, *, n_hidden4, n_outputs, learning_rate):
    """new_hidden4 and new_outputs on the imported graph's ``dnn/hidden3/Relu:0``, their loss, eval and GD training op.

    Builds in the default graph, into which the pretrained ``.meta`` was imported (a name the
    graph lacks is a CheckpointMismatchError naming ``pretrained_checkpoint``). Returns
    ``(X, y, loss, accuracy, training_op)``: the imported ``X:0`` (float32 [batch, 784]) and
    ``y:0`` (int64 [batch]), ``new_loss/loss:0``, ``new_eval/accuracy:0``, and ``minimize``
    of ``GradientDescentOptimizer(learning_rate)`` over every trainable variable (the
    imported ones too). The TF1 recipe calls it in its graph; the shim port
    (:mod:`tf1_recipes.shim.families.import_meta_graph`) inside ``tf.compat.v1.wrap_function``.
    """
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
    return X, y, loss, accuracy, training_op


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
    pretrained_checkpoint, saver = import_pretrained_graph(run, pretrained_checkpoint, pretrained_preset)
    X, y, _, accuracy, training_op = new_layers_on_hidden3(
        pretrained_checkpoint, n_hidden4=n_hidden4, n_outputs=n_outputs, learning_rate=learning_rate
    )

    init = tf1.global_variables_initializer()
    new_saver = tf1.train.Saver()

    with tf1.Session() as sess:
        init.run()
        saver.restore(sess, pretrained_checkpoint)
        train_and_save(run, sess, training_op, accuracy, X, y, n_epochs, batch_size, new_saver)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("reuse_import_meta_graph_new_layers")
