"""Golden files: where they live, what they hold, and how a run is compared with them.

``tf1_recipes/golden/<recipe>/<preset>.json`` is written only by ``scripts/regen_golden.py`` from a
real run on real MNIST. It holds the pinned run (seed, per-epoch values, command, TF
version, platform) and the tolerances with their reasons. ``tf1_recipes/golden/references.json``
holds the published reference results (with their source), curated by hand from the
reference runs; regeneration never touches it.

A comparison makes up to three checks:

* ``reference``: the final metric against the published reference result's final value.
  A reference marked ``"check": false`` (published under other conditions) is not a check:
  the notes say whether it lies inside the band.
* ``pinned``: with the pinned seed, where this run's numerics are those of one of the
  golden's pinned runs (same implementation, TensorFlow version, intra-op thread count and
  numerics fingerprint, :mod:`tf1_recipes.numerics`), every epoch must reproduce that
  pinned run within the ``pinned`` tolerance: same numerics, different bits is a real
  regression. A golden holds one pinned run per numerics it was pinned on
  (``golden["pinned"]``, a list). Where none matches (another CPU generation, oneDNN off,
  a GPU, another seed) there is no pinned check, and the notes say what differs. A
  recipe's TF2 port (``run --tf2``) is another platform: its provenance says
  ``implementation: tf2``.
* ``band``: the final value lies inside the band measured over several seeds
  (``golden["band"]``: a normal tolerance interval, see :mod:`tf1_recipes.regen`).
  Always made, so a run on other numerics falls back to it.

A run whose configuration differs from the golden's (``--epochs``, an override; the seed
aside) or whose number of epochs does is not compared with it, and the result says why.
"""

import dataclasses
import json
import os
from pathlib import Path

GOLDEN_ENV = "TF1_RECIPES_GOLDEN"
REFERENCES = "references.json"
#: What must agree for a pinned check. The numerics fingerprint covers the CPU generation,
#: oneDNN's kernel choice and the device; a CPU's name does not (two EPYC generations share one).
PLATFORM_KEYS = ("implementation", "tf_version", "intra_op_threads", "fingerprint")
#: What a provenance without the key means: goldens pinned before ``implementation`` was
#: recorded were all runs of the TF1 recipes.
PLATFORM_DEFAULTS = {"implementation": "tf1"}


class GoldenError(Exception):
    """A golden file is missing, unreadable or does not describe this run."""


#: The goldens shipped inside the package (package data).
PACKAGE_GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


def golden_dir():
    """``$TF1_RECIPES_GOLDEN``, else the ``golden/`` folder inside the package (:data:`PACKAGE_GOLDEN_DIR`)."""
    if os.environ.get(GOLDEN_ENV):
        return Path(os.environ[GOLDEN_ENV])
    return PACKAGE_GOLDEN_DIR


def golden_path(recipe, preset, directory=None):
    return Path(directory or golden_dir()) / recipe / f"{preset}.json"


def _fix(path):
    return (f"restore it (git checkout -- {path}, or reinstall tf1-recipes) or regenerate it "
            "(tf1-recipes golden regen)")


def read_json_file(path, what, fix=None):
    """The JSON in ``path``; :class:`GoldenError` (one line: file, cause, what to do) when it cannot be read."""
    path = Path(path)
    fix = fix or _fix(path)
    if path.is_dir():
        raise GoldenError(f"{path}: is a directory, not a {what}; remove it and {fix}")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise GoldenError(f"{path}: not a {what} (not UTF-8 text: byte {err.start} is damaged); {fix}") from None
    except OSError as err:
        raise GoldenError(f"{path}: cannot read this {what} ({err.strerror}); {fix}") from None
    if not text.strip():
        raise GoldenError(f"{path}: empty {what}; {fix}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise GoldenError(f"{path}: not valid JSON at line {err.lineno} column {err.colno} ({err.msg}), "
                          f"a damaged or truncated {what}; {fix}") from None


#: What a golden must hold for a comparison: key -> the keys inside it.
GOLDEN_KEYS = {"config": (), "pinned": (), "seeds": ("mean", "histories"),
               "band": ("low", "high", "half_width", "rule"), "tolerance": ("pinned",)}
PINNED_KEYS = ("seed", "history", "provenance")


