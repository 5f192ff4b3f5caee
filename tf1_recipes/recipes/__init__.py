"""One module per technique family; each registers its recipes and runs with ``python -m``."""
