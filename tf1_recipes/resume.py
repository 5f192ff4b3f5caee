"""Resumable training: a checkpoint plus a small state file in the run's output directory.

A training loop calls :meth:`TrainingState.save` every few epochs with the session and the
counters it needs to carry on (next epoch, best loss, patience, per-epoch series). It
writes a new checkpoint under ``<out>/resume/`` first, then the state file pointing at it,
atomically (temporary file + ``os.replace``). A kill at any moment therefore leaves a state
file naming a complete checkpoint: the Saver keeps the previous checkpoint (``max_to_keep=2``)
until the state names the new one. :meth:`load` returns the state of an interrupted run of
the same configuration, :meth:`clear` removes both when training has ended.
"""

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from tf1_recipes.checkpoints import CheckpointError, require_checkpoint
from tf1_recipes.compat import tf1

STATE_NAME = "training_state.json"
RESUME_DIR = "resume"


class ResumeStateError(CheckpointError):
    """The output directory holds an interrupted run of another configuration, or a broken state."""


def fingerprint(recipe, settings, hyper):
    """A short hash of the configuration a state belongs to (a resumed run must match it)."""
    facts = {"recipe": recipe, "settings": settings, "hyper": hyper}
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()[:16]


class TrainingState:
    """The resumable state of one training loop in ``directory`` (the run's ``--out``)."""

    def __init__(self, directory, config_fingerprint):
        self.directory = Path(directory)
        self.path = self.directory / STATE_NAME
        self.fingerprint = config_fingerprint
        self.saver = tf1.train.Saver(max_to_keep=2)  # every global variable: model and optimizer

    def load(self):
        """The saved state of an interrupted run (a dict), or None when training starts fresh."""
        if not self.path.is_file():
            return None
        try:
            state = json.loads(self.path.read_text())
        except json.JSONDecodeError as err:
            raise ResumeStateError(f"{self.path}: unreadable training state ({err}); delete it to start afresh") from None
        if state.get("fingerprint") != self.fingerprint:
            raise ResumeStateError(
                f"{self.path} belongs to an interrupted run of another configuration; "
                "use another --out directory or delete the file to start afresh"
            )
        require_checkpoint(str(self.directory / state["checkpoint"]))
        return state

    def restore(self, sess, state):
        """Put the interrupted run's variables (model and optimizer slots) back into ``sess``."""
        self.saver.restore(sess, str(self.directory / state["checkpoint"]))

    def save(self, sess, epoch, **values):
        """Checkpoint ``sess`` and record ``epoch`` (the next one to run) and ``values``."""
        prefix = self.saver.save(sess, str(self.directory / RESUME_DIR / "model.ckpt"), global_step=epoch, write_meta_graph=False)
        state = {"fingerprint": self.fingerprint, "epoch": epoch, "checkpoint": os.path.relpath(prefix, self.directory), **values}
        with tempfile.NamedTemporaryFile("w", dir=self.directory, prefix=f".{STATE_NAME}.", delete=False) as tmp:
            json.dump(state, tmp)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp.name, self.path)

    def clear(self):
        """Training has ended: forget the state so that a rerun starts fresh."""
        self.path.unlink(missing_ok=True)
        shutil.rmtree(self.directory / RESUME_DIR, ignore_errors=True)
