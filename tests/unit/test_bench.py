"""The benchmark's machinery (benchmarks/bench.py, scripts/bench.py) on a tiny configuration.

No timing is asserted: only that every column is there, that the counts (steps, rows,
FLOPs) follow from the recipe's configuration, that the ratios are the quotients of the
columns they divide, and that the matmuls counted are the ones TensorFlow runs.
"""

import contextlib
import dataclasses
import functools
import io
import json
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # benchmarks/ is in the source tree, not installed
from benchmarks import bench  # noqa: E402
from tf1_recipes.compat import tf, tf1
from tf1_recipes.harness import RecipeConfig

SCRIPT = bench.project_root() / "scripts" / "bench.py"
TRAIN_SIZE = 500


def run_script(argv):
    """(exit code, stdout) of scripts/bench.py's ``main(argv)``, run in this process (TensorFlow is loaded already)."""
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = runpy.run_path(str(SCRIPT))["main"](argv)
    return code, stdout.getvalue()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """scripts/bench.py on gradient_clipping (500 images) and a recipe that does not train; he_init's smoke run's memory.

    Each matmul shape's floor is timed once, briefly (no time is asserted here; the benchmark's own
    MatmulTimer settings amortise a call's overhead over 0.02 s, five times a shape).
    """
    out = tmp_path_factory.mktemp("bench")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bench, "MatmulTimer", functools.partial(bench.MatmulTimer, min_seconds=0.0, repeats=1))
        code, stdout = run_script([
            "--recipes", "gradient_clipping", "graph_session_basics",
            "--train-size", str(TRAIN_SIZE), "--square", "256", "--memory", "he_init/smoke",
            "--json", str(out / "bench.json"), "--markdown", str(out / "bench.md"), "--quiet",
        ])
    assert code == 0
    return {
        "stdout": stdout,
        "json": json.loads((out / "bench.json").read_text()),
        "markdown": (out / "bench.md").read_text(),
    }


def rows(report):
    return {row["recipe"]: row for row in report["json"]["rows"]}


def test_the_table_has_every_column_and_a_row_per_recipe(report):
    header = report["stdout"].splitlines()[0]
    for _, heading in bench.COLUMNS:
        assert heading in header
    assert any(line.startswith("gradient_clipping/reference") for line in report["stdout"].splitlines())
    md_header = report["markdown"].splitlines()[0]
    assert md_header == "| " + " | ".join(heading for _, heading in bench.COLUMNS) + " |"
    assert "| gradient_clipping/reference |" in report["markdown"]


