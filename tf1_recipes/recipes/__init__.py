"""The recipes: the name of a recipe is its address.

* ``tf1_recipes/recipes/<name>.py`` registers recipe ``<name>`` with
  ``@recipe("<name>", presets=...)`` (:func:`tf1_recipes.registry.recipe`), holds its presets
  and its body, and runs it with ``python -m tf1_recipes.recipes.<name>``;
* ``tf1_recipes/tf2/<name>.py`` is its TF2 port (``@port("<name>")``);
* ``tf1_recipes/shim/<name>.py`` is its shim port (``@shim("<name>")``): the model function
  of its body run eagerly in a ``track_tf1_style_variables`` layer (rung 2 of the migration);
* ``tf1_recipes/golden/<name>/`` holds its goldens, one JSON file per preset;
* ``tests/unit/test_<name>.py`` holds its own tests.
* ``migration/tf_upgrade_v2/<name>.md`` says what the installed ``tf_upgrade_v2`` does to it
  (:mod:`tf1_recipes.upgrade_v2`).

Recipes that differ in one line (the optimizer, the activation, the frozen layers, ...) share
their body through a family module that registers nothing,
``tf1_recipes/recipes/families/<family>.py``: each recipe's module is then a small function
registered with ``@recipe(..., extends=<the shared body>)``. The ports' shared code is in
``tf1_recipes/tf2/families/<family>.py`` (the shim ports': ``tf1_recipes/shim/families/<family>.py``), the shared body's tests in
``tests/unit/test_family_<family>.py``. ``tf1-recipes list --paths`` prints every recipe's paths.
"""
