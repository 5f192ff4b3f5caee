"""Regenerating golden files from real runs (``scripts/regen_golden.py``).

For each recipe and preset: one run with the preset's seed on this machine's numerics
(the *pinned* run, recorded with its numerics fingerprint), plus runs with further seeds
whose spread sets the band every other numerics is compared with (at least
``MIN_SEEDS``: 10 for smoke presets, 5 for the others). The golden records every value,
the command that made it and the platform; an existing golden is never loosened silently:
a wider band needs ``--allow-widen`` and a reason, which is stored in the golden.

Modes, on an existing golden of the same configuration:

* ``--add-platform``: adds this machine's pinned run (the pinned seed) beside the pinned
  runs of other numerics, leaving them and the seed statistics alone. A pinned run of the
  same numerics must be reproduced bit for bit, else it refuses: that is a real change.
* ``--extend``: keeps the seed runs the golden recorded and runs only the missing seeds
  (on any numerics of the same TensorFlow version and thread count; each seed records its
  fingerprint), then rebuilds the band by the current rule.
* neither: regenerates the whole golden, pinned on this machine's numerics only (the other
  numerics' pinned runs are dropped and said so: re-add them with ``--add-platform``). On a
  machine whose numerics no pinned run has it says so and refuses unless ``--repin``.
"""

import argparse
import math
import concurrent.futures
import datetime
import json
import multiprocessing
import shlex
import statistics
import sys

from tf1_recipes import golden as golden_lib
from tf1_recipes import outputs

PINNED_TOLERANCE = 1e-6
PINNED_REASON = (
    "Same seed, TensorFlow op determinism, a fixed intra-op thread count and the same numerics "
    "fingerprint (tf1_recipes.numerics) make a rerun bit-identical "
    "(tests/unit/test_numerics.py::test_a_rerun_on_the_same_numerics_is_bit_identical checks it); "
    "1e-6 only absorbs float formatting."
)
#: The band is a two-sided normal tolerance interval: it holds BAND_COVERAGE of the runs'
#: final values with BAND_CONFIDENCE, given n seeds (Howe's k factor). 99.5%: a machine whose
#: numerics no pinned run has falls back to ~100 bands, and a false alarm on one of them must
#: stay the exception, while a smoke band must stay narrow enough to fail (<= 0.12).
BAND_COVERAGE = 0.995
BAND_CONFIDENCE = 0.95
BAND_FLOOR = 0.002
BAND_RULE = (
    "mean +- max(k x std, {floor}) over {n} seeds, k = {k:.3f}: a two-sided normal tolerance interval "
    "holding {coverage:.1%} of runs with {confidence:.0%} confidence (Howe's k), clipped to the metric's range {range}"
)
BAND_REASON = (
    "Seeds move the final value the way a change of numerics (CPU generation, oneDNN's kernels, TF "
    "version, GPU) does: float rounding sends the trajectory elsewhere. So the spread over seeds is the "
    "noise a real change must exceed. k grows as the seeds get fewer (Howe, 'Two-sided tolerance limits "
    "for normal populations: some improvements', JASA 64 (1969) 610-620; NIST/SEMATECH e-Handbook of "
    "Statistical Methods, section 7.2.6.3: k = 4.433 for n = 10, 99% coverage, 95% confidence), so a few "
    "seeds give an honestly wider band; the floor ({floor}, 20 test images) keeps a small-sample std from "
    "making it unrealistically tight."
)
#: The fewest seeds a golden's band is measured over (tf1_recipes/golden/README.md).
MIN_SEEDS = {"smoke": 10, "full": 5}
#: A full preset's band wider than this states its measured spread; a smoke band wider than
#: SMOKE_MAX_WIDTH cannot tell a broken recipe from a working one and is refused by the tests.
WIDE_BAND = 0.06
SMOKE_MAX_WIDTH = 0.12


