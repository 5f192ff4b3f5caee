"""The towers' shim ports (bn_shared_between_towers, data_parallel_towers): ``UPDATE_OPS`` on shared moving statistics.

The shared tests (test_shim_ports.py) hold both shims to the TF1 graph (forward pass, K
steps, checkpoint by name). Here: why the shims collect the TF1 batch-norm layers' updates
and run them after the step (tf_private.collected_batch_norm_updates) rather than let each
layer call assign them: with the in-call updates the K steps leave TF1 in the moving
statistics, and only there.
"""

import pytest

from tf1_recipes.shim import get_shim
from tf1_recipes.shim.base import ShimPort
from tf1_recipes.tf2 import parity


def in_call_updates_shim(recipe, preset, overrides, step):
    """The recipe's shim with ``step`` as its training step (a layer call's own moving-statistics updates left to run)."""
    from tf1_recipes.tf2 import seed_everything

    cls = type("InCallUpdates", (get_shim(recipe),), {"_train_step": step})
    _, _, _, settings, hyper = parity.resolve(recipe, preset, overrides)
    seed_everything(settings["seed"])
    return cls(**hyper)


def test_shared_batch_norm_updates_made_in_the_towers_calls_chain_where_tf1s_add_up(pair):
    """ShimPort's own step (both towers called in training mode, each assigning in its call): tower B's update reads
    tower A's result. With per-tower batch norm (``separate``) there is nothing to chain and it agrees with TF1."""
    recipe = "bn_shared_between_towers"
    in_call = {}
    for preset in ("shared", "separate"):
        tf1_trace, _, _ = pair(recipe, preset)
        shim = in_call_updates_shim(recipe, preset, tf1_trace.extras["overrides"], ShimPort._train_step)
        in_call[preset] = parity.against(tf1_trace, recipe, preset, port=shim)[1]
        assert in_call[preset].forward_max == 0.0  # the model is the graph's; the step differs
    assert in_call["separate"].k_steps_ok, in_call["separate"].summary()
    assert not in_call["shared"].k_steps_ok, in_call["shared"].summary()
    worst = max(in_call["shared"].per_variable, key=in_call["shared"].per_variable.get)
    assert worst.endswith(("moving_mean", "moving_variance")), worst
    assert in_call["shared"].per_variable["dnn/bn1/moving_mean"] > 1e-3
    assert max(v for k, v in in_call["shared"].per_variable.items() if "moving" not in k) < 1e-6  # the weights still agree


def test_every_towers_batch_norm_updating_in_its_call_leaves_tf1s_tower_0_statistics(pair):
    """data_parallel_towers/4towers with the recipe's step but no collected updates: each tower's TF1 batch-norm call
    assigns the shared moving statistics in turn (four chained updates) where TF1 runs tower 0's alone."""
    import tensorflow as tf

    from tf1_recipes.recipes.data_parallel_towers import average_gradients

    def in_call_step(self, X, y):
        variables = self.model.trainable_variables
        with tf.GradientTape(persistent=True) as tape:
            xentropies = self.tower_xentropies(X, y, training=True)
            tower_losses = [tf.reduce_mean(x) for x in xentropies]
        self.optimizer.apply_gradients(average_gradients([list(zip(tape.gradient(l, variables), variables)) for l in tower_losses]))
        return tf.reduce_mean(tf.concat(xentropies, 0))

    recipe, preset = "data_parallel_towers", "4towers"
    tf1_trace, _, _ = pair(recipe, preset)
    shim = in_call_updates_shim(recipe, preset, tf1_trace.extras["overrides"], in_call_step)
    result = parity.against(tf1_trace, recipe, preset, port=shim)[1]
    assert result.forward_max == 0.0
    assert not result.k_steps_ok, result.summary()
    moving = {k: v for k, v in result.per_variable.items() if "moving" in k}
    assert max(moving.values()) > 1e-3, moving
    assert max(v for k, v in result.per_variable.items() if "moving" not in k) < 1e-6  # the weights still agree
