"""The command line: list, run, check, errors and exit codes, --json, python -m."""

import json
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tf1_recipes import cli
from tf1_recipes.registry import list_recipes


def run_cli(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_every_recipe_with_its_description(capsys):
    code, out, _ = run_cli(capsys, "list")
    assert code == 0
    for spec in list_recipes():
        assert any(line.startswith(spec.name) and spec.description in line for line in out.splitlines())


@pytest.mark.parametrize(
    "argv,message",
    [
        (["run", "nope"], "unknown recipe 'nope'"),
        (["run", "batch_norm", "--epochs", "x"], "--epochs: expected a positive whole number, got 'x'"),
        (["run", "batch_norm", "--epochs", "0"], "--epochs: expected a positive whole number"),
        (["run", "batch_norm", "--seed", "-3"], "seed must be in"),
        (["run", "batch_norm", "--preset", "zz"], "has no preset 'zz'"),
        (["run", "batch_norm", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["check", "batch_norm", "nope"], "unknown recipe 'nope'"),
        (["run", "batchnorm"], "unknown recipe 'batchnorm' (did you mean 'batch_norm'?); known recipes: adagrad,"),
        (["doctor", "leaky-relu"], "unknown recipe 'leaky-relu' (did you mean 'leaky_relu'?)"),
        (["teleport"], "invalid choice: 'teleport'"),
        (["run", "he_init", "--shim", "--tf2"], "argument --tf2: not allowed with argument --shim"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_code_2(capsys, argv, message):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [["run", "nope"], ["check", "elu", "nope"], ["doctor", "nope"], ["migrate-ckpt", "nope", "ckpt", "out"]],
    ids=["run", "check", "doctor", "migrate-ckpt"],
)
def test_a_mistyped_recipe_name_is_refused_before_tensorflow_loads(argv):
    """The names are the modules of tf1_recipes/recipes/: a typo costs no TensorFlow import (seconds)."""
    probe = ("import sys\nfrom tf1_recipes import cli\ncode = cli.main(sys.argv[1:])\n"
             "print('tensorflow loaded' if 'tensorflow' in sys.modules else 'tensorflow not loaded')\nsys.exit(code)")
    out = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert out.stdout.strip() == "tensorflow not loaded"
    known = ", ".join(spec.name for spec in list_recipes())
    assert out.stderr.splitlines() == [f"tf1-recipes: error: unknown recipe 'nope'; known recipes: {known}"]


@pytest.mark.parametrize(
    "argv,message",
    [(["doctor", "--graph", "model.meta"], "doctor: --graph needs --data FILE.npz"),
     (["doctor", "he_init", "--graph", "model.meta"], "doctor: give a recipe or --graph, not both"),
     (["migrate-ckpt", "he_init", "ckpt"], "migrate-ckpt: expected RECIPE TF1_CHECKPOINT OUT_DIR"),
     (["migrate-ckpt", "ckpt", "out", "--to", "m:f", "--preset", "book"], "migrate-ckpt: --preset is for a recipe's port")],
    ids=["doctor-graph-without-data", "doctor-recipe-and-graph", "migrate-ckpt-two-paths", "migrate-ckpt-to-with-preset"],
)
def test_a_usage_error_is_refused_before_tensorflow_loads(argv, message):
    """Flags that do not go together are one line at once, not after TensorFlow's seconds of import."""
    probe = ("import sys\nfrom tf1_recipes import cli\ncode = cli.main(sys.argv[1:])\n"
             "print('tensorflow loaded' if 'tensorflow' in sys.modules else 'tensorflow not loaded')\nsys.exit(code)")
    out = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert out.stdout.strip() == "tensorflow not loaded"
    assert len(out.stderr.splitlines()) == 1 and out.stderr.startswith(f"tf1-recipes: error: {message}"), out.stderr


def _as_a_user():
    """The command prefix that runs a process without root's way past file permissions (none when not root)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and no setpriv (util-linux) to drop root's permission override")
    dropped = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={dropped}", f"--bounding-set={dropped}"]


def test_a_path_closed_to_the_user_is_one_line_and_exit_2(tmp_path):
    """A folder the user may not enter (mode 000) on the path of --out: was a PermissionError's traceback."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        out = subprocess.run([*_as_a_user(), sys.executable, "-m", "tf1_recipes", "runs", str(locked / "runs")],
                             capture_output=True, text=True, timeout=300)
    finally:
        locked.chmod(0o755)
    lines = [line for line in out.stderr.splitlines() if line.startswith("tf1-recipes")]
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert lines == [f"tf1-recipes: error: {locked / 'runs'}: permission denied: it, or a folder on its path, is not open "
                     "to this user; change the permissions or give another path"], out.stderr


@pytest.mark.parametrize("argv,name", [
    (["run", "elu", "--preset", "smoke", "--out", ""], "run: --out"),
    (["report", "runs", "--out", ""], "report: --out"),
    (["report", "runs", "--out", "page", "--against", ""], "report: --against"),
    (["runs", ""], "runs: DIR"),
    (["migrate-ckpt", "elu", "model.ckpt", ""], "migrate-ckpt: OUT_DIR"),
    (["migrate-ckpt", "", "out", "--to", "m:f"], "migrate-ckpt: TF1_CHECKPOINT"),
    (["doctor", "--graph", "m.meta", "--data", "d.npz", "--checkpoint", ""], "doctor: --checkpoint"),
    (["check", "elu", "--report", ""], "check: --report"),
])
def test_an_empty_value_is_one_line_not_the_current_folder(argv, name, tmp_path, capsys, monkeypatch):
    """'' (an unset shell variable) wrote report --out's and migrate-ckpt's files into the current folder, exit 0."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and err.splitlines() == [
        f"tf1-recipes: error: {name} is empty (''): give a value; an empty path is not taken to mean the current folder"]
    assert list(tmp_path.iterdir()) == []


SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


@pytest.mark.parametrize("script", ["bench.py", "regen_golden.py", "ladder_table.py", "docker_steps.py"])
def test_a_scripts_usage_error_is_one_line_and_exit_2(script, capsys):
    """The scripts parse with cli.ScriptParser: one line naming the script, not argparse's usage block."""
    main = runpy.run_path(str(SCRIPTS / script))["main"]
    with pytest.raises(SystemExit) as exit_:
        main(["--no-such-flag"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{script}: error: unrecognized arguments: --no-such-flag; see {script} --help"]


@pytest.mark.parametrize("where", ["_dispatch", "build_parser"])
@pytest.mark.parametrize("argv,said", [
    (["migrate-ckpt", "a/model.ckpt", "out", "--to", "m.py:f"],
     "tf1-recipes: interrupted; OUT_DIR is written only once the conversion completes, so nothing was written there"),
    (["run", "batch_norm", "--out", "runs"], "tf1-recipes: interrupted; with --out, a run that had started is recorded as "
                                             "interrupted"),
    (["doctor", "batch_norm"], "tf1-recipes: interrupted"),
])
def test_ctrl_c_at_any_moment_is_one_line_and_exit_130(argv, said, where, capsys, monkeypatch):
    """Ctrl-C while TensorFlow was being imported (the first seconds of a command, before _dispatch's handler) printed
    KeyboardInterrupt's traceback; and every command said a run record marks it, including those that write none."""
    def pressed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, where, pressed)
    assert cli.main(argv) == cli.EXIT_INTERRUPTED == 130
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [said] and captured.out == ""


def test_missing_data_is_one_clear_line_and_exit_code_2(capsys, tmp_path, monkeypatch):
    from tf1_recipes import data

    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "nothing-here"))
    monkeypatch.setenv(data.NO_DOWNLOAD_ENV, "1")
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path / "cache")
    code, out, err = run_cli(capsys, "run", "gradient_clipping", "--preset", "smoke", "--data-dir", str(tmp_path / "d"))
    assert code == 2
    assert "MNIST not found" in err and "nothing-here" in err and len(err.strip().splitlines()) == 1


def test_corrupt_data_is_one_clear_line_and_exit_code_2(capsys, tmp_path, mnist_dir, monkeypatch):
    for src in mnist_dir.glob("*.gz"):
        shutil.copy(src, tmp_path / src.name)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b garbage")
    monkeypatch.delenv("TF1_RECIPES_DATA")
    code, out, err = run_cli(capsys, "run", "gradient_clipping", "--preset", "smoke", "--data-dir", str(tmp_path))
    assert code == 2 and "t10k-labels-idx1-ubyte" in err and "0 Test accuracy" not in out


def test_run_prints_epoch_lines_then_the_comparison_and_json_last(capsys):
    code, out, _ = run_cli(capsys, "run", "he_init", "--preset", "smoke", "--json")
    lines = out.strip().splitlines()
    assert lines[0].startswith("0 Validation accuracy: ") and lines[1].startswith("1 Validation accuracy: ")
    summary = json.loads(lines[-1])
    for key in ("recipe", "preset", "config", "metric", "history", "final", "golden", "tolerance", "status", "epoch_seconds"):
        assert key in summary
    assert summary["status"] == "PASS" and code == 0
    assert summary["final"] == summary["history"][-1] and len(summary["epoch_seconds"]) == 2
    # pinned where this machine's numerics pinned the golden, the band elsewhere: either way a PASS row
    assert any("PASS" in line and ("pinned" in line or "band" in line) for line in lines[2:-1])


def test_run_shim_runs_the_shim_port_and_compares_it_as_another_platform(capsys):
    code, out, _ = run_cli(capsys, "run", "he_init", "--preset", "smoke", "--shim", "--json")
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["implementation"] == "shim" and summary["status"] == "PASS" and code == 0
    assert "a shim port is another platform" in out and "pinned" not in out.split("check")[1].split("\n")[1]


def test_run_with_other_epochs_is_compared_with_nothing_and_says_so(capsys):
    code, out, _ = run_cli(capsys, "run", "he_init", "--preset", "smoke", "--epochs", "1", "--json")
    summary = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and summary["status"] == "NOT_COMPARED" and summary["golden"] is None
    assert any("n_epochs 2 -> 1" in note and "no golden check" in note for note in summary["notes"])


def write_shifted_golden(folder, name, shift):
    """``folder/<name>/smoke.json``: the recipe's smoke golden with its pinned histories and its band moved by ``shift``."""
    from tf1_recipes import golden

    source = golden.load_golden(name, "smoke")
    for pinned in golden.pinned_runs(source):
        pinned["history"] = [v + shift for v in pinned["history"]]
    source["band"]["low"] += shift
    source["band"]["high"] += shift
    (folder / name).mkdir(parents=True)
    (folder / name / "smoke.json").write_text(json.dumps(source))


def test_a_failing_comparison_exits_1(capsys, tmp_path, monkeypatch):
    from tf1_recipes import golden

    # a golden directory whose pinned values are off by 0.1 for this platform; the band (half-width 0.033) fails too
    write_shifted_golden(tmp_path, "gradient_clipping", -0.1)
    monkeypatch.setenv(golden.GOLDEN_ENV, str(tmp_path))
    code, out, _ = run_cli(capsys, "run", "gradient_clipping", "--preset", "smoke", "--json")
    assert code == 1 and json.loads(out.strip().splitlines()[-1])["status"] == "FAIL"


def test_check_runs_several_and_prints_one_table(capsys):
    code, out, _ = run_cli(capsys, "check", "he_init", "gradient_clipping", "--preset", "smoke", "--json")
    summary = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and summary["status"] == "PASS"
    assert [r["recipe"] for r in summary["results"]] == ["he_init", "gradient_clipping"]
    table = out[out.index("recipe "):]
    assert "he_init" in table and "gradient_clipping" in table


def test_recipe_module_and_console_script_run(tmp_path):
    env = {**os.environ, "TF1_RECIPES_NO_DOWNLOAD": "1"}
    module = subprocess.run(
        [sys.executable, "-m", "tf1_recipes.recipes.gradient_clipping", "--preset", "smoke", "--out", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert module.returncode == 0, module.stderr
    assert "1 Test accuracy:" in module.stdout and "PASS" in module.stdout
    assert (tmp_path / "model.ckpt.index").exists() and (tmp_path / "runs.jsonl").exists()
    script = shutil.which("tf1-recipes", path=os.path.dirname(sys.executable)) or shutil.which("tf1-recipes")
    # The console script and python -m tf1_recipes are the same command: the same parser, its help printed
    # without loading TensorFlow (what each subcommand prints: the in-process tests of this file).
    helps = [subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
             for command in ([script, "--help"], [sys.executable, "-m", "tf1_recipes", "--help"])]
    assert helps[0].returncode == helps[1].returncode == 0 and "list" in helps[0].stdout
    assert helps[1].stdout == helps[0].stdout


def test_check_with_jobs_runs_recipes_in_processes_with_the_same_table_and_records_and_exits_1_on_a_failure(
        capfd, tmp_path, monkeypatch):
    """Also: the workers inherit the package's default TensorFlow log level, not a user's, so their start-up
    lines are filtered too (capfd: the spawned workers write to this process's stderr descriptor)."""
    import tf1_recipes
    from tf1_recipes import compat, golden

    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")  # what the package sets when the user sets no level
    monkeypatch.setenv(tf1_recipes._QUIET_MARK, "3")  # pylint: disable=protected-access

    # gradient_clipping's smoke golden moved 0.1 down (the workers inherit the golden folder): its check fails.
    goldens = tmp_path / "goldens"
    for name, shift in (("selu", 0.0), ("gradient_clipping", -0.1)):
        write_shifted_golden(goldens, name, shift)
    monkeypatch.setenv(golden.GOLDEN_ENV, str(goldens))
    # More jobs and threads than the cores: cut to what fits, said on stderr, then the same table and records.
    monkeypatch.setattr(compat, "available_cores", lambda: 2)
    runs = tmp_path / "runs"
    code, out, err = run_cli(capfd, "check", "selu", "gradient_clipping", "--preset", "smoke", "--jobs", "4",
                             "--threads", "2", "--out", str(runs), "--json")
    assert err.splitlines() == ["tf1-recipes: 2 jobs x 2 threads do not fit 2 cores: running 2 x 1"], err
    summary = json.loads(out.strip().splitlines()[-1])
    assert code == 1 and summary["status"] == "FAIL", out + err
    assert [(r["recipe"], r["status"]) for r in summary["results"]] == [("selu", "PASS"), ("gradient_clipping", "FAIL")]
    assert [r["provenance"]["intra_op_threads"] for r in summary["results"]] == [1, 1]  # 2 jobs x 1 thread
    # each recipe's block in order, its epoch lines under its name, then one table
    assert out.index("== selu") < out.index("0 Validation accuracy") < out.index("== gradient_clipping")
    assert out.index("== gradient_clipping") < out.index("0 Test accuracy") < out.index("recipe ")
    table = out[out.index("recipe "):out.rindex("\n{")]
    band_rows = [line.split()[0] for line in table.splitlines() if line.split()[1:3] == ["smoke", "band"]]
    assert band_rows == ["selu", "gradient_clipping"]
    assert {line.split()[0] for line in table.splitlines() if line.endswith("FAIL")} == {"gradient_clipping"}
    assert table.splitlines()[-1].endswith("1 FAIL, 0 NOT_COMPARED")  # the totals line closes the table
    for name in ("selu", "gradient_clipping"):
        assert (runs / f"{name}-smoke" / "runs.jsonl").exists()
        assert (runs / f"{name}-smoke" / "model.ckpt.index").exists()


def test_input_flag_chooses_the_input_path_with_the_same_numbers(capsys):
    runs = {}
    for path in ("feed_dict", "in_graph"):
        code, out, _ = run_cli(capsys, "run", "he_init", "--preset", "smoke", "--input", path, "--json")
        runs[path] = json.loads(out.strip().splitlines()[-1])
        assert code == 0 and runs[path]["status"] == "PASS"
        assert runs[path]["provenance"]["input"] == path
    assert runs["feed_dict"]["history"] == runs["in_graph"]["history"]


def test_a_users_tensorflow_log_level_wins():
    """The package filters TensorFlow's start-up lines only when the user sets no level (its default, quiet:
    test_recipe_modules.py's fresh process prints its one error line and nothing else)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0"}
    loud = subprocess.run([sys.executable, "-c", "import tf1_recipes.compat"], capture_output=True, text=True,
                          env=env, timeout=300)
    assert loud.returncode == 0 and "absl::InitializeLog" in loud.stderr


def test_start_up_filter_drops_only_lines_below_the_level():
    from tf1_recipes.compat import _is_start_up_noise

    info = "I0000 00:00:1795985498.238046   31000 port.cc:153] oneDNN custom operations are on.\n"
    error = "E0000 00:00:1795985500.128844   31000 cuda_platform.cc:52] failed call to cuInit\n"
    assert _is_start_up_noise(info, 1) and not _is_start_up_noise(info, 0)
    assert not _is_start_up_noise(error, 2) and _is_start_up_noise(error, 3)
    assert not _is_start_up_noise("UserWarning: something real\n", 3)


def test_check_without_names_runs_the_recipes_with_the_preset_and_lists_the_others_as_skipped(capsys):
    code, out, err = run_cli(capsys, "check", "--preset", "assign_input")
    assert code == 0, err
    lines = out.splitlines()
    assert [line for line in lines if line.startswith("== ")] == ["== reuse_other_framework"]
    skipped = [line.split()[0] for line in lines if line.endswith("SKIPPED: no preset 'assign_input'")]
    others = [r.name for r in list_recipes() if "assign_input" not in r.presets]
    assert skipped == others and len(others) > 1
    assert lines[-1].endswith(f", 0 FAIL, 0 NOT_COMPARED, {len(others)} SKIPPED (no preset 'assign_input')")


def test_check_naming_a_recipe_without_the_preset_fails_before_anything_runs(capsys):
    code, out, err = run_cli(capsys, "check", "reuse_other_framework", "bad_init", "--preset", "assign_input")
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "tf1-recipes: error: recipe 'bad_init' has no preset 'assign_input'; presets: bad, smoke"]


def test_check_report_needs_out_and_is_refused_before_anything_runs(capsys):
    code, out, err = run_cli(capsys, "check", "reuse_other_framework", "--preset", "assign_input", "--report", "r")
    assert code == 2 and out == "" and "--report needs --out RUNS" in err and len(err.splitlines()) == 1


def test_check_report_renders_the_report_after_a_failing_table_and_keeps_exit_1(capsys, tmp_path):
    pytest.importorskip("matplotlib", reason="the report draws its plots with matplotlib")
    from tf1_recipes import golden

    other = tmp_path / "goldens"
    shutil.copytree(golden.golden_dir(), other)
    path = other / "reuse_other_framework" / "assign_input.json"
    moved = json.loads(path.read_text())
    moved["band"].update(low=moved["band"]["high"] + 1, high=moved["band"]["high"] + 2)
    path.write_text(json.dumps(moved))
    code, out, err = run_cli(capsys, "check", "reuse_other_framework", "--preset", "assign_input", "--against",
                             str(other), "--out", str(tmp_path / "runs"), "--report", str(tmp_path / "page"))
    assert code == 1, err
    table_end = out.index("0 NOT_COMPARED")
    assert out.index("reason: band: ") > table_end and f"report: {tmp_path / 'page' / 'index.html'}" in out
    assert (tmp_path / "page" / "index.html").exists()