def tolerance_factor(n, coverage=BAND_COVERAGE, confidence=BAND_CONFIDENCE):
    """Howe's k for a two-sided normal tolerance interval from ``n`` >= 2 samples.

    k = sqrt((n - 1) (1 + 1/n) z^2 / chi2), z the (1 + coverage)/2 normal quantile and chi2
    the (1 - confidence) quantile of chi-square with n - 1 degrees of freedom (Howe 1969;
    NIST/SEMATECH e-Handbook 7.2.6.3). At 99.5% coverage, 95% confidence: n = 5: 7.29,
    n = 10: 4.84, n = 20: 3.94.
    """
    from scipy import stats

    if n < 2:
        raise ValueError(f"a tolerance interval needs at least 2 seeds, got {n}")
    z = stats.norm.ppf((1 + coverage) / 2)
    chi2 = stats.chi2.ppf(1 - confidence, n - 1)
    return math.sqrt((n - 1) * (1 + 1 / n) * z * z / chi2)


def run_one(recipe, preset, seed, threads=None, data_dir=None):
    """One quiet run; returns the JSON-ready facts of it (used in worker processes too)."""
    from tf1_recipes.harness import RecipeConfig, run_recipe

    result = run_recipe(
        RecipeConfig(recipe, preset=preset, seed=seed, threads=threads, data_dir=data_dir, progress=False, quiet=True)
    )
    return {
        "seed": seed,
        "history": result.history,
        "final": result.final,
        "epoch_seconds": result.epoch_seconds,
        "provenance": result.provenance,
        "config": result.config,
        "metric": result.metric,
        "extras": result.extras,
    }


def _seed_runs(recipe, preset, seeds, jobs, data_dir):
    """Run every seed, in ``jobs`` processes; each keeps the default thread count, so the
    pinned seed's values are what a single run on this platform gives."""
    if jobs <= 1:
        return [run_one(recipe, preset, s, data_dir=data_dir) for s in seeds]
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
        futures = [pool.submit(run_one, recipe, preset, s, None, data_dir) for s in seeds]
        return [f.result() for f in futures]


def seed_band(finals, metric=""):
    """(mean, std, band dict) of the final values over seeds; std is None for a single seed.

    The band is mean +- max(k std, floor) with k = :func:`tolerance_factor` (n), clipped to
    :func:`tf1_recipes.golden.metric_range` (an accuracy stays in [0, 1], a loss >= 0).
    """
    mean = statistics.fmean(finals)
    std = statistics.stdev(finals) if len(finals) > 1 else None
    k = tolerance_factor(len(finals)) if std is not None else 0.0
    half_width = round(max(k * (std or 0.0), BAND_FLOOR), 6)
    low, high = golden_lib.metric_range(metric)
    band = {
        "low": mean - half_width if low is None else max(low, mean - half_width),
        "high": mean + half_width if high is None else min(high, mean + half_width),
        "half_width": half_width,
        "k": round(k, 4),
        "rule": BAND_RULE.format(
            floor=BAND_FLOOR, n=len(finals), k=k, coverage=BAND_COVERAGE, confidence=BAND_CONFIDENCE,
            range=f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]",
        ),
        "reason": BAND_REASON.format(floor=BAND_FLOOR) if std is not None else "single seed: the floor only",
    }
    if band["high"] - band["low"] > WIDE_BAND:
        band["spread"] = (
            f"wider than {WIDE_BAND}: the measured spread over {len(finals)} seeds is std {std:.4g}, "
            f"finals {min(finals):.4f} .. {max(finals):.4f}"
        )
    return mean, std, band


def _fingerprint_of(run):
    return golden_lib.platform_of(run.get("provenance") or {})["fingerprint"]


def _shareable(provenance):
    """The provenance without the regenerating machine's data folder (its checksums stay)."""
    data = provenance.get("data")
    if not data:
        return provenance
    return {**provenance, "data": {key: value for key, value in data.items() if key != "dir"}}


def pinned_record(run, command):
    """The pinned-run record of one ``run_one`` result: its values, provenance and the command."""
    return {
        "seed": run["seed"],
        "history": run["history"],
        "final": run["final"],
        "epoch_seconds": run["epoch_seconds"],
        "extras": run.get("extras", {}),
        "provenance": _shareable(run["provenance"]),
        "command": command,
        "created": _now(),
    }


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def recorded_runs(old):
    """The seed runs an existing golden recorded, as ``run_one`` returns them (final, history, numerics)."""
    seeds = old["seeds"]
    numerics = seeds.get("numerics") or [None] * len(seeds["seeds"])
    return [
        {"seed": seed, "final": final, "history": history, "provenance": {"numerics": {"fingerprint": fp}}}
        for seed, final, history, fp in zip(seeds["seeds"], seeds["finals"], seeds["histories"], numerics)
    ]


