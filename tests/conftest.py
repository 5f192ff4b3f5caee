"""Shared fixtures: where MNIST is, TensorFlow configured once, and small helpers.

Tests read real MNIST from ``$TF1_RECIPES_DATA``; when it is unset and the workplace's
shared copy sits beside the project (``../shared/data/mnist``), that copy is used.
"""

import os
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SHARED_MNIST = PROJECT.parent / "shared" / "data" / "mnist"

if not os.environ.get("TF1_RECIPES_DATA") and SHARED_MNIST.is_dir():
    os.environ["TF1_RECIPES_DATA"] = str(SHARED_MNIST)

import tf1_recipes  # noqa: E402,F401  (before TensorFlow: selects the legacy layers)
from tf1_recipes.compat import configure_tensorflow  # noqa: E402

# Thread counts are part of the platform a golden was pinned on; set them before any test
# can start TensorFlow's runtime with other values.
configure_tensorflow()


@pytest.fixture(scope="session")
def mnist_dir():
    """The directory real MNIST is read from (skips nothing: a missing MNIST is an error)."""
    from tf1_recipes.data import locate

    return locate(download=False)


@pytest.fixture
def run_quiet(tmp_path):
    """run_recipe(...) with no printing and no progress bar."""
    from tf1_recipes.harness import RecipeConfig, run_recipe

    def _run(recipe, preset=None, **kwargs):
        overrides = kwargs.pop("overrides", {})
        return run_recipe(RecipeConfig(recipe, preset=preset, quiet=True, progress=False, overrides=overrides, **kwargs))

    return _run
