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
from pathlib import Path

import tensorflow as tf

from tf1_recipes.tf2.parity import build_port


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
    """The checkpoint prefix for a prefix (``.../model.ckpt``) or a directory holding a ``checkpoint`` file."""
    path = Path(path)
    if path.is_dir():
        latest = tf.train.latest_checkpoint(str(path))
        if latest is None:
            raise CheckpointMismatchError(f"{path}: no TF1 checkpoint in this directory (no 'checkpoint' state file)")
        return latest
    if not Path(str(path) + ".index").is_file():
        raise CheckpointMismatchError(f"{path}: not a TF1 checkpoint (no {path.name}.index beside it)")
    return str(path)


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
    """Convert; returns (path of the written TF2 checkpoint, Entry list). Writes nothing on a mismatch."""
    prefix = tf1_checkpoint_prefix(tf1_checkpoint)
    reader = tf.train.load_checkpoint(prefix)
    port = build_port(recipe, preset)
    entries = plan(port, reader.get_variable_to_shape_map())
    targets = port.mapped_variables()
    for entry in entries:
        if entry.target is not None:
            targets[entry.tf1_name].assign(reader.get_tensor(entry.tf1_name))
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(model=port.model), str(out_dir), max_to_keep=1)
    return manager.save(), entries


def restore_model(port, directory):
    """Load a migrated checkpoint (the latest in ``directory``) into ``port``'s model."""
    latest = tf.train.latest_checkpoint(str(directory))
    if latest is None:
        raise CheckpointMismatchError(f"{directory}: no TF2 checkpoint here")
    tf.train.Checkpoint(model=port.model).restore(latest).assert_existing_objects_matched()
    return latest


def cmd_migrate_ckpt(args):
    """The ``migrate-ckpt`` command: convert, print the mapping, say where it went."""
    path, entries = migrate_checkpoint(args.recipe, args.tf1_checkpoint, args.out_dir, args.preset)
    for entry in entries:
        print(entry.line())
    converted = sum(e.target is not None for e in entries)
    print(f"wrote {path} ({converted} variables converted, {len(entries) - converted} listed only)")
    return 0
