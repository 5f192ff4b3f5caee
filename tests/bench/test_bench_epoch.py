"""One training epoch of each foundation recipe in its reference configuration (pytest-benchmark).

Timings only, never asserted: `pytest tests/bench --benchmark-enable`. With the default
`--benchmark-disable` each benchmark runs once, as a check that it still works.
"""

import pytest

from tf1_recipes.harness import RecipeConfig, run_recipe


@pytest.mark.benchmark(group="epoch")
@pytest.mark.parametrize("recipe", ["batch_norm", "gradient_clipping"])
def test_one_reference_epoch(benchmark, recipe):
    config = RecipeConfig(recipe, n_epochs=1, quiet=True, progress=False)
    result = benchmark.pedantic(run_recipe, args=(config,), rounds=3, iterations=1, warmup_rounds=0)
    assert len(result.history) == 1
    benchmark.extra_info["epoch_seconds"] = result.epoch_seconds[0]
