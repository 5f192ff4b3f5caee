"""Output paths the user names (tf1_recipes.outputs): a path that cannot take the output is one
line and exit 2 before any work, from every command that writes one; a file is written whole
or not at all."""

import os
from pathlib import Path

import pytest

from tf1_recipes import cli, outputs

SMOKE = ["graph_session_basics", "--preset", "smoke"]  # a recipe run of a second or so
NO_PROC = pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc, where mkdir fails for any user")


def one_error_line(err, prefix="tf1-recipes: error: "):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(prefix) and "Traceback" not in err, err
    return lines[0]


def tree(directory):
    """Every path under ``directory`` (relative), to show nothing was written."""
    return sorted(str(p.relative_to(directory)) for p in Path(directory).rglob("*"))


@pytest.fixture
def a_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("the user's file\n")
    return path


# -- the module ------------------------------------------------------------------------------

def test_a_folder_that_exists_or_can_be_made_passes_and_nothing_is_created(tmp_path):
    assert outputs.check_folder(tmp_path, "--out") == tmp_path
    assert outputs.check_folder(tmp_path / "a" / "b", "--out") == tmp_path / "a" / "b"
    assert tree(tmp_path) == []
    assert outputs.make_folder(tmp_path / "a" / "b", "--out").is_dir()


def test_a_file_or_a_folder_under_a_file_is_refused_naming_it(a_file):
    with pytest.raises(outputs.OutputPathError) as err:
        outputs.check_folder(a_file, "--out", "the run's output")
    assert str(err.value) == f"--out {a_file}: exists and is not a directory; give a directory for the run's output"
    with pytest.raises(outputs.OutputPathError) as err:
        outputs.make_folder(a_file / "runs" / "one", "--plot", "the plots")
    assert str(err.value) == (f"--plot {a_file / 'runs' / 'one'}: {a_file} is a file, not a directory; "
                              "give a directory for the plots")
    assert a_file.read_text() == "the user's file\n"


def test_a_folder_this_user_cannot_write_is_refused_naming_the_folder(tmp_path, monkeypatch):
    denied = tmp_path / "readonly"
    denied.mkdir()
    real = os.access
    monkeypatch.setattr(outputs.os, "access", lambda path, mode: False if Path(path) == denied else real(path, mode))
    with pytest.raises(outputs.OutputPathError) as err:
        outputs.check_folder(denied / "runs", "--out", "the run's output")
    assert str(err.value) == (f"--out {denied / 'runs'}: {denied} is not writable by this user; "
                              "give a directory you can write to for the run's output")
    outputs.check_folder(tmp_path / "elsewhere", "--out")  # its own parent is writable


def test_a_relative_path_is_checked_from_the_working_directory(tmp_path, monkeypatch, a_file):
    monkeypatch.chdir(tmp_path)
    outputs.check_folder("runs/new", "--out")
    with pytest.raises(outputs.OutputPathError, match=f"{a_file} is a file"):
        outputs.check_folder(f"{a_file.name}/sub", "--out")


@NO_PROC
def test_a_folder_the_os_refuses_is_one_line_with_the_os_reason():
    with pytest.raises(outputs.OutputPathError) as err:
        outputs.make_folder("/proc/tf1_recipes_out", "--out", "the run's output")
    assert str(err.value).startswith("--out /proc/tf1_recipes_out: cannot be created (")
    with pytest.raises(outputs.OutputPathError, match=r"^--json /proc/tf1_recipes_out/x.json: cannot be written \("):
        outputs.write_text("/proc/tf1_recipes_out/x.json", "{}", "--json")


def test_a_file_is_written_whole_or_the_old_one_is_left(tmp_path, monkeypatch):
    path = tmp_path / "sub" / "report.json"
    assert outputs.write_text(path, "first\n", "--json") == path and path.read_text() == "first\n"

    def refused(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outputs.os, "replace", refused)
    with pytest.raises(outputs.OutputPathError) as err:
        outputs.write_text(path, "second\n", "--json", "the benchmark's report")
    assert str(err.value) == (f"--json {path}: cannot be written (No space left on device); free space on that disk, "
                              "or give a path on another one for the benchmark's report")
    assert path.read_text() == "first\n" and tree(tmp_path) == ["sub", "sub/report.json"]  # no temporary file left


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_written_files_and_folders_get_the_umasks_permissions_not_the_temporary_ones(tmp_path, umask_022):
    """migrate-ckpt's OUT_DIR was mkdtemp's 0700 renamed into place, and a written file mkstemp's 0600."""
    page = outputs.write_text(tmp_path / "report.json", "{}\n")
    with outputs.staged_folder(tmp_path / "new") as staging:
        (staging / "model.ckpt.index").write_bytes(b"x")
    assert oct(page.stat().st_mode & 0o777) == oct(0o644)
    assert oct((tmp_path / "new").stat().st_mode & 0o777) == oct(0o755)
    assert tree(tmp_path) == ["new", "new/model.ckpt.index", "report.json"]


