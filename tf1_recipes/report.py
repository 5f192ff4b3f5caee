"""The comparison report: run records + goldens -> a table, PNG curves and one HTML page.

``tf1-recipes check ... --out RUNS`` leaves a ``runs.jsonl`` record per run under RUNS;
``tf1-recipes report RUNS --out DIR`` reads them, compares each run with its golden (or
with the goldens of ``--against DIR``, e.g. recorded on another TensorFlow version), and
writes ``DIR/index.html`` with one PNG per recipe beside it (matplotlib draws them).

Every input is read and checked before anything is written, and the page is rendered in a
temporary folder (beside DIR, or inside it when it exists) and moved into place: a damaged record or golden, or a missing
matplotlib, leaves DIR as it was. Records that cannot be compared (an interrupted run, a
``doctor`` record, a recipe this version does not know) are skipped, and the table and the
page say how many and why.
"""

import html
import json
from pathlib import Path

from tf1_recipes import golden as golden_lib
from tf1_recipes import outputs
from tf1_recipes.harness import RunResult
from tf1_recipes.runlog import RUN_RECORD


class ReportError(Exception):
    """The report cannot be made (no records, or matplotlib missing); one clear line."""


def load_records(runs_dir, skipped=None):
    """The latest complete RunResult per (recipe, preset) found in ``runs_dir/**/runs.jsonl``.

    A damaged runs.jsonl is a ``RunRecordError`` (one line: file, line, cause, fix). Records
    that cannot be compared are left out; with ``skipped`` (a list), one ``(where, why)``
    per record left out is appended to it.
    """
    from tf1_recipes import runlog
    from tf1_recipes.registry import UnknownRecipeError, get_recipe

    try:
        runs_dir = runlog.check_runs_folder(runs_dir)
    except (FileNotFoundError, NotADirectoryError) as err:
        raise ReportError(f"{err} (`tf1-recipes check ... --out RUNS`)") from None
    files = runlog.record_files(runs_dir)
    if not files:
        raise ReportError(f"no {RUN_RECORD} under {runs_dir}: run `tf1-recipes check ... --out {runs_dir}` first")
    skipped = [] if skipped is None else skipped
    notes = []
    latest = {}
    for path in files:
        for record in runlog.read_record_file(path, notes):
            where = f"{record['_file']}:{record['_line']}"
            kind = record.get("kind", "run")
            if kind != "run":
                skipped.append((where, f"a {kind} record ({record['recipe']}), not a training run"))
                continue
            if record["status"] != "complete":
                skipped.append((where, f"{record['recipe']}/{record['preset']}: run {record['status']}, not complete"))
                continue
            try:
                get_recipe(record["recipe"])
            except UnknownRecipeError:
                skipped.append((where, f"unknown recipe {record['recipe']!r} (recorded by another version?)"))
                continue
            result = RunResult.from_record(record)
            key = (result.recipe, result.preset)
            if key in latest:
                older = latest[key]
                if older[0] <= str(record["time"]):
                    skipped.append((older[2], f"{key[0]}/{key[1]}: an older run, superseded by {where}"))
                    latest[key] = (str(record["time"]), result, where)
                else:
                    skipped.append((where, f"{key[0]}/{key[1]}: an older run, superseded by {older[2]}"))
                continue
            latest[key] = (str(record["time"]), result, where)
    skipped += [(note.split(": ", 1)[0], note.split(": ", 1)[1]) for note in notes]
    return [result for _, result, _ in sorted(latest.values(), key=lambda item: (item[1].recipe, item[1].preset))]


def format_skipped(skipped):
    """'N records skipped' and one indented line per record: where, why."""
    if not skipped:
        return "records skipped: none"
    return "\n".join([f"records skipped: {len(skipped)} (not compared)"] + [f"    {w}: {why}" for w, why in skipped])


def _reason(comparison, golden):
    """Why a row is what it is: each failing check (kind, value against the range), or why nothing was compared."""
    if comparison.status == "NOT_COMPARED":
        return "; ".join(comparison.notes) or "not compared"
    failed = [c for c in comparison.checks if not c.passed]
    if not failed:
        return ""
    reasons = []
    for check in failed:
        if check.kind == "band":
            band = golden["band"]
            reasons.append(f"band: {check.actual:.4f} outside [{band['low']:.4f}, {band['high']:.4f}]")
        elif check.kind == "pinned":
            reasons.append(f"pinned: an epoch differs from the pinned run by more than {check.tolerance:.2g} "
                           f"(final {check.actual:.4f} vs {check.expected:.4f}; {check.note})")
        else:
            reasons.append(f"{check.kind}: {check.actual:.4f} vs {check.expected:.4f}, "
                           f"|diff| {abs(check.difference):.4f} > {check.tolerance:.2g}")
    return "; ".join(reasons)


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
                "reason": _reason(comparison, golden),
                "notes": comparison.notes + [f"{c.kind}: {c.note}" for c in comparison.checks if c.note],
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
        if row["status"] != "PASS" and row["reason"]:
            lines.append(f"    reason: {row['reason']}")
    return "\n".join(lines)


