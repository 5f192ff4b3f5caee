"""Damaged inputs: golden files, references.json and runs.jsonl, each missing, empty, truncated,
with a flipped byte, of the wrong type, or lacking keys. Every one is exit 2 with one stderr line
naming the file (and line, for runs.jsonl), the cause and what to do; no traceback, nothing
printed or written before it, and the user's files as they were. No training: the run records
are made from the goldens' own pinned runs.
"""

import json
import shutil
from pathlib import Path

import pytest

from tf1_recipes import cli, golden
from tf1_recipes.harness import RunResult

RECIPES = (("batch_norm", "smoke"), ("gradient_clipping", "smoke"))


def make_record(recipe, preset, **changes):
    """A complete run record of ``recipe``/``preset`` as append_run_record writes it, from its golden's pinned run."""
    data = json.loads(golden.golden_path(recipe, preset).read_text())
    pinned = golden.pinned_runs(data)[0]
    record = {
        "time": "2026-01-01T00:00:00+00:00", "recipe": recipe, "preset": preset, "config": data["config"],
        "metric": data["metric"], "history": pinned["history"], "epoch_seconds": pinned["epoch_seconds"],
        "provenance": pinned["provenance"], "extras": {}, "checkpoint_path": None, "status": "complete",
        "final": pinned["history"][-1],
    }
    return {**record, **changes}


def write_runs(directory, records):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "runs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.fixture
def runs(tmp_path):
    """A runs folder with two complete records in one runs.jsonl."""
    return write_runs(tmp_path / "runs", [make_record(*pair) for pair in RECIPES])


@pytest.fixture
def goldens(tmp_path):
    """A copy of the goldens, for --against."""
    copy = tmp_path / "goldens"
    shutil.copytree(golden.golden_dir(), copy)
    return copy


def _flip(at):
    def damage(path):
        data = bytearray(path.read_bytes())
        index = len(data) // 2 if at == "middle" else at if at >= 0 else len(data) + at
        data[index] ^= 0x80  # a flipped high bit: never valid UTF-8 next to ASCII
        path.write_bytes(bytes(data))
    return damage


def _truncate(fraction):
    def damage(path):
        data = path.read_bytes()
        path.write_bytes(data[: max(1, int(len(data) * fraction))])
    return damage


def _directory(path):
    path.unlink()
    path.mkdir()
    (path / "inside").write_text("x")


def _binary(path):
    path.write_bytes(bytes(range(256)) * 8)


def _empty(path):
    path.write_bytes(b"")


JSON_DAMAGE = {
    "empty": _empty,
    "truncated-early": _truncate(0.02),
    "truncated-middle": _truncate(0.5),
    "truncated-late": _truncate(0.99),
    "flipped-early": _flip(5),
    "flipped-middle": _flip("middle"),
    "flipped-late": _flip(-5),
    "directory": _directory,
    "binary": _binary,
}


def snapshot(root):
    root = Path(root)
    if root.is_file():
        return {".": root.read_bytes()}
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


def assert_one_line_error(capsys, code, *named):
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert "Traceback" not in err and out == "", (out, err)
    (line,) = err.splitlines()
    assert line.startswith("tf1-recipes: error: "), line
    for text in named:
        assert str(text) in line, line
    return line


# --- golden JSON ------------------------------------------------------------------------------

@pytest.mark.parametrize("damage", JSON_DAMAGE.values(), ids=JSON_DAMAGE.keys())
@pytest.mark.parametrize("command", ["report", "run", "check"])
def test_a_damaged_golden_is_one_line_before_anything_runs_or_is_written(command, damage, runs, goldens, tmp_path,
                                                                          capsys):
    target = goldens / "batch_norm" / "smoke.json"
    damage(target)
    before = snapshot(goldens), snapshot(runs)
    argv = {
        "report": ["report", str(runs.parent), "--out", str(tmp_path / "page"), "--against", str(goldens)],
        "run": ["run", "batch_norm", "--preset", "smoke", "--against", str(goldens)],
        "check": ["check", "gradient_clipping", "batch_norm", "--preset", "smoke", "--against", str(goldens)],
    }[command]
    line = assert_one_line_error(capsys, cli.main(argv), target)
    assert "restore it" in line or "remove it" in line
    assert (snapshot(goldens), snapshot(runs)) == before
    assert not (tmp_path / "page").exists()


