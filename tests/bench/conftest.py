"""The benchmark lives in the source tree (``benchmarks/``), not in the installed package: import it from there."""

import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))
