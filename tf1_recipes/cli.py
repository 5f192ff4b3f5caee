"""The ``tf1-recipes`` command: list, run and check recipes against their goldens.

Exit codes: 0 success (every compared check PASSes), 1 a check FAILed, 2 bad input
(unknown recipe or preset, bad flag value, missing or corrupt data), 130 interrupted.
"""

import argparse
import json
import math
import sys

from tf1_recipes import outputs

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one clear line (and exit code 2)."""

    def error(self, message):
        command = self.prog.removeprefix("tf1-recipes").strip()
        where = f"tf1-recipes {command} --help" if command else "tf1-recipes --help"
        raise UsageError(f"{command + ': ' if command else ''}{message}; see {where}")


class ScriptParser(argparse.ArgumentParser):
    """argparse for the project's scripts: a usage error is one line on stderr and exit 2.

    The line is ``<prog>: error: <argparse's message>; see <prog> --help`` (argparse's own
    prints the usage block first).
    """

    def error(self, message):
        command = self.prog.removeprefix("tf1-recipes ")  # a script run as a tf1-recipes command: that tool's line
        start = f"tf1-recipes: error: {command}: " if command != self.prog else f"{self.prog}: error: "
        self.exit(2, f"{start}{message}; see {self.prog} --help\n")


def _whole_number(minimum, wanted):
    """An argparse type: a whole number >= ``minimum``; ``wanted`` names it in the error."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value

    return parse


positive_int = _whole_number(1, "a positive whole number")
non_negative_int = _whole_number(0, "a whole number >= 0")


