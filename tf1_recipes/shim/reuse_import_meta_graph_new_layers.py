"""Shim port of :mod:`tf1_recipes.recipes.reuse_import_meta_graph_new_layers`: new layers built on the imported graph, eagerly.

Why ``wrap_function`` and not a layer, and what becomes of the session:
:mod:`tf1_recipes.shim.families.import_meta_graph`.
"""

from tf1_recipes.recipes.reuse_import_meta_graph_new_layers import new_layers_on_hidden3
from tf1_recipes.shim import shim
from tf1_recipes.shim.families.import_meta_graph import ImportedGraphShim


@shim("reuse_import_meta_graph_new_layers")
class Shim(ImportedGraphShim):
    """new_hidden4 and new_outputs on the imported ``dnn/hidden3/Relu:0`` (the recipe's code, in the wrapped graph); its GD op."""

    def tf1_graph(self, pretrained_checkpoint, imported_saver):
        """The recipe's ``new_layers_on_hidden3``; no ``init`` and no ``new_saver`` (see the module docstring).

        The recipe then builds ``global_variables_initializer()`` and a ``Saver()`` over every
        variable. Inside ``wrap_function`` the new layers' variables are lifted out as they are
        created, and initialized then, eagerly: they have no initializer op in the graph, so
        ``global_variables_initializer`` cannot be built there (TypeError). Their initial values
        are drawn at creation instead (``init.run()``'s part); the imported variables are
        restored by the imported saver in ``fit``, as the recipe restores them after ``init``;
        the new saver is :meth:`ShimPort.saver`, an eager ``Saver`` of every variable by its
        TF1 name (the same names and values as the recipe's).
        """
        h = self.hyper
        X, y, loss, accuracy, training_op = new_layers_on_hidden3(
            pretrained_checkpoint, n_hidden4=h["n_hidden4"], n_outputs=h["n_outputs"], learning_rate=h["learning_rate"]
        )
        return dict(X=X, y=y, loss=loss, accuracy=accuracy, training_op=training_op)
