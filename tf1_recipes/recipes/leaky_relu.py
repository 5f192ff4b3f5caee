"""``python -m tf1_recipes.recipes.leaky_relu``: runs the ``leaky_relu`` recipe (its body is in init_and_activations)."""

if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("leaky_relu")
