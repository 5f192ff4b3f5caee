"""pretrain_5layer: the gradient_clipping network, saved with data, index and .meta files."""

import math

from recipe_helpers import assert_found_by_name

TINY = {"n_epochs": 1, "train_size": 1000}


def test_it_is_the_gradient_clipping_run_saved_for_reuse(run_quiet, tmp_path):
    pretrain = run_quiet("pretrain_5layer", "book", overrides=TINY, out_dir=str(tmp_path))
    clipping = run_quiet("gradient_clipping", "book", overrides=TINY)
    assert pretrain.history == clipping.history
    assert pretrain.checkpoint_path == str(tmp_path / "model.ckpt")
    for suffix in (".index", ".meta", ".data-00000-of-00001"):
        assert (tmp_path / f"model.ckpt{suffix}").is_file(), suffix
    names = [op.name for op in pretrain.graph.get_operations()]
    assert "train/GradientDescent" in names and "eval/accuracy" in names and "dnn/hidden3/Relu" in names


def test_book_preset_is_batch_200_for_20_epochs():
    from tf1_recipes.registry import get_recipe

    settings, hyper = get_recipe("pretrain_5layer").preset("book")
    assert (hyper["batch_size"], hyper["n_epochs"], hyper["threshold"]) == (200, 20, 1.0)
    assert (settings["reader"], settings["eval_split"]) == ("shuffle_batch", "valid")


def test_initial_loss_is_near_ln_10(run_quiet, at_init):
    graph = run_quiet("pretrain_5layer", "book", overrides={**TINY, "n_epochs": 0}).graph
    assert abs(at_init(graph, "loss/loss:0") - math.log(10)) < 0.1


def test_pretrain_5layer_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("pretrain_5layer")
    assert spec.default_preset == 'book' and spec.metric is None
    assert spec.presets == {'book': {'batch_size': 200},
                            'smoke': {'batch_size': 200, 'n_epochs': 5, 'train_size': None}}
    assert spec.hyperparameters == {'n_inputs': 784,
                                    'n_hidden1': 300,
                                    'n_hidden2': 50,
                                    'n_hidden3': 50,
                                    'n_hidden4': 50,
                                    'n_hidden5': 50,
                                    'n_outputs': 10,
                                    'learning_rate': 0.01,
                                    'threshold': 1.0,
                                    'n_epochs': 20,
                                    'batch_size': 50}
    assert spec.description == ('The gradient_clipping network (5 ReLU layers, clip +-1) trained and saved '
                                'for the reuse recipes.')
