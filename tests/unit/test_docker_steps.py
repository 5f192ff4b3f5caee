"""The image's recipe, exercised without Docker: scripts/docker_steps.py replays Dockerfile.gpu.

The replay builds the context through .dockerignore, puts real MNIST into its docker/mnist/
(an offline build), makes the venv, runs every ENV/WORKDIR/COPY/RUN step with image paths
mapped under a temporary root, then a cheap command in place of CMD, as
`docker run -v "$PWD/runs:/runs" IMAGE tf1-recipes run graph_session_basics --preset smoke
--out /runs/smoke` would.

To stay well under a minute: `--system-site-packages` lets the venv see this environment's
packages, so the image's `pip install` steps find TensorFlow & co. installed (the
editable install of the project itself does run, with pip's build isolation); `--cpu`
installs CPU `tensorflow` for `tensorflow[and-cuda]`.
"""

import os
import subprocess
import sys
from pathlib import Path

import dockerfile

PROJECT = Path(__file__).resolve().parents[2]
SCRIPT = PROJECT / "scripts" / "docker_steps.py"


def _replay(*args, cwd):
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_the_images_steps_install_verify_mnist_and_run_a_recipe(tmp_path, mnist_dir):
    root, runs = tmp_path / "image", tmp_path / "runs"
    done = _replay("--root", str(root), "--cpu", "--system-site-packages", "--mnist", str(mnist_dir), "-v", f"{runs}:/runs",
                   "--", "tf1-recipes", "run", "graph_session_basics", "--preset", "smoke", "--out", "/runs/smoke",
                   cwd=tmp_path)
    out = done.stdout
    assert done.returncode == 0, (out[-3000:], done.stderr[-3000:])
    build = [i for i in dockerfile.parse_file(str(PROJECT / "Dockerfile.gpu")) if i.cmd != "CMD"]
    assert [line for line in out.splitlines() if line.startswith("Step ")] == \
        [f"Step {n}/{len(build)} : {i.original}" for n, i in enumerate(build, 1)]
    assert "note: tensorflow[and-cuda] is installed as CPU tensorflow (--cpu)" in out
    assert f"MNIST verified in {root / 'data' / 'mnist'}: 4 of 4 files were there" in out  # from the context, no download
    assert f"the venv imports tf1_recipes from {root / 'opt' / 'tf1-recipes' / 'tf1_recipes' / '__init__.py'}" in out
    assert "docker run: tf1-recipes run graph_session_basics --preset smoke --out /runs/smoke  (replaces CMD)" in out
    assert (runs / "smoke" / "runs.jsonl").is_file()  # the -v "$PWD/runs:/runs" mount the README documents
    rows = [line for line in out.splitlines() if line.startswith("graph_session_basics ")]
    assert rows and all(line.endswith("PASS") for line in rows), rows
    assert "NOT_COMPARED" not in out
    assert (root / "context" / "tf1_recipes" / "golden" / "batch_norm" / "reference.json").is_file()
    assert not (root / "context" / "tests").exists() and not (root / "context" / ".git").exists()


def test_an_instruction_it_cannot_replay_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\nUSER nobody\nCMD [\"true\"]\n")
    done = _replay("--dockerfile", str(tmp_path / "Dockerfile"), "--root", str(tmp_path / "image"), cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == f"docker_steps.py: error: {tmp_path / 'Dockerfile'}: instructions ['USER'] are not replayed by this script"


def test_a_copy_of_something_dockerignore_leaves_out_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\nCOPY secret.txt ./\nCMD [\"true\"]\n")
    (tmp_path / ".dockerignore").write_text("secret.txt\n")
    (tmp_path / "secret.txt").write_text("x")
    done = _replay("--dockerfile", str(tmp_path / "Dockerfile"), "--root", str(tmp_path / "image"), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "docker_steps.py: error: line 2: COPY secret.txt: not in the build context (missing, or left out by .dockerignore)"]
    # found before any step is replayed: no virtual environment (FROM) was built
    assert "Step 1/" not in done.stdout and not (tmp_path / "image" / "venv").exists()
