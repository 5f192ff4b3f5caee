"""tf1-recipes: legacy TensorFlow 1 graph-mode training recipes, pinned by goldens.

TensorFlow 2.16+ ships Keras 3, where ``tf.compat.v1.layers`` does not exist. The TF1
layers live on in the ``tf-keras`` package, and TensorFlow routes to it only when
``TF_USE_LEGACY_KERAS=1`` is set before its Keras loader first resolves. This package
sets the variable on import, before anything here imports TensorFlow; ``compat`` then
checks that the routing really took effect and fails with instructions if it did not.

Public API::

    from tf1_recipes import run_recipe, list_recipes, RecipeConfig
    result = run_recipe("batch_norm")            # the reference configuration
    result.final, result.history
"""

import os as _os

_LEGACY_VALUES = ("1", "true", "True")
_value = _os.environ.get("TF_USE_LEGACY_KERAS")
#: Why the legacy layers cannot be selected in this process (None: they can). Recorded, not
#: raised here, so that the command line (which imports this package first) can say it in
#: one line; the public API and ``compat`` raise it before TensorFlow is first needed.
LEGACY_KERAS_PROBLEM = None
if _value is None:
    _os.environ["TF_USE_LEGACY_KERAS"] = "1"
elif _value not in _LEGACY_VALUES:
    LEGACY_KERAS_PROBLEM = (
        f"tf1_recipes needs the legacy tf-keras layers, but TF_USE_LEGACY_KERAS={_value!r} "
        "is set in the environment: unset it or set TF_USE_LEGACY_KERAS=1"
    )


class LegacyKerasEnvError(ImportError):
    """TF_USE_LEGACY_KERAS is set to a value that routes TensorFlow to Keras 3."""


def require_legacy_keras():
    """Raise :class:`LegacyKerasEnvError` when the environment forbids the legacy layers."""
    if LEGACY_KERAS_PROBLEM:
        raise LegacyKerasEnvError(LEGACY_KERAS_PROBLEM)


#: TensorFlow's C++ log (CUDA probing on a CPU machine, oneDNN and CPU feature notes) drowns
#: the per-epoch lines: quiet by default, before TensorFlow loads. A value the user set wins
#: (``TF_CPP_MIN_LOG_LEVEL=0`` brings every line back), and then nothing is filtered.
#: The marker tells a child process (check --jobs spawns its workers) that the level it
#: inherits is this package's default, not the user's.
_QUIET_MARK = "TF1_RECIPES_QUIETED_TF_LOG"
QUIET_TF_LOG = ("TF_CPP_MIN_LOG_LEVEL" not in _os.environ
                or _os.environ.get(_QUIET_MARK) == _os.environ["TF_CPP_MIN_LOG_LEVEL"])
if QUIET_TF_LOG:
    _os.environ["TF_CPP_MIN_LOG_LEVEL"] = _os.environ[_QUIET_MARK] = _os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"

_PUBLIC = {
    "RecipeConfig": "tf1_recipes.harness",
    "RunResult": "tf1_recipes.harness",
    "run_recipe": "tf1_recipes.harness",
    "get_recipe": "tf1_recipes.registry",
    "list_recipes": "tf1_recipes.registry",
}
__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name):
    # The public API loads lazily, so `import tf1_recipes` stays cheap and sets the
    # environment before anything imports TensorFlow.
    if name in _PUBLIC:
        import importlib

        require_legacy_keras()

        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'tf1_recipes' has no attribute {name!r}")
