"""Where and with what a run happened: the ``provenance`` of every run result and run record."""

import platform
import subprocess
from pathlib import Path

import numpy as np

from tf1_recipes.compat import device_name, tf


def provenance(threads, implementation="tf1", data=None):
    """Where and with what a run happened: enough to tell whether two runs are comparable.

    ``threads`` is :func:`tf1_recipes.compat.configure_tensorflow`'s result (its
    ``"intra_op_threads"`` is recorded). ``implementation`` is ``"tf1"`` (the recipe's graph)
    or ``"tf2"`` (its TF2 port) or ``"shim"`` (its shim port), which golden comparisons treat as another platform.
    ``numerics`` is :func:`tf1_recipes.numerics.describe`: the numerics fingerprint that
    decides whether a pinned check applies, with the CPU, oneDNN and device facts beside
    it. ``data`` is the MNIST the run read (:attr:`tf1_recipes.data.Datasets.provenance`:
    folder, origin, format, files, verified SHA-256s), recorded as ``"data"`` when given.
    """
    import tf_keras

    from tf1_recipes import numerics

    return {
        "implementation": implementation,
        "tf_version": tf.__version__,
        "tf_keras_version": tf_keras.__version__,
        "numpy_version": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": cpu_model(),
        "device": device_name(),
        "intra_op_threads": threads["intra_op_threads"],
        "numerics": numerics.describe(),
        "git_revision": git_revision(),
        **({"data": data} if data is not None else {}),
    }


def cpu_model():
    """The CPU's model name (``/proc/cpuinfo``), else what ``platform.processor()`` says, else "unknown"."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_revision():
    """The short git revision of the source tree holding this package, or None (an installed package, no git)."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
