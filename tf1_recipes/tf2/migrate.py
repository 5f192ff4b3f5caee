"""``tf1-recipes migrate-ckpt``: a TF1 name-based Saver checkpoint → the TF2 port's object-based checkpoint.

The TF1 checkpoint is read with ``tf.train.load_checkpoint``; every variable it holds must
be accounted for by the port's explicit table (:attr:`Port.variables`, TF1 name → Keras
variable) or be the TF1 optimizer's training state the port declares
(:attr:`Port.tf1_slots` per trainable variable, :attr:`Port.tf1_optimizer_globals`),
which is listed but not converted: the converted model starts a fresh optimizer. Names
or shapes that do not match are one :class:`CheckpointMismatchError` listing every
difference, raised before anything is written. The result is written with
``tf.train.CheckpointManager`` as ``tf.train.Checkpoint(model=...)`` into the output
directory; :func:`restore_model` loads it into a port.
"""

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path

import tensorflow as tf

from tf1_recipes import checkpoints
from tf1_recipes.tf2.parity import build_port

REMEDY_TF1 = "re-save it (run the recipe again with --out) or give another TF1 checkpoint"
REMEDY_TF2 = "run migrate-ckpt again into an empty directory"


class CheckpointMismatchError(ValueError):
    """The TF1 checkpoint's variables or shapes are not the recipe's; the message lists them."""


@dataclasses.dataclass(frozen=True)
class Entry:
    """One TF1 checkpoint variable and where it goes (``target`` None: listed, not converted)."""

    tf1_name: str
    shape: tuple
    target: str = None
    reason: str = ""

    def line(self):
        where = self.target if self.target else f"(not converted: {self.reason})"
        return f"{self.tf1_name} {list(self.shape)} -> {where}"


def tf1_checkpoint_prefix(path):
    """The Saver prefix meant by ``path``: a prefix (``.../model.ckpt``), one of its files, or a directory.

    A file of the checkpoint (``model.ckpt.index``, ``.meta``, ``.data-00000-of-00001``)
    stands for its prefix (said in a note). A directory is read through its ``checkpoint``
    state file (:func:`tf1_recipes.checkpoints.prefix_in_directory`).
    """
    given = Path(path)
    if given.is_dir():
        return checkpoints.prefix_in_directory(given, "TF1 checkpoint")
    prefix, suffix = checkpoints.strip_suffix(given)
    if suffix:
        if not Path(f"{prefix}.index").is_file():
            raise checkpoints.CheckpointNotFoundError(
                f"{given}: not a complete TF1 checkpoint ({Path(prefix).name}.index missing beside it); "
                f"give the prefix of a Saver checkpoint, e.g. {Path(prefix).parent / checkpoints.CHECKPOINT_NAME}"
            )
        checkpoints.note(f"{given} is a file of the checkpoint {prefix}: reading that prefix")
        return prefix
    if Path(f"{given}.index").is_file() or any(given.parent.glob(f"{given.name}.*")):
        return str(given)  # a prefix (read_checkpoint names any of its files that is missing)
    if not given.exists():
        where = given.parent if given.parent.is_dir() else f"{given.parent} (no such directory)"
        raise checkpoints.CheckpointNotFoundError(
            f"{given}: does not exist (no {given.name}.index in {where}); "
            "give a TF1 checkpoint prefix (DIR/model.ckpt) or a directory with a 'checkpoint' file"
        )
    raise checkpoints.CheckpointNotFoundError(
        f"{given}: not a TF1 checkpoint (a file with no {given.name}.index beside it); "
        "give a TF1 checkpoint prefix (DIR/model.ckpt) or a directory with a 'checkpoint' file"
    )


def plan(port, tf1_shapes):
    """The Entry list mapping every TF1 variable (name → shape) onto ``port``; CheckpointMismatchError otherwise."""
    targets = port.mapped_variables()
    expected = {name: (tuple(v.shape), path) for (name, v), path in zip(targets.items(), port.variables.values())}
    state = port.tf1_training_state()
    problems = []
    missing = sorted(set(expected) - set(tf1_shapes))
    if missing:
        problems.append(f"missing from the checkpoint: {', '.join(missing)}")
    unexpected = sorted(set(tf1_shapes) - set(expected) - set(state))
    if unexpected:
        problems.append(f"not variables of {port.recipe}: {', '.join(unexpected)}")
    for name in sorted(set(expected) & set(tf1_shapes)):
        if tuple(tf1_shapes[name]) != expected[name][0]:
            problems.append(f"{name} has shape {list(tf1_shapes[name])}, the port's {expected[name][1]} {list(expected[name][0])}")
    if problems:
        raise CheckpointMismatchError(f"checkpoint does not match recipe {port.recipe!r}: " + "; ".join(problems))
    entries = [Entry(name, tuple(tf1_shapes[name]), expected[name][1]) for name in expected]
    entries += [Entry(name, tuple(tf1_shapes[name]), None, state[name]) for name in sorted(state) if name in tf1_shapes]
    return entries


