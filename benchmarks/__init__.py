"""The performance benchmark (``benchmarks/bench.py``): part of the source tree, not of the installed package.

Run it with ``python scripts/bench.py`` from the source tree; ``tests/bench`` and
``tests/unit/test_bench.py`` import it from there.
"""
