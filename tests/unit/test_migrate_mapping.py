"""The mapping rules of tf1_recipes.tf2.mapping and the step count of tf1_recipes.tf2.optimizer_state, on names and shapes alone.

Mechanics only: the checkpoints here are {name: shape} tables (the conversions on real
TF1 checkpoints trained on MNIST are in tests/unit/test_migrate_user_model.py).
"""

import numpy as np
import pytest

from tf1_recipes.tf2.mapping import MapRule, MapSyntaxError, TF1Role, classify_tf1, map_checkpoint, natural_key
from tf1_recipes.tf2.optimizer_state import steps_from_beta_powers

MLP = {"kernel": [(784, 300), (300, 50), (50, 10)]}


def keras_mlp(names=None, bn=False):
    import keras

    layers = [keras.Input((784,))]
    for i, units in enumerate((300, 50, 10)):
        layers.append(keras.layers.Dense(units, name=names[i] if names else None))
        if bn and i < 2:
            layers.append(keras.layers.BatchNormalization())
    return keras.Sequential(layers)


def tf1_mlp(layer_names, scope="", bn=False, slots=()):
    shapes = {}
    for i, (name, shape) in enumerate(zip(layer_names, MLP["kernel"])):
        shapes[f"{scope}{name}/kernel"] = shape
        shapes[f"{scope}{name}/bias"] = (shape[1],)
        if bn and i < 2:
            bn_name = "batch_normalization" + (f"_{i}" if i else "")
            for role in ("gamma", "beta", "moving_mean", "moving_variance"):
                shapes[f"{scope}{bn_name}/{role}"] = (shape[1],)
    for name in [n for n in shapes if n.endswith(("kernel", "bias"))]:
        for slot in slots:
            shapes[f"{name}/{slot}"] = shapes[name]
    return shapes


def targets(mapping):
    return {row.tf1_name: row.target for row in mapping.rows if row.target is not None}


def test_natural_order_puts_dense_10_after_dense_2():
    names = ["dense_10", "dense", "dense_2", "dense_1"]
    assert sorted(names, key=natural_key) == ["dense", "dense_1", "dense_2", "dense_10"]


def test_the_checkpoint_is_classified_into_model_variables_slots_and_global_state():
    roles = classify_tf1(["dnn/dense/kernel", "dnn/dense/kernel/Adam", "dnn/dense/kernel/Adam_1", "train/beta1_power",
                          "beta2_power_1", "global_step", "relu/threshold"])
    assert roles["dnn/dense/kernel"] == TF1Role("model")
    assert roles["dnn/dense/kernel/Adam_1"] == TF1Role("slot", owner="dnn/dense/kernel", slot="Adam_1")
    assert roles["train/beta1_power"].kind == roles["beta2_power_1"].kind == "beta_power"
    assert roles["global_step"].kind == "global_step"
    assert roles["relu/threshold"].kind == "model"  # "relu" is no variable of the checkpoint: not a slot


def test_default_tf_layers_names_go_in_order_whatever_keras_numbered_its_layers():
    keras_mlp()  # Keras' counter moves on: the next model's layers are dense_3, dense_4, dense_5 or later
    model = keras_mlp()
    mapping = map_checkpoint(tf1_mlp(["dense", "dense_1", "dense_2"], scope="dnn/", slots=("Momentum",)), model).check()
    paths = [v.path.split("/", 1)[1] for v in model.variables]
    assert targets(mapping) == {
        "dnn/dense/kernel": paths[0], "dnn/dense/bias": paths[1], "dnn/dense_1/kernel": paths[2],
        "dnn/dense_1/bias": paths[3], "dnn/dense_2/kernel": paths[4], "dnn/dense_2/bias": paths[5],
    }
    assert paths[0] != "dense/kernel"  # a made-up Keras name decided nothing


def test_layers_with_the_same_chosen_name_match_by_name_the_rest_in_order():
    shapes = tf1_mlp(["hidden1", "hidden2", "logits"])
    mapping = map_checkpoint(shapes, keras_mlp(["hidden1", "hidden2", "logits"])).check()
    assert all(r.how == "by name" for r in mapping.rows)
    mapping = map_checkpoint(shapes, keras_mlp(["hidden1", "hidden2", "out"])).check()
    assert {r.tf1_name: r.how for r in mapping.rows}["logits/kernel"] == "in order: kernel layer 1 of 1"
    assert targets(mapping)["logits/bias"] == "out/bias"
    # The names decide even against the order: a model with the same names in another order is
    # refused, every difference listed.
    mapping = map_checkpoint(shapes, keras_mlp(["logits", "hidden1", "hidden2"]))
    assert "hidden1/kernel has shape [784, 300], the model's hidden1/kernel [300, 50] (by name)" in mapping.problems
    assert "logits/kernel has shape [50, 10], the model's logits/kernel [784, 300] (by name)" in mapping.problems


