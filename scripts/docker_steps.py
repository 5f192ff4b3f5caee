#!/usr/bin/env python
"""Replay Dockerfile.gpu's steps in a local virtual environment, without Docker.

    python scripts/docker_steps.py [--root DIR] [--cpu] [--system-site-packages]
                                   [--mnist DIR] [-v HOST:IMAGE_PATH] [-- COMMAND ...]

What `docker build` then `docker run IMAGE [COMMAND ...]` would do, step by step, read from
the Dockerfile with Docker's own parser (the `dockerfile` package wraps buildkit's):

* the build context: the project filtered by `.dockerignore` (Docker's rules: patterns in
  order, the last match decides, `!` re-includes, a pattern matching a folder matches what
  is inside), copied to ROOT/context; `--mnist DIR` first puts DIR's MNIST files into the
  context's docker/mnist/, as a user does before an offline `docker build`;
* FROM python:X.Y: a virtual environment at ROOT/venv made by this interpreter (it must be
  Python X.Y); `--system-site-packages` lets it see this environment's packages (run from
  a virtual environment: that environment's, through a .pth read after the venv's own), so
  pip finds TensorFlow & co. already installed instead of downloading them;
* ENV, WORKDIR, COPY, RUN (through /bin/sh -c, as Docker's shell form), then CMD, or the
  COMMAND given after `--`, as `docker run IMAGE COMMAND` replaces CMD. Image paths (the
  WORKDIR, ENV values and COPY destinations that are absolute) are mapped under ROOT,
  e.g. /data/mnist -> ROOT/data/mnist, and `-v HOST:IMAGE_PATH` maps one to a host folder
  as `docker run -v` does (`-v runs:/runs -- tf1-recipes check --out /runs/x`); other
  absolute paths are left as they are. HOME is ROOT/root, the image's. Each step prints
  as `Step i/n : <instruction>`, then what ran when it differs;
* `--cpu`: `tensorflow[and-cuda]` is installed as CPU `tensorflow` (said in the output).

The environment the steps see is the Dockerfile's, not the caller's: PATH (the venv
first), pip's settings (PIP_*), proxies, CA bundles and the locale pass through, HOME is
ROOT/root; TF1_RECIPES_* and the rest do not. Exit code: the command's; 1 when a build step fails (it is named); 2 on bad
input (an instruction this script does not replay, a COPY source missing from the
context, a Python that is not the image's).
"""

import argparse
import os
import re
import shlex
import shutil
import site
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

try:
    import dockerfile
except ImportError:  # a test extra: pip install -e ".[test]"
    dockerfile = None

PROJECT = Path(__file__).resolve().parents[1]
REPLAYED = {"FROM", "ENV", "WORKDIR", "COPY", "RUN", "CMD"}
PASSED_ENV = re.compile(r"^(PIP_.*|.*_proxy|.*_PROXY|SSL_CERT_.*|REQUESTS_CA_BUNDLE|LANG|LC_.*|TERM)$")
GPU_TENSORFLOW = "tensorflow[and-cuda]"


class StepError(Exception):
    """Bad input: an instruction or path this replay cannot honour (exit 2)."""


# --------------------------------------------------------------------------- .dockerignore


def _pattern_regex(pattern):
    """A .dockerignore pattern (Go's filepath.Match plus `**`) as a regex over '/'-paths."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1
                out.append("(?:.*/)?")
            else:
                out.append(".*")
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                raise StepError(f".dockerignore: bad pattern {pattern!r} (unclosed '[')")
            body = pattern[i + 1:end]
            out.append("[" + ("^" + body[1:] if body.startswith("^") else body) + "]")
            i = end
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z")


def read_dockerignore(path):
    """[(pattern, regex, exception: bool)] in file order; comments and blank lines dropped."""
    rules = []
    if not Path(path).is_file():
        return rules
    for line in Path(path).read_text().splitlines():
        if line.startswith("#"):
            continue
        line = line.strip()
        if not line:
            continue
        include = line.startswith("!")
        pattern = os.path.normpath(line[1:].strip() if include else line).lstrip("/")
        rules.append((pattern, _pattern_regex(pattern), include))
    return rules


def ignored(relative, rules):
    """Whether a context path ('a/b/c') is left out: the last rule matching it or a parent folder decides."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    verdict = False
    for _, regex, include in rules:
        if any(regex.match(p) for p in prefixes):
            verdict = not include
    return verdict


