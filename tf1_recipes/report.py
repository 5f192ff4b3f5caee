"""The comparison report: run records + goldens -> a table, PNG curves and one HTML page.

``tf1-recipes check ... --out RUNS`` leaves a ``runs.jsonl`` record per run under RUNS;
``tf1-recipes report RUNS --out DIR`` reads them, compares each run with its golden (or
with the goldens of ``--against DIR``, e.g. recorded on another TensorFlow version), and
writes ``DIR/index.html`` with one PNG per recipe beside it. matplotlib is an optional
extra: ``pip install ".[report]"``.
"""

import html
import json
from pathlib import Path

from tf1_recipes import golden as golden_lib
from tf1_recipes.harness import RUN_RECORD, RunResult


class ReportError(Exception):
    """The report cannot be made (no records, or matplotlib missing); one clear line."""


def load_records(runs_dir):
    """The latest complete RunResult per (recipe, preset) found in ``runs_dir/**/runs.jsonl``."""
    runs_dir = Path(runs_dir)
    files = sorted(runs_dir.rglob(RUN_RECORD))
    if not files:
        raise ReportError(f"no {RUN_RECORD} under {runs_dir}: run `tf1-recipes check ... --out {runs_dir}` first")
    latest = {}
    fields = RunResult.__dataclass_fields__
    for path in files:
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            if record.get("status") != "complete" or "recipe" not in record:
                continue
            result = RunResult(**{k: v for k, v in record.items() if k in fields and k != "graph"})
            latest[(result.recipe, result.preset)] = (record.get("time", ""), result)
    return [result for _, result in sorted(latest.values(), key=lambda item: (item[1].recipe, item[1].preset))]


def rows(results, golden_dir=None):
    """One dict per run: reference, golden, this run, difference, band, status, wall time."""
    out = []
    for result in results:
        comparison = golden_lib.compare(result, golden_dir)
        golden = golden_lib.load_golden(result.recipe, result.preset, golden_dir)
        reference = golden_lib.load_reference(result.recipe, result.preset, golden_dir)
        checks = {c.kind: c for c in comparison.checks}
        band = golden["band"] if golden else None
        out.append(
            {
                "recipe": result.recipe,
                "preset": result.preset,
                "metric": result.metric,
                "reference": reference["history"][-1] if reference else None,
                "golden": comparison.golden_value,
                "value": result.final,
                "difference": result.final - comparison.golden_value if comparison.golden_value is not None else None,
                "band": [band["low"], band["high"]] if band else None,
                "checks": {kind: c.passed for kind, c in checks.items()},
                "status": comparison.status,
                "moved_beyond_band": "band" in checks and not checks["band"].passed,
                "wall_seconds": round(sum(result.epoch_seconds), 2),
                "notes": comparison.notes,
                "tf_version": result.provenance.get("tf_version"),
            }
        )
    return out


def format_rows(table):
    """The report's table as text, for the terminal."""
    header = (
        f"{'recipe':<24} {'preset':<13} {'reference':>9} {'golden':>8} {'this run':>9} {'diff':>8} "
        f"{'band':>17} {'status':<12} {'wall s':>7}"
    )
    lines = [header, "-" * len(header)]
    for row in table:
        band = f"[{row['band'][0]:.4f},{row['band'][1]:.4f}]" if row["band"] else "-"
        lines.append(
            f"{row['recipe']:<24} {row['preset']:<13} {_fmt(row['reference']):>9} {_fmt(row['golden']):>8} "
            f"{_fmt(row['value']):>9} {_fmt(row['difference'], '+.4f'):>8} {band:>17} {row['status']:<12} "
            f"{row['wall_seconds']:>7.1f}"
        )
    return "\n".join(lines)


def _fmt(value, spec=".4f"):
    return "-" if value is None else format(value, spec)


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ReportError(
            'the report needs matplotlib, an optional extra: pip install ".[report]" (or pip install matplotlib)'
        ) from err
    return plt