@pytest.mark.parametrize("drop", ["band", "pinned", "config", "tolerance"])
def test_a_golden_lacking_a_key_is_one_line(drop, runs, goldens, tmp_path, capsys):
    target = goldens / "gradient_clipping" / "smoke.json"
    data = json.loads(target.read_text())
    del data[drop]
    target.write_text(json.dumps(data))
    code = cli.main(["report", str(runs.parent), "--out", str(tmp_path / "page"), "--against", str(goldens)])
    assert_one_line_error(capsys, code, target, drop)
    assert not (tmp_path / "page").exists()


def test_a_missing_golden_is_not_compared_and_says_which_file(runs, goldens, tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the report draws its plots with matplotlib")
    target = goldens / "batch_norm" / "smoke.json"
    target.unlink()
    code = cli.main(["report", str(runs.parent), "--out", str(tmp_path / "page"), "--against", str(goldens)])
    out = capsys.readouterr().out
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("batch_norm"))
    assert "NOT_COMPARED" in row and f"reason: no golden file {target}" in out


def test_a_record_of_another_metric_than_its_golden_is_not_compared(tmp_path, capsys):
    """A record saying f1_score was compared with the golden's valid_accuracy, and PASSed."""
    record = make_record(*RECIPES[0], metric="f1_score")
    runs = write_runs(tmp_path / "runs", [record])
    assert cli.main(["runs", str(runs.parent)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("2026-01-01"))
    assert "PASS" not in row and "NOT_COMPARED" in row, row
    comparison = golden.compare(RunResult.from_record(record))
    assert comparison.checks == [] and comparison.notes == [
        f"this run measured f1_score, its golden and reference {make_record(*RECIPES[0])['metric']}: not compared"]


def test_against_a_folder_without_goldens_or_a_file_that_is_none_is_one_line_before_anything_runs(tmp_path, capsys):
    empty = tmp_path / "nothing"
    empty.mkdir()
    code = cli.main(["check", "batch_norm", "--preset", "smoke", "--against", str(empty)])
    assert_one_line_error(capsys, code, empty, "holds no goldens")
    code = cli.main(["check", "--preset", "smoke", "--against", str(tmp_path / "nowhere")])
    assert_one_line_error(capsys, code, tmp_path / "nowhere", "no such golden file or directory")
    notes = tmp_path / "notes.txt"  # a file that is no <recipe>/<preset>.json: never a guessed folder of goldens
    notes.write_text("mine\n")
    code = cli.main(["run", "batch_norm", "--preset", "smoke", "--against", str(notes)])
    assert_one_line_error(capsys, code, notes, "not a golden file (<recipe>/<preset>.json)")


@pytest.mark.parametrize("kind", ["missing", "a file", "no goldens in it"])
def test_a_golden_folder_named_by_the_environment_is_checked_as_against_is(kind, tmp_path, monkeypatch, capsys):
    """Before: $TF1_RECIPES_GOLDEN naming nothing usable left every row NOT_COMPARED, with exit 0."""
    from tf1_recipes import golden

    named = tmp_path / "goldens"
    if kind == "a file":
        named.write_text("mine\n")
    elif kind == "no goldens in it":
        named.mkdir()
    monkeypatch.setenv(golden.GOLDEN_ENV, str(named))
    cause = {"missing": "no such directory", "a file": "is not a directory", "no goldens in it": "holds no goldens"}[kind]
    for argv in (["run", "batch_norm", "--preset", "smoke"], ["runs", str(tmp_path)]):  # runs: its comparison column
        line = assert_one_line_error(capsys, cli.main(argv), f"${golden.GOLDEN_ENV} {named}: {cause}")
        assert line.endswith(f"or unset {golden.GOLDEN_ENV} for the installed goldens")


# --- references.json --------------------------------------------------------------------------

REFERENCE_DAMAGE = {**JSON_DAMAGE, "a-list": lambda p: p.write_text("[1, 2]")}


@pytest.mark.parametrize("damage", REFERENCE_DAMAGE.values(), ids=REFERENCE_DAMAGE.keys())
def test_damaged_references_are_one_line(damage, runs, goldens, tmp_path, capsys):
    target = goldens / "references.json"
    damage(target)
    before = snapshot(goldens)
    code = cli.main(["report", str(runs.parent), "--out", str(tmp_path / "page"), "--against", str(goldens)])
    line = assert_one_line_error(capsys, code, target)
    assert "curated by hand" in line
    assert snapshot(goldens) == before and not (tmp_path / "page").exists()


def test_a_reference_lacking_its_history_is_one_line(runs, goldens, tmp_path, capsys):
    target = goldens / "references.json"
    table = json.loads(target.read_text())
    del table["batch_norm"]["reference"]["history"]
    target.write_text(json.dumps(table))
    code = cli.main(["run", "batch_norm", "--preset", "reference", "--against", str(goldens)])  # fails before training
    assert_one_line_error(capsys, code, target, "batch_norm/reference", "history")


# --- runs.jsonl -------------------------------------------------------------------------------

def _invoke(command, runs_dir, out):
    argv = ["runs", str(runs_dir)] if command == "runs" else ["report", str(runs_dir), "--out", str(out)]
    return cli.main(argv)


def _retyped(key, value):
    """A third line: the first record again with ``key`` set to ``value``."""
    def damage(path):
        record = json.loads(path.read_text().splitlines()[0])
        path.write_text(path.read_text() + json.dumps({**record, key: value}) + "\n")
    return damage


RUNS_DAMAGE = {
    # (damage, the line the error names)
    "flipped-early": (_flip(5), 1),
    "flipped-middle": (_flip("middle"), None),
    "flipped-late": (_flip(-5), 2),
    "binary": (_binary, 2),  # bytes 0..255: byte 10 ends line 1, byte 128 is the first damage
    "a-json-list": (lambda p: p.write_text(p.read_text() + "[1, 2]\n"), 3),
    "lacks-keys": (lambda p: p.write_text(p.read_text() + json.dumps({"time": "x", "recipe": "batch_norm"}) + "\n"), 3),
    "bad-json-middle-line": (lambda p: p.write_text("{oops\n" + p.read_text()), 1),
    # a record with every key, one of another type than the suite writes (each was a traceback or a Python message)
    **{f"{key}-{name}": (_retyped(key, value), 3) for key, name, value in [
        ("final", "an-object", {"a": 1}), ("final", "a-string", "0.9"), ("epoch_seconds", "strings", ["1", "2"]),
        ("config", "a-string", "x"), ("provenance", "a-list", []), ("recipe", "a-number", 3), ("history", "a-number", 0.9)]},
}


@pytest.mark.parametrize("damage,line_number", RUNS_DAMAGE.values(), ids=RUNS_DAMAGE.keys())
@pytest.mark.parametrize("command", ["runs", "report"])
def test_a_damaged_run_log_is_one_line_naming_file_and_line(command, damage, line_number, runs, tmp_path, capsys):
    damage(runs)
    before = snapshot(runs)
    code = _invoke(command, runs.parent, tmp_path / "page")
    named = [f"{runs}:{line_number}:"] if line_number else [f"{runs}:"]
    line = assert_one_line_error(capsys, code, *named)
    assert "restore it from a copy, or remove that line" in line
    if damage.__qualname__.startswith("_retyped"):  # says which field, and what it holds
        assert "is not as the suite writes it: its " in line, line
    assert snapshot(runs) == before and not (tmp_path / "page").exists()


@pytest.mark.parametrize("command", ["runs", "report"])
def test_a_run_log_that_is_a_directory_is_one_line(command, runs, tmp_path, capsys):
    _directory(runs)
    code = _invoke(command, runs.parent, tmp_path / "page")
    assert_one_line_error(capsys, code, runs, "is a directory")
    assert not (tmp_path / "page").exists()


def test_no_or_an_empty_run_log_lists_nothing_and_report_refuses(runs, tmp_path, capsys):
    for damage in (_empty, Path.unlink):
        damage(runs)
        assert cli.main(["runs", str(runs.parent)]) == 0
        assert "no run records" in capsys.readouterr().out
        code = cli.main(["report", str(runs.parent), "--out", str(tmp_path / "page")])
        assert_one_line_error(capsys, code, runs.parent)
        assert not (tmp_path / "page").exists()


@pytest.mark.parametrize("fraction", [0.1, 0.4, 0.75, 0.999])
def test_a_last_record_cut_short_is_skipped_with_a_note(fraction, runs, tmp_path, capsys):
    """A run killed while appending its record leaves a last line with no newline: skipped, not an error."""
    _truncate(fraction)(runs)
    text = runs.read_text()
    whole = text.count("\n")  # records before the cut
    assert cli.main(["runs", str(runs.parent)]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines() == [f"tf1-recipes: note: {runs}:{whole + 1}: skipped a record cut short "
                                "(a run killed while writing it)"]
    assert sum(line.startswith("2026-01-01") for line in out.splitlines()) == whole
    if whole:
        pytest.importorskip("matplotlib", reason="the report draws its plots with matplotlib")
        assert cli.main(["report", str(runs.parent), "--out", str(tmp_path / "page")]) == 0
        out = capsys.readouterr().out
        assert f"{runs}:{whole + 1}: skipped a record cut short" in out
        assert "records skipped: 1" in out
    assert runs.read_text() == text
