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

:func:`read_checkpoint` reads every tensor of a checkpoint (TensorFlow checks each one's
CRC on read), so a missing, empty, truncated or overwritten file is one
:class:`CheckpointDamagedError` naming that file, TensorFlow's cause and what to do, before
anything is built from it; :func:`prefix_in_directory` follows a ``checkpoint`` state file,
also in a folder moved since (its absolute paths). :func:`directory_lock` is the one lock
file (O_CREAT|O_EXCL, holding pid, host and start time) for the pretrained cache and for a
run's ``--out``; a dead process's lock is taken over with a note.
"""

import contextlib
import dataclasses
import datetime
import functools
import hashlib
import json
import os
import random
import re
import shutil
import socket
import sys
import time
from pathlib import Path

import numpy as np

from tf1_recipes import outputs
from tf1_recipes.compat import configure_tensorflow, error_cause, tf, tf1
from tf1_recipes.harness import RecipeConfig, RunResult, run_recipe

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


class CheckpointDamagedError(CheckpointError):
    """A checkpoint file is there but cannot be read (truncated, overwritten, a byte flipped)."""


class DirectoryLockedError(CheckpointError):
    """Another process holds the lock of a directory (a run writing into it)."""


def note(message):
    """One ``tf1-recipes: note: ...`` line on stderr (something the user should know; not an error)."""
    print(f"tf1-recipes: note: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- reading

#: The files of a Saver (and of a TF2 ``Checkpoint.write``) prefix, beside the prefix itself.
_SUFFIX = re.compile(r"\.(index|meta|data-\d{5}-of-\d{5})$")
_SHARD = re.compile(r"shard (\d+)")


def strip_suffix(path):
    """(prefix, suffix) of a checkpoint file name (``model.ckpt.index`` → ``model.ckpt``, ``.index``); suffix "" if none."""
    match = _SUFFIX.search(str(path))
    if not match:
        return str(path), ""
    return str(path)[: match.start()], match.group(0)


def data_files(prefix):
    """The ``.data-NNNNN-of-MMMMM`` shard names a prefix's index refers to (by the shard count of those present)."""
    present = sorted(Path(prefix).parent.glob(f"{Path(prefix).name}.data-*-of-*"))
    counts = {int(p.name.rsplit("-of-", 1)[1]) for p in present if p.name.rsplit("-of-", 1)[1].isdigit()}
    total = max(counts) if counts else 1
    return [Path(f"{prefix}.data-{i:05d}-of-{total:05d}") for i in range(total)]


def read_checkpoint(prefix, what="checkpoint", remedy=None):
    """{variable name: value} of every tensor in the checkpoint ``prefix``, each read (so checksummed).

    Any file that is missing, empty, truncated or damaged is one CheckpointDamagedError (or
    CheckpointNotFoundError) naming that file, what is wrong and what to do (``remedy``); one
    this user may not read is a PermissionError naming it (TensorFlow's reader would call it damaged).
    """
    remedy = remedy or "re-create it (run the recipe again with --out) or give another checkpoint"
    index = Path(f"{prefix}.index")
    if not index.is_file():
        raise CheckpointNotFoundError(f"no {what} at {prefix}: {index} is missing; give the prefix of an existing checkpoint")
    shards = data_files(prefix)
    missing = [str(p) for p in shards if not p.is_file()]
    if missing:
        raise CheckpointDamagedError(f"{what} {prefix} is incomplete: {', '.join(missing)} is missing; {remedy}")
    for path in (index, *shards):  # a file closed to this user: PermissionError (one line), not "damaged"
        open(path, "rb").close()
    try:
        reader = tf.train.load_checkpoint(str(prefix))
    except (tf.errors.OpError, IndexError, ValueError) as err:
        raise CheckpointDamagedError(
            f"{what} file {index} is damaged ({_size(index)}; TensorFlow: {error_cause(err)}); {remedy}"
        ) from None
    values = {}
    for name in sorted(reader.get_variable_to_shape_map()):
        try:
            values[name] = reader.get_tensor(name)
        except (tf.errors.OpError, IndexError, ValueError) as err:
            shard = _SHARD.search(error_cause(err))
            files = [shards[int(shard.group(1))]] if shard and int(shard.group(1)) < len(shards) else shards
            where = ", ".join(f"{p} ({_size(p)})" for p in files)
            raise CheckpointDamagedError(
                f"{what} file {where} is damaged (reading {name}; TensorFlow: {error_cause(err)}); {remedy}"
            ) from None
    return values


