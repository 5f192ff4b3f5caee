"""The comparison report: from stored run records to a table, PNG curves and an HTML page."""

import json
import shutil
import sys

import pytest

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


def test_missing_matplotlib_is_a_clear_error(runs_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code = cli.main(["report", str(runs_dir), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and 'pip install ".[report]"' in err
    assert not (tmp_path / "r").exists()


def test_no_records_is_a_clear_error(tmp_path):
    with pytest.raises(report.ReportError, match="no runs.jsonl under"):
        report.load_records(tmp_path)
