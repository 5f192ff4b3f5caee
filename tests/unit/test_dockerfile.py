"""Dockerfile.gpu cannot be built here (no Docker engine): check what can be checked.

It parses with Docker's own parser (the `dockerfile` package wraps buildkit's), every file
it copies exists, every script and command it runs exists, and its default command is the
golden check.
"""

import configparser
import shlex
from pathlib import Path

import dockerfile
import pytest

from tf1_recipes import cli

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def instructions():
    return dockerfile.parse_file(str(PROJECT / "Dockerfile.gpu"))


def _console_scripts():
    config = configparser.ConfigParser()
    config.read(PROJECT / "setup.cfg")
    entries = config["options.entry_points"]["console_scripts"].strip().splitlines()
    return {line.split("=")[0].strip() for line in entries}


def test_it_parses_and_starts_from_a_python_image(instructions):
    assert instructions[0].cmd == "FROM" and instructions[0].value[0].startswith("python:3.11")
    assert {i.cmd for i in instructions} <= {"FROM", "ENV", "WORKDIR", "RUN", "COPY", "CMD"}


def test_every_copied_path_exists(instructions):
    copies = [i for i in instructions if i.cmd == "COPY"]
    assert copies
    for copy in copies:
        for source in copy.value[:-1]:
            assert (PROJECT / source).exists(), source
    copied = {source for copy in copies for source in copy.value[:-1]}
    assert {"tf1_recipes", "setup.cfg", "pyproject.toml"} <= copied


def test_gpu_tensorflow_is_installed_in_the_supported_range(instructions):
    runs = " ".join(i.value[0] for i in instructions if i.cmd == "RUN")
    assert '"tensorflow[and-cuda]>=2.16,<2.22"' in runs and '"tf-keras>=2.16,<2.22"' in runs


def test_mnist_is_baked_in_by_a_script_that_exists_and_verifies(instructions):
    env = dict(zip(*[iter(next(i for i in instructions if i.cmd == "ENV").value)] * 2))
    runs = [shlex.split(i.value[0]) for i in instructions if i.cmd == "RUN"]
    fetch = [r for r in runs if r[:2] == ["python", "scripts/fetch_mnist.py"]]
    assert fetch and fetch[0][2] == env["TF1_RECIPES_DATA"]
    assert (PROJECT / "scripts" / "fetch_mnist.py").is_file()
    assert env["TF_USE_LEGACY_KERAS"] == "1"


def test_default_command_is_the_golden_check(instructions):
    (cmd,) = [i for i in instructions if i.cmd == "CMD"]
    assert cmd.json, "CMD in exec form"
    program, *args = cmd.value
    assert program in _console_scripts()
    assert args[0] in cli.COMMANDS


def test_fetch_script_reports_a_clear_error_offline(tmp_path, monkeypatch):
    import importlib.util

    from tf1_recipes import data

    spec = importlib.util.spec_from_file_location("fetch_mnist", PROJECT / "scripts" / "fetch_mnist.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(data, "DOWNLOAD_URLS", ("http://127.0.0.1:9/",))
    assert module.main([str(tmp_path)]) == 2
    assert not list(tmp_path.glob("*.gz"))
