"""TF_USE_LEGACY_KERAS switched off: the command line says so in one line (exit 2); the library raises."""

import os
import subprocess
import sys

import pytest

SENTENCE = "TF_USE_LEGACY_KERAS='0' is set in the environment: unset it or set TF_USE_LEGACY_KERAS=1"


def _python(*args):
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "0"}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.parametrize(
    "args",
    [
        ["-m", "tf1_recipes", "list"],
        # what the tf1-recipes console script runs (its entry point is tf1_recipes.cli:main)
        ["-c", "import sys; from tf1_recipes.cli import main; sys.exit(main())", "runs", "."],
        ["-m", "tf1_recipes.recipes.graph_session_basics"],
    ],
    ids=["python-m", "console-script-entry", "recipe-module"],
)
def test_the_command_line_says_it_in_one_line_and_exits_2(args):
    out = _python(*args)
    assert out.returncode == 2, out.stderr
    expected = f"tf1-recipes: error: tf1_recipes needs the legacy tf-keras layers, but {SENTENCE}"
    assert out.stderr.splitlines() == [expected]
    assert out.stdout == ""


def test_the_library_raises_an_import_error_before_tensorflow_loads():
    code = ("import sys, tf1_recipes\n"
            "try:\n    from tf1_recipes import run_recipe\n"
            "except ImportError as err:\n    print(type(err).__name__, err)\n"
            "print('tensorflow' in sys.modules)")
    out = _python("-c", code)
    assert out.returncode == 0, out.stderr
    first, loaded = out.stdout.splitlines()
    assert first.startswith("LegacyKerasEnvError") and SENTENCE in first
    assert loaded == "False"
