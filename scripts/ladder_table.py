#!/usr/bin/env python
"""The migration ladder's measured table: each recipe's TF1 graph, shim port and native port, K steps apart.

    python scripts/ladder_table.py                     # every shimmed recipe, its parity presets
    python scripts/ladder_table.py adam batch_norm     # some of them

For each recipe and parity preset (tf1_recipes.tf2.parity.parity_presets) it runs the parity
probe once on the TF1 recipe and then on the shim port (tf1_recipes.shim) and the native port
(tf1_recipes.tf2), both started from the TF1 graph's initial variables and trained on the same
K = 20 fixed real-MNIST batches, and prints a Markdown table of the largest differences:
forward (logits and loss on the first batch, before training) and after K steps (every
variable; in brackets, the share of the parity tolerance 1e-6 + 1e-5|w| it uses, the port's
own absolute bound where it states one). The tests hold the same numbers to the same bounds
(tests/parity/test_equivalence.py, tests/parity/test_shim_ports.py); this prints them.
"""

import sys


def cell(result):
    return f"{result.forward_max:.2g} / {result.weights:.2g} ({result.weights_ratio:.2g})"


def rows(recipes):
    from tf1_recipes.tf2 import get_port, parity

    for recipe in recipes:
        if not get_port(recipe).probe_parity:
            yield recipe, "-", "compared by its own test (not the probe)", "", ""
            continue
        for preset in parity.parity_presets(recipe):
            tf1_trace, tf2_trace, native = parity.run_pair(recipe, preset)
            shim = parity.build_shim(recipe, preset, tf1_trace.extras["overrides"])
            shim_trace, to_shim = parity.against(tf1_trace, recipe, preset, port=shim)
            yield recipe, preset, cell(to_shim), cell(parity.compare(shim_trace, tf2_trace)), cell(native)


def main(argv=None):
    from tf1_recipes.cli import ScriptParser

    parser = ScriptParser(prog="ladder_table.py", description=__doc__.splitlines()[0])
    parser.add_argument("recipes", nargs="*", help="shimmed recipes (default: all)")
    args = parser.parse_args(argv)
    from tf1_recipes import numerics
    from tf1_recipes.shim import list_shims

    shimmed = list_shims()
    unknown = [r for r in args.recipes if r not in shimmed]
    if unknown:
        print(f"ladder_table.py: no shim port for {', '.join(unknown)}; shimmed: {', '.join(shimmed)}", file=sys.stderr)
        return 2
    print(f"numerics fingerprint {numerics.fingerprint()}; cells: forward max|diff| / K-step max|diff| (share of the tolerance)")
    print()
    print("| recipe | preset | TF1 -> shim | shim -> native | TF1 -> native |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows(args.recipes or list(shimmed)):
        print("| " + " | ".join(row) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
