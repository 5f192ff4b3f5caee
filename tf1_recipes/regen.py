"""Regenerating golden files from real runs (``scripts/regen_golden.py``).

For each recipe and preset: one run with the preset's seed on this platform's default
thread count (the *pinned* run), plus runs with further seeds whose spread sets the
cross-platform tolerance. The golden records every value, the command that made it and
the platform; an existing golden is never loosened silently: a wider tolerance needs
``--allow-widen`` and a reason, which is stored in the golden.
"""

import argparse
import concurrent.futures
import datetime
import json
import multiprocessing
import shlex
import statistics
import sys

from tf1_recipes import golden as golden_lib

PINNED_TOLERANCE = 1e-6
PINNED_REASON = (
    "Same seed, TensorFlow op determinism and a fixed intra-op thread count make a rerun on the "
    "same platform bit-identical (tests/unit/test_determinism.py checks it); 1e-6 only absorbs "
    "float formatting."
)
CROSS_PLATFORM_SIGMAS = 4.0
CROSS_PLATFORM_FLOOR = 0.002
CROSS_PLATFORM_REASON = (
    "On another platform (TF version, CPU, thread count, GPU) float rounding differs and the "
    "trajectory diverges from the pinned one as a different seed's would, so the seed-to-seed "
    "spread bounds it: max({k} x std over {n} seeds, {floor}). {k} sigma keeps false alarms "
    "below 1 in 10,000 for a normal spread; the floor ({floor} = 20 test images) keeps a "
    "small-sample std from making the tolerance unrealistically tight."
)


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


def build_golden(pinned, others, command, old=None, allow_widen=False, widen_reason=None):
    """The golden dict from the pinned run and the extra-seed runs; refuses a silent widening."""
    runs = [pinned, *others]
    finals = [r["final"] for r in runs]
    std = statistics.stdev(finals) if len(finals) > 1 else None
    if std is None:
        cross = old["tolerance"]["cross_platform"] if old else CROSS_PLATFORM_FLOOR
        cross_reason = old["tolerance"]["cross_platform_reason"] if old else "single seed: the floor only"
    else:
        cross = round(max(CROSS_PLATFORM_SIGMAS * std, CROSS_PLATFORM_FLOOR), 6)
        cross_reason = CROSS_PLATFORM_REASON.format(k=CROSS_PLATFORM_SIGMAS, n=len(finals), floor=CROSS_PLATFORM_FLOOR)
    golden = {
        "recipe": pinned["recipe"],
        "preset": pinned["preset"],
        "metric": pinned["metric"],
        "config": pinned["config"],
        "pinned": {
            "seed": pinned["seed"],
            "history": pinned["history"],
            "final": pinned["final"],
            "epoch_seconds": pinned["epoch_seconds"],
            "provenance": pinned["provenance"],
            "command": command,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        },
        "seeds": {
            "seeds": [r["seed"] for r in runs],
            "finals": finals,
            "mean": statistics.fmean(finals),
            "std": std,
            "histories": [r["history"] for r in runs],
        },
        "tolerance": {
            "pinned": PINNED_TOLERANCE,
            "pinned_reason": PINNED_REASON,
            "cross_platform": cross,
            "cross_platform_reason": cross_reason,
        },
    }
    if old is not None:
        old_cross = old["tolerance"]["cross_platform"]
        if cross > old_cross:
            if not allow_widen:
                raise SystemExit(
                    f"{pinned['recipe']}/{pinned['preset']}: cross-platform tolerance would widen "
                    f"{old_cross} -> {cross}; rerun with --allow-widen --reason '...' if that is intended"
                )
            golden["tolerance"]["widened"] = {"from": old_cross, "to": cross, "reason": widen_reason}
    return golden


def describe_change(old, new):
    """Old -> new lines for a person to read before committing a regenerated golden."""
    name = f"{new['recipe']}/{new['preset']}"
    if old is None:
        return [f"{name}: new golden, final {new['pinned']['final']:.4f}, cross-platform tol {new['tolerance']['cross_platform']}"]
    lines = [
        f"{name}: final {old['pinned']['final']:.4f} -> {new['pinned']['final']:.4f} "
        f"({new['pinned']['final'] - old['pinned']['final']:+.4f})",
        f"{name}: cross-platform tol {old['tolerance']['cross_platform']} -> {new['tolerance']['cross_platform']}"
        + (" (WIDENED)" if new["tolerance"]["cross_platform"] > old["tolerance"]["cross_platform"] else ""),
    ]
    return lines


def main(argv=None):
    from tf1_recipes.registry import get_recipe, list_recipes

    parser = argparse.ArgumentParser(prog="regen_golden.py", description="Regenerate golden files from real runs.")
    parser.add_argument("recipes", nargs="*", help="recipe names (default: every recipe)")
    parser.add_argument("--preset", action="append", help="preset(s) to regenerate (default: every preset)")
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (first = the preset's seed)")
    parser.add_argument("--jobs", type=int, default=1, help="processes for the extra seeds")
    parser.add_argument("--data-dir")
    parser.add_argument("--allow-widen", action="store_true")
    parser.add_argument("--reason", help="why a widened tolerance is right (stored in the golden)")
    parser.add_argument("--dry-run", action="store_true", help="print the changes, write nothing")
    args = parser.parse_args(argv)
    if args.allow_widen and not args.reason:
        parser.error("--allow-widen needs --reason")
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")

    specs = [get_recipe(n) for n in args.recipes] if args.recipes else list_recipes()
    command = " ".join(["python scripts/regen_golden.py", *map(shlex.quote, argv if argv is not None else sys.argv[1:])])
    for spec in specs:
        for preset in args.preset or list(spec.presets):
            if preset not in spec.presets:
                continue
            seed = spec.preset(preset)[0]["seed"]
            print(f"== {spec.name}/{preset}: pinned seed {seed}", flush=True)
            seeds = [seed + i for i in range(args.seeds)]
            pinned, *others = _seed_runs(spec.name, preset, seeds, args.jobs, args.data_dir)
            pinned.update(recipe=spec.name, preset=preset)
            old = golden_lib.load_golden(spec.name, preset)
            new = build_golden(pinned, others, command, old, args.allow_widen, args.reason)
            for line in describe_change(old, new):
                print(line, flush=True)
            if not args.dry_run:
                path = golden_lib.golden_path(spec.name, preset)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(new, indent=2) + "\n")
    return 0
