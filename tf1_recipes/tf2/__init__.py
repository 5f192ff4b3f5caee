"""Native TensorFlow 2 ports of the recipes: eager, ``tf.function``, Keras 3, ``GradientTape``.

One module here per recipe: ``tf1_recipes/tf2/<name>.py`` ports ``tf1_recipes/recipes/<name>.py``
with a :class:`~tf1_recipes.tf2.base.Port` subclass registered with ``@port("<name>")``;
port code shared by a family of recipes is in ``tf1_recipes/tf2/families/<family>.py``
(and :mod:`~tf1_recipes.tf2.base`, :mod:`~tf1_recipes.tf2.models` for all of them). ``tf1-recipes run <name> --tf2`` (or
``RecipeConfig(..., tf2=True)``) runs it with the TF1 recipe's presets, seed and batches,
and its result is compared with the TF1 recipe's golden as a run on another platform.

Keras 3 and the legacy tf-keras in one process
----------------------------------------------
The TF1 recipes need ``tf.compat.v1.layers``, which only the legacy ``tf_keras`` package
provides; the ports use Keras 3. Both work side by side because they are two different
Python packages, and only ``tf.keras`` (a lazy alias inside TensorFlow) has to choose:

* ``import tf1_recipes`` sets ``TF_USE_LEGACY_KERAS=1`` before TensorFlow resolves that
  alias, so ``tf.keras`` and ``tf.compat.v1.layers`` are tf_keras (what the TF1 recipes use);
* the ports never write ``tf.keras``: they ``import keras``, which is always the Keras 3
  package, whatever ``TF_USE_LEGACY_KERAS`` says.

So a process may build a TF1 graph with ``tf1.layers.dense`` and then train a Keras 3
model eagerly (tests/parity does exactly that for every recipe); the only rule is to
import ``tf1_recipes`` (or set the variable) before anything touches ``tf.keras``.
``tests/parity/test_framework.py`` checks both orders of import.
"""

from tf1_recipes.registry import Registry, UnknownRecipeError, list_recipes


class NoPortError(UnknownRecipeError):
    """The recipe has no TF2 port (yet); the message lists the ported recipes."""


#: recipe name -> its Port class, registered by ``tf1_recipes.tf2.<name>`` (listing scans the recipes' names).
PORTS = Registry(
    __name__,
    "port",
    error=NoPortError,
    scan=lambda: [spec.name for spec in list_recipes()],
    missing="recipe {name!r} has no TF2 port yet{close}; ported: {known}",
)


def port(name):
    """Class decorator: register a :class:`Port` subclass as the TF2 port of recipe ``name``."""
    return PORTS.class_decorator(name, "a TF2 port")


def get_port(name):
    """The Port class of recipe ``name`` (from ``tf1_recipes.tf2.<name>``); NoPortError listing the ported recipes otherwise."""
    return PORTS.get(name)


def list_ports():
    """{recipe name: Port class} of every ported recipe."""
    return PORTS.all()


def seed_everything(seed):
    """Python's, NumPy's and TensorFlow's global seeds (Keras 3 draws its layer seeds from Python's).

    NumPy's global RNG is seeded exactly as the TF1 harness seeds it, so ``run.batches``
    yields the same batches in the same order as in the TF1 run.
    """
    import keras

    keras.utils.set_random_seed(seed)


def run_port(run, seed, hyper):
    """Build recipe ``run.recipe``'s TF2 port from ``hyper`` and train it (what ``--tf2`` runs)."""
    cls = get_port(run.recipe)
    seed_everything(seed)
    model = cls(**hyper)
    model.fit(run)
    return model
