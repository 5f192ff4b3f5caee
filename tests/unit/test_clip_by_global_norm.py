"""The clip_by_global_norm recipe: the global norm before and after clipping, every step (on tiny runs), and it is found by name."""

import json
from pathlib import Path

import pytest
from recipe_helpers import assert_found_by_name

from tf1_recipes.compat import tf1

#: One tiny epoch (1,000 images): the pitfall shows its mechanism, not its full-length numbers.
TINY = {"n_epochs": 1, "train_size": 1000}


@pytest.mark.parametrize("preset", ["global_norm", "by_value"])
def test_clipping_logs_the_global_norm_before_and_after_every_step(recipe_run, preset):
    result = recipe_run("clip_by_global_norm", preset, TINY)
    records = (Path(result.checkpoint_path).parent / "runs.jsonl").read_text().splitlines()
    scalars = _scalars(json.loads(records[-1])["tensorboard"])
    before, after = scalars["per_step/global_norm_before"], scalars["per_step/global_norm_after"]
    steps = TINY["train_size"] // result.config["batch_size"]
    assert len(before) == len(after) == steps
    threshold = result.config["threshold"]
    if preset == "global_norm":
        assert max(after) <= threshold * (1 + 1e-5)
        assert all(a == pytest.approx(min(b, threshold), rel=1e-4) for a, b in zip(after, before))
        assert result.extras["clipped_fraction"][0] > 0
    else:
        assert all(a <= b + 1e-6 for a, b in zip(after, before))
    # The harness's per-epoch scalars land in the same run directory.
    assert {"valid_accuracy", "loss", "learning_rate"} <= set(scalars)


def _scalars(log_dir):
    """{tag: [values in step order]} from every event file in a TensorBoard run directory."""
    out = {}
    for path in sorted(Path(log_dir).glob("events.*")):
        for event in tf1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                out.setdefault(value.tag, []).append((event.step, value.simple_value))
    return {tag: [v for _, v in sorted(pairs, key=lambda p: p[0])] for tag, pairs in out.items()}


def test_clip_by_global_norm_is_found_by_name_with_its_presets_and_hyperparameters():
    spec = assert_found_by_name("clip_by_global_norm")
    assert spec.default_preset == 'global_norm' and spec.metric is None
    assert spec.presets == {'global_norm': {'clipping': 'global_norm'},
                            'by_value': {'clipping': 'by_value'},
                            'smoke': {'clipping': 'global_norm', 'n_epochs': 3, 'train_size': None}}
    assert spec.hyperparameters == {'n_inputs': 784,
                                    'n_hidden1': 300,
                                    'n_hidden2': 50,
                                    'n_hidden3': 50,
                                    'n_hidden4': 50,
                                    'n_hidden5': 50,
                                    'n_outputs': 10,
                                    'learning_rate': 0.01,
                                    'threshold': 0.5,
                                    'n_epochs': 5,
                                    'batch_size': 50,
                                    'clipping': 'global_norm'}
    assert spec.description == ('Five ReLU layers; gradients clipped by global norm (or by value) at 0.5 '
                                'before they are applied.')
