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
import os
from pathlib import Path

from tf1_recipes import outputs
from tf1_recipes.compat import tf1

RUN_RECORD = "runs.jsonl"
TENSORBOARD_DIR = "tensorboard"


def run_log_dir(out_dir, recipe, preset, seed):
    """A fresh TensorBoard run directory for one run under ``out_dir``."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S")
    return Path(out_dir) / TENSORBOARD_DIR / f"{recipe}-{preset}-{stamp}-seed{seed}"


def append_run_record(out_dir, result, **more):
    """Append one JSON line describing ``result`` to ``<out_dir>/runs.jsonl``; returns the file's path.

    ``result`` is anything with ``to_dict()`` (a :class:`~tf1_recipes.harness.RunResult`, a
    doctor record); ``more`` adds fields (``tensorboard``, ``error``). The record starts
    with ``time``, the UTC time of writing.
    """
    record = {
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        **result.to_dict(),
        **more,
    }
    path = outputs.make_folder(out_dir, "--out", "the run records") / RUN_RECORD
    with outputs.writing(path, purpose="the run record"), open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")
    return path


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


class RunRecordError(ValueError):
    """A ``runs.jsonl`` that cannot be read: one line naming the file (and line), the cause, the fix."""


#: What every record must hold, by kind (``kind`` absent: a run's record).
RECORD_KEYS = {
    "run": ("time", "recipe", "preset", "config", "metric", "history", "epoch_seconds", "provenance", "status"),
    "doctor": ("time", "recipe", "preset", "config", "status", "checks", "provenance"),
}


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_numbers(value):
    return isinstance(value, list) and all(_is_number(v) for v in value)


#: The type of each field a record may hold, as the suite writes it: {key: (check, what it is)}.
FIELD_TYPES = {
    **{key: (lambda v: isinstance(v, str), "a string") for key in ("time", "kind", "recipe", "preset", "metric", "status")},
    **{key: (lambda v: isinstance(v, dict), "an object") for key in ("config", "provenance", "extras")},
    "history": (_is_numbers, "a list of numbers"),
    "epoch_seconds": (_is_numbers, "a list of numbers"),
    "final": (lambda v: v is None or _is_number(v), "a number or null"),
    "seconds": (lambda v: v is None or _is_number(v), "a number or null"),
    "checks": (lambda v: isinstance(v, list) and all(isinstance(c, dict) for c in v), "a list of objects"),
}


def _shown(value):
    """``value`` as the record's JSON has it, cut at 40 characters."""
    text = json.dumps(value)
    return f"{text[:40]}..." if len(text) > 40 else text


def _damaged(path, where, cause):
    return RunRecordError(
        f"{path}{where}: {cause}; the run log is damaged: restore it from a copy, or remove that line "
        "(each line is one run's record)"
    )


def read_record_file(path, notes=None):
    """The records of one ``runs.jsonl``, in file order, each with ``_file`` and ``_line``.

    A damaged file or line is a :class:`RunRecordError`. One exception: a last line with no
    newline that is not JSON is a record cut short by a run killed while appending it; it is
    skipped, and a note saying so goes to ``notes`` (a list) when given.
    """
    path = Path(path)
    if path.is_dir():
        raise RunRecordError(f"{path}: is a directory, not a run log ({RUN_RECORD}); move it out of the way")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise RunRecordError(f"{path}: cannot read the run log ({err.strerror}); check its permissions") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        number = data[: err.start].count(b"\n") + 1
        raise _damaged(path, f":{number}", f"not UTF-8 text (byte {err.start} is damaged)") from None
    lines = text.split("\n")
    cut_short = lines[-1] != ""  # the writer ends every record with a newline
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            if cut_short and number == len(lines):
                if notes is not None:
                    notes.append(f"{path}:{number}: skipped a record cut short (a run killed while writing it)")
                continue
            raise _damaged(path, f":{number}", f"not a JSON record ({err.msg} at column {err.colno})") from None
        if not isinstance(record, dict):
            raise _damaged(path, f":{number}", f"a JSON {type(record).__name__}, not a record object")
        kind = record.get("kind", "run")
        missing = [k for k in RECORD_KEYS.get(kind, ("time", "recipe")) if k not in record]
        if missing:
            raise _damaged(path, f":{number}", f"the {kind} record lacks {', '.join(missing)}")
        wrong = next((f"its {key} is {_shown(record[key])}, not {wanted}" for key, (check, wanted) in FIELD_TYPES.items()
                      if key in record and not check(record[key])), None)
        if wrong:
            raise _damaged(path, f":{number}", f"the {kind} record is not as the suite writes it: {wrong}")
        records.append({**record, "_file": str(path), "_line": number})
    return records


def record_files(directory):
    """Every ``runs.jsonl`` under ``directory`` (itself and its subdirectories), sorted.

    Raises:
        PermissionError: a folder under ``directory`` cannot be listed (its records would be
            left out without a word: ``Path.rglob`` skips such a folder).
    """
    def refuse(error):
        raise error

    found = []
    for folder, folders, files in os.walk(directory, onerror=refuse):  # a folder of that name too: read_record_file says so
        found += [Path(folder) / name for name in files + folders if name == RUN_RECORD]
    return sorted(found)


def check_runs_folder(directory):
    """``directory`` as a Path when it is a folder.

    Raises:
        NotADirectoryError: it is a file (a ``runs.jsonl`` named instead of its folder, say); the message names its folder.
        FileNotFoundError: nothing is there.
    """
    directory = Path(directory)
    if directory.is_file():
        hint = f"name its folder, {directory.parent}" if directory.name == RUN_RECORD else "name the folder of your runs"
        raise NotADirectoryError(f"{directory}: a file, not a folder of runs; {hint}")
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: no such directory; name the --out folder of your runs")
    return directory


def read_records(directory, notes=None):
    """Every run record under ``directory`` (its runs.jsonl and those of its subdirectories), oldest first."""
    directory = check_runs_folder(directory)
    records = []
    for path in record_files(directory):
        records += read_record_file(path, notes)
    return sorted(records, key=lambda r: str(r.get("time", "")))


def comparison_status(record, golden_dir=None):
    """PASS, FAIL or NOT_COMPARED: the record's run compared with its golden (a doctor record: its status)."""
    from tf1_recipes import golden
    from tf1_recipes.harness import RunResult

    if record.get("kind", "run") != "run":
        return record.get("status", "-")
    if record.get("status") != "complete":
        return record.get("status", "-")
    result = RunResult.from_record(record)
    return golden.compare(result, golden_dir).status


def epochs_trained(record):
    """Epochs a run trained: its per-epoch series when it records one beside its history, else the history's length.

    early_stopping's history is [best loss, test accuracy]; its epochs are in ``extras["epoch_seconds"]``.
    """
    series = (record.get("extras") or {}).get("epoch_seconds")
    if isinstance(series, list):
        return len(series)
    return len(record.get("history") or [])


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
    return {
        "time": record.get("time", "-").replace("+00:00", "Z"),
        "kind": record.get("kind", "run"),
        "recipe": record.get("recipe", "-"),
        "preset": record.get("preset", "-"),
        "seed": str(record.get("config", {}).get("seed", "-")),
        "epochs": str(epochs_trained(record)) if record.get("kind", "run") == "run" else "-",
        "metric": record.get("metric", "checks") if record.get("kind", "run") == "run" else "checks",
        "result": _outcome(record),
        "seconds": "-" if seconds is None else f"{seconds:.1f}",
        "status": comparison_status(record),
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
