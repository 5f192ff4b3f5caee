"""``python -m tf1_recipes.recipes.lr_inverse_time_decay``: runs the ``lr_inverse_time_decay`` recipe (its body is in learning_rate_schedules)."""

if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("lr_inverse_time_decay")
