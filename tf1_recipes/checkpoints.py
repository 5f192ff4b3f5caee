"""Checkpoints the Saver recipes chain through: the pretrained-model cache and restore checks.

A reuse recipe takes the path of the checkpoint it reuses (``pretrained_checkpoint``).
When none is given it asks :func:`pretrained_checkpoint` for the cached checkpoint of the
model it builds on (``pretrain_5layer``, ``early_stopping``), which is produced first,
by running that recipe through the harness under its own name, when the cache has none.
The run says which happened. The cache is ``$TF1_RECIPES_CACHE`` or
``~/.cache/tf1_recipes/checkpoints``, one directory per recipe, preset and :func:`cache_key`.

:func:`check_restorable` compares a ``Saver``'s ``var_list`` with what a checkpoint holds
before anything is restored, so a checkpoint of another architecture, or a scope regex
that matches nothing, is one line naming the variables instead of a stack trace from
inside ``Saver.restore``.
"""

import contextlib
import dataclasses
import fcntl
import functools
import hashlib
import json
import os
import random
import shutil
import tempfile
from pathlib import Path

import numpy as np

from tf1_recipes.compat import configure_tensorflow, tf
from tf1_recipes.harness import RecipeConfig, run_recipe

ENV_VAR = "TF1_RECIPES_CACHE"
CACHE_DIR = Path("~/.cache/tf1_recipes/checkpoints")
CHECKPOINT_NAME = "model.ckpt"  # what run.checkpoint_path names the final model
RECORD_NAME = "pretrained.json"


class CheckpointError(Exception):
    """A checkpoint is missing or does not fit the model restoring it (one line, for the CLI)."""


class CheckpointNotFoundError(CheckpointError):
    """No checkpoint (index, data or .meta file) at the given path."""


class CheckpointMismatchError(CheckpointError):
    """The checkpoint lacks variables the model restores, or holds them with other shapes."""


class NothingToRestoreError(CheckpointError):
    """The variables selected for restoring (a scope regex) are none: nothing would be restored."""


# --------------------------------------------------------------------------- checks


def require_checkpoint(path, meta=False):
    """``path`` (a Saver prefix) if its index (and, with ``meta``, its .meta) file exists."""
    needed = [f"{path}.index"] + ([f"{path}.meta"] if meta else [])
    missing = [name for name in needed if not Path(name).is_file()]
    if missing:
        raise CheckpointNotFoundError(f"no checkpoint at {path}: {', '.join(missing)} missing")
    return path


def check_restorable(path, var_list, scope=None):
    """Raise unless every variable of ``var_list`` is in the checkpoint with the same shape.

    ``scope`` is the regex that selected ``var_list`` (named in the error when it selected
    nothing). Returns ``var_list`` so the check can sit where the Saver is built.
    """
    require_checkpoint(path)
    saved = dict(tf.train.list_variables(path))
    if not var_list:
        what = f"the scope regex {scope!r} matches no variable" if scope is not None else "no variable was selected"
        raise NothingToRestoreError(
            f"restoring from {path} would restore nothing: {what} of this model "
            f"(the checkpoint holds {', '.join(sorted(saved))})"
        )
    problems = []
    for var in var_list:
        name, shape = var.op.name, var.shape.as_list()
        if name not in saved:
            problems.append(f"{name} is not in the checkpoint")
        elif list(saved[name]) != shape:
            problems.append(f"{name} has shape {list(saved[name])} in the checkpoint but {shape} in this model")
    if problems:
        raise CheckpointMismatchError(
            f"checkpoint {path} does not match this model (another architecture?): {'; '.join(problems)}"
        )
    return var_list


@contextlib.contextmanager
def graph_lookups(path):
    """Turn a failed ``get_tensor_by_name`` on an imported graph into a CheckpointMismatchError."""
    try:
        yield
    except KeyError as err:
        message = err.args[0] if err.args else str(err)
        raise CheckpointMismatchError(f"the graph in {path}.meta is not the expected model: {message}") from None


