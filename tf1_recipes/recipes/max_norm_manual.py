"""``python -m tf1_recipes.recipes.max_norm_manual``: runs the ``max_norm_manual`` recipe (its body is in max_norm)."""

if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("max_norm_manual")
