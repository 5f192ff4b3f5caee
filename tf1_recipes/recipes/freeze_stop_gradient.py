"""``python -m tf1_recipes.recipes.freeze_stop_gradient``: runs the ``freeze_stop_gradient`` recipe (its body is in reuse_partial_restore)."""

if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("freeze_stop_gradient")
