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
if _value is None:
    _os.environ["TF_USE_LEGACY_KERAS"] = "1"
elif _value not in _LEGACY_VALUES:
    raise ImportError(
        f"tf1_recipes needs the legacy tf-keras layers, but TF_USE_LEGACY_KERAS={_value!r} "
        "is set in the environment. Unset it or set TF_USE_LEGACY_KERAS=1."
    )

# TensorFlow's C++ INFO lines (CUDA probing, CPU feature notes) drown the per-epoch lines.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")

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

        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'tf1_recipes' has no attribute {name!r}")
