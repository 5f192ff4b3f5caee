"""Shim port of :mod:`tf1_recipes.recipes.reuse_import_meta_graph`: the imported graph's own training op, eagerly.

Why ``wrap_function`` and not a layer, and what becomes of the session:
:mod:`tf1_recipes.shim.families.import_meta_graph`.
"""

from tf1_recipes.checkpoints import graph_lookups
from tf1_recipes.compat import tf1
from tf1_recipes.recipes.reuse_import_meta_graph import important_ops
from tf1_recipes.shim import shim
from tf1_recipes.shim.families.import_meta_graph import ImportedGraphShim


@shim("reuse_import_meta_graph")
class Shim(ImportedGraphShim):
    """The pretrained graph imported, restored with its own Saver, trained on with its own ``train/GradientDescent`` op."""

    def tf1_graph(self, pretrained_checkpoint, imported_saver):
        """The recipe's ``important_ops`` (X, y, accuracy, training op by name, through ``my_important_ops``).

        The loop's per-step loss is the imported ``loss/loss:0`` (the recipe never fetches it;
        fetching it beside the training op changes nothing the op computes).
        """
        X, y, accuracy, training_op = important_ops(pretrained_checkpoint)
        with graph_lookups(pretrained_checkpoint):
            loss = tf1.get_default_graph().get_tensor_by_name("loss/loss:0")
        return dict(X=X, y=y, loss=loss, accuracy=accuracy, training_op=training_op, saver=imported_saver)
