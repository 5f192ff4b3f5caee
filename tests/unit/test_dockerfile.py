"""Dockerfile.gpu cannot be built here (no Docker engine): check what can be checked.

It parses with Docker's own parser (the `dockerfile` package wraps buildkit's), every file
it copies exists and is sent by .dockerignore, every script and command it runs exists, its
default command is the golden check, and MNIST comes from the build context's docker/mnist/
(verified) or is downloaded. tests/unit/test_docker_steps.py replays its steps.
"""

import configparser
import importlib.util
import shlex
import shutil
import subprocess
from pathlib import Path

import dockerfile
import pytest

from tf1_recipes import cli

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def instructions():
    return dockerfile.parse_file(str(PROJECT / "Dockerfile.gpu"))


def _script(name):
    spec = importlib.util.spec_from_file_location(name, PROJECT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    from tf1_recipes import data

    module = _script("fetch_mnist")
    monkeypatch.setattr(data, "DOWNLOAD_URLS", ("http://127.0.0.1:9/",))
    assert module.main([str(tmp_path)]) == 2
    assert not list(tmp_path.glob("*.gz"))


# --------------------------------------------------------------------------- MNIST from the build context


def test_mnist_from_the_build_context_lands_where_the_fetch_verifies_it(instructions):
    env = dict(zip(*[iter(next(i for i in instructions if i.cmd == "ENV").value)] * 2))
    steps = [(i.cmd, i.value) for i in instructions]
    copy = steps.index(("COPY", ("docker/mnist/", env["TF1_RECIPES_DATA"] + "/")))
    fetch = next(n for n, (cmd, value) in enumerate(steps) if cmd == "RUN" and "scripts/fetch_mnist.py" in value[0])
    install = next(n for n, (cmd, value) in enumerate(steps) if cmd == "RUN" and "pip install --no-cache-dir -e ." in value[0])
    assert install < copy < fetch  # the script imports the installed package; the files are there before it runs
    assert (PROJECT / "docker" / "mnist" / "README.md").is_file()


def test_git_never_commits_mnist_placed_in_the_context():
    ignored = subprocess.run(["git", "check-ignore", "-q", "docker/mnist/train-images-idx3-ubyte.gz"], cwd=PROJECT)
    kept = subprocess.run(["git", "check-ignore", "-q", "docker/mnist/README.md"], cwd=PROJECT)
    assert ignored.returncode == 0 and kept.returncode == 1


@pytest.fixture
def context_mnist(tmp_path, mnist_dir, monkeypatch):
    """A copy of real MNIST as a user puts it in docker/mnist/, with SHA256SUMS; no download possible."""
    from tf1_recipes import data

    monkeypatch.setattr(data, "DOWNLOAD_URLS", ("http://127.0.0.1:9/",))
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name in data.SHA256:
        shutil.copy(next(Path(mnist_dir).glob(name + "*")), folder)
    (folder / "SHA256SUMS").write_text("# decompressed content\n" + "".join(f"{h}  {n}\n" for n, h in data.SHA256.items()))
    return folder


def test_fetch_keeps_verified_files_from_the_context_without_downloading(context_mnist, capsys):
    assert _script("fetch_mnist").main([str(context_mnist)]) == 0
    out = capsys.readouterr().out
    assert "4 of 4 files were there (SHA256SUMS agrees with the official table), 0 downloaded" in out
    assert "60000 training and 10000 test images" in out


def test_fetch_refuses_a_corrupt_file_from_the_context(context_mnist, capsys):
    victim = next(context_mnist.glob("t10k-labels-idx1-ubyte*"))
    raw = victim.read_bytes()
    victim.write_bytes(raw[: len(raw) // 2])
    assert _script("fetch_mnist").main([str(context_mnist)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("fetch_mnist.py: error: ") and victim.name in line
    assert victim.read_bytes() == raw[: len(raw) // 2] and len(list(context_mnist.iterdir())) == 5  # nothing deleted


def test_fetch_refuses_a_sums_file_that_disagrees_with_the_official_table(context_mnist, capsys):
    sums = context_mnist / "SHA256SUMS"
    sums.write_text(sums.read_text().replace("ff7bcfd4", "00000000"))
    assert _script("fetch_mnist").main([str(context_mnist)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "SHA256SUMS:5: lists 00000000" in line and "t10k-labels-idx1-ubyte" in line


# --------------------------------------------------------------------------- .dockerignore


@pytest.fixture(scope="module")
def docker_steps():
    return _script("docker_steps")


@pytest.mark.parametrize("patterns, kept, left_out", [
    # Examples of Docker's documentation (https://docs.docker.com/engine/reference/builder/#dockerignore-file).
    (["*/temp*"], ["temp", "somedir/sub/temporary.txt"], ["somedir/temporary.txt", "somedir/temp"]),
    (["*/*/temp*"], ["somedir/temporary.txt"], ["somedir/subdir/temporary.txt"]),
    (["temp?"], ["temp", "tempab"], ["tempa", "tempb"]),
    (["**/*.go"], ["main.c"], ["main.go", "a/b/main.go"]),
    (["*.md", "!README.md"], ["README.md"], ["CHANGES.md"]),
    (["*.md", "!README*.md", "README-secret.md"], ["README.md"], ["README-secret.md", "CHANGES.md"]),
    (["*.md", "README-secret.md", "!README*.md"], ["README.md", "README-secret.md"], ["CHANGES.md"]),
])
def test_the_dockerignore_matcher_follows_dockers_examples(docker_steps, tmp_path, patterns, kept, left_out):
    (tmp_path / ".dockerignore").write_text("\n".join(patterns) + "\n")
    rules = docker_steps.read_dockerignore(tmp_path / ".dockerignore")
    assert [p for p in kept if docker_steps.ignored(p, rules)] == []
    assert [p for p in left_out if not docker_steps.ignored(p, rules)] == []


def test_the_context_holds_what_is_copied_and_no_other_data(docker_steps, instructions):
    rules = docker_steps.read_dockerignore(PROJECT / ".dockerignore")
    for copy in (i for i in instructions if i.cmd == "COPY"):
        for source in copy.value[:-1]:
            path = PROJECT / source
            files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
            assert files, source
            sent = [f for f in files if not docker_steps.ignored(f.relative_to(PROJECT).as_posix(), rules)]
            assert sent == files or source == "docker/mnist/", source
    for path in ("docker/mnist/train-images-idx3-ubyte.gz", "docker/mnist/SHA256SUMS", "tf1_recipes/golden/batch_norm/reference.json"):
        assert not docker_steps.ignored(path, rules), path
    for path in (".venv/bin/python", ".git/HEAD", ".tox/fast/log", "runs/bn/runs.jsonl", "tests/conftest.py",
                 "mnist/train-images-idx3-ubyte.gz", "train-images-idx3-ubyte.gz", "docker/other/x.gz",
                 "tf1_recipes/__pycache__/cli.cpython-311.pyc", "docker/mnist/.gitignore", "report/index.html"):
        assert docker_steps.ignored(path, rules), path
