"""The comparison report: from stored run records to a table, PNG curves and an HTML page."""

import html
import json
import shutil
import sys

import pytest
from test_golden_damage import make_record, write_runs

from tf1_recipes import cli, golden, report


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory):
    """Run records of two real smoke runs, left by `check --out`."""
    runs = tmp_path_factory.mktemp("runs")
    code = cli.main(["check", "batch_norm", "gradient_clipping", "--preset", "smoke", "--out", str(runs)])
    assert code == 0
    return runs


def test_check_out_leaves_one_record_and_checkpoint_per_recipe(runs_dir):
    for name in ("batch_norm", "gradient_clipping"):
        run_dir = runs_dir / f"{name}-smoke"
        assert (run_dir / "model.ckpt.index").exists()
        (record,) = [json.loads(line) for line in (run_dir / "runs.jsonl").read_text().splitlines()]
        assert record["recipe"] == name and record["status"] == "complete"


def test_report_writes_a_page_and_plots_holding_the_numbers(runs_dir, tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the report draws its plots with matplotlib")
    code = cli.main(["report", str(runs_dir), "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0 and "moved beyond their band: none" in out
    page = (tmp_path / "index.html").read_text()
    table = json.loads((tmp_path / "report.json").read_text())
    assert [(r["recipe"], r["status"]) for r in table] == [("batch_norm", "PASS"), ("gradient_clipping", "PASS")]
    for row in table:
        assert f"{row['value']:.4f}" in page and f"{row['golden']:.4f}" in page
        assert f"[{row['band'][0]:.4f}, {row['band'][1]:.4f}]" in page
        image = tmp_path / f"{row['recipe']}-smoke.png"
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and image.stat().st_size > 5000
        assert f'src="{image.name}"' in page


def test_report_against_other_goldens_shows_what_moved_beyond_its_band(runs_dir, tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the report draws its plots with matplotlib")
    other = tmp_path / "other-goldens"
    shutil.copytree(golden.golden_dir(), other)
    moved = json.loads((other / "gradient_clipping" / "smoke.json").read_text())
    # goldens recorded elsewhere whose band lies above this platform's result
    moved["band"]["low"] = moved["band"]["high"] + 0.05
    moved["band"]["high"] = moved["band"]["high"] + 0.10
    (other / "gradient_clipping" / "smoke.json").write_text(json.dumps(moved))
    code = cli.main(["report", str(runs_dir), "--out", str(tmp_path / "r"), "--against", str(other)])
    out = capsys.readouterr().out
    assert code == 1 and "moved beyond their band: gradient_clipping/smoke" in out


def test_missing_matplotlib_is_one_line_saying_to_install_it(tmp_path, monkeypatch, capsys):
    runs = write_runs(tmp_path / "runs", [make_record("batch_norm", "smoke")])
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    monkeypatch.delitem(sys.modules, "matplotlib.pyplot", raising=False)
    code = cli.main(["report", str(runs.parent), "--out", str(tmp_path / "r")])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.splitlines() == ["tf1-recipes: error: the report's plots need matplotlib, which is not installed in "
                                "this Python; pip install matplotlib"]
    assert not (tmp_path / "r").exists()


def test_no_records_is_a_clear_error(tmp_path):
    with pytest.raises(report.ReportError, match="no runs.jsonl under"):
        report.load_records(tmp_path)


def test_an_empty_run_log_is_said_to_be_empty(tmp_path, capsys):
    """It was "(0 skipped: )"."""
    (tmp_path / "runs.jsonl").write_text("")
    code = cli.main(["report", str(tmp_path), "--out", str(tmp_path / "r")])
    assert code == 2 and capsys.readouterr().err.splitlines() == [
        f"tf1-recipes: error: no complete run record of a known recipe under {tmp_path} (its logs are empty); run "
        "`tf1-recipes check ... --out RUNS` first"]
    assert not (tmp_path / "r").exists()


def test_a_failing_row_says_which_check_failed_and_the_page_carries_reason_and_notes(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the report draws its plots with matplotlib")
    passing = make_record("batch_norm", "smoke")
    low = make_record("gradient_clipping", "smoke")
    low["history"] = [*low["history"][:-1], 0.5]  # far below the band; and no longer the pinned run's epochs
    runs = write_runs(tmp_path / "runs", [passing, low])
    code = cli.main(["report", str(runs.parent), "--out", str(tmp_path / "r")])
    out = capsys.readouterr().out
    assert code == 1
    data = json.loads(golden.golden_path("gradient_clipping", "smoke").read_text())
    band = f"band: 0.5000 outside [{data['band']['low']:.4f}, {data['band']['high']:.4f}]"
    lines = out.splitlines()
    failing = next(i for i, line in enumerate(lines) if line.startswith("gradient_clipping"))
    assert "FAIL" in lines[failing] and lines[failing + 1].startswith("    reason: ") and band in lines[failing + 1]
    assert not any(line.startswith("    reason:") for line in lines[:failing])  # the PASS row has none
    page = (tmp_path / "r" / "index.html").read_text()
    assert "<th>reason</th>" in page and html.escape(band) in page
    notes = report.rows(report.load_records(runs.parent))[0]["notes"]
    assert notes and all(f"<li>{html.escape(note)}</li>" in page for note in notes)
    assert any(note.startswith("band: band [") for note in notes)  # the check's own note, as run prints it


def test_records_that_cannot_be_compared_are_counted_with_their_reason(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the report draws its plots with matplotlib")
    records = [
        make_record("batch_norm", "smoke"),
        make_record("gradient_clipping", "smoke", status="interrupted"),
        {**make_record("batch_norm", "smoke"), "recipe": "no_such_recipe"},
        {"kind": "doctor", "time": "2026-01-01T00:00:01+00:00", "recipe": "batch_norm", "preset": "reference",
         "config": {}, "status": "PASS", "checks": [], "provenance": {}},
    ]
    runs = write_runs(tmp_path / "runs", records)
    code = cli.main(["report", str(runs.parent), "--out", str(tmp_path / "r")])
    out = capsys.readouterr().out
    assert code == 0
    assert "records skipped: 3 (not compared)" in out
    assert f"{runs}:2: gradient_clipping/smoke: run interrupted, not complete" in out
    assert f"{runs}:3: unknown recipe 'no_such_recipe'" in out
    assert f"{runs}:4: a doctor record (batch_norm), not a training run" in out
    page = (tmp_path / "r" / "index.html").read_text()
    assert "3 records skipped (not compared)" in page and html.escape("run interrupted, not complete") in page
    assert [r["recipe"] for r in json.loads((tmp_path / "r" / "report.json").read_text())] == ["batch_norm"]


def test_a_report_replaces_the_previous_one_in_place(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the report draws its plots with matplotlib")
    runs = write_runs(tmp_path / "runs", [make_record("batch_norm", "smoke")])
    out_dir = tmp_path / "r"
    out_dir.mkdir()
    (out_dir / "mine.txt").write_text("kept")
    assert cli.main(["report", str(runs.parent), "--out", str(out_dir)]) == 0
    assert (out_dir / "mine.txt").read_text() == "kept" and (out_dir / "index.html").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging folder left behind
