"""``python -m tf1_recipes.recipes.adam``: runs the ``adam`` recipe (its body is in faster_optimizers)."""

if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("adam")
