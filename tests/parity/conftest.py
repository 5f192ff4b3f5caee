"""Fixtures of the TF1 ↔ TF2 parity tests: traces of a recipe and its port, made once per session."""

import pytest


@pytest.fixture(scope="session")
def pair(mnist_dir):
    """pair(recipe, preset=None, overrides=None) -> (tf1 trace, tf2 trace, Parity), cached.

    K = parity.K_STEPS steps of parity.BATCH_SIZE real MNIST images from the TF1 graph's
    initial variables (see tf1_recipes.tf2.parity).
    """
    from tf1_recipes.tf2 import parity

    cache = {}

    def _pair(recipe, preset=None, overrides=None):
        key = (recipe, preset, tuple(sorted((overrides or {}).items())))
        if key not in cache:
            cache[key] = parity.run_pair(recipe, preset, overrides)
        return cache[key]

    return _pair


@pytest.fixture
def record_property(record_property):
    """pytest's ``record_property`` with NumPy scalars turned into Python numbers.

    The figures land in the JUnit XML (``--junitxml``); pytest-xdist workers send them to
    the controller, and its serializer refuses NumPy types such as ``np.float32``.
    """
    import numpy as np

    def record(name, value):
        record_property(name, value.item() if isinstance(value, np.generic) else value)

    return record
