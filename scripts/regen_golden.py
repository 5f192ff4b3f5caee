#!/usr/bin/env python
"""Regenerate tf1_recipes/golden/<recipe>/<preset>.json from real runs on real MNIST.

    python scripts/regen_golden.py batch_norm gradient_clipping --seeds 5 --jobs 2

The only way golden values are written; see tf1_recipes/regen.py for the rules.
"""

import sys

from tf1_recipes.regen import main

if __name__ == "__main__":
    sys.exit(main())
