"""The max-norm family (tf1_recipes/recipes/families/max_norm.py): what the clip ops clip, and that the loop runs them.

Each recipe's own tests (where its clip ops come from) are in tests/unit/test_<name>.py.
"""

import math

import numpy as np
import pytest
from recipe_helpers import clip_ops, row_norms

from tf1_recipes.compat import tf, tf1

NAMES = ["max_norm_manual", "max_norm_regularizer"]
TINY = {"n_epochs": 1, "train_size": 500}
HIDDEN = ["hidden1/kernel:0", "hidden2/kernel:0"]


@pytest.fixture(scope="module")
def results(recipe_run):
    """Each variant after one tiny epoch, its checkpoint kept."""
    return {name: recipe_run(name, overrides=TINY) for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_a_step_then_the_clip_ops_leave_every_row_norm_at_most_the_threshold(name, results):
    graph = results[name].graph
    clips = clip_ops(graph)
    variables = {v.name: v for v in graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)}
    with graph.as_default():
        # A constructed case: kernels ten times their initial size, so most rows exceed 1.0.
        blow_up = [tf1.assign(variables[n], 10.0 * variables[n]) for n in HIDDEN + ["outputs/kernel:0"]]
    rng = np.random.RandomState(0)
    feed = {"X:0": rng.rand(50, 784).astype(np.float32), "y:0": rng.randint(0, 10, 50)}
    with tf1.Session(graph=graph) as sess:
        sess.run(graph.get_operation_by_name("init"))
        sess.run(blow_up)
        sess.run(graph.get_operation_by_name("train/Momentum"), feed_dict=feed)
        before = sess.run([variables[n] for n in HIDDEN + ["outputs/kernel:0"]])
        sess.run([clips[n] for n in HIDDEN])
        after = sess.run([variables[n] for n in HIDDEN + ["outputs/kernel:0"]])
    for pre, post in zip(before[:2], after[:2]):
        norms = row_norms(pre)
        assert (norms > 1.0).mean() > 0.5
        assert row_norms(post).max() <= 1.0 + 1e-5
        np.testing.assert_allclose(post, pre * np.minimum(1.0, 1.0 / norms)[:, None], rtol=1e-5)
    np.testing.assert_array_equal(after[2], before[2])  # the output layer is not clipped


@pytest.mark.parametrize("name", NAMES)
def test_the_training_loop_runs_the_clip_ops_after_every_step(name, tmp_path):
    # threshold 0.3 sits well below the kernels' initial row norms (~0.74 and ~0.53), so an
    # unclipped kernel would show rows above it in the saved model.
    from tf1_recipes.harness import RecipeConfig, run_recipe

    overrides = {**TINY, "threshold": 0.3}
    result = run_recipe(RecipeConfig(name, overrides=overrides, out_dir=str(tmp_path), quiet=True, progress=False))
    reader = tf.train.load_checkpoint(result.checkpoint_path)
    for kernel in ("hidden1/kernel", "hidden2/kernel"):
        norms = row_norms(reader.get_tensor(kernel))
        assert norms.max() <= 0.3 + 1e-5
        assert (norms > 0.3 - 1e-3).mean() > 0.9  # (nearly) every row was clipped to the threshold


def test_both_variants_train_identically(results):
    assert results["max_norm_manual"].history == results["max_norm_regularizer"].history


@pytest.mark.parametrize("name", NAMES)
def test_initial_loss_is_near_ln_10(name, results, at_init):
    assert abs(at_init(results[name].graph, "loss/loss:0") - math.log(10)) < 0.1


def test_unknown_clipping_is_a_clear_error(run_quiet):
    with pytest.raises(ValueError, match="unknown clipping 'soft'"):
        run_quiet("max_norm_manual", overrides={**TINY, "clipping": "soft"})
