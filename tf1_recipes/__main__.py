"""``python -m tf1_recipes``: the same as the ``tf1-recipes`` command."""

import sys

from tf1_recipes.cli import main

sys.exit(main())
