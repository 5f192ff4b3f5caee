"""migrate-ckpt: a trained TF1 Saver checkpoint → the port's TF2 checkpoint, same logits and accuracy; mismatches refused."""

import numpy as np
import pytest

from tf1_recipes import cli
from tf1_recipes.tf2 import list_ports, parity
from tf1_recipes.tf2.migrate import CheckpointMismatchError, migrate_checkpoint, restore_model

TINY = {"n_epochs": 1, "train_size": 1000}
#: Each kind of variable table once: batch norm's moving statistics, plain dense layers,
#: an optimizer with slots and global state (Adam), dropout's RNG state left out,
#: a global_step, standardised inputs. (Every port's table is checked against its TF1
#: graph in test_framework; converting is the same code for all.)
MIGRATED = ["batch_norm", "gradient_clipping", "adam", "dropout", "lr_exponential_decay", "selu"]


def tf1_logits_and_accuracy(result, checkpoint, X, y):
    """The TF1 model's logits and ``eval/accuracy`` on (X, y), restored from ``checkpoint`` into the run's own graph."""
    from tf1_recipes.compat import tf1

    graph = result.graph
    with graph.as_default():
        saver = tf1.train.Saver()
    with tf1.Session(graph=graph) as sess:
        saver.restore(sess, checkpoint)
        return sess.run([parity.logits_of_loss(graph), "eval/accuracy:0"], {"X:0": X, "y:0": y})


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """{recipe: (RunResult, checkpoint prefix)}: each ported recipe trained one tiny epoch, test split evaluated."""
    from tf1_recipes.harness import RecipeConfig, run_recipe

    out = {}
    for recipe in MIGRATED:
        cls = list_ports()[recipe]
        directory = tmp_path_factory.mktemp(recipe)
        preset = parity.parity_presets(recipe)[0]
        overrides = {**cls.parity_overrides, **TINY, "eval_split": "test"}
        result = run_recipe(RecipeConfig(recipe, preset, overrides=overrides, out_dir=str(directory), quiet=True, progress=False))
        out[recipe] = (preset, result)
    return out


@pytest.mark.parametrize("recipe", MIGRATED)
def test_converted_checkpoint_gives_the_same_test_logits_and_accuracy(recipe, trained, tmp_path, capsys):
    from tf1_recipes.data import load_mnist

    preset, result = trained[recipe]
    assert result.checkpoint_path, "the TF1 run left no Saver checkpoint"
    code = cli.main(["migrate-ckpt", recipe, result.checkpoint_path, str(tmp_path / "tf2"), "--preset", preset])
    out = capsys.readouterr().out
    assert code == 0, out
    port = parity.build_port(recipe, preset)
    for tf1_name, path in port.variables.items():
        assert f"{tf1_name} " in out and f"-> {path}" in out  # the mapping is printed, entry by entry
    restore_model(port, tmp_path / "tf2")

    test = load_mnist().test
    expected, tf1_accuracy = tf1_logits_and_accuracy(result, result.checkpoint_path, test.images, test.labels)
    logits = port.logits(test.images, training=False).numpy()
    print(f"{recipe}: converted-model test logits max|diff| {np.max(np.abs(logits - expected)):.3g}")
    assert np.max(np.abs(logits - expected)) < 1e-5
    assert port.accuracy(test.images, test.labels) == pytest.approx(float(tf1_accuracy), abs=1e-7)
    if recipe != "selu":  # selu's TF1 run scored standardised images; the raw ones are compared here
        assert float(tf1_accuracy) == pytest.approx(result.final, abs=1e-7)  # the accuracy the TF1 run reported


def test_a_directory_with_a_checkpoint_file_is_accepted(trained, tmp_path):
    preset, result = trained["gradient_clipping"]
    from pathlib import Path

    path, entries = migrate_checkpoint("gradient_clipping", Path(result.checkpoint_path).parent, tmp_path, preset)
    assert Path(path + ".index").is_file() and len(entries) == 12