def test_batch_norm_layers_go_onto_batch_normalization_layers_in_order():
    mapping = map_checkpoint(tf1_mlp(["dense", "dense_1", "dense_2"], bn=True), keras_mlp(bn=True)).check()
    bn = {name: path for name, path in targets(mapping).items() if "batch_normalization" in name}
    assert len(bn) == 8 and bn["batch_normalization_1/moving_variance"].endswith("moving_variance")
    rows = {r.tf1_name: r for r in mapping.rows}
    assert rows["batch_normalization_1/gamma"].how == "in order: batch-norm layer 2 of 2"


def test_weights_and_biases_pair_by_shape_and_the_natural_order_is_used_without_a_meta_file():
    shapes = {}
    for i, (name, shape) in enumerate(zip(["layer2", "layer10", "layer3"], MLP["kernel"])):
        shapes[f"{name}/weights"], shapes[f"{name}/biases"] = shape, (shape[1],)
    mapping = map_checkpoint(shapes, keras_mlp())
    # natural order: layer2, layer3, layer10 -> the [50, 10] kernel goes onto the 300-unit layer: refused, listed
    assert any("layer3/weights has shape [50, 10]" in p for p in mapping.problems)
    ordered = map_checkpoint(shapes, keras_mlp(), order=["layer2/weights", "layer10/weights", "layer3/weights"]).check()
    assert sum(r.target is not None for r in ordered.rows) == 6


def test_map_rules_prefix_regex_and_leaving_out():
    assert MapRule.parse("dnn/hidden1=dense").apply("dnn/hidden1/kernel") == "dense/kernel"
    assert MapRule.parse("dnn/hidden1=dense").apply("dnn/hidden10/kernel") is None  # a prefix ends at a '/'
    assert MapRule.parse("W1=fc1/kernel").apply("W1") == "fc1/kernel"
    rule = MapRule.parse(r"re:layer_(\d+)/w=fc\1/kernel")
    assert rule.regex and rule.apply("layer_2/w") == "fc2/kernel" and rule.apply("x/layer_2/w") is None
    assert MapRule.parse("re:(?=a)b=c").old == "(?=a)b"  # split at the last '='
    assert MapRule.parse("epoch_counter=").apply("epoch_counter") == ""
    for bad in ("nothing", "=x", "re:(=x"):
        with pytest.raises(MapSyntaxError):
            MapRule.parse(bad)


def test_a_variable_left_out_by_map_is_listed_and_does_not_block():
    shapes = {**tf1_mlp(["dense", "dense_1", "dense_2"]), "epoch": ()}
    assert any("TF1 variables nothing maps: epoch" in p for p in map_checkpoint(shapes, keras_mlp()).problems)
    mapping = map_checkpoint(shapes, keras_mlp(), ["epoch="]).check()
    assert [r.reason for r in mapping.rows if r.tf1_name == "epoch"] == ["left out by --map epoch="]


def test_an_object_based_checkpoint_is_named_as_such():
    from tf1_recipes.tf2.mapping import CheckpointMismatchError

    with pytest.raises(CheckpointMismatchError, match="object-based TF2 checkpoint"):
        map_checkpoint({"_CHECKPOINTABLE_OBJECT_GRAPH": (), "model/x/.ATTRIBUTES/VARIABLE_VALUE": (3,)}, keras_mlp())


def tf1_beta_power(beta, steps):
    """What TF1 holds after ``steps`` steps: beta, multiplied by beta ``steps`` times, in float32."""
    power, beta = np.float32(beta), np.float32(beta)
    for _ in range(steps):
        power = np.float32(power * beta)
    return power


@pytest.mark.parametrize("steps", [0, 1, 5, 100, 800, 3000])
def test_the_step_count_is_recovered_from_float32_beta_powers(steps):
    fits = steps_from_beta_powers(tf1_beta_power(0.9, steps), tf1_beta_power(0.999, steps), 0.9, 0.999)
    assert fits[0][0] == steps


def test_beta_powers_of_other_betas_fit_no_step():
    assert steps_from_beta_powers(tf1_beta_power(0.8, 5), tf1_beta_power(0.999, 5), 0.9, 0.999) == []


def test_a_name_to_shape_table_is_read_as_shapes_and_a_value_table_as_values():
    """get_variable_to_shape_map() gives lists of dimensions, read_checkpoint() arrays: both are understood."""
    from tf1_recipes.tf2.mapping import tf1_shapes

    assert tf1_shapes({"w": [3, 1], "t": [], "s": (2,)}) == {"w": (3, 1), "t": (), "s": (2,)}
    assert tf1_shapes({"w": np.zeros((3, 1), np.float32), "t": np.float32(0.5)}) == {"w": (3, 1), "t": ()}