def extension_problems(old, config):
    """Why ``old`` cannot be extended with more seeds for a preset now configured as ``config``."""
    if old is None:
        return ["there is no golden to extend"]
    if "seeds" not in old or "histories" not in old["seeds"]:
        return ["the golden records no per-seed runs"]
    current = json.loads(json.dumps(config))
    return [
        f"config {key}: golden {old['config'].get(key)!r}, now {current.get(key)!r}"
        for key in sorted(set(current) | set(old["config"]))
        if old["config"].get(key) != current.get(key)
    ]


def build_golden(pinned, seed_runs, command, old=None, allow_widen=False, widen_reason=None, extended=None):
    """The golden dict from its pinned runs and seed runs; refuses a silent widening.

    ``pinned``: the pinned-run records (:func:`pinned_record`), one per numerics;
    ``seed_runs``: every seed's run (``run_one`` results or :func:`recorded_runs`), the
    pinned seed first. ``extended``: None when every seed run is new; else the seeds just
    added to the recorded ones (maybe none), whose command and date are recorded beside the
    seed statistics.
    """
    first = seed_runs[0]
    metric = first.get("metric") or old["metric"]
    finals = [r["final"] for r in seed_runs]
    mean, std, band = seed_band(finals, metric)
    golden = {
        "recipe": first.get("recipe") or old["recipe"],
        "preset": first.get("preset") or old["preset"],
        "metric": metric,
        "config": first.get("config") or old["config"],
        "pinned": list(pinned),
        "seeds": {
            "seeds": [r["seed"] for r in seed_runs],
            "finals": finals,
            "mean": mean,
            "std": std,
            "histories": [r["history"] for r in seed_runs],
            "numerics": [_fingerprint_of(r) for r in seed_runs],
        },
        "band": band,
        "tolerance": {"pinned": PINNED_TOLERANCE, "pinned_reason": PINNED_REASON},
    }
    if extended is not None and old is not None and old["seeds"].get("extended"):
        golden["seeds"]["extended"] = list(old["seeds"]["extended"])  # the recorded seeds are kept
    if extended:
        golden["seeds"]["extended"] = [
            *golden["seeds"].get("extended", []),
            {"added": list(extended), "command": command, "created": _now()},
        ]
    if old is not None and "band" in old and band["half_width"] > old["band"]["half_width"]:
        if not allow_widen:
            raise SystemExit(
                f"{golden['recipe']}/{golden['preset']}: band would widen "
                f"+-{old['band']['half_width']} -> +-{band['half_width']}; rerun with --allow-widen --reason '...' "
                "if that is intended"
            )
        golden["band"]["widened"] = {"from": old["band"]["half_width"], "to": band["half_width"], "reason": widen_reason}
    return golden


def describe_change(old, new):
    """Old -> new lines for a person to read before committing a regenerated golden."""
    name = f"{new['recipe']}/{new['preset']}"
    band = new["band"]
    pins = ", ".join(f"{_fingerprint_of(p)}: {p['final']:.6g}" for p in golden_lib.pinned_runs(new))
    if old is None or "band" not in old:
        return [f"{name}: new golden, pinned {pins}, band [{band['low']:.6g}, {band['high']:.6g}]"]
    old_pins = ", ".join(f"{_fingerprint_of(p)}: {p['final']:.6g}" for p in golden_lib.pinned_runs(old))
    old_band = old["band"]
    widened = band["half_width"] > old_band["half_width"]
    return [
        f"{name}: pinned runs {old_pins} -> {pins}",
        f"{name}: band [{old_band['low']:.6g}, {old_band['high']:.6g}] ({len(old['seeds']['finals'])} seeds) -> "
        f"[{band['low']:.6g}, {band['high']:.6g}] ({len(new['seeds']['finals'])} seeds)"
        + (" WIDENED" if widened else " (not wider)"),
    ]