def test_an_existing_folder_under_a_read_only_parent_is_written_through_a_folder_inside_it(tmp_path, monkeypatch):
    """migrate-ckpt refused OUT_DIR, writable and there, because its staging folder went beside it, in a parent
    this user could not write."""
    parent = tmp_path / "shared"
    (parent / "mine").mkdir(parents=True)
    (parent / "mine" / "notes.txt").write_text("kept\n")
    real = os.access
    monkeypatch.setattr(outputs.os, "access", lambda path, mode: False if Path(path) == parent else real(path, mode))
    with outputs.staged_folder(parent / "mine", "OUT_DIR", last="checkpoint") as staging:
        assert staging.parent == parent / "mine"
        (staging / "checkpoint").write_text("state\n")
        (staging / "model.ckpt.index").write_bytes(b"x")
    assert tree(parent) == ["mine", "mine/checkpoint", "mine/model.ckpt.index", "mine/notes.txt"]
    with pytest.raises(outputs.OutputPathError, match="is not writable by this user"):  # a new folder needs the parent
        with outputs.staged_folder(parent / "new", "OUT_DIR"):
            pass


@pytest.mark.parametrize("number,said,remedy", [
    (30, "Read-only file system", "that file system is read-only; give a path you can write to for the report"),
    (2, "No such file or directory", "give a path you can write to for the report"),  # /proc/x: was "free space"
])
def test_the_remedy_of_a_failed_write_fits_its_cause(tmp_path, monkeypatch, number, said, remedy):
    def refused(*args):
        raise OSError(number, said)

    monkeypatch.setattr(outputs.os, "replace", refused)
    with pytest.raises(outputs.OutputPathError) as err:
        outputs.write_text(tmp_path / "r.json", "x\n", "--out", "the report")
    assert str(err.value) == f"--out {tmp_path / 'r.json'}: cannot be written ({said}); {remedy}"
    assert tree(tmp_path) == []


def test_a_directory_given_as_a_file_is_refused(tmp_path):
    with pytest.raises(outputs.OutputPathError, match=f"^--markdown {tmp_path}: is a directory; give a file name"):
        outputs.check_file(tmp_path, "--markdown")


# -- every command that writes ---------------------------------------------------------------

@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A folder holding one complete run record (the input of ``report``) and its checkpoint."""
    out = tmp_path_factory.mktemp("runs") / "smoke"
    assert cli.main(["run", *SMOKE, "--out", str(out)]) == 0
    return out


def commands(out, runs):
    """{name: (command line, the path as the refusal names it, what goes there)} for each place a command writes ``out``."""
    return {
        "run --out": (["run", *SMOKE, "--out", str(out)], f"--out {out}", "the run's output"),
        "check --out": (["check", *SMOKE, "--out", str(out)], f"--out {out / 'graph_session_basics-smoke'}",
                        "the run's output"),
        "check --report": (["check", *SMOKE, "--out", str(runs.parent / "check"), "--report", str(out)],
                           f"--report {out}", "the report"),
        "report --out": (["report", str(runs), "--out", str(out)], f"--out {out}", "the report"),
        "doctor --out": (["doctor", *SMOKE, "--quick", "--out", str(out)], f"--out {out}", "the doctor's record"),
        "doctor --plot": (["doctor", *SMOKE, "--quick", "--plot", str(out)], f"--plot {out}", "the plots"),
    }


@pytest.mark.parametrize("command", list(commands(Path("x"), Path("r"))))
def test_an_output_under_a_file_is_one_line_before_anything_runs(command, runs, a_file, capsys):
    argv, named, purpose = commands(a_file / "out", runs)[command]
    before = tree(runs.parent)
    capsys.readouterr()
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert one_error_line(captured.err) == (f"tf1-recipes: error: {named}: {a_file} is a file, not a directory; "
                                            f"give a directory for {purpose}")
    assert captured.out == ""  # nothing trained, no check ran, no table printed
    assert tree(runs.parent) == before and a_file.read_text() == "the user's file\n"


@NO_PROC
@pytest.mark.parametrize("command", ["run --out", "report --out", "doctor --plot"])
def test_an_output_the_os_refuses_is_one_line(command, runs, capsys):
    argv, named, _ = commands(Path("/proc/tf1_recipes_out"), runs)[command]
    capsys.readouterr()
    assert cli.main(argv) == 2
    assert one_error_line(capsys.readouterr().err).startswith(f"tf1-recipes: error: {named}: cannot be")
