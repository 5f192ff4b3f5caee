"""``python -m tf1_recipes.recipes.cache_frozen_layers``: runs the ``cache_frozen_layers`` recipe (its body is in reuse_partial_restore)."""

if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("cache_frozen_layers")