def test_steps_rows_and_flops_follow_from_the_configuration(report):
    row = rows(report)["gradient_clipping"]
    _, _, _, hyper = RecipeConfig("gradient_clipping").resolve()
    batch = hyper["batch_size"]
    assert (row["batch_size"], row["steps"], row["examples"]) == (batch, TRAIN_SIZE // batch, TRAIN_SIZE)
    widths = [hyper["n_inputs"], *(hyper[f"n_hidden{i}"] for i in range(1, 6)), hyper["n_outputs"]]
    weights = sum(a * b for a, b in zip(widths, widths[1:]))
    # Forward, weight gradients, and input gradients of every layer but the first.
    per_step = 2 * batch * (3 * weights - widths[0] * widths[1])
    assert row["gflop"] == pytest.approx(per_step * row["steps"] / 1e9, abs=1e-3)
    assert row["gflop_forward"] == pytest.approx(2 * batch * weights * row["steps"] / 1e9, abs=1e-3)
    assert sum(s["per_epoch"] for s in row["matmul_shapes"]) == 3 * (len(widths) - 1) * row["steps"] - row["steps"]


def test_times_are_positive_and_the_ratios_are_their_quotients(report):
    row = rows(report)["gradient_clipping"]
    for key in ("recipe_s", "keras_fit_s", "tf_function_s", "floor_s", "floor_square_s"):
        assert isinstance(row[key], float) and row[key] > 0, key
    assert row["recipe_over_fit"] == pytest.approx(row["recipe_s"] / row["keras_fit_s"], rel=0.01)
    assert row["recipe_over_tf_function"] == pytest.approx(row["recipe_s"] / row["tf_function_s"], rel=0.01)
    assert row["floor_over_recipe"] == pytest.approx(row["floor_s"] / row["recipe_s"], rel=0.01)
    assert row["floor_square_over_recipe"] == pytest.approx(row["floor_square_s"] / row["recipe_s"], rel=0.01)
    assert row["steps_per_s"] == pytest.approx(row["steps"] / row["recipe_s"], rel=0.01)
    # One warm-up epoch, then one timed epoch, for every column.
    assert len(row["recipe_epoch_seconds"]) == len(row["tf_function_epoch_seconds"]) == 2
    assert len(row["keras_fit_epoch_seconds"]) == 2
    assert "process_gradients" in row["note"]  # Keras fit leaves the port's clipping out, and says so


def test_a_recipe_that_does_not_train_is_listed_as_such(report):
    row = rows(report)["graph_session_basics"]
    assert row["note"] == "not a training recipe"
    assert "recipe_s" not in row
    assert any(line.startswith("graph_session_basics/book") for line in report["stdout"].splitlines())


def test_memory_square_matmul_and_settings_are_reported(report):
    data = report["json"]
    assert data["memory"]["peak_rss_mib"] > 50
    assert "he_init --preset smoke --epochs 1" in data["memory"]["command"]
    assert data["square_gflops"] > 0
    assert data["settings"] == {
        "epochs": 1, "warmup": 1, "train_size": TRAIN_SIZE, "data_dir": None, "input_path": "in_graph", "square": 256,
        "min_seconds": 0.0,  # only the ports' table times more epochs where one is short
    }
    assert data["environment"]["intra_op_threads"] == 1
    assert "golden_tier" not in data


def test_an_unknown_recipe_is_a_usage_error_before_anything_runs(capsys):
    main = runpy.run_path(str(SCRIPT))["main"]
    assert main(["--recipes", "no_such_recipe", "--no-memory"]) == 2
    assert "no_such_recipe" in capsys.readouterr().err


def test_a_report_file_it_cannot_write_is_one_line_before_anything_runs(tmp_path, capsys):
    """--json / --markdown are checked before the measurements (a full run takes over an hour)."""
    main = runpy.run_path(str(SCRIPT))["main"]
    user_file = tmp_path / "notes.txt"
    user_file.write_text("mine\n")
    assert main(["--recipes", "he_init", "--no-memory", "--json", str(tmp_path / "ok.json"),
                 "--markdown", str(user_file / "table.md")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.splitlines() == [
        f"bench: error: --markdown {user_file / 'table.md'}: {user_file} is a file, not a directory; give a directory "
        "for the benchmark's report"]
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"] and user_file.read_text() == "mine\n"


@pytest.mark.parametrize("train_scope", [None, "hidden2|outputs"])
def test_the_probe_counts_the_matmuls_tensorflow_runs(train_scope):
    """The probe's gradient MatMuls are those a FULL_TRACE of the training step shows executed."""
    graph = tf1.Graph()
    with graph.as_default():
        tf1.set_random_seed(0)
        X = tf1.placeholder(tf.float32, (None, 20), name="X")
        y = tf1.placeholder(tf.int64, (None,), name="y")
        hidden1 = tf1.layers.dense(X, 16, activation=tf.nn.relu, name="hidden1")
        hidden2 = tf1.layers.dense(hidden1, 12, activation=tf.nn.relu, name="hidden2")
        logits = tf1.layers.dense(hidden2, 3, name="outputs")
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        var_list = tf1.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES, scope=train_scope)
        training_op = tf1.train.GradientDescentOptimizer(0.1).minimize(loss, var_list=var_list)
        init = tf1.global_variables_initializer()
    feed = {X: np.ones((8, 20), np.float32), y: np.zeros(8, np.int64)}
    with tf1.Session(graph=graph) as sess:
        sess.run(init)
        metadata = tf1.RunMetadata()
        sess.run(training_op, feed, options=tf1.RunOptions(trace_level=tf1.RunOptions.FULL_TRACE), run_metadata=metadata)
        with bench.SessionProbe(batch_size=8) as probe:
            sess.run(training_op, feed)
            sess.run(loss, feed)  # not a training step
    ran = {node.node_name for device in metadata.step_stats.dev_stats for node in device.node_stats}
    matmuls = {op.name for op in graph.get_operations() if op.type == "MatMul" and op.name.startswith("gradients/")}
    counted = {
        op.name for op in bench.executed_ops(graph, training_op, {X.name, y.name})
        if op.type == "MatMul" and op.name.startswith("gradients/")
    }
    assert counted == matmuls & ran
    assert (probe.steps, probe.examples) == (1, 8)
    backward = sum(count for shape, count in probe.matmuls.items() if shape[-1])
    assert backward == len(counted)
    assert sum(count for shape, count in probe.matmuls.items() if not shape[-1]) == 3  # every layer's forward


def test_golden_tier_time_from_junit_xml_or_durations(tmp_path):
    junit = tmp_path / "golden.xml"
    junit.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" failures="1" '
        'skipped="0" tests="3" time="754.2"><testcase name="a" time="1"/></testsuite></testsuites>'
    )
    assert bench.read_golden_report(junit) == {
        "wall_seconds": 754.2, "tests": 3, "failures": 1, "errors": 0, "skipped": 0, "source": f"junit: {junit}",
    }
    durations = tmp_path / "durations.txt"
    durations.write_text(
        "============ slowest durations ============\n"
        "61.50s call     tests/golden/test_goldens.py::test_golden[batch_norm-reference]\n"
        "0.50s setup    tests/golden/test_goldens.py::test_golden[batch_norm-reference]\n"
        "38.00s call     tests/golden/test_goldens.py::test_golden[gradient_clipping-reference]\n"
    )
    assert bench.read_golden_report(durations)["serial_seconds"] == 100.0
    (tmp_path / "other.txt").write_text("nothing here\n")
    with pytest.raises(ValueError):
        bench.read_golden_report(tmp_path / "other.txt")


@pytest.mark.skipif(
    "input_path" not in {f.name for f in dataclasses.fields(RecipeConfig)}, reason="the harness has one input path"
)
def test_the_probe_counts_the_same_steps_on_both_input_paths():
    """On the in-graph path the steps are session callables, not Session.run: still counted, same matmuls."""
    target = bench.Target.parse("gradient_clipping")
    plans = {path: bench.Plan(epochs=1, warmup=0, train_size=TRAIN_SIZE, input_path=path) for path in ("feed_dict", "in_graph")}
    by_path = {path: bench.measure_recipe(target, plan) for path, plan in plans.items()}
    assert by_path["in_graph"]["input_path"] == "in_graph"
    feed_dict, in_graph = by_path["feed_dict"], by_path["in_graph"]
    steps = bench.batches_per_epoch(target, plans["feed_dict"])
    assert (in_graph["steps"], in_graph["examples"]) == (feed_dict["steps"], feed_dict["examples"]) == (steps, TRAIN_SIZE)
    assert in_graph["matmuls"] == feed_dict["matmuls"]


def test_ports_table_compares_each_port_with_its_tf1_recipe_before_and_after_the_loop(tmp_path):
    """scripts/bench.py --ports on he_init (500 images, two rounds, the loop before issue 15 in the first only):
    every column, ratios as quotients, a step count."""
    code, stdout = run_script(["--ports", "--repeats", "2", "--before-repeats", "1", "--min-seconds", "0",
                               "--recipes", "he_init", "graph_session_basics", "--train-size", str(TRAIN_SIZE),
                               "--json", str(tmp_path / "ports.json"), "--quiet"])
    assert code == 0
    for _, heading in bench.PORT_COLUMNS:
        assert heading in stdout
    report = json.loads((tmp_path / "ports.json").read_text())
    assert (report["settings"]["repeats"], report["settings"]["before_repeats"], report["settings"]["min_seconds"]) == (2, 1, 0)
    he_init, basics = report["rows"]
    assert basics["note"] == "not a training recipe"
    assert he_init["steps"] == TRAIN_SIZE // 50 and he_init["epochs"] == "1"  # he_init's batch size; --epochs' default
    times = he_init["epoch_seconds"]
    assert [len(times[key]) for key in ("tf1", "after", "before")] == [2, 2, 1]
    assert all(t > 0 for key in ("tf1", "after", "before") for t in times[key])
    median = lambda key: float(np.median(times[key]))  # noqa: E731
    assert he_init["before_over_tf1"] == bench.significant(times["before"][0] / median("tf1"))
    assert he_init["after_over_tf1"] == bench.significant(median("after") / median("tf1"))
    assert he_init["after_over_tf1_paired"] == bench.significant(np.mean([a / t for a, t in zip(times["after"], times["tf1"])]))
    assert he_init["after_over_tf1_rounds"] == bench.round_ratios(times["after"], times["tf1"])
    assert he_init["step_alone_ms"] > 0 and "overhead_before_ms" in he_init and "overhead_after_ms" in he_init


def test_round_ratios_are_each_rounds_own_quotient_lowest_to_highest():
    assert bench.round_ratios([1.1, 0.9, 1.0], [1.0, 1.0, 0.8]) == "0.9-1.25"  # rounds 1.1, 0.9, 1.25
    assert bench.round_ratios([2.0], [4.0]) == "0.5"


def test_per_step_loop_trains_one_call_per_batch_and_puts_the_ports_loop_back():
    from tf1_recipes.tf2 import parity
    from tf1_recipes.tf2.base import Port

    own = Port.train_batches
    batches = parity.fixed_batches(3, 8)
    port = parity.build_port("he_init")
    with bench.per_step_loop() as counter:
        outputs = port.train_batches(iter(batches))
    assert Port.train_batches is own
    assert counter["steps"] == 3 and outputs.shape == (3, 1)
    assert port.train_step.experimental_get_tracing_count() == 1
    assert port.train_steps.experimental_get_tracing_count() == 0  # the loop function was not used


def test_paired_median_is_the_median_of_each_rounds_own_quotient():
    assert bench.paired_median([1.1, 0.9, 1.0], [1.0, 1.0, 0.8]) == 1.1  # rounds 1.1, 0.9, 1.25
    assert bench.paired_median([2.0, 3.0], [4.0, 4.0]) == 0.625  # two rounds: the mean of 0.5 and 0.75


def test_the_loop_before_issue_15_is_timed_in_the_first_before_repeats_rounds_only():
    assert bench.before_rounds(12) == 12
    assert bench.before_rounds(12, 3) == 3
    assert bench.before_rounds(2, 3) == 2
    with pytest.raises(ValueError, match="at least 1"):
        bench.before_rounds(3, 0)


def test_each_round_runs_tf1_and_the_port_back_to_back_alternating_which_goes_first(monkeypatch):
    """Rounds 1, 3: TF1 then the port's loop; rounds 2, 4: the port's loop then TF1; the loop before issue 15 last,
    in the first ``before_repeats`` rounds. The harness runs are recorded, not trained."""
    from tf1_recipes.tf2.base import Port

    own, order = Port.train_batches, []

    def timed_epochs(config, warmup, counter=None):
        order.append("before" if Port.train_batches is not own else "after" if config.tf2 else "tf1")
        if counter is not None:
            counter.update(steps=7 * config.n_epochs, epochs=config.n_epochs)  # 7 steps an epoch
        return [1.0] * (config.n_epochs - warmup)

    monkeypatch.setattr(bench, "timed_epochs", timed_epochs)
    monkeypatch.setattr(bench, "loop_overhead", lambda target, plan, repeats: None)
    row = bench.measure_port_speed(bench.Target.parse("he_init"), bench.Plan(epochs=3), repeats=4, log=lambda _: None,
                                   before_repeats=2)
    assert order == ["tf1", "after", "before", "after", "tf1", "before", "tf1", "after", "after", "tf1"]
    assert row["after_over_tf1"] == row["after_over_tf1_paired"] == 1.0
    assert (row["steps"], row["epochs"]) == (7, "3")


def test_short_epochs_are_timed_until_they_take_min_seconds_at_most_the_presets_epochs(monkeypatch):
    """One untimed TF1 run estimates the epoch; 0.04 s -> 25 epochs for 1 s (transfer_digits_5_to_9's 25-step epoch),
    never fewer than --epochs, never more than the preset trains after the warm-up; min_seconds 0 changes nothing."""
    estimated = []

    def timed_epoch(config, warmup, counter=None):
        estimated.append((config.recipe, config.n_epochs, config.tf2))
        return seconds

    monkeypatch.setattr(bench, "timed_epoch", timed_epoch)
    target, log = bench.Target.parse("transfer_digits_5_to_9"), []
    seconds = 0.04
    assert bench.port_plan(target, bench.Plan(epochs=2, min_seconds=1.0), log.append).epochs == 25
    assert estimated == [("transfer_digits_5_to_9", 2, False)]  # warm-up and one epoch, the TF1 recipe
    assert log == ["transfer_digits_5_to_9/book: an epoch took 0.04 s; timing 25 epochs a run"]
    seconds = 0.9
    assert bench.port_plan(target, bench.Plan(epochs=2, min_seconds=1.0), log.append).epochs == 2
    seconds = 1e-4  # 10,000 wanted: capped at the preset's 1,000 epochs less the warm-up
    assert bench.port_plan(target, bench.Plan(epochs=2, warmup=1, min_seconds=1.0), log.append).epochs == 999
    plan = bench.Plan(epochs=3)
    assert bench.port_plan(target, plan) is plan and len(estimated) == 3  # min_seconds 0: no estimate run
    plan = bench.Plan(epochs=3, min_seconds=1.0)
    assert bench.port_plan(bench.Target.parse("graph_session_basics"), plan) is plan and len(estimated) == 3  # no epochs


def test_a_run_that_stops_early_is_timed_over_its_epochs_and_a_round_over_the_epochs_both_runs_trained(monkeypatch):
    """An early-stopping run asked for 6 epochs (1 warm-up) that stopped after 4: its 3 timed epochs; the pair of a
    round compared over the epochs both trained; a run that stopped before any timed epoch is an error."""
    from collections import Counter

    from tf1_recipes.harness import RecipeConfig, RunResult

    own = [0.5, 0.1, 0.2, 0.3]
    monkeypatch.setattr(bench, "run_recipe", lambda config: RunResult(
        config.recipe, config.preset, {"n_epochs": config.n_epochs}, "test_accuracy", [0.1, 0.9], [9.0, 9.0], {},
        extras={"epoch_seconds": own}))
    counter = Counter()
    config = RecipeConfig("early_stopping", n_epochs=6)
    assert bench.timed_epochs(config, 1, counter) == [0.1, 0.2, 0.3] and counter["epochs"] == 4
    assert bench.timed_epoch(config, 1) == pytest.approx(0.2)
    assert bench.paired_means([0.1, 0.2, 0.3], [0.4, 0.2]) == (pytest.approx(0.15), pytest.approx(0.3), 2)
    with pytest.raises(ValueError, match="stopped after 4 epoch"):
        bench.timed_epochs(config, 4)


def test_an_early_stopped_runs_own_record_is_its_epochs_any_other_count_is_an_error():
    from tf1_recipes.harness import RunResult

    def result(n_epochs, own, reported):
        return RunResult("early_stopping", "book", {"n_epochs": n_epochs}, "test_accuracy", [0.9] * len(reported),
                         reported, {}, extras={"epoch_seconds": own} if own is not None else {})

    best_then_test = [2.0, 0.01]  # early stopping reports twice after its loop: the best loss, the test accuracy
    assert bench.epoch_times(result(5, [0.1] * 5, best_then_test)) == [0.1] * 5
    assert bench.epoch_times(result(5, [0.1] * 3, best_then_test), may_stop_early=True) == [0.1] * 3  # stopper ended it
    assert bench.epoch_times(result(2, [0.1], best_then_test), may_stop_early=True) == [0.1]  # harness count 2 = runs
    with pytest.raises(ValueError, match="2 epoch times for 5 epochs"):
        bench.epoch_times(result(5, [0.1] * 3, best_then_test))  # not asked to allow an early end
    with pytest.raises(ValueError, match="1 epoch times for 5 epochs"):
        bench.epoch_times(result(5, None, [2.0]), may_stop_early=True)  # no record of its own: a harness count
    with pytest.raises(ValueError, match="2 epoch times for 5 epochs"):
        bench.epoch_times(result(5, [], best_then_test), may_stop_early=True)  # an empty record is no epoch
    assert bench.epoch_times(result(2, None, [0.3, 0.2])) == [0.3, 0.2]


@pytest.mark.parametrize("flag", ["--repeats", "--before-repeats"])
def test_a_round_count_below_1_is_one_usage_line(flag, capsys):
    main = runpy.run_path(str(SCRIPT))["main"]
    with pytest.raises(SystemExit) as exit_:
        main(["--ports", flag, "0"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines() == [
        f"bench.py: error: argument {flag}: expected a positive whole number, got '0'; see bench.py --help"]


@pytest.mark.parametrize("text", ["-1", "inf", "nan", "one"])
def test_min_seconds_not_a_finite_number_from_0_is_one_usage_line(text, capsys):
    main = runpy.run_path(str(SCRIPT))["main"]
    with pytest.raises(SystemExit) as exit_:
        main(["--ports", "--min-seconds", text])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines() == [
        f"bench.py: error: argument --min-seconds: expected a finite number of seconds, 0 or more, got {text!r}; "
        "see bench.py --help"]
