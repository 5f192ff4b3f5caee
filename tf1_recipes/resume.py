"""Resumable training: a checkpoint plus a small state file in the run's output directory.

A training loop calls :meth:`TrainingState.save` every few epochs with the session and the
counters it needs to carry on (next epoch, best loss, patience, per-epoch series). It
writes a new checkpoint under ``<out>/resume/`` first, then the state file pointing at it,
atomically (temporary file + ``os.replace``). A kill at any moment therefore leaves a state
file naming a complete checkpoint: the Saver keeps the previous checkpoint (``max_to_keep=2``)
until the state names the new one. :meth:`load` returns the state of an interrupted run of
the same configuration, :meth:`clear` removes both when training has ended.

Each checkpoint has its state beside it too (``resume/model.ckpt-N.json``), so that a damaged
state file (empty, torn, not a state) or a damaged checkpoint is survived: :meth:`load` falls
back to the newest intact checkpoint the Saver kept, and says so in a note. With none, it
refuses naming what to delete; it never starts afresh over a run's state silently.
"""

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from tf1_recipes.checkpoints import CheckpointError, note, verify_checkpoint
from tf1_recipes.compat import tf1

STATE_NAME = "training_state.json"
RESUME_DIR = "resume"
#: What every state holds; a loop may ask :meth:`TrainingState.load` for more keys.
STATE_KEYS = {"fingerprint": str, "epoch": int, "checkpoint": str}


class _Broken(Exception):
    """A state file that is not a readable state (the message says why)."""


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

    def load(self, required=()):
        """The saved state of an interrupted run (a dict), or None when training starts fresh.

        ``required`` names the loop's own keys a state must hold. A damaged state file or
        checkpoint falls back, with a note, to the newest intact checkpoint kept in
        ``resume/``; without one it is a ResumeStateError naming what to delete. A state of
        another configuration is refused.
        """
        resume_dir = self.directory / RESUME_DIR
        failed = None
        if self.path.exists():
            try:
                state = self._parse(self.path)
                if state["fingerprint"] != self.fingerprint:
                    raise ResumeStateError(
                        f"{self.path} belongs to an interrupted run of another configuration; "
                        f"use another --out directory or delete it and {resume_dir} to start afresh"
                    )
                self._require(state, required)
            except _Broken as why:
                problem = f"{self.path} is damaged ({why})"
            else:
                failed = str(self.directory / state["checkpoint"])
                try:
                    verify_checkpoint(failed, "resume checkpoint", "-")
                    self._recover(failed)
                    return state
                except CheckpointError as err:
                    problem = f"{self.path} names a damaged or missing checkpoint ({str(err).rsplit('; ', 1)[0]})"
        elif not any(resume_dir.glob("*.index")):
            return None
        else:
            problem = f"{self.path} is missing but {resume_dir} holds checkpoints of an interrupted run"
        for prefix in self._kept():
            if prefix == failed:
                continue
            try:
                state = self._parse(Path(f"{prefix}.json"))
                if state["fingerprint"] != self.fingerprint:
                    continue
                self._require(state, required)
                verify_checkpoint(prefix, "resume checkpoint", "-")
            except (_Broken, CheckpointError):
                continue
            note(f"{problem}: resuming from the newest intact checkpoint {prefix} (epoch {state['epoch']})")
            self._recover(prefix)
            return state
        raise ResumeStateError(
            f"{problem}, and {resume_dir} keeps no earlier intact checkpoint to resume from; "
            f"delete {self.path} and {resume_dir} to start afresh"
        )

    @staticmethod
    def _require(state, required):
        missing = [key for key in required if key not in state]
        if missing:
            raise _Broken(f"no {', '.join(missing)}")

    def _parse(self, path):
        try:
            state = json.loads(Path(path).read_text())
        except FileNotFoundError:
            raise _Broken("missing") from None
        except UnicodeDecodeError:
            raise _Broken("not text: a binary file") from None
        except OSError as err:
            raise _Broken(f"unreadable: {err.strerror or err}") from None
        except json.JSONDecodeError as err:
            raise _Broken("empty" if not err.doc.strip() else f"not JSON, torn? {err.msg} at line {err.lineno} column {err.colno}") from None
        if not isinstance(state, dict):
            raise _Broken(f"a JSON {type(state).__name__}, not a training state")
        for key, kind in STATE_KEYS.items():
            if not isinstance(state.get(key), kind):
                raise _Broken(f"no {kind.__name__} {key!r}")
        return state

    def _kept(self):
        """The checkpoint prefixes in ``resume/``, newest first."""
        found = []
        for index in (self.directory / RESUME_DIR).glob("model.ckpt-*.index"):
            step = index.name[len("model.ckpt-") : -len(".index")]
            if step.isdigit():
                found.append((int(step), str(index)[: -len(".index")]))
        return [prefix for _, prefix in sorted(found, reverse=True)]

    def _recover(self, chosen):
        """Let the Saver manage (and in time delete) the checkpoints an earlier process kept."""
        kept = [prefix for prefix in reversed(self._kept()) if prefix != chosen]
        self.saver.recover_last_checkpoints([*kept, chosen])

    def restore(self, sess, state):
        """Put the interrupted run's variables (model and optimizer slots) back into ``sess``."""
        self.saver.restore(sess, str(self.directory / state["checkpoint"]))

    def save(self, sess, epoch, **values):
        """Checkpoint ``sess`` and record ``epoch`` (the next one to run) and ``values``."""
        prefix = self.saver.save(sess, str(self.directory / RESUME_DIR / "model.ckpt"), global_step=epoch, write_meta_graph=False)
        state = {"fingerprint": self.fingerprint, "epoch": epoch, "checkpoint": os.path.relpath(prefix, self.directory), **values}
        _write_atomically(Path(f"{prefix}.json"), state)  # the checkpoint's own copy, for a fallback
        _write_atomically(self.path, state)
        kept = set(self._kept())
        for sidecar in (self.directory / RESUME_DIR).glob("model.ckpt-*.json"):
            if str(sidecar)[: -len(".json")] not in kept:
                sidecar.unlink(missing_ok=True)

    def clear(self):
        """Training has ended: forget the state so that a rerun starts fresh."""
        self.path.unlink(missing_ok=True)
        shutil.rmtree(self.directory / RESUME_DIR, ignore_errors=True)


def _write_atomically(path, value):
    """``value`` as JSON at ``path``: a temporary file beside it, synced, then renamed over it."""
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", delete=False) as tmp:
        json.dump(value, tmp)
        tmp.flush()
        os.fsync(tmp.fileno())
    os.replace(tmp.name, path)
