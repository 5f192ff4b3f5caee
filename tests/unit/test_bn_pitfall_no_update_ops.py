"""The bn_pitfall_no_update_ops recipe: batch norm without UPDATE_OPS: the moving statistics never move (on tiny runs), and it is found by name."""

import numpy as np
from recipe_helpers import assert_found_by_name

from tf1_recipes.compat import tf, tf1

#: One tiny epoch (1,000 images): the pitfall shows its mechanism, not its full-length numbers.
TINY = {"n_epochs": 1, "train_size": 1000}


def test_no_update_ops_leaves_the_moving_statistics_at_their_initial_values(recipe_run):
    result = recipe_run("bn_pitfall_no_update_ops", None, {**TINY, "n_epochs": 2, "train_size": 20000})  # 2 x 100 steps
    assert len(result.graph.get_collection(tf1.GraphKeys.UPDATE_OPS)) == 6  # they exist, and are never run
    reader = tf.train.load_checkpoint(result.checkpoint_path)
    for layer in ("batch_normalization", "batch_normalization_1", "batch_normalization_2"):
        np.testing.assert_array_equal(reader.get_tensor(f"{layer}/moving_mean"), 0.0)
        np.testing.assert_array_equal(reader.get_tensor(f"{layer}/moving_variance"), 1.0)
    # Training mode (batch statistics) is fine; inference with the stale statistics is far worse.
    assert result.extras["train_accuracy"][-1] > result.extras["valid_accuracy"][-1] + 0.05
    # The metric pinned: the moving variance (1) against hidden1's real variance, far below it.
    assert result.metric == "moving_variance_ratio" and result.history[-1] > 2.0


def test_bn_pitfall_no_update_ops_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("bn_pitfall_no_update_ops")
    assert spec.default_preset == 'pitfall' and spec.metric == 'moving_variance_ratio'
    assert spec.presets == {'pitfall': {},
                            'fixed': {'run_update_ops': True},
                            'smoke': {'n_epochs': 2, 'train_size': 30000}}
    assert spec.hyperparameters == {'n_inputs': 784,
                                    'n_hidden1': 300,
                                    'n_hidden2': 100,
                                    'n_outputs': 10,
                                    'learning_rate': 0.01,
                                    'batch_norm_momentum': 0.9,
                                    'n_epochs': 5,
                                    'batch_size': 200,
                                    'run_update_ops': False}
    assert spec.description == ("batch_norm's network trained with minimize() alone: moving statistics never "
                                'updated.')