def _plan(spec, preset, seeds, old, args):
    """The seeds to run in this invocation's mode: all of them for a whole regeneration; else the
    pinned seed first with ``--add-platform``, then the seeds ``--extend`` finds missing."""
    if not (args.extend or args.add_platform):
        return seeds
    settings, hyper = spec.preset(preset)
    problems = extension_problems(old, {**settings, **hyper})
    if problems:
        flag = "--extend" if args.extend else "--add-platform"
        raise SystemExit(f"{spec.name}/{preset}: cannot {flag}: " + "; ".join(problems) + " (regenerate without it)")
    have = set(old["seeds"]["seeds"])
    missing = [s for s in seeds if s not in have] if args.extend else []
    return ([seeds[0]] if args.add_platform else []) + missing


def _regenerate(spec, preset, old, args, command):
    """The new golden for one preset, after printing what this invocation changes."""
    name = f"{spec.name}/{preset}"
    seed = spec.preset(preset)[0]["seed"]
    seeds = [seed + i for i in range(args.seeds)]
    todo = _plan(spec, preset, seeds, old, args)
    runs = _seed_runs(spec.name, preset, todo, args.jobs, args.data_dir) if todo else []
    for run in runs:
        run.update(recipe=spec.name, preset=preset)
    ours = golden_lib.platform_of(runs[0]["provenance"]) if runs else None

    if not (args.extend or args.add_platform):
        if old is not None:
            matching = any(golden_lib.platform_of(p["provenance"]) == ours for p in golden_lib.pinned_runs(old))
            if not matching and not args.repin:
                theirs = ", ".join(str(_fingerprint_of(p)) for p in golden_lib.pinned_runs(old))
                raise SystemExit(
                    f"{name}: this machine's numerics (fingerprint {ours['fingerprint']}) are not those of any pinned "
                    f"run ({theirs}): regenerating would re-pin the golden on other numerics. Use --add-platform to add "
                    "this machine's pinned run, --extend to add seeds, or --repin to replace the pinned runs."
                )
            others = [_fingerprint_of(p) for p in golden_lib.pinned_runs(old) if _fingerprint_of(p) != ours["fingerprint"]]
            if others:
                # This run cannot vouch for them: a chained recipe's upstream may have changed
                # under an unchanged configuration. Re-add each with --add-platform on its numerics.
                print(f"{name}: pinned runs of other numerics dropped ({', '.join(map(str, others))}): "
                      "re-add them with --add-platform there", flush=True)
        return build_golden([pinned_record(runs[0], command)], runs, command, old, args.allow_widen, args.reason)

    pinned = list(golden_lib.pinned_runs(old))
    seed_runs = recorded_runs(old)
    if runs:
        problems = golden_lib.platform_differences(golden_lib.platform_of(pinned[0]["provenance"]), ours)
        if problems:
            raise SystemExit(f"{name}: cannot add runs of another platform than the golden's ({', '.join(problems)})")
    if args.add_platform:
        new_pin, runs = runs[0], runs[1:]
        same = [p for p in pinned if golden_lib.platform_of(p["provenance"]) == ours]
        if same:
            if same[0]["history"] != new_pin["history"]:
                raise SystemExit(
                    f"{name}: a pinned run with these numerics (fingerprint {ours['fingerprint']}) exists and this run "
                    f"differs from it (final {same[0]['final']!r} -> {new_pin['final']!r}): same numerics, different "
                    "bits is a real change. Regenerate with --repin if it is intended."
                )
            print(f"{name}: already pinned for fingerprint {ours['fingerprint']} (this run reproduces it)", flush=True)
        else:
            unrecorded = [p for p in pinned if _fingerprint_of(p) is None]
            if unrecorded:
                print(f"{name}: dropping {len(unrecorded)} pinned run(s) that recorded no numerics fingerprint", flush=True)
            pinned = [p for p in pinned if _fingerprint_of(p) is not None] + [pinned_record(new_pin, command)]
            print(f"{name}: pinned run added for fingerprint {ours['fingerprint']}", flush=True)
    if not args.extend:  # --add-platform alone: the seed statistics and the band as they were
        return {**old, "pinned": pinned}
    added = [r["seed"] for r in runs]
    if not added:
        print(f"{name}: already has seeds {', '.join(map(str, seeds))}; nothing to add (band rebuilt by the current rule)")
    return build_golden(pinned, [*seed_runs, *runs], command, old, args.allow_widen, args.reason, extended=added)


