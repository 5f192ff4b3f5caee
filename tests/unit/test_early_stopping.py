"""early_stopping: the model, the stopping rule, the in-memory variant, and resuming after SIGKILL."""

import json
import math
import os

import numpy as np
import pytest
from recipe_helpers import assert_found_by_name

from tf1_recipes import resume
from tf1_recipes.compat import tf1
from tf1_recipes.recipes.early_stopping import SERIES

SMOKE_OUT = "smoke_out"


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The smoke preset run start to finish with an output directory (the baseline)."""
    from tf1_recipes.harness import RecipeConfig, run_recipe

    out = tmp_path_factory.mktemp(SMOKE_OUT)
    result = run_recipe(RecipeConfig("early_stopping", "smoke", out_dir=str(out), quiet=True, progress=False))
    return result, out


def test_five_elu_layers_of_100_and_a_5_way_softmax(uninterrupted):
    graph = uninterrupted[0].graph
    kernels = [v for v in graph.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES) if v.op.name.endswith("kernel")]
    assert [(v.op.name, v.shape.as_list()) for v in kernels] == [
        ("hidden1/kernel", [784, 100]),
        *[(f"hidden{i}/kernel", [100, 100]) for i in range(2, 6)],
        ("outputs/kernel", [100, 5]),
    ]
    for i in range(1, 6):
        assert graph.get_operation_by_name(f"dnn/hidden{i}/Elu").type == "Elu"
        # tf.variance_scaling_initializer(): truncated normal, as the exercise's he_init
        assert graph.get_operation_by_name(f"hidden{i}/kernel/Initializer/truncated_normal/TruncatedNormal")
    assert graph.get_operation_by_name("Y_proba").type == "Softmax"
    assert {op.type for op in graph.get_operations() if op.name.startswith("train/")} >= {"ResourceApplyAdam"}


def test_initial_loss_is_near_ln_5_on_digits_0_to_4(uninterrupted, at_init, mnist_dir):
    from tf1_recipes.data import load_mnist

    valid = load_mnist(mnist_dir).validation
    keep = valid.labels < 5
    graph = uninterrupted[0].graph
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        loss = sess.run("loss/loss:0", feed_dict={"X:0": valid.images[keep][:500], "y:0": valid.labels[keep][:500]})
    assert abs(loss - math.log(5)) < 0.3


def test_stops_after_more_than_max_checks_without_progress_and_reports_the_best_model(uninterrupted):
    result, out = uninterrupted
    losses, best = result.extras["valid_loss"], result.extras["best_loss"]
    patience = result.config["max_checks_without_progress"]
    best_epoch = int(np.argmin(losses))
    assert len(losses) < result.config["n_epochs"], "the smoke run must stop early to test the rule"
    assert len(losses) == best_epoch + patience + 2  # the reference's `checks_without_progress > max`
    assert best == list(np.minimum.accumulate(losses))
    assert result.history[0] == pytest.approx(min(losses), abs=1e-7)
    assert len(result.history) == 2 and 0.9 < result.final <= 1.0
    assert set(SERIES) <= set(result.extras)
    # the best model has its own checkpoint; the resume state is gone once training ended
    assert (out / "model.ckpt.index").is_file()
    assert not (out / resume.STATE_NAME).exists() and not (out / resume.RESUME_DIR).exists()


def test_best_checkpoint_holds_the_best_epochs_model(uninterrupted, mnist_dir):
    from tf1_recipes.data import load_mnist

    result, out = uninterrupted
    valid = load_mnist(mnist_dir).validation
    keep = valid.labels < 5
    graph = result.graph
    with tf1.Session(graph=graph) as sess:
        tf1.train.Saver(graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)).restore(sess, str(out / "model.ckpt"))
        loss = sess.run("loss/loss:0", feed_dict={"X:0": valid.images[keep], "y:0": valid.labels[keep]})
    assert loss == pytest.approx(result.history[0], abs=1e-6)


def test_in_memory_variant_gives_the_same_result(uninterrupted, run_quiet):
    result = run_quiet("early_stopping", "smoke", overrides={"keep_best": "memory", "checkpoint_every": 0})
    assert result.history == uninterrupted[0].history
    assert result.extras["valid_loss"] == uninterrupted[0].extras["valid_loss"]


def test_in_memory_cannot_resume_and_says_why(run_quiet):
    with pytest.raises(ValueError, match="cannot resume: set checkpoint_every=0"):
        run_quiet("early_stopping", "in_memory", overrides={"checkpoint_every": 1, "n_epochs": 1})


def test_state_of_another_configuration_is_refused(tmp_path, run_quiet):
    (tmp_path / resume.STATE_NAME).write_text(json.dumps({"fingerprint": "other", "epoch": 3, "checkpoint": "x"}))
    with pytest.raises(resume.ResumeStateError, match="interrupted run of another configuration"):
        run_quiet("early_stopping", "smoke", out_dir=str(tmp_path))


# --------------------------------------------------------------------------- SIGKILL


def _flags(out):
    """The smoke run writing to ``out`` (``tf1-recipes run early_stopping`` flags)."""
    return ["--preset", "smoke", "--out", str(out), "--no-progress"]


def _state(out):
    try:
        return json.loads((out / resume.STATE_NAME).read_text())
    except FileNotFoundError:
        return None


def _writing_a_checkpoint(out, since_ns):
    """True while (or just after) a resume checkpoint is written by a process started at ``since_ns``."""
    try:
        entries = list(os.scandir(out / resume.RESUME_DIR))
    except FileNotFoundError:
        return False
    # ".tempstate": TensorFlow's BundleWriter is writing the data or index file right now.
    return any(".tempstate" in entry.name or entry.stat().st_mtime_ns > since_ns for entry in entries)


def _saved_epoch(out):
    """The next epoch the state file records (0 before the first checkpoint)."""
    return (_state(out) or {}).get("epoch", 0)


def test_sigkill_then_resume_ends_exactly_like_an_uninterrupted_run(uninterrupted, tmp_path, sigkill_and_resume):
    baseline, _ = uninterrupted
    out = tmp_path / "run"
    sigkill_and_resume(_flags, out, _saved_epoch, _writing_a_checkpoint, resume.RESUME_DIR, baseline)
    assert not (out / resume.STATE_NAME).exists()


def test_early_stopping_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("early_stopping")
    assert spec.default_preset == 'book' and spec.metric == 'test_accuracy'
    assert spec.presets == {'book': {},
                            'in_memory': {'keep_best': 'memory', 'checkpoint_every': 0},
                            'smoke': {'train_size': 5000, 'n_epochs': 30, 'max_checks_without_progress': 5},
                            'lr_0_001': {'learning_rate': 0.001},
                            'small_lr_0_001': {'train_size': 5000,
                                               'n_epochs': 30,
                                               'max_checks_without_progress': 5,
                                               'learning_rate': 0.001}}
    assert spec.hyperparameters == {'n_inputs': 784,
                                    'n_hidden_layers': 5,
                                    'n_neurons': 100,
                                    'n_outputs': 5,
                                    'learning_rate': 0.01,
                                    'n_epochs': 1000,
                                    'batch_size': 20,
                                    'max_checks_without_progress': 20,
                                    'keep_best': 'checkpoint',
                                    'checkpoint_every': 1}
    assert spec.description == ('Five ELU layers (He init), Adam, digits 0-4, early stopping on validation '
                                'loss; resumable via --out.')