def test_another_recipes_checkpoint_is_refused_listing_the_differences_and_nothing_is_written(trained, tmp_path, capsys):
    _, result = trained["gradient_clipping"]
    out_dir = tmp_path / "tf2"
    code = cli.main(["migrate-ckpt", "batch_norm", result.checkpoint_path, str(out_dir)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "missing from the checkpoint: batch_normalization/beta" in err
    assert "not variables of batch_norm: hidden3/bias" in err
    assert not out_dir.exists()


def test_a_shape_mismatch_is_refused(tmp_path, run_quiet):
    result = run_quiet("gradient_clipping", "reference", overrides={"n_epochs": 1, "train_size": 100, "n_hidden1": 20}, out_dir=str(tmp_path / "tf1"))
    with pytest.raises(CheckpointMismatchError, match=r"hidden1/kernel has shape \[784, 20\], the port's hidden1/kernel \[784, 300\]"):
        migrate_checkpoint("gradient_clipping", result.checkpoint_path, tmp_path / "tf2", "reference")
    assert not (tmp_path / "tf2").exists()


def test_a_path_that_is_no_checkpoint_is_one_clear_line(tmp_path, capsys):
    code = cli.main(["migrate-ckpt", "batch_norm", str(tmp_path / "model.ckpt"), str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and f"{tmp_path / 'model.ckpt'}: does not exist" in err and len(err.strip().splitlines()) == 1
    (tmp_path / "notes.txt").write_text("not a checkpoint")
    code = cli.main(["migrate-ckpt", "batch_norm", str(tmp_path / "notes.txt"), str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "not a TF1 checkpoint" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_an_adam_checkpoint_converts_into_the_momentum_port_its_slots_listed_not_converted(trained, tmp_path, capsys):
    """The right model trained with Adam: the Adam slots and beta powers do not block a Momentum port."""
    _, result = trained["adam"]
    code = cli.main(["migrate-ckpt", "momentum", result.checkpoint_path, str(tmp_path / "tf2")])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "hidden1/kernel/Adam_1 " in captured.out and "(not converted: optimizer state, slot 'Adam_1' (Adam v) of hidden1/kernel)" in captured.out
    assert "(not converted: optimizer state, Adam's step count)" in captured.out
    restore_model(parity.build_port("momentum", None), tmp_path / "tf2")
    code = cli.main(["migrate-ckpt", "momentum", result.checkpoint_path, str(tmp_path / "tf2b"), "--optimizer-state"])
    err = capsys.readouterr().err
    assert code == 2 and "holds TF1 Adam state but the model's optimizer is FusedSGD" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "tf2b").exists()


def test_optimizer_state_into_the_adam_port_carries_m_v_and_the_step_count(trained, tmp_path, capsys):
    """The recipe form with --optimizer-state: the port's checkpoint() (model and optimizer) gets the TF1 values."""
    import tensorflow as tf

    from tf1_recipes.tf2.optimizers import keras_slots

    preset, result = trained["adam"]
    code = cli.main(["migrate-ckpt", "adam", result.checkpoint_path, str(tmp_path / "tf2"), "--preset", preset, "--optimizer-state"])
    out = capsys.readouterr().out
    assert code == 0 and "0 listed only" in out, out
    reader = tf.train.load_checkpoint(result.checkpoint_path)
    port = parity.build_port("adam", preset)
    port.checkpoint().restore(tf.train.latest_checkpoint(str(tmp_path / "tf2"))).assert_consumed()
    # The recipe passes no global_step to minimize: the step count comes from the beta powers.
    steps = int(port.optimizer.iterations.numpy())
    assert steps == 1000 // result.config["batch_size"]  # one epoch of TINY's 1000 images
    assert np.float32(0.9) ** (steps + 1) == pytest.approx(float(reader.get_tensor("train/beta1_power")), rel=1e-6)
    assert np.float32(0.999) ** (steps + 1) == pytest.approx(float(reader.get_tensor("train/beta2_power")), rel=1e-6)
    # The port's TF1Adam keeps TF1's running beta powers: copied, bit for bit.
    assert port.optimizer.beta_1_power.numpy() == reader.get_tensor("train/beta1_power")
    assert port.optimizer.beta_2_power.numpy() == reader.get_tensor("train/beta2_power")
    assert "train/beta1_power " in out and "optimizer TF1Adam beta_1_power" in out
    for name, variable in port.mapped_variables().items():
        slots = keras_slots(port.optimizer, variable)
        np.testing.assert_array_equal(slots["m"].numpy(), reader.get_tensor(f"{name}/Adam"))
        np.testing.assert_array_equal(slots["v"].numpy(), reader.get_tensor(f"{name}/Adam_1"))
