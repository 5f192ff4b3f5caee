"""Native TensorFlow 2 ports of the recipes: eager, ``tf.function``, Keras 3, ``GradientTape``.

One module here per module of :mod:`tf1_recipes.recipes` (``tf2/batch_norm.py`` ports
``recipes/batch_norm.py``); a port is a :class:`~tf1_recipes.tf2.base.Port` subclass
registered with ``@port("<recipe name>")``. ``tf1-recipes run <name> --tf2`` (or
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

import importlib
import importlib.util
import pkgutil

from tf1_recipes.registry import UnknownRecipeError

_PORTS = {}


class NoPortError(UnknownRecipeError):
    """The recipe has no TF2 port (yet); the message lists the ported recipes."""


def port(name):
    """Class decorator: register a :class:`Port` subclass as the TF2 port of recipe ``name``."""

    def register(cls):
        if name in _PORTS and _PORTS[name] is not cls:
            raise TypeError(f"recipe {name!r} already has a TF2 port: {_PORTS[name].__qualname__}")
        cls.recipe = name
        _PORTS[name] = cls
        return cls

    return register


def _load_all():
    """Import ``tf1_recipes.tf2.<m>`` for every recipe module ``m`` that has a port module."""
    import tf1_recipes.recipes as recipes

    for module in pkgutil.iter_modules(recipes.__path__):
        name = f"{__name__}.{module.name}"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


def get_port(name):
    """The Port class of recipe ``name``; NoPortError listing the ported recipes otherwise."""
    if name not in _PORTS:
        _load_all()
    if name not in _PORTS:
        raise NoPortError(f"recipe {name!r} has no TF2 port yet; ported: {', '.join(sorted(_PORTS))}")
    return _PORTS[name]


def list_ports():
    """{recipe name: Port class} of every ported recipe."""
    _load_all()
    return dict(sorted(_PORTS.items()))


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
