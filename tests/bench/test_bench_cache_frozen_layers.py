"""What caching the frozen layers saves: freeze_stop_gradient vs cache_frozen_layers (pytest-benchmark).

Both train hidden3, hidden4 and outputs on the full training set for two epochs from the same
pretrained checkpoint (pretrain_5layer smoke, from the session's checkpoint cache) with the
same batches; the cached run computes hidden1-2 once instead of in every step. Compare the
two in the ``cache_frozen_layers`` group: `pytest tests/bench --benchmark-enable`. With the
default ``--benchmark-disable`` each runs once on ``bench.CHECK_TRAIN_SIZE`` images, as a check
that it still works.
"""

import pytest

from benchmarks import bench  # the source tree's benchmarks/ (tests/bench/conftest.py)
from tf1_recipes.harness import RecipeConfig, run_recipe

OVERRIDES = {"n_epochs": 2, "pretrained_preset": "smoke"}


@pytest.mark.benchmark(group="cache_frozen_layers")
@pytest.mark.parametrize("recipe", ["freeze_stop_gradient", "cache_frozen_layers"])
def test_two_epochs_on_frozen_hidden1_and_hidden2(benchmark, recipe):
    from tf1_recipes import checkpoints

    checkpoints.pretrained_checkpoint("pretrain_5layer", "smoke")  # cached before timing starts
    overrides = {**OVERRIDES, "train_size": bench.CHECK_TRAIN_SIZE} if benchmark.disabled else OVERRIDES
    config = RecipeConfig(recipe, overrides=overrides, quiet=True, progress=False)
    result = benchmark.pedantic(run_recipe, args=(config,), rounds=1, iterations=1, warmup_rounds=0)
    assert len(result.history) == 2
    benchmark.extra_info["epoch_seconds"] = result.epoch_seconds
