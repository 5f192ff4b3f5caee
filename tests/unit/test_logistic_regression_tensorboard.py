"""logistic_regression_tensorboard: the moons, the name scopes, the event file and the checkpoints."""

import math

import numpy as np
import pytest
from recipe_helpers import assert_found_by_name

from tf1_recipes.compat import tf1
from tf1_recipes.recipes.logistic_regression_tensorboard import make_moons

N_EPOCHS, CHECKPOINT_EVERY = 201, 50  # the reference configuration: a few seconds


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from tf1_recipes.harness import RecipeConfig, run_recipe

    out = tmp_path_factory.mktemp("logreg")
    result = run_recipe(RecipeConfig("logistic_regression_tensorboard", out_dir=str(out), quiet=True, progress=False))
    assert (result.config["n_epochs"], result.config["checkpoint_every"]) == (N_EPOCHS, CHECKPOINT_EVERY)
    return result, out


def test_moons_lie_on_two_half_circles_without_noise():
    X, y = make_moons(200, random_state=0)
    assert X.shape == (200, 2) and y.shape == (200,) and (y == 0).sum() == 100
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    assert (upper[:, 1] >= -1e-12).all() and (lower[:, 1] <= 0.5 + 1e-12).all()


def test_moons_are_shuffled_noisy_and_seeded():
    clean, y_clean = make_moons(1000, random_state=42)
    noisy, y_noisy = make_moons(1000, noise=0.1, random_state=42)
    again, _ = make_moons(1000, noise=0.1, random_state=42)
    np.testing.assert_array_equal(noisy, again)
    assert not np.array_equal(noisy, make_moons(1000, noise=0.1, random_state=43)[0])
    assert 0 < y_clean[:500].sum() < 500, "labels are mixed, not in two blocks"
    # Same shuffle either way; the noise is N(0, 0.1) on top of the clean points.
    np.testing.assert_array_equal(y_clean, y_noisy)
    assert np.std(noisy - clean) == pytest.approx(0.1, rel=0.05)
    with pytest.raises(ValueError, match="n_samples"):
        make_moons(1)


def test_model_is_built_in_name_scopes(run_dir):
    result, _ = run_dir
    graph = result.graph
    for name in (
        "logistic_regression/model/theta",
        "logistic_regression/model/logits",
        "logistic_regression/train/loss/value",
        "logistic_regression/train/GradientDescent",
        "logistic_regression/train/log_loss",
        "logistic_regression/init/init",
        "logistic_regression/save/save/SaveV2",
    ):
        graph.get_operation_by_name(name)
    [theta] = graph.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES)
    assert tuple(theta.shape) == (7, 1)  # bias + x1, x2, x1^2, x2^2, x1^3, x2^3
    assert graph.get_collection(tf1.GraphKeys.SUMMARIES)[0].name == "logistic_regression/train/log_loss:0"


def test_event_file_has_one_log_loss_scalar_per_epoch(run_dir):
    result, out = run_dir
    [logdir] = (out / "tf_logs").iterdir()
    assert logdir.name.startswith("logreg-run-") and len(logdir.name) == len("logreg-run-") + 14
    [events] = logdir.glob("events.out.tfevents.*")
    scalars, has_graph = [], False
    for event in tf1.train.summary_iterator(str(events)):
        has_graph |= event.HasField("graph_def")
        for value in event.summary.value:
            assert value.tag == "logistic_regression/train/log_loss"  # the name scopes prefix the tag
            scalars.append((event.step, value.simple_value))
    assert has_graph
    assert [step for step, _ in scalars] == list(range(N_EPOCHS))
    np.testing.assert_allclose([v for _, v in scalars], result.history, rtol=1e-6)


def test_checkpoints_every_n_epochs_and_the_final_model(run_dir):
    result, out = run_dir
    saved = sorted(int(p.name[len("logreg_model.ckpt-") : -len(".index")]) for p in out.glob("logreg_model.ckpt-*.index"))
    assert saved == list(range(0, N_EPOCHS, CHECKPOINT_EVERY))
    first = tf1.train.load_checkpoint(str(out / "logreg_model.ckpt-0")).get_tensor("logistic_regression/model/theta")
    final = tf1.train.load_checkpoint(result.checkpoint_path).get_tensor("logistic_regression/model/theta")
    assert final.shape == (7, 1) and np.abs(final - first).max() > 1e-4


def test_loss_falls_from_near_ln_2_and_predictions_improve(run_dir):
    result, _ = run_dir
    assert result.history[-1] < result.history[0] < math.log(2) + 0.6
    assert result.extras["test_accuracy"][-1] > 0.85


def test_logistic_regression_tensorboard_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("logistic_regression_tensorboard")
    assert spec.default_preset == 'book' and spec.metric == 'test_log_loss'
    assert spec.presets == {'book': {}, 'smoke': {}}
    assert spec.hyperparameters == {'n_samples': 1000,
                                    'noise': 0.1,
                                    'data_seed': 42,
                                    'test_ratio': 0.2,
                                    'learning_rate': 0.01,
                                    'n_epochs': 201,
                                    'batch_size': 50,
                                    'checkpoint_every': 50}
    assert spec.description == ('Logistic regression on two moons in name scopes; log_loss to TensorBoard '
                                'each epoch, checkpoints.')