def build_context(project, destination, rules):
    """Copy what `docker build` would send: every file .dockerignore keeps. Returns the file count."""
    count = 0
    for folder, dirs, files in os.walk(project):
        rel_folder = Path(folder).relative_to(project).as_posix()
        rel_folder = "" if rel_folder == "." else rel_folder + "/"
        dirs[:] = [d for d in dirs if not (ignored(rel_folder + d, rules) and not _may_hold_exception(rel_folder + d, rules))]
        for name in files:
            relative = rel_folder + name
            if not ignored(relative, rules):
                target = Path(destination) / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(folder) / name, target)
                count += 1
    return count


def _may_hold_exception(relative_dir, rules):
    """Whether an ignored folder must still be walked: an exception pattern starts with it (Docker's test)."""
    return any(include and (pattern + "/").startswith(relative_dir + "/") for pattern, _, include in rules)


# --------------------------------------------------------------------------- the replay


class Replay:
    def __init__(self, root, cpu=False, system_site_packages=False, volumes=()):
        self.root = Path(root).resolve()
        self.image_paths = set()
        self.volumes = {}  # image path -> host folder, as `docker run -v HOST:IMAGE_PATH`
        for host, image_path in volumes:
            self.volumes[os.path.normpath(image_path)] = Path(host).resolve()
            self.remember(image_path)
        self.cpu = cpu
        self.system_site_packages = system_site_packages
        self.context = self.root / "context"
        self.venv = self.root / "venv"
        self.workdir = "/"
        self.env = {}

    def host(self, image_path):
        """Where an absolute image path lives here: in a volume's host folder, else under ROOT."""
        path = os.path.normpath(image_path)
        for mount in sorted(self.volumes, key=len, reverse=True):
            if path == mount or path.startswith(mount + "/"):
                return self.volumes[mount] / os.path.relpath(path, mount)
        return self.root / path.lstrip("/")

    def remember(self, image_path):
        path = os.path.normpath(image_path)
        if path != "/":
            self.image_paths.add(path)

    def map_text(self, text):
        """Replace every known image path (whole path components) in a command line by its place under ROOT."""
        for path in sorted(self.image_paths, key=len, reverse=True):
            text = re.sub(r"(?<![\w./-])" + re.escape(path) + r"(?=$|[/\s\"':;])", str(self.host(path)), text)
        return text

    def swap_gpu(self, text):
        if self.cpu and GPU_TENSORFLOW in text:
            return text.replace(GPU_TENSORFLOW, "tensorflow"), "tensorflow[and-cuda] installed as CPU tensorflow (--cpu)"
        return text, None

    def base_env(self):
        env = {k: v for k, v in os.environ.items() if PASSED_ENV.match(k)}
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"
        env["VIRTUAL_ENV"] = str(self.venv)
        env["HOME"] = str(self.host("/root"))
        return env

    def current_env(self):
        return {**self.base_env(), **self.env}

    def cwd(self):
        path = self.host(self.workdir)
        path.mkdir(parents=True, exist_ok=True)
        return path

    # one method per instruction

    def do_FROM(self, step):
        image = step.value[0]
        match = re.match(r"python:(\d+)\.(\d+)", image)
        if not match:
            raise StepError(f"FROM {image}: only python:X.Y images are replayed")
        wanted = (int(match.group(1)), int(match.group(2)))
        if sys.version_info[:2] != wanted:
            raise StepError(f"FROM {image}: this Python is {sys.version_info[0]}.{sys.version_info[1]}; "
                            f"run this script with Python {wanted[0]}.{wanted[1]}")
        venv.EnvBuilder(with_pip=True, system_site_packages=self.system_site_packages, symlinks=True).create(self.venv)
        if self.system_site_packages and sys.prefix != sys.base_prefix:
            # Run from a virtual environment, "system" means the base Python's: make this
            # environment's packages visible too, after the new venv's own (a .pth, read last).
            (own,) = [Path(p) for p in self.venv.glob("lib/python*/site-packages")]
            lines = [f"import site; site.addsitedir({p!r})" for p in site.getsitepackages()]
            (own / "zz_docker_steps_outer_env.pth").write_text("\n".join(lines) + "\n")
        self.host("/root").mkdir(parents=True, exist_ok=True)
        return f"virtual environment {self.venv} (Python {wanted[0]}.{wanted[1]}"\
               f"{', system site-packages visible' if self.system_site_packages else ''})"

    def do_ENV(self, step):
        values = list(step.value)
        shown = []
        for key, value in zip(values[::2], values[1::2]):
            if value.startswith("/"):
                self.remember(value)
                value = str(self.host(value))
            self.env[key] = value
            shown.append(f"{key}={value}")
        return " ".join(shown)

    def do_WORKDIR(self, step):
        path = step.value[0]
        self.workdir = path if path.startswith("/") else os.path.join(self.workdir, path)
        self.remember(self.workdir)
        return f"cd {self.cwd()}"

    def copy_origins(self, step):
        """The build-context paths a COPY step copies; StepError for flags or a source the context lacks."""
        if step.flags:
            raise StepError(f"line {step.start_line}: COPY flags {step.flags} are not replayed")
        origins = []
        for source in step.value[:-1]:
            origin = self.context / source
            if not origin.exists():
                raise StepError(f"line {step.start_line}: COPY {source}: not in the build context "
                                "(missing, or left out by .dockerignore)")
            origins.append(origin)
        return origins

    def do_COPY(self, step):
        origins, dest = self.copy_origins(step), step.value[-1]
        if dest.startswith("/"):
            self.remember(dest)
            target = self.host(dest)
        else:
            target = self.cwd() / dest
        into_folder = dest.endswith("/") or len(origins) > 1
        for origin in origins:
            if origin.is_dir():
                shutil.copytree(origin, target, dirs_exist_ok=True)  # a folder's content, as Docker copies it
            else:
                place = target / origin.name if into_folder else target
                place.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, place)
        return f"copied into {target}"

    def do_RUN(self, step):
        if step.json:
            command = [self.map_text(word) for word in step.value]
            note = None
        else:
            text, note = self.swap_gpu(self.map_text(step.value[0]))
            command = ["/bin/sh", "-c", text]
        shown = shlex.join(command)
        print(f" ---> {shown}" + (f"\n ---> note: {note}" if note else ""), flush=True)
        done = subprocess.run(command, cwd=self.cwd(), env=self.current_env())
        if done.returncode:
            raise BuildFailed(f"step `{step.original}` exited {done.returncode}")
        return None

    def run_command(self, command):
        """`docker run IMAGE command...`: CMD, or the caller's command in its place."""
        command = [self.map_text(word) for word in command]
        print(f" ---> {shlex.join(command)}", flush=True)
        return subprocess.run(command, cwd=self.cwd(), env=self.current_env()).returncode


