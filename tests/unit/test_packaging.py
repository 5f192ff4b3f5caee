"""An installed (not editable) package carries its goldens, so `tf1-recipes run` compares.

Before the goldens moved into the package, `pip install .` then `tf1-recipes run batch_norm`
from another folder gave every row NOT_COMPARED: `golden/` was not installed. These tests
build the wheel `pip install .` would install (from a copy of the source tree, so the
worktree gets no build/ or egg-info), check that every file under tf1_recipes/ is in it,
then install it with `--no-deps --target` and, from another folder, read the goldens and
run a smoke preset that must be compared.
"""

import email.parser
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
PACKAGE = PROJECT / "tf1_recipes"


def _package_files():
    """Every file of the package in the source tree, as wheel paths (no bytecode)."""
    return {
        path.relative_to(PROJECT).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def _source_copy(root):
    """What a checkout holds for building: setup.cfg, pyproject.toml, README.md and the package."""
    source = root / "src"
    source.mkdir()
    for name in ("pyproject.toml", "setup.cfg", "README.md"):
        shutil.copy2(PROJECT / name, source / name)
    shutil.copytree(PACKAGE, source / "tf1_recipes", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return source


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel built from a copy of the source tree by pip, without build isolation (offline)."""
    root = tmp_path_factory.mktemp("wheel")
    source = _source_copy(root)
    out = root / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(out), str(source)],
        check=True, cwd=root, capture_output=True, text=True,
    )
    (built,) = out.glob("tf1_recipes-*.whl")
    return built


def test_every_golden_and_package_file_is_in_the_wheel(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        goldens = sorted(p for p in _package_files() if p.startswith("tf1_recipes/golden/"))
        assert goldens, "no golden files in the source tree"
        assert {"tf1_recipes/golden/README.md", "tf1_recipes/golden/references.json",
                "tf1_recipes/golden/batch_norm/reference.json"} <= set(goldens)
        missing = sorted(_package_files() - names)
        assert not missing, f"not in {wheel.name}: {missing}"
        for name in goldens:
            assert archive.read(name) == (PROJECT / name).read_bytes(), name


def test_the_sdist_holds_every_package_file_too(tmp_path):
    """A source distribution (what an index serves besides wheels) builds wheels with the goldens."""
    source = _source_copy(tmp_path)
    subprocess.run([sys.executable, "-c", f"from setuptools import build_meta; build_meta.build_sdist({str(tmp_path / 'dist')!r})"],
                   check=True, cwd=source, capture_output=True, text=True)
    (sdist,) = (tmp_path / "dist").glob("tf1-recipes-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert not sorted(_package_files() - names), sdist.name
    assert {"setup.cfg", "pyproject.toml", "README.md"} <= names


def test_the_wheel_describes_itself_with_the_readme(wheel):
    """The project's README.md is the wheel's long description (what PyPI and `pip show -v` show)."""
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        message = email.parser.Parser().parsestr(archive.read(metadata).decode())
    assert message["Description-Content-Type"] == "text/markdown"
    assert message.get_payload().strip() == (PROJECT / "README.md").read_text().strip()
    requires = message.get_all("Requires-Dist")
    assert any(r.startswith("matplotlib") and "extra" not in r for r in requires), requires


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """(site dir, another folder, environment): the wheel installed with `pip install --no-deps --target`.

    Its dependencies (TensorFlow, ...) come from this interpreter's environment; PYTHONPATH
    puts the installed copy ahead of the editable one. No $TF1_RECIPES_GOLDEN.
    """
    root = tmp_path_factory.mktemp("installed")
    target, elsewhere = root / "site", root / "elsewhere"
    elsewhere.mkdir()
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, text=True)
    env = {k: v for k, v in os.environ.items() if k != "TF1_RECIPES_GOLDEN"}
    env["PYTHONPATH"] = str(target)
    return target, elsewhere, env


def test_the_installed_package_finds_its_goldens_from_another_folder(installed):
    """Read batch_norm's golden through the installed package, from another folder."""
    target, elsewhere, env = installed
    probe = (
        "from tf1_recipes import golden; "
        "print(golden.golden_dir()); "
        "g = golden.load_golden('batch_norm', 'reference'); "
        "print(golden.golden_path('batch_norm', 'reference'), g['metric'], len(g['pinned'])); "
        "print(golden.load_reference('batch_norm', 'reference') is not None)"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    directory, loaded, reference = done.stdout.splitlines()
    assert Path(directory) == (target / "tf1_recipes" / "golden").resolve()
    path, metric, pins = loaded.split()
    assert Path(path).read_bytes() == (PACKAGE / "golden" / "batch_norm" / "reference.json").read_bytes()
    assert metric and int(pins) >= 1
    assert reference == "True"


def test_a_run_of_the_installed_package_is_compared(installed):
    """The symptom itself: `run` from another folder with the installed package compares (no NOT_COMPARED)."""
    target, elsewhere, env = installed
    done = subprocess.run([sys.executable, "-m", "tf1_recipes", "run", "graph_session_basics", "--preset", "smoke", "--json"],
                          cwd=elsewhere, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout.splitlines()[-1])
    assert summary["status"] == "PASS" and "band" in {c["kind"] for c in summary["checks"]}, summary["notes"]
    assert "NOT_COMPARED" not in done.stdout
