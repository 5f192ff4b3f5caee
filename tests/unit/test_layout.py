"""The name of a recipe is its address: its module, port, goldens and tests are where its name says.

``tf1-recipes list --paths`` prints them; every path it prints exists, and README.md,
MIGRATION.md and ``tf1_recipes/recipes/__init__.py`` describe the same layout.
"""

import ast
import re
from pathlib import Path

import pytest

import tf1_recipes.recipes
from tf1_recipes import cli
from tf1_recipes.registry import LAYOUT, list_recipes, recipe_paths

ROOT = Path(__file__).resolve().parents[2]
NAMES = [r.name for r in list_recipes()]
#: The patterns every description of the layout names, the four per recipe and the three of shared code.
PATTERNS = [pattern.format(name="<name>") for pattern in LAYOUT.values()] + [
    "tf1_recipes/recipes/families/<family>.py",
    "tf1_recipes/tf2/families/<family>.py",
    "tf1_recipes/shim/families/<family>.py",
    "tests/unit/test_family_<family>.py",
]
DESCRIPTIONS = {
    "README.md": (ROOT / "README.md").read_text(),
    "MIGRATION.md": (ROOT / "MIGRATION.md").read_text(),
    "tf1_recipes/recipes/__init__.py": tf1_recipes.recipes.__doc__,
}


def listed_paths(capsys):
    """{recipe: [paths]} as ``tf1-recipes list --paths`` prints them."""
    assert cli.main(["list", "--paths"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split() == ["name", *LAYOUT]
    return {row.split()[0]: row.split()[1:] for row in rows}


def test_list_paths_prints_every_recipe_and_every_listed_path_exists(capsys):
    listed = listed_paths(capsys)
    assert sorted(listed) == sorted(NAMES) and len(NAMES) == 42
    missing = [f"{name}: {path}" for name, paths in listed.items() for path in paths if not (ROOT / path).exists()]
    assert not missing, missing
    assert listed["adam"] == list(recipe_paths("adam").values()) == [
        "tf1_recipes/recipes/adam.py",
        "tf1_recipes/tf2/adam.py",
        "tf1_recipes/shim/adam.py",
        "tf1_recipes/golden/adam/",
        "tests/unit/test_adam.py",
        "migration/tf_upgrade_v2/adam.md",
    ]


def _registered_names(path):
    """The names a module registers: the first argument of every ``recipe(...)`` / ``port(...)`` / ``shim(...)`` call."""
    tree = ast.parse(path.read_text())
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) in ("recipe", "port", "shim")]
    return [c.args[0].value for c in calls if c.args and isinstance(c.args[0], ast.Constant)]


@pytest.mark.parametrize("package", ["recipes", "tf2", "shim"])
def test_every_module_named_after_a_recipe_registers_that_recipe_and_only_it(package):
    folder = ROOT / "tf1_recipes" / package
    for name in NAMES:
        assert _registered_names(folder / f"{name}.py") == [name], f"tf1_recipes/{package}/{name}.py"
    others = [p for p in folder.glob("*.py") if p.stem not in NAMES and _registered_names(p)]
    assert not others, f"modules that register a recipe under another name: {others}"


@pytest.mark.parametrize("package", ["recipes", "tf2", "shim"])
def test_family_modules_register_nothing(package):
    for path in (ROOT / "tf1_recipes" / package / "families").glob("*.py"):
        assert not _registered_names(path), path
        assert path.stem not in NAMES, f"{path} looks like a recipe"


def test_every_recipe_module_runs_with_python_dash_m():
    for name in NAMES:
        text = (ROOT / "tf1_recipes" / "recipes" / f"{name}.py").read_text()
        assert f'if __name__ == "__main__":' in text and f'main_for_recipe("{name}")' in text, name


def test_no_port_class_is_made_in_a_loop():
    for path in (ROOT / "tf1_recipes" / "tf2").rglob("*.py"):
        assert not re.search(r"\btype\(f?[\"']", path.read_text()), path


@pytest.mark.parametrize("doc", list(DESCRIPTIONS))
def test_readme_migration_and_the_recipes_package_describe_the_same_layout(doc):
    missing = [pattern for pattern in PATTERNS if pattern not in DESCRIPTIONS[doc]]
    assert not missing, f"{doc} does not name {missing}"
    assert "list --paths" in DESCRIPTIONS[doc]
