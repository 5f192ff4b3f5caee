"""The TF2 port framework: Keras 3 beside tf-keras, the same batches, run --tf2, the golden's view of a port."""

import hashlib
import json
import os
import subprocess
import sys

import pytest

from tf1_recipes import cli, golden
from tf1_recipes.harness import Run
from tf1_recipes.registry import get_recipe
from tf1_recipes.tf2 import NoPortError, get_port, list_ports, parity

TINY = {"n_epochs": 2, "train_size": 600}
PORT_PRESETS = [(name, p) for name in list_ports() for p in get_recipe(name).presets]


def test_keras_3_and_tf_keras_live_in_one_process(pair):
    import keras
    import tensorflow as tf

    from tf1_recipes.compat import tf1

    tf1_trace, tf2_trace, _ = pair("gradient_clipping", "reference")  # a TF1 graph, then a Keras 3 model
    assert tf.keras.__name__.startswith("tf_keras"), tf.keras.__name__  # TF_USE_LEGACY_KERAS routed tf.keras
    assert tf1.layers.dense.__module__.startswith("tf_keras")
    assert keras.__version__.startswith("3.")
    layer = tf2_trace.extras["port"].model.get_layer("hidden1")
    assert isinstance(layer, keras.layers.Layer) and type(layer).__module__.startswith("keras.")
    assert not isinstance(layer, tf.keras.layers.Layer)


