"""The experiment log: TensorBoard event files of each run and the ``runs.jsonl`` records, as a table.

Every ``run`` (and ``doctor``) with an output directory appends one JSON line to
``<out>/runs.jsonl`` (recipe, preset, config, seed, per-epoch metrics, wall time,
provenance with the TF version, platform and git revision). A run also writes its
per-epoch scalars (the metric, the loss and learning rate when the recipe reports or
configures them, and every other reported series) as TensorBoard events under
``<out>/tensorboard/<recipe>-<preset>-<time>-seed<seed>/``, so ``tensorboard --logdir
<out>/tensorboard`` compares runs. ``tf1-recipes runs [DIR]`` lists the records.
"""

import datetime
import json
import sys
from pathlib import Path

from tf1_recipes.compat import tf1

RUN_RECORD = "runs.jsonl"
TENSORBOARD_DIR = "tensorboard"


def run_log_dir(out_dir, recipe, preset, seed):
    """A fresh TensorBoard run directory for one run under ``out_dir``."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S")
    return Path(out_dir) / TENSORBOARD_DIR / f"{recipe}-{preset}-{stamp}-seed{seed}"


class EpochSummaries:
    """A TensorBoard FileWriter for one run's per-epoch scalars, opened on the first write."""

    def __init__(self, log_dir):
        self.log_dir = Path(log_dir)
        self._writer = None

    def write(self, step, scalars):
        """One ``Summary`` with a simple value per scalar, at ``step`` (the epoch)."""
        if self._writer is None:
            # FileWriter refuses eager mode; a throwaway graph context satisfies it. The suffix keeps this
            # file apart from a FileWriter the recipe opens on the same directory in the same second.
            with tf1.Graph().as_default():
                self._writer = tf1.summary.FileWriter(str(self.log_dir), filename_suffix=".epochs")
        values = [tf1.Summary.Value(tag=tag, simple_value=float(value)) for tag, value in scalars.items()]
        self._writer.add_summary(tf1.Summary(value=values), step)

    @property
    def written(self):
        return self._writer is not None

    def close(self):
        if self._writer is not None:
            self._writer.close()


def read_records(directory):
    """Every run record under ``directory`` (its runs.jsonl and those of its subdirectories), oldest first."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: no such directory")
    records = []
    for path in sorted(directory.rglob(RUN_RECORD)):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                print(f"tf1-recipes: skipping {path}:{number}: not a JSON record", file=sys.stderr)
                continue
            record.setdefault("_file", str(path))
            records.append(record)
    return sorted(records, key=lambda r: r.get("time", ""))


def _outcome(record):
    if record.get("kind") == "doctor":
        return record.get("status", "-")
    final = record.get("final")
    return "-" if final is None else f"{final:.4f}"


def summarise(record):
    """The table row of one record (a dict of short strings)."""
    provenance = record.get("provenance", {})
    seconds = record.get("seconds")
    if seconds is None and record.get("epoch_seconds"):
        seconds = sum(record["epoch_seconds"])
    history = record.get("history") or []
    return {
        "time": record.get("time", "-").replace("+00:00", "Z"),
        "kind": record.get("kind", "run"),
        "recipe": record.get("recipe", "-"),
        "preset": record.get("preset", "-"),
        "seed": str(record.get("config", {}).get("seed", "-")),
        "epochs": str(len(history)) if record.get("kind", "run") == "run" else "-",
        "metric": record.get("metric", "checks") if record.get("kind", "run") == "run" else "checks",
        "result": _outcome(record),
        "seconds": "-" if seconds is None else f"{seconds:.1f}",
        "status": record.get("status", "-") if record.get("kind", "run") == "run" else "complete",
        "git": provenance.get("git_revision") or "-",
        "tf": provenance.get("tf_version", "-"),
    }


COLUMNS = ("time", "kind", "recipe", "preset", "seed", "epochs", "metric", "result", "seconds", "status", "git", "tf")


def format_table(records):
    """The records as an aligned text table, one line per record."""
    rows = [summarise(r) for r in records]
    widths = {c: max([len(c)] + [len(row[c]) for row in rows]) for c in COLUMNS}
    lines = ["  ".join(c.ljust(widths[c]) for c in COLUMNS)]
    lines.append("  ".join("-" * widths[c] for c in COLUMNS))
    lines += ["  ".join(row[c].ljust(widths[c]) for c in COLUMNS) for row in rows]
    return "\n".join(lines)
