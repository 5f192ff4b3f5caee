"""Keras 3 models the ports share, with their layers named as the TF1 layers (``hidden1`` ... ``outputs``)."""

import keras


def dense_variables(*layers):
    """The identity table ``{"<layer>/kernel": same, "<layer>/bias": same}`` for Dense layers named as in TF1."""
    return {f"{layer}/{kind}": f"{layer}/{kind}" for layer in layers for kind in ("kernel", "bias")}


def mlp(name, n_inputs, hidden, n_outputs, activation="relu", **dense_kwargs):
    """Input → Dense ``hidden1`` ... ``hiddenN`` (``activation``) → Dense ``outputs`` (logits).

    ``dense_kwargs`` go to every Dense layer, outputs included (kernel initializer,
    regularizer, ...), as ``functools.partial(tf.layers.dense, ...)`` did in the TF1 code;
    ``hidden_kwargs`` in them go to the hidden layers only.
    """
    hidden_kwargs = dense_kwargs.pop("hidden_kwargs", {})
    layers = [keras.Input(shape=(n_inputs,))]
    for i, units in enumerate(hidden, 1):
        layers.append(keras.layers.Dense(units, activation=activation, name=f"hidden{i}", **dense_kwargs, **hidden_kwargs))
    layers.append(keras.layers.Dense(n_outputs, name="outputs", **dense_kwargs))
    return keras.Sequential(layers, name=name)