def test_importing_keras_3_first_still_leaves_tf1_layers_working():
    """The other import order, in a fresh process: ``import keras`` before tf1_recipes."""
    code = (
        "import keras, numpy as np\n"
        "import tf1_recipes.compat as c\n"
        "from tf1_recipes.tf2.gradient_clipping import GradientClipping\n"
        "g = c.tf1.Graph()\n"
        "with g.as_default():\n"
        "    X = c.tf1.placeholder(c.tf.float32, (None, 4))\n"
        "    out = c.tf1.layers.dense(X, 2, name='hidden1')\n"
        "    with c.tf1.Session() as s:\n"
        "        s.run(c.tf1.global_variables_initializer()); tf1_out = s.run(out, {X: np.ones((1, 4))})\n"
        "dense = keras.layers.Dense(2); keras_out = dense(np.ones((1, 4), 'float32'))\n"
        "print(c.tf.keras.__name__, keras.__version__, tf1_out.shape, tuple(keras_out.shape))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    name, version, *shapes = out.stdout.split()
    assert name.startswith("tf_keras") and version.startswith("3.")


@pytest.mark.parametrize("preset", ["reference", "book"])  # next_batch and shuffle_batch readers
def test_a_port_gets_the_tf1_runs_batches_in_the_same_order(preset, run_quiet, monkeypatch):
    """Both draw their batches' rows from Run.batch_rows (the TF1 recipe's in-graph path through
    Run.batches, the port's gather path directly): the batches, hashed, are the same, in order."""
    seen = []
    original = Run.batch_rows

    def recording(self, batch_size):
        train = self.mnist.train
        for rows in original(self, batch_size):
            seen[-1].append(hashlib.sha1(train.images[rows].tobytes() + train.labels[rows].tobytes()).hexdigest())
            yield rows

    monkeypatch.setattr(Run, "batch_rows", recording)
    for tf2 in (False, True):
        seen.append([])
        run_quiet("gradient_clipping", preset, overrides=TINY, tf2=tf2)
    assert len(seen[0]) == 2 * (TINY["train_size"] // get_recipe("gradient_clipping").preset(preset)[1]["batch_size"])
    assert seen[0] == seen[1]


def test_a_port_run_is_deterministic(run_quiet):
    first = run_quiet("gradient_clipping", "book", overrides=TINY, tf2=True)
    second = run_quiet("gradient_clipping", "book", overrides=TINY, tf2=True)
    assert first.history == second.history and first.graph is None
    assert first.provenance["implementation"] == "tf2"


def test_glorot_uniform_port_reproduces_the_tf1_run_exactly(run_quiet):
    """An observed property, not a design: with the same seed, Keras 3's GlorotUniform draws
    the same initial weights as TF1's default initializer (tf.random.set_seed vs the graph
    seed), and with the same batches and bit-identical GD steps the whole run agrees. So a
    Glorot-initialised port's end-to-end run lands on the TF1 golden's pinned values."""
    overrides = {"n_epochs": 2, "train_size": 2000}
    tf1_run = run_quiet("gradient_clipping", "reference", overrides=overrides)
    tf2_run = run_quiet("gradient_clipping", "reference", overrides=overrides, tf2=True)
    assert tf2_run.history == tf1_run.history
    assert tf1_run.history[1] > tf1_run.history[0]


@pytest.mark.parametrize("recipe,preset", PORT_PRESETS, ids=[f"{r}-{p}" for r, p in PORT_PRESETS])
def test_every_port_builds_from_every_preset_and_its_table_covers_its_model(recipe, preset):
    port = parity.build_port(recipe, preset)
    mapped = port.mapped_variables()  # raises on a stale or incomplete table
    assert set(mapped) == set(port.variables) and len(set(port.variables.values())) == len(port.variables)


@pytest.mark.parametrize("recipe", [name for name, cls in list_ports().items() if cls.probe_parity])
def test_the_table_names_exactly_the_tf1_graphs_model_variables(recipe, pair):
    tf1_trace, tf2_trace, _ = pair(recipe, parity.parity_presets(recipe)[0])
    port = tf2_trace.extras["port"]
    assert set(tf1_trace.extras["tf1_variables"]) == set(port.variables) | set(port.tf1_training_state())


def test_run_tf2_prints_the_epochs_and_json_with_the_implementation(capsys, tmp_path):
    code = cli.main(["run", "gradient_clipping", "--preset", "smoke", "--tf2", "--json", "--out", str(tmp_path)])
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("0 Test accuracy: ") and out[1].startswith("1 Test accuracy: ")
    summary = json.loads(out[-1])
    assert summary["implementation"] == "tf2" and summary["provenance"]["implementation"] == "tf2"
    assert len(summary["history"]) == 2 and code in (0, 1)
    # The run leaves the port's object-based checkpoint where a TF1 run leaves its Saver's;
    # it restores into a fresh port, model and optimizer, object for object.
    import numpy as np

    fresh = parity.build_port("gradient_clipping", "smoke")
    before = fresh.get_tf1_values()
    fresh.checkpoint().read(summary["checkpoint_path"]).assert_consumed()
    settings, hyper = get_recipe("gradient_clipping").preset("smoke")
    assert int(fresh.optimizer.iterations) == hyper["n_epochs"] * (settings["train_size"] // hyper["batch_size"])
    assert not np.array_equal(fresh.get_tf1_values()["hidden1/kernel"], before["hidden1/kernel"])


def test_a_recipe_without_a_port_is_one_clear_line(capsys, monkeypatch):
    from tf1_recipes import tf2

    monkeypatch.delitem(tf2.PORTS._entries, "gradient_clipping")  # its module stays imported: nothing registers it again
    with pytest.raises(NoPortError, match=r"recipe 'gradient_clipping' has no TF2 port yet; ported: .*batch_norm"):
        get_port("gradient_clipping")
    code = cli.main(["run", "gradient_clipping", "--preset", "smoke", "--tf2"])
    err = capsys.readouterr().err
    assert code == 2 and "has no TF2 port yet" in err and len(err.strip().splitlines()) == 1


def test_golden_comparison_treats_a_port_as_another_platform(tmp_path):
    from tf1_recipes.harness import RunResult
    from tf1_recipes.provenance import provenance
    from tf1_recipes.regen import build_golden, pinned_record

    threads = {"intra_op_threads": 1}
    tf1_prov = {k: v for k, v in provenance(threads).items() if k != "implementation"}  # as goldens record it
    runs = [
        dict(recipe="r", preset="p", metric="test_accuracy", config={"seed": 42 + i}, seed=42 + i, history=[0.9, f],
             final=f, epoch_seconds=[1, 1], provenance=tf1_prov)
        for i, f in enumerate([0.95, 0.951, 0.949])
    ]
    path = tmp_path / "r" / "p.json"
    path.parent.mkdir()
    command = "python scripts/regen_golden.py r"
    path.write_text(json.dumps(build_golden([pinned_record(runs[0], command)], runs, command)))

    def result(implementation):
        return RunResult("r", "p", {"seed": 42}, "test_accuracy", [0.9, 0.95], [1, 1], provenance(threads, implementation))

    same = golden.compare(result("tf1"), tmp_path)
    assert [c.kind for c in same.checks] == ["pinned", "band"]
    port = golden.compare(result("tf2"), tmp_path)
    assert [c.kind for c in port.checks] == ["band"] and port.status == "PASS"
    assert any("implementation tf1 -> tf2" in n and "TF2 port is another platform" in n for n in port.notes)
