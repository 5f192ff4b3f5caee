"""The pretrained model the Saver recipes reuse: the ``gradient_clipping`` network, saved.

Five ReLU layers 300/50/50/50/50 (``hidden1`` ... ``hidden5``) and ``outputs``, gradients
clipped to [-1, 1], saved with ``tf.compat.v1.train.Saver`` (data, index and ``.meta``
files). The reuse recipes take its checkpoint path; when none is given they get it from
:func:`tf1_recipes.checkpoints.pretrained_checkpoint`, which runs this recipe first when
its checkpoint is not cached.

Run it: ``python -m tf1_recipes.recipes.pretrain_5layer [--preset book] --out DIR``
"""

from tf1_recipes.recipes.gradient_clipping import gradient_clipping
from tf1_recipes.registry import recipe


@recipe(
    "pretrain_5layer",
    presets={
        # The book's version: shuffle_batch, batch 200, 20 epochs, validation accuracy.
        "book": dict(batch_size=200),
    },
    # gradient_clipping's plateau at batch 200: 5 epochs of all 55,000 images (1,375 steps)
    # leave it for every seed (10 seeds: 0.90 .. 0.92), so the reuse recipes' smoke runs build
    # on a trained model.
    smoke=dict(train_size=None, n_epochs=5),
    extends=gradient_clipping,
)
def pretrain_5layer(run, **hyperparameters):
    """The gradient_clipping network (5 ReLU layers, clip +-1) trained and saved for the reuse recipes."""
    gradient_clipping(run, **hyperparameters)


if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("pretrain_5layer")