def _golden_problem(golden):
    """What is missing from a golden dict, or None."""
    if not isinstance(golden, dict):
        return f"holds a JSON {type(golden).__name__}, not a golden object"
    missing = [k for k in GOLDEN_KEYS if k not in golden]
    if missing:
        return f"lacks the key(s) {', '.join(missing)}"
    for key, inner in GOLDEN_KEYS.items():
        if inner and not isinstance(golden[key], dict):
            return f"{key!r} is not an object"
        lacking = [k for k in inner if k not in golden[key]]
        if lacking:
            return f"{key!r} lacks {', '.join(lacking)}"
    if not isinstance(golden["config"], dict):
        return "'config' is not an object"
    runs = golden["pinned"] if isinstance(golden["pinned"], list) else [golden["pinned"]]
    if not runs:
        return "'pinned' holds no run"
    for run in runs:
        if not isinstance(run, dict) or any(k not in run for k in PINNED_KEYS):
            return f"a pinned run lacks one of {', '.join(PINNED_KEYS)}"
        if not isinstance(run["history"], list) or not all(isinstance(v, (int, float)) for v in run["history"]):
            return "a pinned run's history is not a list of numbers"
    for key in ("low", "high", "half_width"):
        if not isinstance(golden["band"][key], (int, float)):
            return f"band {key} is not a number"
    return None


def load_golden(recipe, preset, directory=None):
    """The golden dict for a recipe and preset, or None when there is none; GoldenError when it is damaged."""
    path = golden_path(recipe, preset, directory)
    if not path.exists() and not path.is_symlink():
        return None
    golden = read_json_file(path, "golden file")
    problem = _golden_problem(golden)
    if problem:
        raise GoldenError(f"{path}: golden file {problem}; {_fix(path)}")
    return golden


def load_references(directory=None):
    """The whole ``references.json`` (a dict), {} when there is none; GoldenError when it is damaged."""
    path = Path(directory or golden_dir()) / REFERENCES
    if not path.exists() and not path.is_symlink():
        return {}
    fix = f"restore it (git checkout -- {path}, or reinstall tf1-recipes): it is curated by hand"
    table = read_json_file(path, "references file", fix)
    if not isinstance(table, dict):
        raise GoldenError(f"{path}: holds a JSON {type(table).__name__}, not the references object; {fix}")
    return table


def load_reference(recipe, preset, directory=None):
    """The published reference result for a recipe and preset, or None; GoldenError when it is damaged."""
    path = Path(directory or golden_dir()) / REFERENCES
    table = load_references(directory).get(recipe, {})
    fix = f"restore it (git checkout -- {path}, or reinstall tf1-recipes): it is curated by hand"
    if not isinstance(table, dict):
        raise GoldenError(f"{path}: the entry for {recipe!r} is not an object; {fix}")
    entry = table.get(preset)
    entry = table.get(entry) if isinstance(entry, str) else entry
    if entry is None:
        return None
    history = entry.get("history") if isinstance(entry, dict) else None
    if not isinstance(history, list) or not history or not all(isinstance(v, (int, float)) for v in history):
        raise GoldenError(f"{path}: the reference for {recipe}/{preset} lacks a 'history' list of numbers; {fix}")
    if entry.get("check") is not False and not isinstance(entry.get("tolerance"), (int, float)):
        raise GoldenError(f"{path}: the reference for {recipe}/{preset} lacks a numeric 'tolerance'; {fix}")
    return entry


def golden_files(directory=None):
    """The golden files (``<recipe>/<preset>.json``) in a golden directory, sorted."""
    return sorted(p for p in Path(directory or golden_dir()).glob("*/*.json"))


def platform_of(provenance):
    """The provenance facts that must agree for a pinned check; a TF2 port's run differs in ``implementation``.

    ``fingerprint`` is ``provenance["numerics"]["fingerprint"]`` (None where a run recorded none).
    """
    facts = {key: provenance.get(key, PLATFORM_DEFAULTS.get(key)) for key in PLATFORM_KEYS}
    facts["fingerprint"] = (provenance.get("numerics") or {}).get("fingerprint")
    return facts


def platform_differences(theirs, ours):
    """'key theirs -> ours' for each :data:`PLATFORM_KEYS` fact but the fingerprint that differs."""
    return [f"{k} {theirs[k]} -> {ours[k]}" for k in PLATFORM_KEYS if k != "fingerprint" and theirs[k] != ours[k]]


def pinned_runs(golden):
    """The golden's pinned runs, one per numerics it was pinned on (a list, oldest first)."""
    pinned = golden["pinned"]
    return pinned if isinstance(pinned, list) else [pinned]


def matching_pinned(golden, provenance):
    """The pinned run whose platform (:func:`platform_of`) is this provenance's, or None."""
    ours = platform_of(provenance)
    for pinned in pinned_runs(golden):
        if ours["fingerprint"] is not None and platform_of(pinned["provenance"]) == ours:
            return pinned
    return None