def parse_arguments(argv=None, prog="regen_golden.py"):
    """(parser, args) of the regeneration's command line; a usage error (a flag's value, an unknown recipe) exits 2.

    Nothing here loads TensorFlow: ``tf1-recipes golden regen`` calls it before anything else.
    """
    from tf1_recipes.cli import ScriptParser, positive_int
    from tf1_recipes.registry import UnknownRecipeError, check_recipe_name

    parser = ScriptParser(prog=prog, description="Regenerate golden files from real runs.")
    parser.add_argument("recipes", nargs="*", help="recipe names (default: every recipe)")
    parser.add_argument("--preset", action="append", help="preset(s) to regenerate (default: every preset)")
    parser.add_argument("--seeds", type=positive_int, help="number of seeds, the first the preset's seed "
                        f"(default: {MIN_SEEDS['smoke']} for smoke presets, {MIN_SEEDS['full']} for the others)")
    parser.add_argument("--jobs", type=positive_int, default=1, help="processes for the seed runs")
    parser.add_argument(
        "--extend", action="store_true", help="keep the seeds a golden recorded and run only the missing ones"
    )
    parser.add_argument(
        "--add-platform", action="store_true",
        help="add this machine's pinned run (the pinned seed, same configuration) beside the golden's others, "
             "leaving the seed statistics and the other pinned runs alone",
    )
    parser.add_argument("--repin", action="store_true",
                        help="regenerate on numerics that no pinned run has, replacing the pinned runs")
    parser.add_argument("--data-dir")
    parser.add_argument("--allow-widen", action="store_true")
    parser.add_argument("--reason", help="why this regeneration is needed (stored in the golden); --allow-widen needs it")
    parser.add_argument("--dry-run", action="store_true", help="print the changes, write nothing")
    args = parser.parse_args(argv)
    if args.allow_widen and not args.reason:
        parser.error("--allow-widen needs --reason")
    if args.repin and (args.extend or args.add_platform):
        parser.error("--repin regenerates the whole golden; it does not go with --extend or --add-platform")
    try:
        for name in args.recipes:
            check_recipe_name(name)  # a typo: one line before TensorFlow loads
    except UnknownRecipeError as err:
        parser.error(str(err))
    return parser, args


def main(argv=None, prog="regen_golden.py"):
    """``python scripts/regen_golden.py [RECIPE ...] [flags]`` (also ``tf1-recipes golden regen``); the exit code.

    ``prog`` names the command in usage errors (``tf1-recipes golden regen`` from the CLI).

    Bad input (a flag's value, an unknown recipe, a preset none of the recipes has) is one
    line on stderr and exit 2 before anything runs.
    """
    from tf1_recipes.registry import UnknownRecipeError, get_recipe, list_recipes

    parser, args = parse_arguments(argv, prog)
    try:
        specs = [get_recipe(n) for n in args.recipes] if args.recipes else list_recipes()
    except UnknownRecipeError as err:
        parser.error(str(err))
    for preset in args.preset or ():
        if not any(preset in spec.presets for spec in specs):  # a typo would regenerate nothing and exit 0
            where = ", ".join(spec.name for spec in specs) if args.recipes else "any recipe"
            parser.error(f"--preset {preset}: not a preset of {where} (tf1-recipes list shows each recipe's presets)")
    command = " ".join(["python scripts/regen_golden.py", *map(shlex.quote, argv if argv is not None else sys.argv[1:])])
    for spec in specs:
        for preset in args.preset or list(spec.presets):
            if preset not in spec.presets:
                continue
            old = golden_lib.load_golden(spec.name, preset)
            print(f"== {spec.name}/{preset}: pinned seed {spec.preset(preset)[0]['seed']}", flush=True)
            preset_args = argparse.Namespace(**vars(args))
            if args.seeds is None:
                preset_args.seeds = MIN_SEEDS["smoke" if preset == "smoke" else "full"]
            new = _regenerate(spec, preset, old, preset_args, command)
            new["regenerations"] = [
                *((old or {}).get("regenerations", [])), {"command": command, "reason": args.reason, "created": _now()}
            ]
            for line in describe_change(old, new):
                print(line, flush=True)
            if not args.dry_run:
                outputs.write_text(golden_lib.golden_path(spec.name, preset), json.dumps(new, indent=2) + "\n",
                                   purpose="the golden")  # through a temporary file: never half-written
    return 0
