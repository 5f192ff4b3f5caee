"""``python -m tf1_recipes.recipes.elu``: runs the ``elu`` recipe (its body is in init_and_activations)."""

if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("elu")
