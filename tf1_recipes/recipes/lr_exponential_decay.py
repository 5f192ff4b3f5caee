"""``python -m tf1_recipes.recipes.lr_exponential_decay``: runs the ``lr_exponential_decay`` recipe (its body is in learning_rate_schedules)."""

if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("lr_exponential_decay")
