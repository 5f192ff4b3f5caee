"""Shim ports (rung 2 of TensorFlow's migration route): the recipe's own TF1 model code, run eagerly.

The migration guides' ladder for a TF1 code base (MIGRATION.md, "The migration ladder"):
rung 1 puts the source through ``tf_upgrade_v2``; rung 2, here, keeps the TF1 model code
(``tf.compat.v1.layers.dense``, ``batch_normalization``, ``dropout``, their variable
scopes) but calls it inside a tf-keras layer whose ``call`` is decorated with
``tf.compat.v1.keras.utils.track_tf1_style_variables``, so it runs eagerly and under
``tf.function``, trained with ``GradientTape``; rung 4 is the native port
(:mod:`tf1_recipes.tf2`).

One module here per recipe: ``tf1_recipes/shim/<name>.py`` registers a
:class:`~tf1_recipes.shim.base.ShimPort` subclass with ``@shim("<name>")``; code shared by a
family of recipes is in ``tf1_recipes/shim/families/<family>.py``. Each calls the model
function of ``tf1_recipes/recipes/<name>.py`` (or its family's), the very code the TF1
recipe builds its graph with, and keeps the recipe's ``tf.compat.v1.train`` optimizer: the
variables and the optimizer's slots keep their TF1 names (``hidden1/kernel``,
``hidden1/kernel/Momentum``), so the recipe's ``tf.train.Saver`` checkpoint loads into the
shim by name, with no mapping table. ``tf1-recipes run <name> --shim`` (or
``RecipeConfig(..., shim=True)``) runs it with the recipe's presets, seed and batches;
its result is compared with the TF1 golden as a run on another platform (``implementation:
shim``).
"""

from tf1_recipes.registry import Registry, UnknownRecipeError


class NoShimError(UnknownRecipeError):
    """The recipe exists but has no shim port (yet): a KeyError listing the shimmed recipes."""


SHIMS = Registry(
    "tf1_recipes.shim",
    "shim port",
    error=NoShimError,
    missing="recipe {name!r} has no shim port yet{close}; shimmed: {known}",
)


def shim(name):
    """Class decorator: register a :class:`~tf1_recipes.shim.base.ShimPort` subclass as recipe ``name``'s shim port."""
    return SHIMS.class_decorator(name, "a shim port")


def get_shim(name):
    """The ShimPort class of recipe ``name`` (from ``tf1_recipes.shim.<name>``); NoShimError listing the shimmed recipes otherwise."""
    return SHIMS.get(name)


def list_shims():
    """{recipe name: ShimPort class} of every shimmed recipe."""
    return SHIMS.all()


def run_shim(run, seed, hyper):
    """Build recipe ``run.recipe``'s shim port from ``hyper`` and train it (what ``--shim`` runs)."""
    from tf1_recipes.tf2 import seed_everything

    cls = get_shim(run.recipe)
    seed_everything(seed)
    model = cls(**hyper)
    model.fit(run)
    return model