#: The range a metric's value can take, by name: a band never leaves it.
METRIC_RANGES = (("accuracy", (0.0, 1.0)), ("loss", (0.0, None)), ("mismatch", (0.0, None)), ("ratio", (0.0, None)))


def metric_range(metric):
    """(low, high) bounds of a metric's values, None for unbounded: accuracies in [0, 1], losses >= 0."""
    for word, bounds in METRIC_RANGES:
        if word in metric:
            return bounds
    return (None, None)


@dataclasses.dataclass
class Check:
    """One comparison: expected vs actual, the tolerance, and whether it held."""

    kind: str
    expected: float
    actual: float
    tolerance: float
    passed: bool
    note: str = ""

    @property
    def difference(self):
        return self.actual - self.expected


@dataclasses.dataclass
class Comparison:
    """Every check of one run against its golden and reference; status PASS, FAIL or NOT_COMPARED."""

    recipe: str
    preset: str
    metric: str
    value: float
    checks: list
    notes: list
    #: The run's per-epoch values (``RunResult.history``), for a caller that reads more than the final one.
    history: list = None

    @property
    def status(self):
        if not self.checks:
            return "NOT_COMPARED"
        return "PASS" if all(c.passed for c in self.checks) else "FAIL"

    def _main_check(self):
        """The pinned check when there is one, else the band check."""
        for kind in ("pinned", "band"):
            for check in self.checks:
                if check.kind == kind:
                    return check
        return None

    @property
    def golden_value(self):
        main = self._main_check()
        return main.expected if main else None

    @property
    def tolerance(self):
        main = self._main_check()
        return main.tolerance if main else None

    def to_dict(self):
        return {
            "recipe": self.recipe,
            "preset": self.preset,
            "metric": self.metric,
            "value": self.value,
            "status": self.status,
            "checks": [{**dataclasses.asdict(c), "difference": c.difference} for c in self.checks],
            "notes": self.notes,
        }


def compare(result, directory=None):
    """Compare a RunResult with its golden and reference; never raises for a missing golden."""
    checks, notes = [], []
    golden = load_golden(result.recipe, result.preset, directory)
    reference = load_reference(result.recipe, result.preset, directory)
    epochs = len(result.history)
    if result.status != "complete":
        notes.append(f"run {result.status}: not compared")
        return Comparison(result.recipe, result.preset, result.metric, result.final, [], notes, result.history)

    measured = {(golden or {}).get("metric"), (reference or {}).get("metric")} - {None}
    if measured - {result.metric}:
        notes.append(f"this run measured {result.metric}, its golden and reference {' and '.join(sorted(measured))}: "
                     "not compared")
        return Comparison(result.recipe, result.preset, result.metric, result.final, [], notes, result.history)
    changed = config_differences(golden["config"], result.config) if golden else []
    if reference is not None and not changed:
        if reference.get("check") is False:
            pass  # published for comparison only: reported beside the band below
        elif len(reference["history"]) != epochs:
            notes.append(f"reference has {len(reference['history'])} epochs, this run {epochs}: no reference check")
        else:
            expected = reference["history"][-1]
            diff = abs(result.final - expected)
            checks.append(Check("reference", expected, result.final, reference["tolerance"], diff <= reference["tolerance"]))

    if golden is None:
        notes.append(f"no golden file {golden_path(result.recipe, result.preset, directory)}")
    elif changed:
        notes.append(f"configuration differs from the golden's ({'; '.join(changed)}): no golden check")
    elif (pinned_epochs := len(pinned_runs(golden)[0]["history"])) != epochs:
        notes.append(f"golden pinned {pinned_epochs} epochs, this run {epochs}: no golden check")
    else:
        checks.extend(_pinned_checks(result, golden, notes))
        checks.append(_band_check(result, golden))
        if reference is not None and reference.get("check") is False:
            published, band = reference["history"][-1], golden["band"]
            where = "inside" if band["low"] <= published <= band["high"] else "outside"
            notes.append(
                f"published {published:.4f} is {where} the band [{band['low']:.4f}, {band['high']:.4f}] "
                "(reported, not checked: see references.json)"
            )
    return Comparison(result.recipe, result.preset, result.metric, result.final, checks, notes, result.history)


def config_differences(golden_config, run_config):
    """'key golden -> run' for every hyperparameter or setting that differs, the seed aside."""
    theirs, ours = json.loads(json.dumps(golden_config)), json.loads(json.dumps(run_config))
    keys = sorted((set(theirs) | set(ours)) - {"seed"})
    return [f"{k} {theirs.get(k)!r} -> {ours.get(k)!r}" for k in keys if theirs.get(k) != ours.get(k)]


