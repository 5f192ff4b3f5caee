"""The bn_shared_between_towers recipe: two towers sharing batch norm: shared statistics (on tiny runs), and it is found by name."""

import numpy as np
import pytest
from recipe_helpers import assert_found_by_name, graph_variables

from tf1_recipes.compat import tf, tf1

#: One tiny epoch (1,000 images): the pitfall shows its mechanism, not its full-length numbers.
TINY = {"n_epochs": 1, "train_size": 1000}


@pytest.mark.parametrize("preset", ["shared", "separate"])
def test_towers_share_dense_weights_and_batch_norm_only_when_asked(recipe_run, preset):
    result = recipe_run("bn_shared_between_towers", preset, TINY)
    names = graph_variables(result.graph)
    assert {"dnn/hidden1/kernel", "dnn/hidden2/kernel", "dnn/outputs/kernel"} <= set(names)
    assert not any(n.startswith("tower_") for n in names)  # no per-tower copies of the dense layers
    bn = sorted(n for n in names if n.endswith("moving_mean"))
    if preset == "shared":
        assert bn == ["dnn/bn1/moving_mean", "dnn/bn2/moving_mean"]
    else:
        assert bn == ["dnn/tower_a_bn1/moving_mean", "dnn/tower_a_bn2/moving_mean",
                      "dnn/tower_b_bn1/moving_mean", "dnn/tower_b_bn2/moving_mean"]
    assert len(result.graph.get_collection(tf1.GraphKeys.UPDATE_OPS)) == 8  # 2 towers x 2 layers x 2


def test_shared_moving_mean_sits_between_the_two_towers_means(recipe_run, mnist_dir):
    from tf1_recipes.data import load_mnist

    result = recipe_run("bn_shared_between_towers", "shared", TINY)
    reader = tf.train.load_checkpoint(result.checkpoint_path)
    moving_mean = reader.get_tensor("dnn/bn1/moving_mean")
    kernel, bias = reader.get_tensor("dnn/hidden1/kernel"), reader.get_tensor("dnn/hidden1/bias")
    X = load_mnist(mnist_dir).validation.images[:1000]
    mean_a, mean_b = (X @ kernel + bias).mean(axis=0), ((1 - X) @ kernel + bias).mean(axis=0)
    # Units whose two tower means are far apart: the shared moving mean lies between them.
    apart = np.abs(mean_a - mean_b) > 1.0
    assert apart.sum() > 10
    low, high = np.minimum(mean_a, mean_b)[apart], np.maximum(mean_a, mean_b)[apart]
    inside = (moving_mean[apart] > low) & (moving_mean[apart] < high)
    assert inside.mean() > 0.8
    assert result.history[0] > recipe_run("bn_shared_between_towers", "separate", TINY).history[0]


def test_bn_shared_between_towers_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("bn_shared_between_towers")
    assert spec.default_preset == 'shared' and spec.metric == 'moving_mean_mismatch'
    assert spec.presets == {'shared': {'share_batch_norm': True},
                            'separate': {'share_batch_norm': False},
                            'smoke': {'share_batch_norm': True, 'n_epochs': 2, 'train_size': 30000}}
    assert spec.hyperparameters == {'n_inputs': 784,
                                    'n_hidden1': 300,
                                    'n_hidden2': 100,
                                    'n_outputs': 10,
                                    'learning_rate': 0.01,
                                    'batch_norm_momentum': 0.9,
                                    'n_epochs': 5,
                                    'batch_size': 200,
                                    'share_batch_norm': True}
    assert spec.description == ('Tower A on MNIST, tower B on inverted MNIST, dense weights shared; batch '
                                'norm shared or per tower.')