STATE_FILE = "checkpoint"


def read_state_file(path):
    """The checkpoint prefixes a ``checkpoint`` state file names: [latest, *all kept], as written (maybe relative).

    An unreadable, empty or unparseable file, or one naming no checkpoint, is a
    CheckpointDamagedError naming it.
    """
    from google.protobuf import text_format
    from tf1_recipes.tf_private import checkpoint_state_proto

    path = Path(path)
    try:
        text = path.read_text()
        state = text_format.Parse(text, checkpoint_state_proto())
    except (OSError, UnicodeDecodeError, text_format.ParseError) as err:
        raise CheckpointDamagedError(
            f"checkpoint state file {path} is damaged ({_size(path)}; {error_cause(err)}); "
            f"give the checkpoint prefix instead (e.g. {path.parent / CHECKPOINT_NAME})"
        ) from None
    if not state.model_checkpoint_path:
        raise CheckpointDamagedError(
            f"checkpoint state file {path} names no checkpoint ({_size(path)}); "
            f"give the checkpoint prefix instead (e.g. {path.parent / CHECKPOINT_NAME})"
        )
    return [state.model_checkpoint_path, *state.all_model_checkpoint_paths]


def prefix_in_directory(directory, what="checkpoint"):
    """The latest checkpoint prefix a directory's ``checkpoint`` state file names, found where it really is.

    The state file may hold absolute paths (a Saver's) of a folder since moved or copied:
    when the named prefix is gone or lies outside ``directory`` and a checkpoint of the same
    name sits beside the state file, that one is taken, with a note. Otherwise one
    CheckpointError naming both.
    """
    directory = Path(directory)
    state_file = directory / STATE_FILE
    if not state_file.is_file():
        present = sorted(p.name[: -len(".index")] for p in directory.glob("*.index"))
        hint = f"give the prefix, e.g. {directory / present[-1]}" if present else "give a checkpoint prefix (DIR/model.ckpt)"
        raise CheckpointNotFoundError(f"{directory}: no {what} state file ('{STATE_FILE}') in this directory; {hint}")
    named = Path(read_state_file(state_file)[0])
    full = named if named.is_absolute() else directory / named
    beside = directory / named.name
    inside = full.parent.resolve() == directory.resolve()
    if inside and Path(f"{full}.index").is_file():
        return str(full)
    if Path(f"{beside}.index").is_file():
        note(f"{state_file} names {full}, which is {'gone' if not Path(f'{full}.index').is_file() else 'outside this directory'} "
             f"(folder moved or copied?): using {beside} beside it")
        return str(beside)
    raise CheckpointNotFoundError(
        f"{state_file} names the {what} {full}, which does not exist, and there is no {beside.name} beside it either "
        f"({beside}.index missing); give the checkpoint prefix itself"
    )


def verify_checkpoint(prefix, what="checkpoint", remedy=None):
    """``prefix`` if every tensor of it reads back intact; CheckpointError naming the damaged file otherwise."""
    read_checkpoint(prefix, what, remedy)
    return prefix


def verify_meta_graph(prefix, remedy=None):
    """``prefix`` if its ``.meta`` file parses as a MetaGraphDef; CheckpointError naming the file otherwise.

    It is imported into a throwaway graph too (the collections' nested protos are parsed
    only then). Protobuf has no checksum: a flipped byte inside a number or a name may still
    give a graph that imports.
    """
    from google.protobuf.message import DecodeError
    from tensorflow.core.protobuf import meta_graph_pb2

    remedy = remedy or "re-create it (run the recipe again with --out) or give another checkpoint"
    meta = Path(f"{prefix}.meta")
    try:
        data = meta.read_bytes()
    except FileNotFoundError:
        raise CheckpointNotFoundError(f"no checkpoint graph at {prefix}: {meta} is missing; {remedy}") from None
    except OSError as err:
        raise CheckpointDamagedError(f"checkpoint graph {meta} is unreadable ({err.strerror or err}); {remedy}") from None
    graph = meta_graph_pb2.MetaGraphDef()
    try:
        graph.ParseFromString(data)
    except DecodeError as err:
        raise CheckpointDamagedError(f"checkpoint graph {meta} is damaged ({_size(meta)}; {err or 'not a MetaGraphDef'}); {remedy}") from None
    if not graph.graph_def.node:
        raise CheckpointDamagedError(f"checkpoint graph {meta} is damaged ({_size(meta)}; it holds no graph); {remedy}")
    try:
        with tf1.Graph().as_default():  # collections hold nested protos, parsed only on import
            tf1.train.import_meta_graph(graph)
    except (DecodeError, ValueError, KeyError, TypeError, tf.errors.OpError) as err:
        cause = error_cause(err)
        raise CheckpointDamagedError(f"checkpoint graph {meta} is damaged ({_size(meta)}; importing it: {cause}); {remedy}") from None
    return prefix


