"""TensorFlow's DeterministicRandomTestTool on the dropout recipe, TF1 -> shim: where it applies, where it stops.

The migration guide ("Validating correctness & numerical equivalence") aligns random ops
between a TF1 graph and eager code with ``tf.compat.v1.keras.utils.DeterministicRandomTestTool``
in operation-seed mode (``mode="num_random_ops"``: the n-th stateful random op made gets op
seed n). Between the dropout recipe's graph and its shim, with no injected noise, it aligns
what is drawn once, in the same order: the first dropout masks. It cannot align the masks
of later steps (each eager call and traced function makes ops of its own, where the
graph's one op per layer advances its state), so the K-step parity keeps
``parity.DropoutNoise`` (the reason is in its docstring). These tests pin both halves: if a
TensorFlow release made the tool reach step K, the second fails and the injection can go.
"""

import pytest

from tf1_recipes.compat import tf1
from tf1_recipes.tf2 import parity

RECIPE = "dropout"


def traces(tool):
    """(TF1 trace, shim trace, Parity) from the graph's initial values, no injected noise; each side in
    ``tool()``'s scope (a fresh DeterministicRandomTestTool) or none."""
    batch_list = parity.fixed_batches(parity.K_STEPS, parity.BATCH_SIZE)
    with tool():
        tf1_trace = parity.trace_tf1(RECIPE, batch_list)
    with tool():
        shim = parity.build_shim(RECIPE)
        shim_trace = parity.trace_tf2(RECIPE, batch_list, tf1_trace.initial, port=shim)
    return tf1_trace, shim_trace, parity.compare(tf1_trace, shim_trace)


@pytest.fixture(scope="module")
def traces_under_the_tool(monkeypatch_module):
    monkeypatch_module.setattr(parity, "_noise_for", lambda recipe, batch_list: None)
    return traces(lambda: tf1.keras.utils.DeterministicRandomTestTool(seed=42, mode="num_random_ops").scope())


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_the_tool_aligns_the_first_dropout_masks(traces_under_the_tool):
    """The probe's first look in training mode (every dropout drawing its first mask) is the graph's, bit for bit."""
    _, _, result = traces_under_the_tool
    assert set(result.forward) == {"inference", "training"}
    assert result.forward["training"] == 0.0, result.summary()
    assert result.forward["inference"] == 0.0


def test_without_the_tool_the_first_masks_differ(monkeypatch):
    """What the tool does: without it the graph's and the shim's first masks are other draws."""
    import contextlib

    monkeypatch.setattr(parity, "_noise_for", lambda recipe, batch_list: None)
    _, _, result = traces(contextlib.nullcontext)
    assert result.forward["inference"] == 0.0 and result.forward["training"] > 0.1, result.summary()


def test_the_tool_does_not_reach_the_masks_of_later_steps(traces_under_the_tool):
    """After K steps the weights are far outside the parity tolerance: the injected noise is still needed."""
    _, _, result = traces_under_the_tool
    assert result.weights_ratio > 100, f"the tool now aligns K steps ({result.summary()}): use it instead of DropoutNoise"
