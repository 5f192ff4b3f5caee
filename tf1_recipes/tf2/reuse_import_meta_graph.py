"""TF2 port of :mod:`tf1_recipes.recipes.reuse_import_meta_graph`: the pretrained model rebuilt in code, restored, trained on.

Why rebuilt rather than imported: :mod:`tf1_recipes.tf2.families.import_meta_graph`.
"""

from tf1_recipes.tf2 import port
from tf1_recipes.tf2.families.import_meta_graph import pretrained_hyperparameters, pretrained_path, restore_pretrained
from tf1_recipes.tf2.pretrain_5layer import Pretrain5Layer


@port("reuse_import_meta_graph")
class ReuseImportMetaGraph(Pretrain5Layer):
    """The pretrained model rebuilt and restored, then trained on with its own (clipped GD) training step."""

    # The parity runs restore the pretrain_5layer smoke checkpoint (seconds to make), not the full one.
    parity_overrides = {"pretrained_preset": "smoke"}
    # It goes on training the whole pretrained model (the pretrain_5layer smoke model, 0.89-0.93
    # validation accuracy): K steps of GD from trained weights need not lower its loss (seed 42:
    # 0.205 -> 0.291). The K-step test still requires the weights to move, and equal TF1's.
    parity_inference_loss_falls = False

    def build(self, *, pretrained_checkpoint, pretrained_preset):
        self.pretrained_checkpoint, self.pretrained_preset = pretrained_checkpoint, pretrained_preset
        architecture = {k: v for k, v in pretrained_hyperparameters(pretrained_preset).items() if k not in self.LOOP_HYPERPARAMETERS}
        return super().build(**architecture)

    def fit(self, run):
        restore_pretrained(self, pretrained_path(self, run))
        # continue training the model...
        super().fit(run)
