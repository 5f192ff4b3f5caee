"""TF2 port of :mod:`tf1_recipes.recipes.reuse_import_meta_graph_new_layers`: new layers on the rebuilt pretrained model.

Why rebuilt rather than imported: :mod:`tf1_recipes.tf2.families.import_meta_graph`.
"""

import keras
import tensorflow as tf

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.base import Port
from tf1_recipes.tf2.families.import_meta_graph import pretrained_path, rebuild_pretrained, restore_pretrained
from tf1_recipes.tf2.models import dense_variables
from tf1_recipes.tf2.optimizers import FusedSGD


@port("reuse_import_meta_graph_new_layers")
class ReuseImportMetaGraphNewLayers(Port):
    """new_hidden4 and new_outputs on the restored pretrained model's hidden3; GD on everything below them."""

    parity_overrides = {"pretrained_preset": "smoke"}
    #: The TF1 graph holds the imported model's loss (``loss/loss``) too; the recipe's is ``new_loss/loss``.
    tf1_loss = "new_loss/loss:0"

    def build(self, *, n_hidden4, n_outputs, learning_rate, pretrained_checkpoint, pretrained_preset):
        self.pretrained_checkpoint, self.pretrained_preset = pretrained_checkpoint, pretrained_preset
        self.pretrained = rebuild_pretrained(pretrained_preset)
        base = self.pretrained.model
        hidden3 = base.get_layer("hidden3").output  # TF1: get_tensor_by_name("dnn/hidden3/Relu:0")
        new_hidden4 = keras.layers.Dense(n_hidden4, activation="relu", name="new_hidden4")(hidden3)
        new_logits = keras.layers.Dense(n_outputs, name="new_outputs")(new_hidden4)
        # The imported graph keeps the pretrained hidden4, hidden5 and outputs (unused, never
        # trained, saved with the new model); so does the port, in self.pretrained.
        self.variables = {**self.pretrained.variables, **dense_variables("new_hidden4", "new_outputs")}
        return keras.Model(base.inputs[0], new_logits, name=self.recipe), FusedSGD(learning_rate)

    def keras_variables(self):
        """The pretrained model's variables and the new layers', by path inside their models."""
        prefixes = (self.pretrained.model.name + "/", self.model.name + "/")

        def inside(path):
            return next((path[len(p) :] for p in prefixes if path.startswith(p)), path)

        return {inside(v.path): v for v in [*self.pretrained.model.variables, *self.model.variables]}

    def fit(self, run):
        restore_pretrained(self.pretrained, pretrained_path(self, run))
        super().fit(run)

    def checkpoint(self):
        """The new model, the pretrained one it grew from, and the optimizer (TF1: a Saver over everything)."""
        return tf.train.Checkpoint(model=self.model, pretrained=self.pretrained.model, optimizer=self.optimizer)
