"""``python -m tf1_recipes.recipes.<name>`` runs recipe ``<name>``: every recipe has a module of its name."""

import importlib.util
import os
import runpy
import subprocess
import sys

import pytest

from tf1_recipes.registry import get_recipe, list_recipes

#: Recipes whose bodies live in a family module (tf1_recipes/recipes/families/): their module is their own all the same.
EXTENDING = [
    *("momentum", "nesterov", "adagrad", "rmsprop", "adam"),
    *("lr_inverse_time_decay", "lr_step_decay"),
    *("he_init", "xavier_init", "leaky_relu", "elu", "selu"),
    *("l1_regularizer", "l2_regularizer", "max_norm_manual", "max_norm_regularizer"),
    *("reuse_partial_restore", "freeze_var_list", "freeze_stop_gradient", "cache_frozen_layers"),
    "pretrain_5layer",  # extends gradient_clipping's body
]
WITH_MODULE = [r.name for r in list_recipes() if importlib.util.find_spec(f"tf1_recipes.recipes.{r.name}")]


def test_every_recipe_has_its_module():
    assert set(WITH_MODULE) == {r.name for r in list_recipes()}
    assert {r.name for r in list_recipes() if r.extends is not None} == set(EXTENDING)


@pytest.mark.filterwarnings("ignore:.*found in sys.modules:RuntimeWarning")
@pytest.mark.parametrize("name", WITH_MODULE)
def test_the_module_runs_its_own_recipe(name, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [f"{name}.py", "--preset", "no-such-preset"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module(f"tf1_recipes.recipes.{name}", run_name="__main__")
    # The CLI got this recipe: its preset check refused the preset, naming the recipe.
    assert exit_info.value.code == 2
    assert f"recipe {name!r} has no preset 'no-such-preset'" in capsys.readouterr().err


def test_python_dash_m_in_a_fresh_process():
    """A new process with no TensorFlow log level of the user's: the bad preset is its whole stderr,
    one line, TensorFlow's start-up lines (loaded to read the registry) filtered by the package's
    default level (a user's level wins: test_cli.py)."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    out = subprocess.run(
        [sys.executable, "-m", "tf1_recipes.recipes.adam", "--preset", "nope"], capture_output=True, text=True, env=env
    )
    assert out.returncode == 2
    assert out.stderr.splitlines() == ["tf1-recipes: error: recipe 'adam' has no preset 'nope'; presets: "
                                       + ", ".join(get_recipe("adam").presets)], out.stderr
