"""A user's own TF1 script (not a recipe of the suite): the model the README's worked example migrates.

The classic TF1 idioms, as a code owner would have them: placeholders, ``tf.layers`` with
their default names (``dense``, ``batch_normalization``, ``dense_1``, ``dense_2``), a
``training`` flag for batch norm, its ``UPDATE_OPS`` run with the training op through
``control_dependencies``, ``AdamOptimizer`` with ``global_step``, a ``Saver``.

    python examples/own_model/train_tf1.py OUT_DIR [--data-dir MNIST_DIR] [--steps 200]

writes ``OUT_DIR/model.ckpt`` (and ``model.ckpt.meta``: the graph) and ``OUT_DIR/valid.npz``
(arrays ``x``, ``y``: the first 1,000 MNIST validation images, the data the doctor and
the parity check read). MNIST is read with the suite's loader (``--data-dir``, else
``$TF1_RECIPES_DATA``, else the cache).
"""

import argparse
import sys
from pathlib import Path

import numpy as np

import tf1_recipes  # noqa: F401  (before TensorFlow: the legacy tf.layers)
from tf1_recipes.compat import tf, tf1
from tf1_recipes.data import load_mnist

N_HIDDEN1, N_HIDDEN2, N_OUTPUTS = 100, 100, 10
LEARNING_RATE, BATCH_SIZE, VALID_EXAMPLES = 0.001, 50, 1000


def build_graph(seed=42):
    """The graph: (graph, {name: tensor or op}). 784 → dense 100 → batch norm → ELU → dense 100 → ELU → dense 10."""
    graph = tf1.Graph()
    with graph.as_default():
        tf1.set_random_seed(seed)
        X = tf1.placeholder(tf.float32, [None, 784], name="X")
        y = tf1.placeholder(tf.int64, [None], name="y")
        training = tf1.placeholder_with_default(False, [], name="training")
        hidden1 = tf1.layers.dense(X, N_HIDDEN1, use_bias=False)  # batch norm's beta is the bias
        bn1 = tf1.layers.batch_normalization(hidden1, training=training, momentum=0.9)
        hidden2 = tf1.layers.dense(tf.nn.elu(bn1), N_HIDDEN2, activation=tf.nn.elu)
        logits = tf1.layers.dense(hidden2, N_OUTPUTS)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits), name="loss")
        global_step = tf1.train.get_or_create_global_step()
        with tf.control_dependencies(tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)):
            train_op = tf1.train.AdamOptimizer(LEARNING_RATE).minimize(loss, global_step=global_step, name="train_op")
        accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), y), tf.float32), name="accuracy")
        init = tf1.global_variables_initializer()
        saver = tf1.train.Saver()
    return graph, dict(X=X, y=y, training=training, loss=loss, train_op=train_op, accuracy=accuracy, init=init, saver=saver)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", help="folder for model.ckpt and valid.npz")
    parser.add_argument("--data-dir", help="folder with MNIST (else $TF1_RECIPES_DATA, else the cache)")
    parser.add_argument("--steps", type=int, default=200, help="training steps of BATCH_SIZE examples (default 200)")
    args = parser.parse_args(argv)
    mnist = load_mnist(args.data_dir)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    graph, t = build_graph()
    rng = np.random.RandomState(42)
    with tf1.Session(graph=graph) as sess:
        sess.run(t["init"])
        for _ in range(args.steps):
            rows = rng.randint(0, mnist.train.num_examples, BATCH_SIZE)
            sess.run(t["train_op"], {t["X"]: mnist.train.images[rows], t["y"]: mnist.train.labels[rows], t["training"]: True})
        valid_x, valid_y = mnist.validation.images[:VALID_EXAMPLES], mnist.validation.labels[:VALID_EXAMPLES]
        accuracy = sess.run(t["accuracy"], {t["X"]: valid_x, t["y"]: valid_y})
        prefix = t["saver"].save(sess, str(out / "model.ckpt"))
    np.savez(out / "valid.npz", x=valid_x, y=valid_y)
    print(f"{args.steps} steps, validation accuracy {accuracy:.4f}; saved {prefix} and {out / 'valid.npz'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