def migrate_checkpoint(recipe, tf1_checkpoint, out_dir, preset=None):
    """Convert recipe ``recipe``'s TF1 Saver checkpoint into its TF2 port's object-based checkpoint.

    Args:
        recipe: a recipe name with a TF2 port (``tf1-recipes list``).
        tf1_checkpoint: a Saver prefix (``DIR/model.ckpt``), one of its files (``.index``,
            ``.meta``, ``.data-*``: the prefix is taken, with a note on stderr), or a directory
            holding a ``checkpoint`` state file (a moved folder's checkpoint beside it is used).
        out_dir: directory for the TF2 checkpoint; must not already hold one.
        preset: the preset whose hyperparameters (layer widths) shape the port; None: the
            recipe's default.

    Returns:
        ``(path, entries)``: the written checkpoint's prefix (``out_dir/ckpt-1``) and one
        :class:`Entry` per TF1 variable (TF1 name, shape, the port variable it went to, or
        the reason it was listed and not converted: optimizer slots, ``global_step``).

    Raises:
        tf1_recipes.checkpoints.CheckpointError: the path does not exist, or a file of the
            checkpoint is missing or damaged (every tensor is read, so TensorFlow's
            checksums are verified), or ``out_dir`` already holds a TF2 checkpoint.
        CheckpointMismatchError: names or shapes differ from the port's; lists every difference.
        tf1_recipes.registry.UnknownRecipeError: unknown recipe or preset, or no TF2 port.

    Every TF1 tensor is read and matched before anything is written; the TF2 checkpoint is
    written into a temporary directory beside ``out_dir`` and moved into it only when
    complete, so a failure leaves ``out_dir`` as it was.
    """
    prefix = tf1_checkpoint_prefix(tf1_checkpoint)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise checkpoints.CheckpointError(f"{out_dir}: exists and is not a directory; give a directory for the TF2 checkpoint")
    if (out_dir / checkpoints.STATE_FILE).exists():
        raise checkpoints.CheckpointError(
            f"{out_dir} already holds a TF2 checkpoint ({out_dir / checkpoints.STATE_FILE}); "
            "give another output directory or delete that one"
        )
    values = checkpoints.read_checkpoint(prefix, "TF1 checkpoint", REMEDY_TF1)
    port = build_port(recipe, preset)
    entries = plan(port, {name: value.shape for name, value in values.items()})
    targets = port.mapped_variables()
    for entry in entries:
        if entry.target is not None:
            targets[entry.tf1_name].assign(values[entry.tf1_name])
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        manager = tf.train.CheckpointManager(tf.train.Checkpoint(model=port.model), str(scratch), max_to_keep=1)
        written = Path(manager.save())
        if not out_dir.exists():
            os.replace(scratch, out_dir)
        else:  # an existing (checkpoint-less) directory: the files, the state file last
            for item in sorted(scratch.iterdir(), key=lambda p: p.name == checkpoints.STATE_FILE):
                os.replace(item, out_dir / item.name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return str(out_dir / written.name), entries


def restore_model(port, directory):
    """Load a migrated checkpoint (the latest in ``directory``) into ``port``'s model.

    A missing, damaged or stale ``checkpoint`` state file and damaged checkpoint files are
    one CheckpointError naming the file.
    """
    directory = Path(directory)
    if not (directory / checkpoints.STATE_FILE).is_file():
        raise CheckpointMismatchError(f"{directory}: no TF2 checkpoint here (no '{checkpoints.STATE_FILE}' file); {REMEDY_TF2}")
    latest = checkpoints.prefix_in_directory(directory, "TF2 checkpoint")
    checkpoints.verify_checkpoint(latest, "TF2 checkpoint", REMEDY_TF2)
    try:
        tf.train.Checkpoint(model=port.model).restore(latest).assert_existing_objects_matched()
    except (AssertionError, ValueError) as err:  # another model's checkpoint: objects or shapes differ
        cause = " ".join(str(err).split())[:300]
        raise CheckpointMismatchError(
            f"{latest}: not a TF2 checkpoint of {port.recipe}'s port as built here ({cause}); "
            "migrate the TF1 checkpoint of this recipe and preset with migrate-ckpt, or build the port it was made for"
        ) from None
    return latest


def cmd_migrate_ckpt(args):
    """The ``migrate-ckpt`` command: convert, print the mapping, say where it went."""
    path, entries = migrate_checkpoint(args.recipe, args.tf1_checkpoint, args.out_dir, args.preset)
    for entry in entries:
        print(entry.line())
    converted = sum(e.target is not None for e in entries)
    print(f"wrote {path} ({converted} variables converted, {len(entries) - converted} listed only)")
    return 0
