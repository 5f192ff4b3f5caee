"""Port code shared by a family of recipes; each recipe's port is ``tf1_recipes/tf2/<name>.py``, which subclasses one.

These modules register no port: ``tf1_recipes/tf2/<name>.py`` subclasses one of their
classes and registers it with ``@port("<name>")``.
"""
