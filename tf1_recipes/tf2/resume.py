"""Resumable training for the TF2 ports: the loop's state inside the checkpoint, kept by a CheckpointManager.

The TF2 counterpart of :mod:`tf1_recipes.resume` (a ``Saver`` checkpoint plus a JSON state
file written after it). Here one object-based checkpoint holds everything a loop needs to
carry on: the model, the optimizer (its slots and step count) and the loop's own state (next
epoch, counters, per-epoch series, the configuration's fingerprint) as a
``tf.train.experimental.PythonState``. ``tf.train.CheckpointManager`` writes the checkpoint's
files first and then, atomically, its ``checkpoint`` index naming the new one, and keeps the
previous checkpoint (``max_to_keep=2``): a kill at any moment leaves the index naming a
complete checkpoint, and torn files of an unfinished write are never named.

The checkpoints live in ``<out>/resume_tf2/`` (not ``resume/``: a TF1 Saver's own
``checkpoint`` index there would be taken for the manager's).
"""

import json
import shutil
from pathlib import Path

import tensorflow as tf

from tf1_recipes.resume import STATE_NAME as TF1_STATE_NAME
from tf1_recipes.resume import ResumeStateError, fingerprint  # noqa: F401  (fingerprint: the same hash as TF1's)

RESUME_DIR = "resume_tf2"
CHECKPOINT_NAME = "model.ckpt"


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
        self.manager = tf.train.CheckpointManager(self.checkpoint, self.directory, max_to_keep=2, checkpoint_name=CHECKPOINT_NAME)

    def load(self):
        """The loop state of an interrupted run (a dict), or None when training starts fresh.

        Reads only the loop state, so a checkpoint of another configuration is refused
        before anything is restored into the model.
        """
        if (self.out_dir / TF1_STATE_NAME).is_file():
            raise ResumeStateError(
                f"{self.out_dir / TF1_STATE_NAME} belongs to an interrupted run of the TF1 recipe; "
                "use another --out directory or delete the file to start afresh"
            )
        latest = self.manager.latest_checkpoint
        if latest is None:
            return None
        peek = LoopState()
        tf.train.Checkpoint(loop=peek).read(latest).expect_partial()
        if peek.values.get("fingerprint") != self.fingerprint:
            raise ResumeStateError(
                f"{latest} belongs to an interrupted run of another configuration; "
                "use another --out directory or delete it to start afresh"
            )
        return peek.values

    def restore(self):
        """Put the interrupted run's model, optimizer and loop state back; returns the loop state."""
        self.checkpoint.restore(self.manager.latest_checkpoint).assert_consumed()
        return self.loop.values

    def save(self, epoch, **values):
        """Checkpoint the trackables with ``epoch`` (the next one to run) and ``values`` as the loop state."""
        self.loop.values = {"fingerprint": self.fingerprint, "epoch": epoch, **values}
        return self.manager.save(checkpoint_number=epoch)

    def clear(self):
        """Training has ended: forget the state so that a rerun starts fresh."""
        shutil.rmtree(self.directory, ignore_errors=True)
