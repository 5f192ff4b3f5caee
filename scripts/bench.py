#!/usr/bin/env python
"""The performance benchmark's table: each recipe's epoch vs Keras 3 fit, a tf.function loop and the compute floor.

    python scripts/bench.py                                  # every recipe, reference presets
    python scripts/bench.py --recipes batch_norm cache_frozen_layers freeze_stop_gradient
    python scripts/bench.py --json bench.json --markdown bench.md --golden-tier
    python scripts/bench.py --ports --repeats 3              # each port's epoch vs its TF1 recipe's, loop before/after

What each column measures is in benchmarks/bench.py. Timings, never asserted; on a busy
machine they are noisy (the table's caption gives the load average at start and end).
"""

import argparse
import sys
from pathlib import Path

from tf1_recipes.cli import ScriptParser, non_negative_int, positive_int  # imports no TensorFlow

PROJECT = Path(__file__).resolve().parents[1]  # benchmarks/ is in the source tree, not in the installed package


def non_negative_seconds(text):
    """An argparse type: a finite number of seconds, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds, 0 or more, got {text!r}")
    return value


def build_parser():
    parser = ScriptParser(prog="bench.py", description=__doc__.splitlines()[0],
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", nargs="+", metavar="RECIPE[/PRESET]",
                        help="what to measure (default: every recipe in its reference preset, plus "
                             "batch_size_gap/large_batch and transfer_digits_5_to_9/cache_frozen)")
    parser.add_argument("--epochs", type=positive_int, default=1, help="timed epochs per column (default 1)")
    parser.add_argument("--warmup", type=non_negative_int, default=1,
                        help="epochs trained before the timed ones, absorbing graph setup, tracing and caching "
                             "(default 1; 0 times the first epoch, setup included)")
    parser.add_argument("--train-size", type=positive_int,
                        help="keep only the first N training images (a quick run, not the reference configuration)")
    parser.add_argument("--input-path", choices=["feed_dict", "in_graph"], default="in_graph",
                        help="the TF1 recipes' input path (default in_graph, what `tf1-recipes run` and the "
                             "golden tier use; feed_dict is the reference path)")
    parser.add_argument("--square", type=positive_int, default=2048, help="side of the square matmul (default 2048)")
    parser.add_argument("--data-dir", help="directory with the MNIST files (else $TF1_RECIPES_DATA, then the cache)")
    parser.add_argument("--threads", type=positive_int, help="TensorFlow intra-op threads (default 1, as the recipes)")
    parser.add_argument("--memory", metavar="RECIPE[/PRESET]", default="batch_norm",
                        help="recipe whose one-epoch CLI run's peak memory is measured in a child process (default batch_norm)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory run")
    golden = parser.add_mutually_exclusive_group()
    golden.add_argument("--golden-tier", nargs="?", const=2, type=positive_int, metavar="WORKERS",
                        help="also run and time the full golden tier, pytest -m golden -n WORKERS (default 2; ~20 min)")
    golden.add_argument("--golden-report", metavar="FILE",
                        help="read the golden tier's time from a pytest JUnit XML (--junitxml) or --durations=0 output")
    parser.add_argument("--ports", action="store_true",
                        help="instead: each TF2 port's epoch against its TF1 recipe's, with the loop before issue 15 "
                             "(one tf.function call per batch) and the ports' loop, and the per-step overhead of each")
    parser.add_argument("--repeats", type=positive_int, default=3,
                        help="--ports: rounds of the TF1 run and the port's back to back, alternating which "
                             "goes first; medians (default 3)")
    parser.add_argument("--before-repeats", type=positive_int, metavar="K",
                        help="--ports: time the loop before issue 15 in the first K rounds only (default: every "
                             "round), so that more rounds go to the pair the ratio compares")
    parser.add_argument("--min-seconds", type=non_negative_seconds, default=1.0, metavar="S",
                        help="--ports: where one epoch is short, time more of them, about S seconds in all, as "
                             "timeit's autorange (estimated from one untimed TF1 epoch after the warm-up, so it may "
                             "fall short; at most the preset's epochs; default 1; 0: exactly --epochs)")
    parser.add_argument("--json", metavar="OUT", help="write the whole report (rows, raw epoch times, shapes) as JSON")
    parser.add_argument("--markdown", metavar="OUT", help="write the table and its caption as markdown")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)

    import tf1_recipes  # noqa: F401  (before TensorFlow: selects the legacy layers)
    from tf1_recipes.compat import configure_tensorflow
    from tf1_recipes.registry import UnknownRecipeError

    configure_tensorflow(args.threads)
    sys.path.insert(0, str(PROJECT))
    from benchmarks import bench

    from tf1_recipes import outputs

    try:
        targets = [bench.Target.parse(name) for name in args.recipes] if args.recipes else bench.default_targets()
        memory = None if args.no_memory else bench.Target.parse(args.memory)
        for flag, path in (("--json", args.json), ("--markdown", args.markdown)):
            if path:  # before the measurements: a run of an hour must not end in a path it cannot write
                outputs.check_file(path, flag, "the benchmark's report")
    except (UnknownRecipeError, outputs.OutputPathError) as err:
        print(f"bench: error: {err}", file=sys.stderr)
        return 2

    def log(message):
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    plan = bench.Plan(args.epochs, args.warmup, args.train_size, args.data_dir, args.input_path,
                      min_seconds=args.min_seconds if args.ports else 0.0)
    if args.ports:
        report = bench.measure_ports(targets, plan, args.repeats, log=log, before_repeats=args.before_repeats)
        table, caption = bench.render_table(report["rows"], columns=bench.PORT_COLUMNS), bench.port_summary_lines(report)
        print(table + "\n\n" + "\n".join(caption))
        return write_outputs(args, report, bench.render_table(report["rows"], markdown=True, columns=bench.PORT_COLUMNS),
                             caption)
    report = bench.measure(
        targets, plan, square=args.square, memory_target=memory, golden_tier=args.golden_tier,
        golden_report=args.golden_report, log=log,
    )
    caption = bench.summary_lines(report)
    print(bench.render_table(report["rows"]))
    print()
    print("\n".join(caption))
    return write_outputs(args, report, bench.render_table(report["rows"], markdown=True), caption)


def write_outputs(args, report, markdown_table, caption):
    """The report as JSON (``--json``) and the table with its caption as markdown (``--markdown``); the exit code.

    Each file is written whole or not at all; one the OS refuses is one line and exit 2 (the
    table is on stdout already).
    """
    from benchmarks import bench

    from tf1_recipes import outputs

    try:
        if args.json:
            outputs.write_text(args.json, bench.to_json(report) + "\n", "--json", "the benchmark's report")
        if args.markdown:
            outputs.write_text(args.markdown, markdown_table + "\n\n" + "\n".join(f"- {line}" for line in caption) + "\n",
                               "--markdown", "the benchmark's report")
    except outputs.OutputPathError as err:
        print(f"bench: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
