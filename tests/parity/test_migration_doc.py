"""MIGRATION.md stays true: every test it names exists, every TF1 idiom the recipes use has a row, its port list is current."""

import re
from pathlib import Path

import pytest

from tf1_recipes.tf2 import defaults, list_ports
from tf1_recipes.registry import list_recipes

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "MIGRATION.md").read_text()
NAMED = sorted(set(re.findall(r"(tests/[\w/]+\.py)::(\w+)", DOC)))

#: The TF1 idioms the recipes use that a migration must replace, each as it must appear in a row of the table.
IDIOMS = [
    "`tf.placeholder` + `feed_dict`",
    "`tf.Session`",
    "`UPDATE_OPS`",
    "`tf.control_dependencies(UPDATE_OPS)`",
    "`optimizer.compute_gradients(loss)`",
    "`Saver(var_list)` partial restore by scope regex",
    "`tf.stop_gradient(hidden2)`",
    "`minimize(var_list=",
    "hidden-layer caching",
    "collections:",
    "`summary.FileWriter",
    "`tf.train.exponential_decay(",
    "`kernel_regularizer=",
    "`REGULARIZATION_LOSSES`",
    "max-norm via `assign(",
]


@pytest.mark.parametrize("path,test", NAMED, ids=[f"{p}::{t}" for p, t in NAMED])
def test_every_test_the_guide_names_exists(path, test):
    assert f"def {test}(" in (ROOT / path).read_text(), f"MIGRATION.md names {path}::{test}, which does not exist"


@pytest.mark.parametrize("idiom", IDIOMS)
def test_every_idiom_has_a_row_naming_a_test(idiom):
    rows = [line for line in DOC.splitlines() if line.startswith("|") and idiom in line]
    assert rows, f"no table row for {idiom}"
    assert all("tests/" in row for row in rows)


def test_every_named_default_difference_is_in_the_guide():
    for difference in defaults.DIFFERENCES:
        assert difference.test.split("::")[1] in DOC, difference.what


def test_the_not_ported_list_is_current():
    listed = set(re.findall(r"`(\w+)`", DOC[DOC.index("## Not ported yet") :]))
    listed.discard("tf1")  # `tf1-recipes ...` is not a recipe name
    known = {r.name for r in list_recipes()}
    assert listed <= known, sorted(listed - known)
    assert not listed & set(list_ports()), sorted(listed & set(list_ports()))
