"""Fixtures of the unit tests that several recipes' test files share."""

import pytest


@pytest.fixture(scope="module")
def pretrained():
    """{name: value} of the pretrain_5layer smoke checkpoint the reuse recipes' tiny runs restore from."""
    from saver_helpers import checkpoint_values

    from tf1_recipes import checkpoints

    return checkpoint_values(checkpoints.pretrained_checkpoint("pretrain_5layer", "smoke"))
