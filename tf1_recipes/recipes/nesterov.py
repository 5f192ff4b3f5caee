"""``python -m tf1_recipes.recipes.nesterov``: runs the ``nesterov`` recipe (its body is in faster_optimizers)."""

if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("nesterov")