def _size(path):
    try:
        size = Path(path).stat().st_size
    except OSError:
        return "unreadable"
    return "empty" if size == 0 else f"{size} bytes"


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

    ``var_list`` is what a ``Saver`` takes: a list of graph variables (named by their op), or
    a dict {checkpoint name: variable} (eager variables, e.g. a shim port's, have no op).
    ``scope`` is the regex that selected ``var_list`` (named in the error when it selected
    nothing). Returns ``var_list`` so the check can sit where the Saver is built.
    """
    require_checkpoint(path)
    saved = {name: value.shape for name, value in read_checkpoint(path).items()}
    if not var_list:
        what = f"the scope regex {scope!r} matches no variable" if scope is not None else "no variable was selected"
        raise NothingToRestoreError(
            f"restoring from {path} would restore nothing: {what} of this model "
            f"(the checkpoint holds {', '.join(sorted(saved))})"
        )
    problems = []
    named = var_list.items() if isinstance(var_list, dict) else ((var.op.name, var) for var in var_list)
    for name, var in named:
        shape = var.shape.as_list()
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
    # The in-graph input path: the feed_dict path's numbers in less time (tests/unit/test_in_graph.py).
    config = RecipeConfig(
        recipe, preset=preset, seed=seed, data_dir=base.data_dir, threads=base.threads, quiet=base.quiet, progress=False,
        input_path="in_graph",
    )
    spec, preset, settings, hyper = config.resolve()
    threads = configure_tensorflow(base.threads)["intra_op_threads"]
    directory = cache_dir() / f"{spec.name}-{preset}-{cache_key(spec.name, preset, {**settings, **hyper}, threads)}"
    path = directory / CHECKPOINT_NAME
    if _complete(path):
        remedy = f"delete {directory} so that it is trained again"
        verify_checkpoint(path, f"cached {spec.name}/{preset} checkpoint", remedy)
        verify_meta_graph(path, remedy)
        log(f"Reusing the cached {spec.name}/{preset} checkpoint {path}")
        return str(path)
    named = f"${ENV_VAR}" if os.environ.get(ENV_VAR) else None  # the user's folder, or the default under ~/.cache
    outputs.make_folder(directory.parent, named, "the pretrained checkpoints")  # a file there: one line, exit 2
    with _lock(directory):
        if not _complete(path):  # nobody produced it while we waited for the lock
            _produce(log, dataclasses.replace(config, preset=preset), directory)
    return str(path)


def cached_run(recipe, preset, run=None):
    """The run that produced the cached checkpoint of ``recipe``/``preset`` (:func:`pretrained_checkpoint`; trained first when missing).

    A golden test of a configuration that other recipes pretrain from compares this run, so the
    session trains it once, whichever asks first (tests/golden/test_goldens.py).

    Returns:
        The :class:`~tf1_recipes.harness.RunResult` its ``runs.jsonl`` record in the cache holds
        (``graph`` None), ``checkpoint_path`` the cached checkpoint.

    Raises:
        CheckpointError: the cached folder holds no run record (made by another version: delete it).
    """
    from tf1_recipes.runlog import RUN_RECORD

    path = pretrained_checkpoint(recipe, preset, run)
    record_path = Path(path).parent / RUN_RECORD
    if not record_path.is_file():
        raise CheckpointError(f"the cached {recipe}/{preset} checkpoint {path} has no {RUN_RECORD}: "
                              f"delete {Path(path).parent} so that it is trained again")
    record = json.loads(record_path.read_text(encoding="utf-8").splitlines()[-1])
    return RunResult.from_record({**record, "checkpoint_path": path})


def _complete(path):
    return all(Path(f"{path}{suffix}").is_file() for suffix in (".index", ".meta")) and (
        Path(path).parent / RECORD_NAME
    ).is_file()


#: How long a run waits for another process producing the same cached checkpoint.
CACHE_LOCK_WAIT = 3 * 3600.0
#: A lock file still empty this long after it was created is a leftover, not a lock being written.
_EMPTY_LOCK_GRACE = 10.0


def _lock(directory):
    """The pretrained cache's lock for ``directory``: one producer at a time, the others wait for it."""
    return directory_lock(
        directory.parent / f"{directory.name}.lock", f"the cached checkpoint {directory}", wait=CACHE_LOCK_WAIT
    )


@contextlib.contextmanager
def directory_lock(lock_path, what, wait=0.0, poll=0.5):
    """Hold ``lock_path`` (created with O_CREAT|O_EXCL, holding pid, host and start time) while inside.

    Another holder alive: wait up to ``wait`` seconds, then DirectoryLockedError naming the
    holder and the lock file (``wait=0``: refuse at once). A lock whose process is gone
    (same host, dead pid; or an empty file left behind) is taken over with a note. The lock
    is removed on the way out, KeyboardInterrupt included; only the holder's own lock is.
    A directory at ``lock_path`` is an :class:`~tf1_recipes.outputs.OutputPathError` at once.
    """
    lock_path = Path(lock_path)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    mine = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "token": os.urandom(8).hex(),
    }
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = os.open(lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if lock_path.is_dir():  # not a lock any process wrote: neither waited for nor taken over
                raise outputs.OutputPathError(
                    f"{what}: {lock_path} is a directory where the lock file goes; move it away or use another directory"
                ) from None
            holder = _read_lock(lock_path)
            if holder is _GONE:
                continue
            stale = _stale(lock_path, holder)
            if stale:
                note(f"took over the lock {lock_path} ({stale})")
                with contextlib.suppress(FileNotFoundError):
                    lock_path.unlink()
                continue
            if time.monotonic() >= deadline:
                raise DirectoryLockedError(
                    f"{what} is in use: {lock_path} is held by {_holder(holder)}; wait for that run to end "
                    "or use another directory (delete the lock file only if that process is not running)"
                ) from None
            time.sleep(poll)
            continue
        with os.fdopen(fd, "w") as handle:
            json.dump(mine, handle)
        break
    try:
        yield lock_path
    finally:
        if _read_lock(lock_path) == mine:
            with contextlib.suppress(FileNotFoundError):
                lock_path.unlink()


_GONE = object()


def _read_lock(path):
    """The holder a lock file names (a dict), None when unreadable, _GONE when it vanished meanwhile."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return _GONE
    except OSError:
        return None
    try:
        holder = json.loads(text)
    except ValueError:
        return None
    return holder if isinstance(holder, dict) else None


def _stale(path, holder):
    """Why the lock is a leftover (a string), or "" when its holder may still run."""
    if holder is None:
        try:
            age = time.time() - Path(path).stat().st_mtime
        except OSError:
            return ""
        return f"an unreadable lock file {age:.0f}s old, left by a process that did not finish" if age > _EMPTY_LOCK_GRACE else ""
    if holder.get("host") != socket.gethostname() or not isinstance(holder.get("pid"), int):
        return ""  # another machine's process: its liveness cannot be checked from here
    try:
        os.kill(holder["pid"], 0)
    except ProcessLookupError:
        return f"{_holder(holder)} is no longer running"
    except PermissionError:
        pass
    return ""


def _holder(holder):
    if not holder:
        return "a process that wrote no details yet"
    return f"process {holder.get('pid')} on {holder.get('host')} since {holder.get('started')}"


def _produce(log, config, directory):
    """Run the pretraining recipe into a temporary directory, then move it into the cache."""
    log(
        f"No cached {config.recipe}/{config.preset} checkpoint: training it first "
        f"(recipe {config.recipe}, preset {config.preset}) for {directory}"
    )
    scratch = outputs.new_folder_in(directory.parent, f".{directory.name}.")
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
