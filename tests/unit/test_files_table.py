"""FILES.md's table of every file the suite reads or writes: each row names tests that exist.

The table is the promise a user reads ("what happens when this file is damaged"); each row
names the test that keeps it. This test fails when a row names a test file or test
function that is not there, or when a kind of file the suite reads has no row.
"""

import re
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
TABLE = PROJECT / "FILES.md"

#: Every kind of file the suite reads or writes; each needs a row.
KINDS = [
    "IDX",
    "mnist.npz",
    "`checkpoint`",
    ".index",
    ".data-",
    ".meta",
    "TF2 checkpoint",
    "training_state.json",
    "resume/",
    "golden",
    "references.json",
    "runs.jsonl",
    "an output path you name",
]

NODE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)(?:\[[^\]`]*\])?`")


def _rows():
    rows = []
    for line in TABLE.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 5 and not set(cells[0]) <= {"-", " "} and cells[0] != "file":
            rows.append(cells)
    return rows


def test_the_table_has_a_row_for_every_kind_of_file():
    files = " ".join(row[0] for row in _rows())
    missing = [kind for kind in KINDS if kind not in files]
    assert not missing, f"FILES.md has no row for {missing}"


@pytest.mark.parametrize("row", _rows(), ids=lambda row: re.sub(r"\W+", "_", row[0])[:40])
def test_every_row_names_tests_that_exist(row):
    nodes = NODE.findall(row[-1])
    assert nodes, f"row {row[0]!r} names no test (`tests/...py::test_name`)"
    for path, name in nodes:
        source = PROJECT / path
        assert source.is_file(), f"row {row[0]!r}: {path} does not exist"
        assert re.search(rf"^\s*def {name}\(", source.read_text(), re.M), f"row {row[0]!r}: no test {name} in {path}"


def test_the_readme_points_at_the_table():
    assert "FILES.md" in (PROJECT / "README.md").read_text()
