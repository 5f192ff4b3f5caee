"""``python -m tf1_recipes.recipes.reuse_import_meta_graph_new_layers``: runs the ``reuse_import_meta_graph_new_layers`` recipe (its body is in reuse_import_meta_graph)."""

if __name__ == "__main__":
    from tf1_recipes.cli import main_for_recipe

    main_for_recipe("reuse_import_meta_graph_new_layers")