class BuildFailed(Exception):
    """A RUN step failed (exit 1)."""


class _Parser(argparse.ArgumentParser):
    """A usage error is one line and exit 2, as ``tf1_recipes.cli.ScriptParser``'s (not imported: this script
    replays the build that installs the package, and needs nothing of it but the Dockerfile it reads)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}; see {self.prog} --help\n")


def parse_args(argv):
    parser = _Parser(prog="docker_steps.py", description=__doc__.splitlines()[0])
    parser.add_argument("--dockerfile", default=str(PROJECT / "Dockerfile.gpu"))
    parser.add_argument("--root", help="where the image's file system is mapped (default: a new temporary folder, kept)")
    parser.add_argument("--cpu", action="store_true", help="install CPU tensorflow for tensorflow[and-cuda]")
    parser.add_argument("--system-site-packages", action="store_true",
                        help="the venv sees this environment's packages (pip finds the requirements installed)")
    parser.add_argument("--mnist", help="put this folder's MNIST files into the context's docker/mnist/ first")
    parser.add_argument("-v", "--volume", action="append", default=[], metavar="HOST:IMAGE_PATH",
                        help="as docker run -v: the image path is this host folder (repeatable)")
    parser.add_argument("command", nargs="*", help="after --: the command that replaces CMD, as in docker run IMAGE ...")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if dockerfile is None:
        print('docker_steps.py: error: needs the `dockerfile` package (pip install -e ".[test]")', file=sys.stderr)
        return 2
    try:
        steps = dockerfile.parse_file(args.dockerfile)
    except (OSError, dockerfile.GoIOError, dockerfile.GoParseError) as err:
        print(f"docker_steps.py: error: {args.dockerfile}: {err}", file=sys.stderr)
        return 2
    root = Path(args.root) if args.root else Path(tempfile.mkdtemp(prefix="docker-steps-"))
    context_dir = Path(args.dockerfile).resolve().parent
    try:
        volumes = [v.rsplit(":", 1) for v in args.volume]
        if any(len(v) != 2 or not v[1].startswith("/") for v in volumes):
            raise StepError(f"--volume {args.volume}: expected HOST:IMAGE_PATH with an absolute IMAGE_PATH")
        replay = Replay(root, cpu=args.cpu, system_site_packages=args.system_site_packages, volumes=volumes)
        unknown = sorted({s.cmd for s in steps} - REPLAYED)
        if unknown:
            raise StepError(f"{args.dockerfile}: instructions {unknown} are not replayed by this script")
        if args.mnist and not Path(args.mnist).is_dir():
            raise StepError(f"--mnist {args.mnist}: not a directory")
        rules = read_dockerignore(context_dir / ".dockerignore")
        count = build_context(context_dir, replay.context, rules)
        print(f"build context: {count} files of {context_dir} kept by .dockerignore, copied to {replay.context}")
        if args.mnist:
            mnist = replay.context / "docker" / "mnist"
            mnist.mkdir(parents=True, exist_ok=True)
            names = sorted(p.name for p in Path(args.mnist).iterdir() if p.is_file() and
                           (p.name == "SHA256SUMS" or "-ubyte" in p.name))
            for name in names:
                shutil.copy2(Path(args.mnist) / name, mnist / name)
            print(f"build context: docker/mnist/ given {', '.join(names)} from {args.mnist}")
        if args.cpu:
            print("note: tensorflow[and-cuda] is installed as CPU tensorflow (--cpu)")
        if args.system_site_packages:
            print("note: the venv sees this environment's site-packages, so pip finds installed requirements satisfied")
        build = [s for s in steps if s.cmd != "CMD"]
        cmd = [s for s in steps if s.cmd == "CMD"]
        for step in build:  # every COPY's sources, before any step is replayed
            if step.cmd == "COPY":
                replay.copy_origins(step)
        for number, step in enumerate(build, 1):
            print(f"Step {number}/{len(build)} : {step.original}", flush=True)
            said = getattr(replay, f"do_{step.cmd}")(step)
            if said:
                print(f" ---> {said}", flush=True)
        where = subprocess.run([str(replay.venv / "bin" / "python"), "-c", "import tf1_recipes; print(tf1_recipes.__file__)"],
                               cwd=replay.root, env=replay.current_env(), capture_output=True, text=True)
        print(f"the venv imports tf1_recipes from {where.stdout.strip() or where.stderr.strip().splitlines()[-1:]}")
        command = args.command or (list(cmd[-1].value) if cmd and cmd[-1].json else None)
        if command is None:
            raise StepError("no command: the Dockerfile has no CMD in exec form and none was given after --")
        print(f"docker run: {shlex.join(command)}" + ("  (replaces CMD)" if args.command else "  (the image's CMD)"),
              flush=True)
        return replay.run_command(command)
    except StepError as err:
        print(f"docker_steps.py: error: {err}", file=sys.stderr)
        return 2
    except BuildFailed as err:
        print(f"docker_steps.py: build failed: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
