"""Regenerating golden files from real runs (``scripts/regen_golden.py``).

For each recipe and preset: one run with the preset's seed on this platform's default
thread count (the *pinned* run), plus runs with further seeds whose spread sets the
cross-platform tolerance. The golden records every value, the command that made it and
the platform; an existing golden is never loosened silently: a wider tolerance needs
``--allow-widen`` and a reason, which is stored in the golden.

``--extend`` adds seeds to an existing golden instead of redoing it: the seed runs it
recorded are kept (the pinned run verbatim) when the preset's configuration is unchanged,
only the missing seeds run, and their platform must be the pinned run's.
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
BAND_SIGMAS = 4.0
BAND_FLOOR = 0.002
BAND_RULE = "mean +- max({k} x std over {n} seeds, {floor})"
BAND_REASON = (
    "Seeds move the final value the way a change of platform (TF version, CPU, thread count, GPU) "
    "does: float rounding sends the trajectory elsewhere. So the seed-to-seed spread is the noise a "
    "real change must exceed. {k} std keeps false alarms below 1 in 10,000 for a normal spread; the "
    "floor ({floor}, 20 test images) keeps a small-sample std from making the band unrealistically tight."
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


def seed_band(finals):
    """(mean, std, band dict) of the final values over seeds; std is None for a single seed."""
    mean = statistics.fmean(finals)
    std = statistics.stdev(finals) if len(finals) > 1 else None
    half_width = round(max(BAND_SIGMAS * (std or 0.0), BAND_FLOOR), 6)
    band = {
        "low": mean - half_width,
        "high": mean + half_width,
        "half_width": half_width,
        "rule": BAND_RULE.format(k=BAND_SIGMAS, n=len(finals), floor=BAND_FLOOR),
        "reason": BAND_REASON.format(k=BAND_SIGMAS, floor=BAND_FLOOR) if std is not None else "single seed: the floor only",
    }
    return mean, std, band


def recorded_runs(old):
    """The seed runs an existing golden recorded, pinned first, as ``run_one`` returns them."""
    seeds = old["seeds"]
    pinned = {**old["pinned"], "metric": old["metric"], "config": old["config"]}
    others = [
        {"seed": seed, "final": final, "history": history}
        for seed, final, history in zip(seeds["seeds"][1:], seeds["finals"][1:], seeds["histories"][1:])
    ]
    return pinned, others


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


def build_golden(pinned, others, command, old=None, allow_widen=False, widen_reason=None, extended=None):
    """The golden dict from the pinned run and the extra-seed runs; refuses a silent widening.

    With ``extended`` (the seeds just added by ``--extend``), ``pinned`` is the old golden's
    pinned record and is kept verbatim, command and date included; the extension's command
    and date are recorded beside the seed statistics.
    """
    runs = [pinned, *others]
    finals = [r["final"] for r in runs]
    mean, std, band = seed_band(finals)
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
            "extras": pinned.get("extras", {}),
            "provenance": pinned["provenance"],
            "command": command,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        },
        "seeds": {
            "seeds": [r["seed"] for r in runs],
            "finals": finals,
            "mean": mean,
            "std": std,
            "histories": [r["history"] for r in runs],
        },
        "band": band,
        "tolerance": {"pinned": PINNED_TOLERANCE, "pinned_reason": PINNED_REASON},
    }
    if extended:
        golden["pinned"] = {key: pinned[key] for key in old["pinned"]}
        golden["seeds"]["extended"] = [
            *old["seeds"].get("extended", []),
            {
                "added": list(extended),
                "command": command,
                "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            },
        ]
    if old is not None and "band" in old and band["half_width"] > old["band"]["half_width"]:
        if not allow_widen:
            raise SystemExit(
                f"{pinned['recipe']}/{pinned['preset']}: band would widen "
                f"+-{old['band']['half_width']} -> +-{band['half_width']}; rerun with --allow-widen --reason '...' "
                "if that is intended"
            )
        golden["band"]["widened"] = {"from": old["band"]["half_width"], "to": band["half_width"], "reason": widen_reason}
    return golden


def describe_change(old, new):
    """Old -> new lines for a person to read before committing a regenerated golden."""
    name = f"{new['recipe']}/{new['preset']}"
    final, band = new["pinned"]["final"], new["band"]
    if old is None or "band" not in old:
        return [f"{name}: new golden, final {final:.6g}, band [{band['low']:.6g}, {band['high']:.6g}]"]
    old_final, old_band = old["pinned"]["final"], old["band"]
    widened = band["half_width"] > old_band["half_width"]
    return [
        f"{name}: pinned final {old_final:.6g} -> {final:.6g} ({final - old_final:+.6g})",
        f"{name}: band [{old_band['low']:.6g}, {old_band['high']:.6g}] -> [{band['low']:.6g}, {band['high']:.6g}]"
        + (" WIDENED" if widened else " (not wider)"),
    ]


def _extend(spec, preset, seeds, old, args):
    """(pinned, others, added seeds): the old golden's runs plus runs of the seeds it lacks."""
    settings, hyper = spec.preset(preset)
    problems = extension_problems(old, {**settings, **hyper})
    if problems:
        raise SystemExit(f"{spec.name}/{preset}: cannot --extend: " + "; ".join(problems) + " (regenerate without --extend)")
    pinned, others = recorded_runs(old)
    have = {pinned["seed"], *(r["seed"] for r in others)}
    missing = [s for s in seeds if s not in have]
    if not missing:
        return pinned, others, []
    new_runs = _seed_runs(spec.name, preset, missing, args.jobs, args.data_dir)
    ours, theirs = golden_lib.platform_of(new_runs[0]["provenance"]), golden_lib.platform_of(pinned["provenance"])
    if ours != theirs:
        differs = ", ".join(f"{k} {theirs[k]} -> {ours[k]}" for k in theirs if theirs[k] != ours[k])
        raise SystemExit(f"{spec.name}/{preset}: cannot --extend a golden pinned on another platform ({differs})")
    return pinned, [*others, *new_runs], missing


def main(argv=None):
    from tf1_recipes.registry import get_recipe, list_recipes

    parser = argparse.ArgumentParser(prog="regen_golden.py", description="Regenerate golden files from real runs.")
    parser.add_argument("recipes", nargs="*", help="recipe names (default: every recipe)")
    parser.add_argument("--preset", action="append", help="preset(s) to regenerate (default: every preset)")
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (first = the preset's seed)")
    parser.add_argument("--jobs", type=int, default=1, help="processes for the extra seeds")
    parser.add_argument(
        "--extend", action="store_true", help="keep the seeds a golden recorded and run only the missing ones"
    )
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
            old = golden_lib.load_golden(spec.name, preset)
            added = None
            if args.extend:
                pinned, others, added = _extend(spec, preset, seeds, old, args)
                if not added:
                    print(f"{spec.name}/{preset}: already has seeds {', '.join(map(str, seeds))}; nothing to add")
                    continue
            else:
                pinned, *others = _seed_runs(spec.name, preset, seeds, args.jobs, args.data_dir)
            pinned.update(recipe=spec.name, preset=preset)
            new = build_golden(pinned, others, command, old, args.allow_widen, args.reason, extended=added)
            for line in describe_change(old, new):
                print(line, flush=True)
            if not args.dry_run:
                path = golden_lib.golden_path(spec.name, preset)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(new, indent=2) + "\n")
    return 0