def plot_curve(result, golden, reference, path):
    """This run's per-epoch curve against the golden's seed band and the reference curve."""
    import numpy as np

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=100)
    epochs = np.arange(len(result.history))
    if golden:
        histories = np.array(golden["seeds"]["histories"], dtype=float)
        if histories.ndim == 2 and histories.shape[1] == len(epochs):
            mean = histories.mean(axis=0)
            half = golden["band"]["half_width"]
            if len(histories) > 1:
                half = np.maximum(half, golden["band"].get("k", 4.0) * histories.std(axis=0, ddof=1))
            ax.fill_between(epochs, mean - half, mean + half, color="tab:blue", alpha=0.2, label="golden seed band")
            pinned = golden_lib.matching_pinned(golden, result.provenance)
            if pinned is not None:
                ax.plot(epochs, pinned["history"], color="tab:blue", lw=1, label="golden (pinned seed, these numerics)")
    if reference and len(reference["history"]) == len(epochs):
        ax.plot(epochs, reference["history"], "k--", lw=1, label="reference")
    ax.plot(epochs, result.history, color="tab:red", marker="o", ms=3, lw=1.5, label="this run")
    ax.set_xlabel("epoch")
    ax.set_ylabel(result.metric)
    ax.set_title(f"{result.recipe} / {result.preset}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def render(runs_dir, out_dir, golden_dir=None):
    """Write ``out_dir/index.html`` and its PNGs; returns (index path, table rows)."""
    results = load_records(runs_dir)
    _pyplot()  # fail before writing anything when matplotlib is missing
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    table = rows(results, golden_dir)
    sections = []
    for result, row in zip(results, table):
        image = f"{result.recipe}-{result.preset}.png"
        plot_curve(
            result,
            golden_lib.load_golden(result.recipe, result.preset, golden_dir),
            golden_lib.load_reference(result.recipe, result.preset, golden_dir),
            out_dir / image,
        )
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in row["notes"])
        sections.append(
            f'<section><h2>{html.escape(result.recipe)} / {html.escape(result.preset)}</h2>'
            f'<img src="{image}" alt="{html.escape(result.recipe)} curve"><ul>{notes}</ul></section>'
        )
    index = out_dir / "index.html"
    index.write_text(_page(table, sections, runs_dir, golden_dir))
    (out_dir / "report.json").write_text(json.dumps(table, indent=2))
    return index, table


def _page(table, sections, runs_dir, golden_dir):
    head = ["recipe", "preset", "metric", "reference", "golden", "this run", "difference", "band", "status", "wall s"]
    body = []
    for row in table:
        band = f"[{row['band'][0]:.4f}, {row['band'][1]:.4f}]" if row["band"] else "-"
        cells = [
            row["recipe"], row["preset"], row["metric"], _fmt(row["reference"]), _fmt(row["golden"]),
            _fmt(row["value"]), _fmt(row["difference"], "+.4f"), band, row["status"], f"{row['wall_seconds']:.1f}",
        ]
        css = {"PASS": "pass", "FAIL": "fail"}.get(row["status"], "none")
        body.append(f'<tr class="{css}">' + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    passed = sum(r["status"] == "PASS" for r in table)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>tf1-recipes golden report</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 4px 8px; text-align: right; }}
td:first-child, td:nth-child(2), td:nth-child(3) {{ text-align: left; }}
tr.pass td:nth-child(9) {{ color: #070; font-weight: bold; }} tr.fail td:nth-child(9) {{ color: #b00; font-weight: bold; }}
section {{ display: inline-block; vertical-align: top; margin: 1em 1em 0 0; }} h2 {{ font-size: 1em; }}
</style></head><body>
<h1>tf1-recipes golden report</h1>
<p>Runs: {html.escape(str(runs_dir))}; goldens: {html.escape(str(golden_dir or golden_lib.golden_dir()))}.
{passed} of {len(table)} PASS.</p>
<table><tr>{''.join(f'<th>{h}</th>' for h in head)}</tr>
{chr(10).join(body)}
</table>
{''.join(sections)}
</body></html>
"""