def _seed(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number seed, got {text!r}") from None
    if not 0 <= value < 2**31:
        raise argparse.ArgumentTypeError(f"seed must be in 0..2**31-1, got {text!r}")
    return value


def _feed_entry(text):
    """An argparse type: ``NAME=VALUE`` with VALUE a finite number or true/false -> (NAME, int, float or bool)."""
    name, sep, raw = text.partition("=")
    value = None
    if raw.strip().lower() in ("true", "false"):
        value = raw.strip().lower() == "true"
    else:
        for kind in (int, float):
            try:
                value = kind(raw)
                break
            except ValueError:
                continue
    if not (sep and name and value is not None and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE with VALUE a finite number or true/false (e.g. "
                                         f"keep_prob:0=0.5), got {text!r}")
    return name, value


def _add_run_flags(parser):
    parser.add_argument("--preset", help="preset name (default: the recipe's reference configuration)")
    parser.add_argument("--epochs", type=positive_int, help="override n_epochs (a count other than the preset's is compared with no golden)")
    parser.add_argument("--seed", type=_seed, help="override the preset's seed (then no pinned check)")
    parser.add_argument("--data-dir", help="directory with the MNIST files (else $TF1_RECIPES_DATA, then the cache)")
    parser.add_argument("--out", help="output directory: checkpoint, runs.jsonl (refused if it holds another run's model.ckpt, "
                                      "or while another run writes into it)")
    parser.add_argument("--overwrite", action="store_true", help="run into an --out that holds another run's model.ckpt, replacing it")
    parser.add_argument("--threads", type=positive_int, help="TensorFlow intra-op threads (default 1; another count changes the last bits, so no pinned check)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line of stdout")
    ports = parser.add_mutually_exclusive_group()
    ports.add_argument("--tf2", action="store_true", help="run the recipe's native TF2 port (compared with the TF1 golden as another platform)")
    ports.add_argument("--shim", action="store_true", help="run the recipe's shim port: its TF1 model code in a track_tf1_style_variables "
                                                          "layer, eagerly (rung 2 of the migration; compared as another platform)")
    parser.add_argument("--input", choices=["in_graph", "feed_dict"], default="in_graph",
                        help="how training batches reach the step: gathered from the training set held in the graph "
                             "(default; the same batches and numbers) or fed from NumPy (the reference feed_dict path)")


def build_parser():
    parser = _Parser(prog="tf1-recipes", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    listing = commands.add_parser("list", help="every recipe with a one-line description")
    listing.add_argument(
        "--paths", action="store_true", help="print each recipe's module, TF2 port, golden folder and unit tests instead"
    )

    run = commands.add_parser("run", help="run one recipe and compare it with its golden")
    run.add_argument("recipe")
    _add_run_flags(run)

    check = commands.add_parser("check", help="run several recipes and print the comparison table")
    check.add_argument("recipes", nargs="*", help="recipe names (default: every recipe)")
    _add_run_flags(check)
    check.add_argument("--jobs", type=non_negative_int, default=1,
                       help="recipes run in this many processes at once, each with --threads TensorFlow threads; "
                            "jobs x threads is kept within the machine's cores (0: as many as the cores hold)")

    for sub in (run, check):
        sub.add_argument("--against", help="compare with the goldens in this directory (e.g. recorded on another TF version)")
    check.add_argument("--report", metavar="DIR",
                       help="after the table, render the report of the records under --out into DIR "
                            "(as tf1-recipes report RUNS --out DIR), whether the check passed or not")

    report = commands.add_parser("report", help="table, plots and an HTML page from the run records in RUNS")
    report.add_argument("runs", help="directory holding runs.jsonl records (check --out RUNS)")
    report.add_argument("--out", required=True, help="directory for index.html and the PNG plots")
    report.add_argument("--against", help="compare with the goldens in this directory instead of golden/")

    regen = commands.add_parser("golden", help="golden files: `tf1-recipes golden regen ...` (see scripts/regen_golden.py)")
    regen.add_argument("action", choices=["regen"])
    regen.add_argument("args", nargs=argparse.REMAINDER, help="arguments of scripts/regen_golden.py")

    migrate = commands.add_parser(
        "migrate-ckpt", help="convert a TF1 Saver checkpoint to a recipe's TF2 port or your own Keras 3 model (prints the mapping)",
        usage="tf1-recipes migrate-ckpt RECIPE TF1_CHECKPOINT OUT_DIR [--preset P] [--optimizer-state]\n"
              "       tf1-recipes migrate-ckpt TF1_CHECKPOINT OUT_DIR --to MODULE:FUNCTION [--map OLD=NEW ...] [--optimizer-state]",
        epilog="TF1_CHECKPOINT: a Saver prefix (DIR/model.ckpt), one of its files, or a directory with a 'checkpoint' file. "
               "OUT_DIR: the directory for the TF2 checkpoint, written only if every variable is accounted for. "
               "--map: OLD=NEW replaces the TF1 name prefix OLD (a whole name or up to a '/') by the Keras path NEW; "
               "re:PATTERN=REPLACEMENT rewrites names re.match(PATTERN) matches with re.sub; OLD= leaves them out. "
               "See README, 'Migrating a checkpoint of your own model', and MIGRATION.md, 'Optimizer state'.")
    migrate.add_argument("paths", nargs="+", metavar="ARG", help="RECIPE TF1_CHECKPOINT OUT_DIR, or with --to: TF1_CHECKPOINT OUT_DIR")
    migrate.add_argument("--preset", help="preset whose hyperparameters shape the recipe's port (default: the recipe's default)")
    migrate.add_argument("--to", metavar="MODULE:FUNCTION",
                         help="your Keras 3 model instead of a recipe's port: a function of no arguments (in a module importable "
                              "from here, or path/to/file.py:FUNCTION) returning the model, or (model, optimizer)")
    migrate.add_argument("--map", action="append", dest="maps", metavar="OLD=NEW",
                         help="with --to: map TF1 names the automatic rules do not (repeatable; prefix, or re:PATTERN=REPLACEMENT)")
    migrate.add_argument("--optimizer-state", action="store_true",
                         help="also convert the TF1 optimizer's slots (Adam, Momentum, RMSProp, Adagrad) and step count into "
                              "the model's Keras optimizer (else they are listed, not converted)")

    from tf1_recipes.doctor import checklist  # the checks' table; no TensorFlow

    doctor = commands.add_parser(
        "doctor", help="the debugging checklist on a recipe's graph or your own (--graph): PASS/WARN/FAIL per check",
        usage="tf1-recipes doctor (RECIPE [--preset P] [--seed N] [--data-dir DIR] | --graph MODEL.meta "
              "[--checkpoint PREFIX] --data FILE.npz [--inputs/--labels/--loss/--train-op/--training NAME] "
              "[--train-feed/--eval-feed NAME=VALUE ...]) "
              "[--check CHECK] [--quick] [--out DIR] [--plot DIR] [--json]",
        epilog="checks, in the order they run:\n" + checklist.describe()
               + "\n\nyour own graph (--graph): tensors not named are found by convention:\n"
               + "\n".join(f"  --{role.replace('_', '-')}: {how}" for role, how in checklist.GRAPH_CONVENTIONS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    doctor.add_argument("recipe", nargs="?", help="a recipe of the suite (tf1-recipes list); or use --graph")
    doctor.add_argument("--preset", help="preset name (default: the recipe's reference configuration)")
    doctor.add_argument("--seed", type=_seed, help="override the preset's seed")
    doctor.add_argument("--data-dir", help="directory with the MNIST files (else $TF1_RECIPES_DATA, then the cache)")
    own = doctor.add_argument_group("your own TF1 model (instead of RECIPE)")
    own.add_argument("--graph", metavar="MODEL.meta", help="the model's MetaGraphDef (Saver.save writes PREFIX.meta; "
                                                           "or tf.compat.v1.train.export_meta_graph)")
    own.add_argument("--checkpoint", metavar="PREFIX", help="start from this Saver checkpoint's values (trained "
                                                             "weights); default the variables' initial values")
    own.add_argument("--data", metavar="FILE.npz", help="arrays x (inputs, one example per row) and y (integer labels "
                                                        "[N] or one-hot rows [N, C]): numpy.savez(FILE, x=..., y=...)")
    _add_tensor_names(own)
    _add_feed_flags(own, "every training step", "every evaluation")
    doctor.add_argument("--check", action="append", dest="checks", metavar="CHECK",
                        choices=list(checklist.CHECKS), help="run only this check (repeatable; default: all of them)")
    doctor.add_argument("--quick", action="store_true", help="fewer steps per check (a smoke test of the checks)")
    doctor.add_argument("--out", help="output directory: the doctor's record is appended to runs.jsonl there")
    doctor.add_argument("--plot", metavar="DIR", help="write PNG plots (activation histograms, the learning-rate sweep)")
    doctor.add_argument("--json", action="store_true", help="print one JSON object with every number as the last line")

    parity = commands.add_parser(
        "parity", help="your TF1 checkpoint against your Keras 3 port: forward pass and K training steps, PASS/FAIL",
        usage="tf1-recipes parity --tf1 PREFIX --tf2 MODULE:FUNCTION --data FILE.npz [--map OLD=NEW ...] "
              "[--inputs/--labels/--loss/--train-op/--training NAME] [--train-feed/--eval-feed NAME=VALUE ...] "
              "[--steps K [--optimizer MODULE:FUNCTION]] "
              "[--batch-size N] [--json]",
        epilog="The TF1 graph is PREFIX.meta, its weights PREFIX; its tensors are found as doctor --graph finds them. "
               "The Keras model gets the TF1 values by migrate-ckpt --to's mapping (and, for --steps, the TF1 optimizer's "
               "state by --optimizer-state's conversion). Tolerances: forward |tf1-tf2| <= 1e-5 + 1e-5|tf1|; after K steps "
               "every variable <= 1e-6 + 1e-5|tf1|, every step's loss <= 1e-5 (why: tf1_recipes/tf2/user_parity.py). "
               "Exit 0 PASS, 1 FAIL, 2 bad input. See README, 'Your own model: doctor, migrate-ckpt, parity'.")
    parity.add_argument("--tf1", required=True, metavar="PREFIX", help="the TF1 Saver checkpoint (PREFIX.meta beside it)")
    parity.add_argument("--tf2", required=True, metavar="MODULE:FUNCTION",
                        help="a function of no arguments returning the Keras 3 model, or (model, optimizer), as migrate-ckpt --to")
    parity.add_argument("--data", required=True, metavar="FILE.npz", help="arrays x and y (integer labels [N] or one-hot rows [N, C])")
    parity.add_argument("--map", action="append", dest="maps", default=[], metavar="OLD=NEW",
                        help="map TF1 names the automatic rules do not (repeatable), as migrate-ckpt --map")
    tensors = parity.add_argument_group("the TF1 graph's tensors, where the conventions do not find them")
    _add_tensor_names(tensors)
    _add_feed_flags(tensors, "the training-mode forward pass and every step", "the inference-mode forward pass")
    parity.add_argument("--steps", type=non_negative_int, default=0, help="K training steps to compare (default 0: forward only)")
    parity.add_argument("--optimizer", metavar="MODULE:FUNCTION",
                        help="a function returning the Keras 3 optimizer for --steps (default: the one --tf2's factory gives)")
    parity.add_argument("--batch-size", type=positive_int, default=32, help="examples per forward batch and per step (default 32)")
    parity.add_argument("--json", action="store_true", help="print one JSON object as the last line")

    numerics = commands.add_parser(
        "numerics", help="this machine's numerics fingerprint (which pinned golden runs apply here) and its facts"
    )
    numerics.add_argument("--repeat", type=positive_int, default=1,
                          help="compute it N times in this process: op determinism must give the same bits each time")
    numerics.add_argument("--threads", type=positive_int, help="TensorFlow intra-op threads (default 1, the goldens')")
    numerics.add_argument("--json", action="store_true", help="print one JSON object as the last line")

    runs = commands.add_parser("runs", help="list the run records (runs.jsonl) under DIR as a table")
    runs.add_argument("dir", nargs="?", default=".", help="directory to search for runs.jsonl (default: .)")
    runs.add_argument("--json", action="store_true", help="print the records as one JSON list instead")
    return parser


def _add_feed_flags(group, train_runs, eval_runs):
    """--train-feed and --eval-feed (doctor --graph, parity): values of the scalar placeholders a user graph needs."""
    group.add_argument("--train-feed", metavar="NAME=VALUE", action="append", type=_feed_entry,
                       help=f"feed this scalar placeholder VALUE (a number, true or false) in {train_runs}, e.g. "
                            "--train-feed keep_prob:0=0.5 or --train-feed learning_rate:0=0.01 (repeatable)")
    group.add_argument("--eval-feed", metavar="NAME=VALUE", action="append", type=_feed_entry,
                       help=f"feed this scalar placeholder VALUE in {eval_runs}, e.g. --eval-feed keep_prob:0=1.0 "
                            "(repeatable)")


def _add_tensor_names(group):
    """The flags that name a user graph's tensors (doctor --graph, parity): see tf1_recipes.user_graph.find_tensors."""
    group.add_argument("--inputs", metavar="NAME", help="the input placeholder ('name:0', or an op name)")
    group.add_argument("--labels", metavar="NAME", help="the labels placeholder")
    group.add_argument("--loss", metavar="NAME", help="the scalar loss the optimiser minimises")
    group.add_argument("--train-op", metavar="NAME", action="append", dest="train_op",
                       help="what one training step runs (repeatable: --train-op train_op --train-op UPDATE_OPS when "
                            "your loop fetches the UPDATE_OPS collection beside it)")
    group.add_argument("--training", metavar="NAME", help="the scalar bool training-flag placeholder")


def _tensor_names(args):
    return {role: getattr(args, role) for role in ("inputs", "labels", "loss", "train_op", "training")
            if getattr(args, role) is not None}


def _config(args, recipe, out_dir=None, threads=None, progress=None):
    from tf1_recipes.harness import RecipeConfig

    return RecipeConfig(
        recipe=recipe,
        preset=args.preset,
        seed=args.seed,
        n_epochs=args.epochs,
        data_dir=args.data_dir,
        out_dir=out_dir or args.out,
        threads=threads or args.threads,
        progress=False if (args.no_progress or args.json) else progress,
        tf2=args.tf2,
        shim=args.shim,
        input_path=args.input,
        overwrite=args.overwrite,
    )


def _summary(result, comparison):
    return {
        "recipe": result.recipe,
        "preset": result.preset,
        "implementation": result.provenance.get("implementation", "tf1"),
        "config": result.config,
        "metric": result.metric,
        "history": result.history,
        "final": result.final,
        "golden": comparison.golden_value,
        "tolerance": comparison.tolerance,
        "status": comparison.status,
        "checks": comparison.to_dict()["checks"],
        "notes": comparison.notes,
        "epoch_seconds": result.epoch_seconds,
        "provenance": result.provenance,
        "checkpoint_path": result.checkpoint_path,
    }


def _run_and_compare(config, against=None):
    from tf1_recipes import golden
    from tf1_recipes.harness import run_recipe

    result = run_recipe(config)  # resolves the preset before any data is read
    return result, golden.compare(result, against)


def _golden_dir(path):
    """``--against``: a golden directory holding goldens, or one golden file (its recipe folder's parent).

    Without ``--against``: None (the goldens are read from :func:`tf1_recipes.golden.golden_dir`),
    after checking a ``$TF1_RECIPES_GOLDEN`` folder as ``--against``'s, so that a folder the
    user named and got wrong is one line, not every comparison NOT_COMPARED with exit 0.
    """
    import os
    from pathlib import Path

    from tf1_recipes import golden

    if path is None:
        if os.environ.get(golden.GOLDEN_ENV):
            _golden_folder(Path(os.environ[golden.GOLDEN_ENV]), f"${golden.GOLDEN_ENV}",
                           f"or unset {golden.GOLDEN_ENV} for the installed goldens")
        return None
    path = Path(path)
    if path.is_file():
        if path not in golden.golden_files(path.parent.parent):  # else its "folder of goldens" would be a guess
            raise UsageError(f"--against {path}: not a golden file (<recipe>/<preset>.json); name a folder of goldens "
                             "or one golden file")
        return path.parent.parent
    return _golden_folder(path, "--against", "or one golden file", missing="no such golden file or directory")


def _golden_folder(path, flag, alternative, missing="no such directory"):
    """``path`` when it is a directory holding goldens (``<recipe>/<preset>.json``); else a UsageError naming ``flag``."""
    from tf1_recipes import golden

    if not path.is_dir():
        what = "is not a directory" if path.exists() else missing
        raise UsageError(f"{flag} {path}: {what}; name a folder of goldens (<recipe>/<preset>.json) {alternative}")
    if not golden.golden_files(path):
        raise UsageError(f"{flag} {path}: holds no goldens (<recipe>/<preset>.json); name the folder that does "
                         f"(like {golden.PACKAGE_GOLDEN_DIR}) {alternative}")
    return path


def _check_goldens(pairs, against):
    """Read every golden and reference the runs will be compared with: a damaged one fails before anything runs."""
    from tf1_recipes import golden

    for recipe, preset in pairs:
        golden.load_golden(recipe, preset, against)
        golden.load_reference(recipe, preset, against)


def cmd_list(args):
    from tf1_recipes.registry import LAYOUT, list_recipes, recipe_paths

    recipes = list_recipes()
    width = max(len(r.name) for r in recipes)
    if getattr(args, "paths", False):
        columns = [[r.name, *recipe_paths(r.name).values()] for r in recipes]
        widths = [max(len(row[i]) for row in columns + [["name", *LAYOUT]]) for i in range(len(LAYOUT) + 1)]
        for row in [["name", *LAYOUT], *columns]:
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        return EXIT_OK
    for r in recipes:
        presets = ", ".join(p for p in r.presets)
        print(f"{r.name:<{width}}  {r.description}  [presets: {presets}]")
    return EXIT_OK


def cmd_run(args):
    from tf1_recipes import golden
    from tf1_recipes.registry import get_recipe

    against = _golden_dir(args.against)
    spec = get_recipe(args.recipe)
    spec.preset(args.preset)  # unknown recipe or preset: one line before anything runs
    _check_goldens([(spec.name, args.preset or spec.default_preset)], against)
    result, comparison = _run_and_compare(_config(args, args.recipe), against)
    print(golden.format_table([comparison]))
    if args.json:
        print(json.dumps(_summary(result, comparison)))
    return EXIT_FAIL if comparison.status == "FAIL" else EXIT_OK


def cmd_check(args):
    from tf1_recipes import golden
    from tf1_recipes.compat import available_cores, share_cores
    from tf1_recipes.registry import get_recipe, list_recipes

    # Everything is validated before anything trains: names, presets, --against, goldens, --report.
    if args.recipes:
        specs = [get_recipe(name) for name in args.recipes]
        for spec in specs:
            spec.preset(args.preset)  # a named recipe without the preset is an error
        skipped = []
    else:
        every = list_recipes()
        specs = [spec for spec in every if args.preset is None or args.preset in spec.presets]
        skipped = [spec.name for spec in every if spec not in specs]
        if not specs:
            raise UsageError(f"no recipe has a preset {args.preset!r}; see tf1-recipes list for each recipe's presets")
    names = [spec.name for spec in specs]
    against = _golden_dir(args.against)
    _check_goldens([(spec.name, args.preset or spec.default_preset) for spec in specs], against)
    if args.report:
        if not args.out:
            raise UsageError("--report needs --out RUNS: the report is made from the run records written there")
        _require_matplotlib()
        outputs.check_folder(args.report, "--report", "the report")
    wanted = min(args.jobs or available_cores(), len(names))
    jobs, threads = share_cores(wanted, args.threads)
    if wanted > 1 and (jobs < wanted or threads < (args.threads or threads)):
        print(f"tf1-recipes: {wanted} jobs x {args.threads or threads} threads do not fit {available_cores()} cores: "
              f"running {jobs} x {threads}", file=sys.stderr)
    # each run keeps its own checkpoint and record under --out
    configs = [
        _config(args, name, f"{args.out}/{name}-{args.preset or 'default'}" if args.out else None,
                threads=threads if jobs > 1 else None, progress=False if jobs > 1 else None)
        for name in names
    ]
    from tf1_recipes.harness import check_out_dir

    for config in configs:
        check_out_dir(config)  # an occupied --out/<recipe>-<preset> refuses before anything trains
    comparisons, summaries = [], []
    for name, (comparison, summary) in zip(names, _checked(configs, against, jobs)):
        comparisons.append(comparison)
        summaries.append(summary)
    print(golden.format_table(comparisons))
    why = f"SKIPPED: no preset {args.preset!r}"
    for name in skipped:
        print(f"{name:<22} {args.preset:<13} {'-':<10} {'-':>8} {'-':>9} {'-':>8} {'-':>8}  {why}")
    totals = golden.format_totals(comparisons)
    print(totals + (f", {len(skipped)} SKIPPED (no preset {args.preset!r})" if skipped else ""))
    code = EXIT_FAIL if _overall(comparisons) == "FAIL" else EXIT_OK
    if args.json:
        print(json.dumps({"results": summaries, "skipped": [{"recipe": n, "reason": why} for n in skipped],
                          "status": _overall(comparisons)}))
    if args.report:
        _render_report(args.out, args.report, against)  # whatever the outcome: the exit code stays the check's
    return code


def _require_matplotlib():
    from tf1_recipes import report

    report.pyplot()  # ReportError: one line saying to pip install matplotlib


def _checked(configs, against, jobs):
    """(comparison, summary) per config, in their order; with ``jobs`` > 1 from that many processes.

    Each recipe's output (its ``== name`` line, then its per-epoch lines) is printed as in a
    sequential check: live with one job, as a block per recipe, in order, with several.
    """
    if jobs == 1:
        for config in configs:
            print(f"== {config.recipe}", flush=True)
            result, comparison = _run_and_compare(config, against)
            yield comparison, _summary(result, comparison)
        return
    import concurrent.futures
    import multiprocessing

    # spawn: a fresh interpreter per worker, never a fork of a process whose TensorFlow runs.
    pool = concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = [pool.submit(_check_in_worker, config, against) for config in configs]
        for config, future in zip(configs, futures):
            output, comparison, summary = future.result()
            print(f"== {config.recipe}\n{output}", end="", flush=True)
            yield comparison, summary
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _check_in_worker(config, against):
    """One recipe of ``check --jobs``, in a worker process: (its printed output, comparison, summary)."""
    import contextlib
    import io

    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        result, comparison = _run_and_compare(config, against)
    return output.getvalue(), comparison, _summary(result, comparison)


def cmd_report(args):
    return _render_report(args.runs, args.out, _golden_dir(args.against))


def _render_report(runs, out, against):
    """Render the report of the records under ``runs`` into ``out``; print its table; exit 1 when a row FAILs."""
    from tf1_recipes import report

    index, table, skipped = report.render(runs, out, against)
    print(report.format_rows(table))
    moved = [f"{r['recipe']}/{r['preset']}" for r in table if r["moved_beyond_band"]]
    print(f"moved beyond their band: {', '.join(moved) if moved else 'none'}")
    print(report.format_skipped(skipped))
    print(f"report: {index}")
    return EXIT_FAIL if any(r["status"] == "FAIL" for r in table) else EXIT_OK


#: How ``tf1-recipes golden regen`` names itself in its usage errors.
GOLDEN_REGEN = "tf1-recipes golden regen"


def cmd_golden(args):
    from tf1_recipes import regen

    return regen.main(args.args, prog=GOLDEN_REGEN)


def _overall(comparisons):
    return "FAIL" if any(c.status == "FAIL" for c in comparisons) else "PASS"


def cmd_migrate_ckpt(args):
    """``migrate-ckpt``: RECIPE PREFIX OUT, or PREFIX OUT --to MODULE:FUNCTION; the flags each form takes."""
    _migrate_ckpt_usage(args)
    from tf1_recipes.tf2.migrate import cmd_migrate_ckpt as migrate  # TensorFlow loads after the usage checks

    return migrate(args)


def _migrate_ckpt_usage(args):
    """UsageError unless ``args.paths`` and the flags make one of migrate-ckpt's two forms; then sets
    ``args.recipe`` (None with --to), ``args.tf1_checkpoint`` and ``args.out_dir``."""
    got = f"got {len(args.paths)}: {' '.join(args.paths)}"
    if args.to:
        if len(args.paths) != 2:
            raise UsageError(f"migrate-ckpt --to: expected TF1_CHECKPOINT OUT_DIR (no recipe), {got}; see tf1-recipes migrate-ckpt --help")
        if args.preset:
            raise UsageError("migrate-ckpt: --preset is for a recipe's port, not --to; the factory builds your model")
        args.recipe, (args.tf1_checkpoint, args.out_dir) = None, args.paths
    else:
        if len(args.paths) != 3:
            raise UsageError(f"migrate-ckpt: expected RECIPE TF1_CHECKPOINT OUT_DIR, or TF1_CHECKPOINT OUT_DIR --to MODULE:FUNCTION, "
                             f"{got}; see tf1-recipes migrate-ckpt --help")
        if args.maps:
            raise UsageError("migrate-ckpt: --map goes with --to MODULE:FUNCTION; a recipe's port has its own table")
        args.recipe, args.tf1_checkpoint, args.out_dir = args.paths


COMMANDS = {"list": cmd_list, "run": cmd_run, "check": cmd_check, "report": cmd_report, "golden": cmd_golden}
COMMANDS["migrate-ckpt"] = cmd_migrate_ckpt


_RECIPE_ONLY = ("preset", "seed", "data_dir")
_GRAPH_ONLY = ("checkpoint", "data", "inputs", "labels", "loss", "train_op", "training", "train_feed", "eval_feed")


def _flag(dest):
    return "--" + dest.replace("_", "-")


def _doctor_usage(args):
    """One line for a doctor command line that mixes or lacks the recipe form and the --graph form."""
    if args.recipe is not None and args.graph is not None:
        return f"give a recipe or --graph, not both (got {args.recipe!r} and --graph {args.graph})"
    if args.recipe is None and args.graph is None:
        return "give a recipe (tf1-recipes list) or your own model with --graph MODEL.meta --data FILE.npz"
    if args.recipe is not None:
        given = [_flag(d) for d in _GRAPH_ONLY if getattr(args, d) is not None]
        if given:
            return f"{', '.join(given)} {'goes' if len(given) == 1 else 'go'} with --graph MODEL.meta, not with a recipe ({args.recipe})"
        return None
    given = [_flag(d) for d in _RECIPE_ONLY if getattr(args, d) is not None]
    if given:
        return f"{', '.join(given)} {'goes' if len(given) == 1 else 'go'} with a recipe, not with --graph (your data: --data FILE.npz)"
    if args.data is None:
        return "--graph needs --data FILE.npz: arrays x (inputs) and y (labels) the checks sample from"
    return None


def _feeds(entries, flag):
    """{name: value} of a repeated NAME=VALUE flag; a name given twice is a usage error."""
    feeds = {}
    for name, value in entries or []:
        if name in feeds:
            raise UsageError(f"{flag} {name} is given twice ({feeds[name]} and {value}); give it once")
        feeds[name] = value
    return feeds


def _doctor_usage_error(args):
    """UsageError for doctor's flags that do not go together (:func:`_doctor_usage`)."""
    problem = _doctor_usage(args)
    if problem:
        raise UsageError(f"doctor: {problem}; see tf1-recipes doctor --help")


#: {command: check of its flags' form that needs no TensorFlow}, made before TensorFlow loads (UsageError).
USAGE_CHECKS = {"doctor": _doctor_usage_error, "migrate-ckpt": _migrate_ckpt_usage}


def cmd_doctor(args):
    """``tf1-recipes doctor``: exit 0 when no check FAILs, 1 otherwise."""
    _doctor_usage_error(args)
    from tf1_recipes import doctor
    from tf1_recipes.doctor import output as doctor_output
    from tf1_recipes.runlog import RUN_RECORD

    if args.recipe is not None:
        from tf1_recipes.registry import get_recipe

        get_recipe(args.recipe).preset(args.preset)  # unknown recipe or preset: one line, exit 2
    if args.plot:
        try:
            doctor_output.require_matplotlib()
        except doctor_output.PlotUnavailable as err:
            raise UsageError(str(err)) from None
    if args.out:  # before any check runs: a folder that cannot take the record or the plots is one line
        outputs.check_folder(args.out, "--out", "the doctor's record")
        outputs.check_entries(args.out, [(RUN_RECORD, "the doctor's record", False)], "--out")
    if args.plot:
        outputs.check_folder(args.plot, "--plot", "the plots")
    budget = doctor.Budget.quick() if args.quick else doctor.Budget()
    if args.recipe is not None:
        report = doctor.diagnose_recipe(args.recipe, args.preset, data_dir=args.data_dir, seed=args.seed,
                                        budget=budget, checks=args.checks)
    else:
        # Every file and name is checked (one line, exit 2) before any check runs.
        report = doctor.diagnose(args.graph, args.data, checkpoint=args.checkpoint, **_tensor_names(args),
                                 train_feed=_feeds(args.train_feed, "--train-feed"),
                                 eval_feed=_feeds(args.eval_feed, "--eval-feed"), budget=budget, checks=args.checks)
    print(report.format())
    plots = [str(p) for p in doctor_output.write_plots(report, args.plot)] if args.plot else []
    for path in plots:
        print(f"plot: {path}")
    if args.out:
        if args.recipe is not None:
            record = doctor_output.write_record(args.out, args.recipe, args.preset, args.seed, report)
        else:
            record = doctor_output.write_graph_record(args.out, args, report)
        print(f"record: {record}")
    if args.json:
        print(doctor_output.to_json(report, plots=plots))
    return EXIT_FAIL if report.status == "FAIL" else EXIT_OK


def cmd_parity(args):
    """``tf1-recipes parity``: exit 0 when every check PASSes (or SKIPs), 1 when one FAILs."""
    from tf1_recipes.tf2 import user_parity

    report = user_parity.compare_model(args.tf1, args.tf2, args.data, maps=args.maps, names=_tensor_names(args),
                                       steps=args.steps, batch_size=args.batch_size, optimizer=args.optimizer,
                                       train_feed=_feeds(args.train_feed, "--train-feed"),
                                       eval_feed=_feeds(args.eval_feed, "--eval-feed"))
    for note in report.notes:
        print(f"tf1-recipes: note: {note}", file=sys.stderr)
    print(report.format())
    if args.json:
        print(json.dumps(report.to_dict(), default=float))
    return EXIT_FAIL if report.status == "FAIL" else EXIT_OK


def cmd_runs(args):
    """``tf1-recipes runs [DIR]``: the run records under DIR as a table (epochs trained, comparison status)."""
    from tf1_recipes import runlog

    _golden_dir(None)  # the comparison column reads the goldens: a $TF1_RECIPES_GOLDEN got wrong is one line
    notes = []
    try:
        records = runlog.read_records(args.dir, notes)
    except (FileNotFoundError, NotADirectoryError) as err:
        raise UsageError(str(err)) from None
    rows = [{**r, "comparison": runlog.comparison_status(r), "epochs_trained": runlog.epochs_trained(r)}
            for r in records]  # every golden read (and checked) before anything is printed
    for note in notes:
        print(f"tf1-recipes: note: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps(rows))
    elif not records:
        print(f"no run records ({runlog.RUN_RECORD}) under {args.dir}")
    else:
        print(runlog.format_table(records))
    return EXIT_OK


def cmd_numerics(args):
    """``tf1-recipes numerics``: the fingerprint and facts, measured here; exit 1 when a repeat, or the measurement
    an earlier process of this boot kept (numerics module docstring), gives other bits."""
    from tf1_recipes import numerics
    from tf1_recipes.compat import configure_tensorflow

    configure_tensorflow(args.threads)
    # Measured in this process, never read from an earlier one; then kept for later processes of this boot.
    key = numerics.reuse_key()
    earlier = numerics.measured_before(key)
    first = numerics.measure(key)
    facts = numerics.describe(first)
    cpu = facts["cpu"]
    print(f"fingerprint {facts['fingerprint']}")
    print(f"device {facts['device']}; oneDNN {'on' if facts['onednn'] else 'off'}; "
          f"settings {facts['env'] or 'none'}; TensorFlow {facts['tf_build']['version']}")
    print(f"cpu {cpu['vendor']} family {cpu['family']} model {cpu['model']} stepping {cpu['stepping']} "
          f"({cpu['model_name']}); flags {' '.join(cpu['flags'])}")
    moved = [group for group in first if earlier and earlier[group] != first[group]]
    if earlier:
        print("an earlier process of this boot measured " + (
            f"other bits: {', '.join(moved)} (this measurement is kept)" if moved else "the same bits"))
    unstable = []
    for _ in range(args.repeat - 1):
        again = numerics.group_hashes()
        unstable += [group for group in first if again[group] != first[group] and group not in unstable]
    if args.repeat > 1:
        print(f"{args.repeat} repeats: " + (f"NOT reproducible: {', '.join(unstable)} gave other bits (a "
              "non-deterministic op on this device)" if unstable else "bit-identical"))
    if args.json:
        print(json.dumps({**facts, "groups": first, "repeats": args.repeat, "non_deterministic": unstable,
                          "earlier_process_differs": moved}))
    return EXIT_FAIL if unstable or moved else EXIT_OK


COMMANDS["doctor"] = cmd_doctor
COMMANDS["numerics"] = cmd_numerics
COMMANDS["runs"] = cmd_runs
COMMANDS["parity"] = cmd_parity


#: What an interrupted (Ctrl-C) command leaves, said after "interrupted"; a command not listed has nothing to add.
INTERRUPTED = {"run": "with --out, a run that had started is recorded as interrupted",
               "check": "with --out, a run in progress is recorded as interrupted",
               "migrate-ckpt": "OUT_DIR is written only once the conversion completes, so nothing was written there"}


def main(argv=None):
    """Entry point of the ``tf1-recipes`` console script and ``python -m tf1_recipes``.

    Returns the exit status: 0, 1 (a comparison FAILed), 2 (bad input: one line on stderr), 130 (interrupted
    with Ctrl-C, at any moment from here on, TensorFlow's import included: one line, no traceback).
    """
    argv = sys.argv[1:] if argv is None else argv
    try:
        return _main(argv)
    except KeyboardInterrupt:
        command = next((a for a in argv if not a.startswith("-")), None)
        said = INTERRUPTED.get(command)
        print(f"tf1-recipes: interrupted{f'; {said}' if said else ''}", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv):
    import tf1_recipes

    if tf1_recipes.LEGACY_KERAS_PROBLEM:  # before TensorFlow loads: one line, not an ImportError's traceback
        print(f"tf1-recipes: error: {tf1_recipes.LEGACY_KERAS_PROBLEM}", file=sys.stderr)
        return EXIT_USAGE
    from tf1_recipes.registry import UnknownRecipeError, check_recipe_name

    try:
        args = build_parser().parse_args(argv)
        _refuse_empty_values(args)
        for name in _named_recipes(args):
            check_recipe_name(name)  # a mistyped name: one line before TensorFlow loads
        if args.command == "golden":  # its own flags and names, checked before TensorFlow loads too
            from tf1_recipes import regen

            regen.parse_arguments(args.args, prog=GOLDEN_REGEN)
        if args.command in USAGE_CHECKS:  # flags that do not go together: one line at once, not after TensorFlow's import
            USAGE_CHECKS[args.command](args)
        return _dispatch(COMMANDS[args.command], args)
    except (UsageError, UnknownRecipeError) as err:
        print(f"tf1-recipes: error: {err}", file=sys.stderr)
        return EXIT_USAGE


#: Arguments whose name on the command line is not ``--<dest>``: the positionals, as the usage lines name them, and
#: the repeatable flags gathered under a plural dest.
_ARGUMENT_NAMES = {"recipe": "RECIPE", "recipes": "RECIPE", "paths": "ARG", "runs": "RUNS", "dir": "DIR",
                   "maps": "--map", "checks": "--check"}


def _refuse_empty_values(args):
    """UsageError for an argument given as '' (an unset shell variable): as a path it would mean the current folder."""
    for dest, value in vars(args).items():
        if dest in ("command", "action", "args"):  # `golden regen`'s arguments are its own parser's
            continue
        if value == "" or (isinstance(value, list) and "" in value):
            name = _ARGUMENT_NAMES.get(dest, _flag(dest))
            if dest == "paths":  # migrate-ckpt's, named as its usage names them when their count fits it
                names = ["TF1_CHECKPOINT", "OUT_DIR"] if args.to else ["RECIPE", "TF1_CHECKPOINT", "OUT_DIR"]
                name = names[value.index("")] if len(value) == len(names) else name
            raise UsageError(f"{args.command}: {name} is empty (''): give a value; an empty path is not taken to mean "
                             "the current folder")


def _named_recipes(args):
    """The recipe names on the command line, where its form is otherwise right (the commands check the rest)."""
    if args.command == "run":
        return [args.recipe]
    if args.command == "check":
        return args.recipes
    if args.command == "doctor" and args.graph is None and args.recipe is not None:
        return [args.recipe]
    if args.command == "migrate-ckpt" and not args.to and len(args.paths) == 3:
        return args.paths[:1]
    return []


def _dispatch(command, args):
    try:
        from tf1_recipes.compat import LegacyKerasError
    except ImportError as err:  # tf-keras missing, or TensorFlow routed to Keras 3: its sentence alone
        print(f"tf1-recipes: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    from tf1_recipes.checkpoints import CheckpointError
    from tf1_recipes.data import DataError
    from tf1_recipes.golden import GoldenError
    from tf1_recipes.registry import UnknownRecipeError
    from tf1_recipes.report import ReportError

    try:
        return command(args)
    except (UnknownRecipeError, DataError, GoldenError, ReportError, UsageError, CheckpointError, ValueError,
            LegacyKerasError) as err:
        print(f"tf1-recipes: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except PermissionError as err:  # a path the user named, or a folder on it, closed to this user
        where = err.filename if err.filename is not None else "a file"
        print(f"tf1-recipes: error: {where}: permission denied: it, or a folder on its path, is not open to this user; "
              "change the permissions or give another path", file=sys.stderr)
        return EXIT_USAGE


def main_for_recipe(name, argv=None):
    """``python -m tf1_recipes.recipes.<name> [flags]``: the same as ``tf1-recipes run <name>``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    sys.exit(main(["run", name, *argv]))
