"""Resumable training for the TF2 ports: the loop's state inside the checkpoint, kept by a CheckpointManager.

The TF2 counterpart of :mod:`tf1_recipes.resume` (a ``Saver`` checkpoint plus a JSON state
file written after it). Here one object-based checkpoint holds everything a loop needs to
carry on: the model, the optimizer (its slots and step count) and the loop's own state (next
epoch, counters, per-epoch series, the configuration's fingerprint) as a
``tf.train.experimental.PythonState``. ``tf.train.CheckpointManager`` writes the checkpoint's
files first and then, atomically, its ``checkpoint`` index naming the new one, and keeps the
previous checkpoint (``max_to_keep=2``): a kill at any moment leaves the index naming a
complete checkpoint, and torn files of an unfinished write are never named.

A damaged ``checkpoint`` index (empty, torn, naming a gone checkpoint) or a damaged newest
checkpoint falls back, with a note, to the newest intact checkpoint kept (the index is
rewritten to name it); with none, :meth:`TrainingState.load` refuses naming what to delete.

The checkpoints live in ``<out>/resume_tf2/`` (not ``resume/``: a TF1 Saver's own
``checkpoint`` index there would be taken for the manager's).
"""

import json
import shutil
from pathlib import Path

import tensorflow as tf

from tf1_recipes.checkpoints import STATE_FILE, CheckpointError, note, read_state_file, verify_checkpoint
from tf1_recipes.compat import error_cause
from tf1_recipes.resume import STATE_NAME as TF1_STATE_NAME
from tf1_recipes.resume import ResumeStateError, fingerprint  # noqa: F401  (fingerprint: the same hash as TF1's)

RESUME_DIR = "resume_tf2"
CHECKPOINT_NAME = "model.ckpt"


class _Broken(Exception):
    """A checkpoint without a usable loop state (the message says why)."""


class LoopState(tf.train.experimental.PythonState):
    """A training loop's Python state (a JSON-able dict), saved and restored with the checkpoint tracking it."""

    def __init__(self, values=None):
        self.values = dict(values or {})

    def serialize(self):
        return json.dumps(self.values)

    def deserialize(self, string_value):
        self.values = json.loads(string_value)


class TrainingState:
    """The resumable state of one training loop in ``directory`` (the run's ``--out``).

    ``trackables`` are what the checkpoint saves besides the loop state (``model=...,
    optimizer=...``).
    """

    def __init__(self, directory, config_fingerprint, **trackables):
        self.out_dir = Path(directory)
        self.directory = self.out_dir / RESUME_DIR
        self.fingerprint = config_fingerprint
        self.loop = LoopState()
        self.checkpoint = tf.train.Checkpoint(loop=self.loop, **trackables)
        self._manager = None
        self._chosen = None  # the checkpoint load() chose

    @property
    def manager(self):
        """The CheckpointManager, made once the index it reads is known to be sound (load() sees to that)."""
        if self._manager is None:
            self._manager = tf.train.CheckpointManager(self.checkpoint, self.directory, max_to_keep=2, checkpoint_name=CHECKPOINT_NAME)
        return self._manager

    def load(self, required=()):
        """The loop state of an interrupted run (a dict), or None when training starts fresh.

        Reads only the loop state, so a checkpoint of another configuration is refused
        before anything is restored into the model. ``required`` names the keys the loop
        state must hold. A damaged index or newest checkpoint falls back (with a note) to
        the newest intact one kept; with none, a ResumeStateError naming what to delete.
        """
        if (self.out_dir / TF1_STATE_NAME).is_file():
            raise ResumeStateError(
                f"{self.out_dir / TF1_STATE_NAME} belongs to an interrupted run of the TF1 recipe; "
                "use another --out directory or delete the file to start afresh"
            )
        index = self.directory / STATE_FILE
        failed = None
        if index.exists():
            try:
                named = read_state_file(index)[0]
                failed = str(self.directory / Path(named).name)
                verify_checkpoint(failed, "resume checkpoint", "-")
                values = self._peek(failed, required)
            except ResumeStateError:
                raise
            except (CheckpointError, _Broken) as err:
                problem = f"{index} names a damaged or missing checkpoint ({str(err).rsplit('; ', 1)[0]})"
            else:
                return self._choose(failed, values)
        elif not self._kept():
            return None
        else:
            problem = f"{index} is missing but {self.directory} holds checkpoints of an interrupted run"
        for prefix in self._kept():
            if prefix == failed:
                continue
            try:
                verify_checkpoint(prefix, "resume checkpoint", "-")
                values = self._peek(prefix, required)
            except (CheckpointError, _Broken, ResumeStateError):
                continue
            note(f"{problem}: resuming from the newest intact checkpoint {prefix} (epoch {values.get('epoch')})")
            tf.compat.v1.train.update_checkpoint_state(
                str(self.directory), Path(prefix).name, [Path(p).name for p in reversed(self._kept())]
            )
            return self._choose(prefix, values)
        raise ResumeStateError(
            f"{problem}, and {self.directory} keeps no earlier intact checkpoint to resume from; "
            f"delete {self.directory} to start afresh"
        )

    def _peek(self, prefix, required):
        peek = LoopState()
        try:
            tf.train.Checkpoint(loop=peek).read(prefix).expect_partial()
        except (tf.errors.OpError, ValueError, AssertionError) as err:
            raise _Broken(f"{prefix}: no loop state ({error_cause(err)})") from None
        values = peek.values
        if not isinstance(values, dict):
            raise _Broken(f"{prefix}: no loop state")
        if values.get("fingerprint") != self.fingerprint:
            raise ResumeStateError(
                f"{prefix} belongs to an interrupted run of another configuration; "
                f"use another --out directory or delete {self.directory} to start afresh"
            )
        if not isinstance(values.get("epoch"), int) or any(k not in values for k in required):
            raise _Broken(f"{prefix}: the loop state lacks epoch or {', '.join(required)}")
        return values

    def _choose(self, prefix, values):
        self._chosen = prefix
        return values

    def _kept(self):
        """The checkpoint prefixes in ``resume_tf2/``, newest first."""
        found = []
        for index in self.directory.glob(f"{CHECKPOINT_NAME}-*.index"):
            step = index.name[len(CHECKPOINT_NAME) + 1 : -len(".index")]
            if step.isdigit():
                found.append((int(step), str(index)[: -len(".index")]))
        return [prefix for _, prefix in sorted(found, reverse=True)]

    def restore(self):
        """Put the interrupted run's model, optimizer and loop state back; returns the loop state."""
        self.checkpoint.restore(self._chosen or self.manager.latest_checkpoint).assert_consumed()
        return self.loop.values

    def save(self, epoch, **values):
        """Checkpoint the trackables with ``epoch`` (the next one to run) and ``values`` as the loop state."""
        self.loop.values = {"fingerprint": self.fingerprint, "epoch": epoch, **values}
        return self.manager.save(checkpoint_number=epoch)

    def clear(self):
        """Training has ended: forget the state so that a rerun starts fresh."""
        shutil.rmtree(self.directory, ignore_errors=True)