def _fmt(value, spec=".4f"):
    return "-" if value is None else format(value, spec)


def load_pyplot():
    """matplotlib's pyplot on the Agg backend (no display needed), or None when matplotlib is not installed.

    The one place the suite loads matplotlib: the report's plots and ``doctor --plot``.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def pyplot():
    """:func:`load_pyplot`; ReportError (one line: how to install it) without matplotlib."""
    plt = load_pyplot()
    if plt is None:
        raise ReportError(
            "the report's plots need matplotlib, which is not installed in this Python; pip install matplotlib"
        )
    return plt





def plot_curve(result, golden, reference, path):
    """This run's per-epoch curve against the golden's seed band and the reference curve."""
    import numpy as np

    plt = pyplot()
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
    """Write ``out_dir/index.html``, its PNGs and report.json; returns (index path, table rows, skipped).

    Records, goldens and references are all read (and checked) and matplotlib loaded before
    anything is written; the files are rendered into a temporary folder (beside ``out_dir``, inside it when it exists)
    and moved into it only when every one is written.

    Raises:
        ReportError: no complete run record of a known recipe under ``runs_dir``.
        GoldenError: a record's golden or reference file is missing or damaged.
        OutputPathError: ``out_dir`` is not and cannot become a directory this user writes, or
            writing there failed (:mod:`tf1_recipes.outputs`).
    """
    skipped = []
    results = load_records(runs_dir, skipped)
    if not results:
        why = f" ({len(skipped)} skipped: {'; '.join(why for _, why in skipped[:3])})" if skipped else " (its logs are empty)"
        raise ReportError(f"no complete run record of a known recipe under {runs_dir}{why}; "
                          "run `tf1-recipes check ... --out RUNS` first")
    inputs = [(golden_lib.load_golden(r.recipe, r.preset, golden_dir),
               golden_lib.load_reference(r.recipe, r.preset, golden_dir)) for r in results]
    table = rows(results, golden_dir)
    pyplot()  # fail before writing anything when matplotlib is missing
    out_dir = Path(out_dir)
    with outputs.staged_folder(out_dir, "--out", "the report") as staging:
        sections = []
        for result, row, (golden, reference) in zip(results, table, inputs):
            image = f"{result.recipe}-{result.preset}.png"
            plot_curve(result, golden, reference, staging / image)
            notes = "".join(f"<li>{html.escape(n)}</li>" for n in row["notes"])
            reason = f'<p class="reason">{html.escape(row["reason"])}</p>' if row["reason"] else ""
            sections.append(
                f'<section><h2>{html.escape(result.recipe)} / {html.escape(result.preset)}</h2>'
                f'<img src="{image}" alt="{html.escape(result.recipe)} curve">{reason}<ul>{notes}</ul></section>'
            )
        (staging / "index.html").write_text(_page(table, sections, runs_dir, golden_dir, skipped), encoding="utf-8")
        (staging / "report.json").write_text(json.dumps(table, indent=2))
    return out_dir / "index.html", table, skipped


def _page(table, sections, runs_dir, golden_dir, skipped=()):
    head = ["recipe", "preset", "metric", "reference", "golden", "this run", "difference", "band", "status", "wall s",
            "reason"]
    body = []
    for row in table:
        band = f"[{row['band'][0]:.4f}, {row['band'][1]:.4f}]" if row["band"] else "-"
        cells = [
            row["recipe"], row["preset"], row["metric"], _fmt(row["reference"]), _fmt(row["golden"]),
            _fmt(row["value"]), _fmt(row["difference"], "+.4f"), band, row["status"], f"{row['wall_seconds']:.1f}",
            row["reason"] or "-",
        ]
        css = {"PASS": "pass", "FAIL": "fail"}.get(row["status"], "none")
        body.append(f'<tr class="{css}">' + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    passed = sum(r["status"] == "PASS" for r in table)
    if skipped:
        items = "".join(f"<li>{html.escape(w)}: {html.escape(why)}</li>" for w, why in skipped)
        skipped_html = f'<h2 id="skipped">{len(skipped)} records skipped (not compared)</h2><ul>{items}</ul>'
    else:
        skipped_html = '<p id="skipped">Records skipped: none.</p>'
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>tf1-recipes golden report</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 4px 8px; text-align: right; }}
td:first-child, td:nth-child(2), td:nth-child(3), td:nth-child(11) {{ text-align: left; }}
tr.pass td:nth-child(9) {{ color: #070; font-weight: bold; }} tr.fail td:nth-child(9) {{ color: #b00; font-weight: bold; }}
section {{ display: inline-block; vertical-align: top; margin: 1em 1em 0 0; }} h2 {{ font-size: 1em; }}
</style></head><body>
<h1>tf1-recipes golden report</h1>
<p>Runs: {html.escape(str(runs_dir))}; goldens: {html.escape(str(golden_dir or golden_lib.golden_dir()))}.
{passed} of {len(table)} PASS.</p>
<table><tr>{''.join(f'<th>{h}</th>' for h in head)}</tr>
{chr(10).join(body)}
</table>
{skipped_html}
{''.join(sections)}
</body></html>
"""
