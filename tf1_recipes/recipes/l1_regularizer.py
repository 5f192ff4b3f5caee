"""``python -m tf1_recipes.recipes.l1_regularizer``: runs the ``l1_regularizer`` recipe (its body is in kernel_regularizers)."""

if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("l1_regularizer")