def _pinned_checks(result, golden, notes):
    runs = pinned_runs(golden)
    seed = runs[0]["seed"]
    if seed != result.config.get("seed"):
        notes.append(f"golden pinned seed {seed}, this run seed {result.config.get('seed')}: band check only")
        return []
    pinned = matching_pinned(golden, result.provenance)
    if pinned is None:
        notes.append(_no_pinned_note(runs, result.provenance))
        return []
    worst = max(abs(a - b) for a, b in zip(result.history, pinned["history"]))
    tolerance = golden["tolerance"]["pinned"]
    return [
        Check(
            "pinned",
            pinned["history"][-1],
            result.final,
            tolerance,
            worst <= tolerance,
            f"same seed and numerics (fingerprint {platform_of(pinned['provenance'])['fingerprint']}): "
            f"every epoch checked, worst |diff| {worst:.2g}",
        )
    ]


def _no_pinned_note(runs, provenance):
    """Why no pinned run applies: the fingerprints, and the human facts that differ from the nearest."""
    from tf1_recipes import numerics

    ours = platform_of(provenance)
    theirs = [platform_of(p["provenance"]) for p in runs]
    if ours["implementation"] != "tf1":
        port = "a shim port" if ours["implementation"] == "shim" else "a TF2 port"
        return (f"implementation tf1 -> {ours['implementation']}; {port} is another platform than its TF1 "
                "recipe: pinned check replaced by the band")
    same_rest = [t for t in theirs if {**t, "fingerprint": None} == {**ours, "fingerprint": None}]
    if not same_rest:
        differs = "; ".join(", ".join(platform_differences(t, ours)) for t in theirs)
        return f"platform differs from every pinned run's ({differs}): pinned check replaced by the band"
    nearest = next(p for p in runs if platform_of(p["provenance"]) in same_rest)
    facts = numerics.differences(provenance.get("numerics") or {}, nearest["provenance"].get("numerics") or {})
    facts = [f for f in facts if not f.startswith("fingerprint")]
    return (
        f"numerics differ from the pinned runs': fingerprint {ours['fingerprint']} vs "
        f"{', '.join(str(t['fingerprint']) for t in same_rest)}"
        + (f" ({'; '.join(facts)})" if facts else " (same CPU facts and settings: the kernels differ)")
        + ": pinned check replaced by the band"
    )


def _band_check(result, golden):
    band = golden["band"]
    inside = band["low"] <= result.final <= band["high"]
    note = f"band [{band['low']:.4f}, {band['high']:.4f}] = {band['rule']}"
    return Check("band", golden["seeds"]["mean"], result.final, band["half_width"], inside, note)


def format_table(comparisons):
    """The PASS/FAIL table: golden value, this run, difference, tolerance, per check."""
    header = f"{'recipe':<22} {'preset':<13} {'check':<10} {'golden':>8} {'this run':>9} {'diff':>8} {'tol':>8}  status"
    lines = [header, "-" * len(header)]
    for comp in comparisons:
        if not comp.checks:
            value = "-" if comp.value is None else f"{comp.value:.4f}"
            lines.append(f"{comp.recipe:<22} {comp.preset:<13} {'-':<10} {'-':>8} {value:>9} {'-':>8} {'-':>8}  NOT_COMPARED")
        for check in comp.checks:
            lines.append(
                f"{comp.recipe:<22} {comp.preset:<13} {check.kind:<10} {check.expected:>8.4f} {check.actual:>9.4f} "
                f"{check.difference:>+8.4f} {check.tolerance:>8.2g}  {'PASS' if check.passed else 'FAIL'}"
            )
        for note in comp.notes + [c.note for c in comp.checks if c.note]:
            lines.append(f"    note: {note}")
    return "\n".join(lines)


def format_totals(comparisons):
    """One line: how many runs were pinned and passed, fell back to the band (and passed), failed.

    ``12 pinned PASS, 29 band PASS (numerics no pinned run has), 0 FAIL, 0 NOT_COMPARED``
    """
    counts = {"pinned": 0, "band": 0, "FAIL": 0, "NOT_COMPARED": 0}
    for comp in comparisons:
        if comp.status in ("FAIL", "NOT_COMPARED"):
            counts[comp.status] += 1
        else:
            counts["pinned" if any(c.kind == "pinned" for c in comp.checks) else "band"] += 1
    return (
        f"{counts['pinned']} pinned PASS, {counts['band']} band PASS (no pinned run for these numerics or seed), "
        f"{counts['FAIL']} FAIL, {counts['NOT_COMPARED']} NOT_COMPARED"
    )
