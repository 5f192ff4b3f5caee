"""The selu recipe: inputs standardised with the training set's statistics, and it is found by name."""

import numpy as np
from recipe_helpers import FAMILY_HYPERPARAMETERS, assert_found_by_name, fed_inputs

#: One epoch on 500 images, the run the family's tests share (tests/unit/test_family_init_and_activations.py).
TINY = {"n_epochs": 1, "train_size": 500}


def test_selu_feeds_inputs_standardised_with_the_training_statistics(mnist_dir):
    from tf1_recipes.data import load_mnist

    train_batches, eval_feeds = fed_inputs("selu", TINY)
    X_train = np.concatenate(train_batches)
    assert len(X_train) == TINY["train_size"]  # one epoch: every training image once
    varying = load_mnist(mnist_dir, TINY["train_size"]).train.images.std(axis=0) > 0
    np.testing.assert_allclose(X_train.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(X_train.std(axis=0)[varying], 1.0, atol=1e-3)
    np.testing.assert_array_equal(X_train[:, ~varying], 0.0)

    mnist = load_mnist(mnist_dir, TINY["train_size"])
    means = mnist.train.images.mean(axis=0, keepdims=True)
    stds = mnist.train.images.std(axis=0, keepdims=True) + 1e-10
    (X_valid,) = eval_feeds
    np.testing.assert_allclose(X_valid, (mnist.validation.images - means) / stds, rtol=1e-5, atol=1e-5)


def test_selu_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("selu")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {'activation': 'selu', 'scale_inputs': True},
                            'smoke': {'activation': 'selu',
                                      'scale_inputs': True,
                                      'n_epochs': 2,
                                      'train_size': 7500}}
    assert spec.hyperparameters == FAMILY_HYPERPARAMETERS["init_and_activations"]
    assert spec.description == ('SELU (tf.nn.selu) in the 300/100 MLP, inputs standardised with the training '
                                "set's pixel means and stds.")
