"""Bodies shared by a family of recipes; each recipe is ``tf1_recipes/recipes/<name>.py``, which imports one.

These modules register nothing and do not run: a recipe module calls one of their
functions (``@recipe(..., extends=<body>)``), with its own presets and hyperparameters.
"""
