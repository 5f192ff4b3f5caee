"""The bn_pitfall_training_flag recipe: the training flag left on: single examples collapse (on tiny runs), and it is found by name."""

import numpy as np
from recipe_helpers import assert_found_by_name

from tf1_recipes.compat import tf, tf1

#: One tiny epoch (1,000 images): the pitfall shows its mechanism, not its full-length numbers.
TINY = {"n_epochs": 1, "train_size": 1000}


def test_training_flag_model_is_trained_right_and_single_examples_collapse_in_training_mode(recipe_run, mnist_dir):
    from tf1_recipes.data import load_mnist
    from tf1_recipes.recipes.families.pitfalls import accuracy_in_batches

    result = recipe_run("bn_pitfall_training_flag", overrides=TINY)
    reader = tf.train.load_checkpoint(result.checkpoint_path)
    assert np.abs(reader.get_tensor("batch_normalization/moving_mean")).max() > 1e-3
    assert result.metric == "valid_accuracy_training_mode" and "inference_accuracy" in result.extras
    graph = result.graph
    valid = load_mnist(mnist_dir).validation
    X_eval, y_eval = valid.images[:200], valid.labels[:200]
    X, y, training = (graph.get_tensor_by_name(n) for n in ("X:0", "y:0", "training:0"))
    accuracy = graph.get_tensor_by_name("eval/accuracy:0")
    with tf1.Session(graph=graph) as sess:
        with graph.as_default():
            tf1.train.Saver().restore(sess, result.checkpoint_path)
        with sess.as_default():
            one_at_a_time = accuracy_in_batches(accuracy, X, y, X_eval, y_eval, 1, feed={training: True})
            inference = accuracy_in_batches(accuracy, X, y, X_eval, y_eval, 1)
    # One example normalises to all zeros in training mode: every image gets the same class.
    majority = np.bincount(y_eval).max() / len(y_eval)
    assert one_at_a_time <= majority + 1e-9
    assert inference > one_at_a_time + 0.1


def test_bn_pitfall_training_flag_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("bn_pitfall_training_flag")
    assert spec.default_preset == 'pitfall' and spec.metric == 'valid_accuracy_training_mode'
    assert spec.presets == {'pitfall': {}, 'smoke': {'n_epochs': 2, 'train_size': 30000}}
    assert spec.hyperparameters == {'n_inputs': 784,
                                    'n_hidden1': 300,
                                    'n_hidden2': 100,
                                    'n_outputs': 10,
                                    'learning_rate': 0.01,
                                    'batch_norm_momentum': 0.9,
                                    'n_epochs': 5,
                                    'batch_size': 200,
                                    'eval_batch_size': 10}
    assert spec.description == ('Correctly trained batch_norm network evaluated in training mode, in batches '
                                'of 10.')
