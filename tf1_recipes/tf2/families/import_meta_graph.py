"""The ``import_meta_graph`` ports' shared code: the pretrained model rebuilt in code, then restored.

The ports are ``tf2/reuse_import_meta_graph.py`` and ``tf2/reuse_import_meta_graph_new_layers.py``.

``tf.train.import_meta_graph(path + ".meta")`` brought the pretrained graph back without
its Python code, and ``get_tensor_by_name`` / ``get_operation_by_name`` found ``X``, ``y``,
``dnn/hidden3/Relu:0`` and ``train/GradientDescent`` in it. TF2 has two ways back to a
saved model, and these ports take the second:

* ``tf.saved_model.load`` of a SavedModel returns the saved ``tf.function`` s and
  variables without the code, but as a restored object: no Keras layers to take
  ``hidden3``'s output from, no training step unless one was exported, and a new head and
  optimizer cannot be grafted onto it. It serves inference (and the graph_session_basics
  port shows it on a variable), not this recipe's "keep training" and "add layers".
* Rebuild the model from its code and restore the checkpoint into it: TensorFlow's
  migration guide's way for training on. The code is the ``pretrain_5layer`` port, built
  with the ``pretrained_preset``'s hyperparameters (:func:`rebuild_pretrained`); the
  handles by name become attributes: ``get_tensor_by_name("dnn/hidden3/Relu:0")`` →
  ``model.get_layer("hidden3").output`` (a Keras functional graph), the imported
  training op → the pretrained port's own training step (its gradient clipping included),
  and the ``my_important_ops`` collection → the Python objects themselves.

The checkpoint is restored whole by :func:`restore_pretrained`. The pretrained checkpoint
the recipes chain through is the TF1 ``Saver`` checkpoint of ``pretrain_5layer`` (from
:func:`tf1_recipes.checkpoints.pretrained_checkpoint`, as the other reuse ports use): it is
read by name through the pretrain port's variable table, every variable accounted for as
``migrate-ckpt`` does (a checkpoint of another model is refused, listing the
differences). A TF2 checkpoint of the pretrain port (``run pretrain_5layer --tf2 --out``,
or ``migrate-ckpt``'s output) is restored object by object with ``tf.train.Checkpoint``.

What the ``.meta`` carried besides the variables' shapes, the training configuration
(learning rate, clipping threshold), comes with the code from ``pretrained_preset``: a
checkpoint passed by path must have been trained with that preset's configuration. Its
shapes are checked; those values cannot be, a checkpoint holds none of them.
"""

import tensorflow as tf

from tf1_recipes.harness import RecipeConfig
from tf1_recipes.tf2 import get_port
from tf1_recipes.tf2.mapping import OBJECT_GRAPH_KEY
from tf1_recipes.tf2.migrate import plan

PRETRAINED = "pretrain_5layer"


def pretrained_hyperparameters(preset):
    """The hyperparameters of ``pretrain_5layer``'s ``preset``: what its code needs to rebuild the model."""
    _, _, _, hyper = RecipeConfig(PRETRAINED, preset=preset).resolve()
    return hyper


def rebuild_pretrained(preset):
    """The ``pretrain_5layer`` port built from ``preset``'s hyperparameters: the pretrained model, in code."""
    return get_port(PRETRAINED)(**pretrained_hyperparameters(preset))


def pretrained_path(port, run):
    """The checkpoint to restore: the port's ``pretrained_checkpoint``, else the cached TF1 one of its preset."""
    from tf1_recipes import checkpoints

    path = port.pretrained_checkpoint or checkpoints.pretrained_checkpoint(PRETRAINED, port.pretrained_preset, run)
    return checkpoints.require_checkpoint(path)


def restore_pretrained(pretrained, path):
    """Restore every variable of the pretrain port ``pretrained`` from ``path``; returns how it was read.

    A TF2 checkpoint: object by object (``tf.train.Checkpoint(model=...)``), every variable
    of the model matched. A TF1 ``Saver`` checkpoint: by name through the port's table,
    after :func:`tf1_recipes.tf2.migrate.plan` checked that the checkpoint holds exactly
    this model (CheckpointMismatchError listing the differences otherwise).
    """
    reader = tf.train.load_checkpoint(path)
    shapes = reader.get_variable_to_shape_map()
    if OBJECT_GRAPH_KEY in shapes:
        tf.train.Checkpoint(model=pretrained.model).read(path).expect_partial().assert_existing_objects_matched()
        return "object-based"
    targets = pretrained.mapped_variables()
    for entry in plan(pretrained, shapes):
        if entry.target is not None:
            targets[entry.tf1_name].assign(reader.get_tensor(entry.tf1_name))
    return "name-based"
