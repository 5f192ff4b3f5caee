#!/usr/bin/env python
"""Rung 1: every recipe through the installed tf_upgrade_v2, one report per recipe.

    python scripts/upgrade_v2_reports.py --write                 # every recipe: reports + README (minutes)
    python scripts/upgrade_v2_reports.py batch_norm --write      # one recipe's report, then the README
    python scripts/upgrade_v2_reports.py --static-only           # the tool's part only, no training

Writes migration/tf_upgrade_v2/<name>.md and migration/tf_upgrade_v2/README.md; see
tf1_recipes/upgrade_v2.py for what is converted, run and compared.
"""

import sys

from tf1_recipes.upgrade_v2 import main

if __name__ == "__main__":
    sys.exit(main())