# --------------------------------------------------------------------------- cache


def cache_dir():
    """``$TF1_RECIPES_CACHE``, else ``~/.cache/tf1_recipes/checkpoints``."""
    return Path(os.environ.get(ENV_VAR) or CACHE_DIR).expanduser()


def cache_key(recipe, preset, config, threads):
    """Hash of what determines a pretrained checkpoint's values.

    The resolved configuration (hyperparameters and harness settings, seed included), the
    TensorFlow version, the intra-op thread count and the numerics fingerprint (both change
    the last bits: a checkpoint trained with oneDNN on is not reused with it off).
    """
    from tf1_recipes import numerics

    facts = {
        "recipe": recipe,
        "preset": preset,
        "config": config,
        "tf_version": tf.__version__,
        "threads": threads,
        "numerics": numerics.fingerprint(),
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def pretrained_checkpoint(recipe, preset, run=None):
    """The cached checkpoint of ``recipe``/``preset``; trained first (and said so) when missing.

    ``run`` is the reusing recipe's run: its seed, data directory, thread count and
    quietness carry over to the pretraining run, and its log says where the checkpoint came
    from. So a reusing run with seed 43 builds on a model pretrained with seed 43, and the
    spread over seeds of a chained recipe's golden covers its upstream model's spread.
    Without a run (tests, tools) the preset's seed and the defaults apply and the messages
    are printed.
    """
    base = run.config if run is not None else RecipeConfig(recipe)
    log = run.log if run is not None else functools.partial(print, flush=True)
    seed = run.settings["seed"] if run is not None else None
    config = RecipeConfig(
        recipe, preset=preset, seed=seed, data_dir=base.data_dir, threads=base.threads, quiet=base.quiet, progress=False
    )
    spec, preset, settings, hyper = config.resolve()
    threads = configure_tensorflow(base.threads)["intra_op_threads"]
    directory = cache_dir() / f"{spec.name}-{preset}-{cache_key(spec.name, preset, {**settings, **hyper}, threads)}"
    path = directory / CHECKPOINT_NAME
    if _complete(path):
        log(f"Reusing the cached {spec.name}/{preset} checkpoint {path}")
        return str(path)
    with _lock(directory):
        if not _complete(path):  # nobody produced it while we waited for the lock
            _produce(log, dataclasses.replace(config, preset=preset), directory)
    return str(path)


def _complete(path):
    return all(Path(f"{path}{suffix}").is_file() for suffix in (".index", ".meta")) and (
        Path(path).parent / RECORD_NAME
    ).is_file()


@contextlib.contextmanager
def _lock(directory):
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(directory.parent / f"{directory.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _produce(log, config, directory):
    """Run the pretraining recipe into a temporary directory, then move it into the cache."""
    log(
        f"No cached {config.recipe}/{config.preset} checkpoint: training it first "
        f"(recipe {config.recipe}, preset {config.preset}) for {directory}"
    )
    scratch = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        with _rngs_untouched():
            result = run_recipe(dataclasses.replace(config, out_dir=str(scratch)))
        if result.checkpoint_path is None:
            raise CheckpointError(f"{config.recipe}/{config.preset} ended without saving {scratch / CHECKPOINT_NAME}")
        record = {
            "recipe": result.recipe,
            "preset": result.preset,
            "config": result.config,
            "metric": result.metric,
            "history": result.history,
            "final": result.final,
            "provenance": result.provenance,
        }
        (scratch / RECORD_NAME).write_text(json.dumps(record, indent=2) + "\n")
        shutil.rmtree(directory, ignore_errors=True)  # an incomplete leftover
        os.replace(scratch, directory)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    log(f"Cached {config.recipe}/{config.preset} checkpoint ({result.metric} {result.final:.4f}): {directory}")


@contextlib.contextmanager
def _rngs_untouched():
    """Keep NumPy's and Python's global RNGs as they were: the pretraining run reseeds them,
    and the reusing run's batch order must not depend on whether the cache was warm."""
    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        yield
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)
