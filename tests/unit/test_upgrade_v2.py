"""Rung 1: the recipes through the installed ``tf_upgrade_v2`` (tf1_recipes/upgrade_v2.py).

Fast tier: the respelling into the reference's TensorFlow, the parsing of the tool's log, the
registry's capture, the tool run once over the whole catalogue, and the committed reports in
``migration/tf_upgrade_v2/`` being what the script writes now (everything but the measured
run sections). The user's fixes (``FIXES``) on small strings, the regularizer rules against
what the tool itself writes for a call, the fixed tree, the cause probes. Golden tier: each
recipe's upgraded code, and its fixed code, run on the smoke preset against the recipe, the
result being what its committed report states.
"""

import ast
import dataclasses
from pathlib import Path

import pytest

from tf1_recipes import upgrade_v2
from tf1_recipes.tf2 import get_port
from tf1_recipes.registry import RECIPES, get_recipe, list_recipes, recipe_paths

ROOT = Path(__file__).resolve().parents[2]
NAMES = [r.name for r in list_recipes()]


@pytest.fixture(scope="module")
def upgrade(tmp_path_factory):
    """The whole catalogue through the installed tool, once per module (one subprocess, seconds)."""
    return upgrade_v2.upgrade_catalogue(tmp_path_factory.mktemp("tf_upgrade_v2") / "tree")


# -- the reference spelling -------------------------------------------------------------------

PATHS = {"variance_scaling_initializer": "tf.contrib.layers.variance_scaling_initializer",
         "l1_regularizer": "tf.contrib.layers.l1_regularizer"}


def test_reference_source_respells_tf1_contrib_and_the_imports_keeping_every_line_number():
    text = "\n".join([
        '"""Docs: tf1_recipes.contrib and tf1-recipes stay as they are."""',
        "from tf1_recipes import contrib",
        "from tf1_recipes.compat import ref_variables, tf, tf1",
        "from tf1_recipes.recipes.families.pitfalls import softmax_head",
        "from tf1_recipes.recipes.gradient_clipping import gradient_clipping",
        "X = tf1.placeholder(tf.float32, name='X')",
        "init = contrib.variance_scaling_initializer()",
        "h = tf1.layers.dense(X, 3, kernel_initializer=init)  # tf.contrib.layers.x in a comment stays",
    ])
    out = upgrade_v2.reference_source(text, contrib_paths=PATHS).split("\n")
    assert out == [
        '"""Docs: tf1_recipes.contrib and tf1-recipes stay as they are."""',
        "",
        "import tensorflow as tf; from tf1_recipes.compat import ref_variables",
        "from .families.pitfalls import softmax_head",
        "from .gradient_clipping import gradient_clipping",
        "X = tf.placeholder(tf.float32, name='X')",
        "init = tf.contrib.layers.variance_scaling_initializer()",
        "h = tf.layers.dense(X, 3, kernel_initializer=init)  # tf.contrib.layers.x in a comment stays",
    ]
    family = upgrade_v2.reference_source(
        "from tf1_recipes.recipes.families.pitfalls import f\nfrom tf1_recipes.recipes.early_stopping import g",
        family=True, contrib_paths=PATHS)
    assert family == "from .pitfalls import f\nfrom ..early_stopping import g"
    # contrib imported before (or without) any TensorFlow import: tf comes from its line
    assert upgrade_v2.reference_source("from tf1_recipes import contrib\nr = contrib.l1_regularizer(0.1)",
                                       contrib_paths=PATHS) == "import tensorflow as tf\nr = tf.contrib.layers.l1_regularizer(0.1)"


def test_reference_source_refuses_what_it_cannot_respell():
    with pytest.raises(upgrade_v2.UpgradeError, match=r"m\.py:2: contrib\.max_norm has no reference path"):
        upgrade_v2.reference_source("from tf1_recipes import contrib\nr = contrib.max_norm(1)", contrib_paths=PATHS,
                                    where="m.py")
    with pytest.raises(upgrade_v2.UpgradeError, match=r"m\.py:1: tf1 used other than as tf1\.X"):
        upgrade_v2.reference_source("v1 = tf1", contrib_paths=PATHS, where="m.py")


def test_contrib_paths_are_read_from_the_stand_ins_docstrings():
    assert upgrade_v2.contrib_reference_paths() == {
        "variance_scaling_initializer": "tf.contrib.layers.variance_scaling_initializer",
        "l1_regularizer": "tf.contrib.layers.l1_regularizer",
        "l2_regularizer": "tf.contrib.layers.l2_regularizer",
    }
    with pytest.raises(upgrade_v2.UpgradeError, match="max_norm's docstring names no tf.contrib path"):
        upgrade_v2.contrib_reference_paths('def max_norm(x):\n    """A max-norm constraint."""\n')


def test_the_reference_tree_has_every_recipe_and_family_module_with_the_recipes_line_count(upgrade):
    modules = upgrade_v2.recipe_modules()
    assert {f"recipes/{n}.py" for n in NAMES} <= set(upgrade.reference)
    assert set(upgrade.reference) == set(modules) == set(upgrade.upgraded)
    for path, source in modules.items():
        assert upgrade.reference[path].count("\n") == source.read_text().count("\n"), path
        tree = ast.parse(upgrade.reference[path])
        assert not {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} & {"tf1", "contrib"}, path
        imports = [(n.module, n.level, [a.name for a in n.names]) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not [i for i in imports if i[0] and i[0].startswith("tf1_recipes.recipes")], path
        assert not [i for i in imports if i[0] == "tf1_recipes.compat" and {"tf", "tf1"} & set(i[2])], path
        assert not [i for i in imports if i[0] == "tf1_recipes" and "contrib" in i[2]], path


def line_of(upgrade, path, text):
    """The one line of the reference tree's ``path`` (the recipe file's same line) that holds ``text``."""
    (line,) = [i for i, source in enumerate(upgrade.reference[path].split("\n"), 1) if text in source]
    return line


def test_module_closure_follows_the_relative_imports(upgrade):
    assert upgrade_v2.module_closure("recipes/pretrain_5layer.py", upgrade.reference) == [
        "recipes/pretrain_5layer.py", "recipes/gradient_clipping.py", "recipes/families/relu_mlp.py"]
    assert upgrade_v2.module_closure("recipes/clip_by_global_norm.py", upgrade.reference) == [
        "recipes/clip_by_global_norm.py", "recipes/families/relu_mlp.py", "recipes/families/pitfalls.py"]
    assert upgrade_v2.module_closure("recipes/adam.py", upgrade.reference) == [
        "recipes/adam.py", "recipes/families/faster_optimizers.py", "recipes/families/relu_mlp.py"]


# -- the tool's log ---------------------------------------------------------------------------

REPORT = """TensorFlow 2.0 Upgrade Script
-----------------------------
File: ref/recipes/a.py
--------------------------------------------------------------------------------
ref/recipes/a.py:5:4: WARNING: summary line, not parsed
================================================================================
Detailed log follows:

================================================================================
--------------------------------------------------------------------------------
Processing file 'ref/recipes/a.py'
 outputting to 'out/recipes/a.py'
--------------------------------------------------------------------------------

5:4: INFO: Renamed 'tf.placeholder' to 'tf.compat.v1.placeholder'
7:8: WARNING: *.save requires manual check. (This warning is only applicable if the code saves a tf.Keras model)
Keras model.save now saves to the Tensorflow SavedModel format.

9:0: ERROR: Using member tf.contrib.layers.l1_regularizer in deprecated module tf.contrib.
--------------------------------------------------------------------------------
Processing file 'ref/recipes/families/b.py'
 outputting to 'out/recipes/families/b.py'
--------------------------------------------------------------------------------

--------------------------------------------------------------------------------
"""


def test_parse_report_reads_the_detailed_log_per_file_with_multi_line_messages():
    E = upgrade_v2.Entry
    assert upgrade_v2.parse_report(REPORT, "ref") == {
        "recipes/a.py": [
            E("recipes/a.py", 5, 4, "INFO", "Renamed 'tf.placeholder' to 'tf.compat.v1.placeholder'"),
            E("recipes/a.py", 7, 8, "WARNING", "*.save requires manual check. (This warning is only applicable if the "
              "code saves a tf.Keras model) Keras model.save now saves to the Tensorflow SavedModel format."),
            E("recipes/a.py", 9, 0, "ERROR", "Using member tf.contrib.layers.l1_regularizer in deprecated module tf.contrib."),
        ],
        "recipes/families/b.py": [],
    }
    with pytest.raises(upgrade_v2.UpgradeError, match="not a tf_upgrade_v2 report"):
        upgrade_v2.parse_report("Converted 1 files\n", "ref")


def test_what_the_tool_does_to_batch_norm_and_the_regularizers(upgrade):
    bn = upgrade.static("batch_norm")
    assert bn.modules == ["recipes/batch_norm.py", "recipes/families/pitfalls.py"]
    placeholder = line_of(upgrade, "recipes/batch_norm.py", 'X = tf.placeholder(')
    he_init = line_of(upgrade, "recipes/families/pitfalls.py", "he_init = tf.contrib.layers.variance_scaling_initializer()")
    dense = line_of(upgrade, "recipes/families/pitfalls.py", "functools.partial(tf.layers.dense")
    messages = {(e.path, e.line, e.level, e.message) for e in bn.entries}
    assert ("recipes/batch_norm.py", placeholder, "INFO", "Renamed 'tf.placeholder' to 'tf.compat.v1.placeholder'") in messages
    assert ("recipes/families/pitfalls.py", he_init, "INFO", "Changing tf.contrib.layers.variance_scaling_initializer to a "
            "tf.compat.v1.keras.initializers.VarianceScaling and converting arguments.") in messages
    hunk = next(h for h in bn.hunks if h.start == he_init)
    assert hunk.after == ["            he_init = tf.compat.v1.keras.initializers.VarianceScaling(scale=2.0)"] and hunk.logged
    # tf.layers.dense is left as it is, and TensorFlow 2 has no tf.layers: the run fails there
    assert ("recipes/families/pitfalls.py", dense, "tf.layers.dense", "tf.layers") in bn.unresolved
    assert any("0.87962566" in note for note in bn.reading)
    regularized = upgrade.static("l1_regularizer")
    errors = [(e.path, e.line) for e in regularized.entries if e.level == "ERROR"]
    assert errors == [("recipes/families/kernel_regularizers.py", 14)] * 2
    assert ("recipes/families/kernel_regularizers.py", 14, "tf.contrib.layers.l1_regularizer", "tf.contrib") in regularized.unresolved


def test_a_summary_op_the_log_says_was_converted_and_was_not_is_reported(upgrade):
    static = upgrade.static("logistic_regression_tensorboard")
    line = line_of(upgrade, "recipes/logistic_regression_tensorboard.py", 'tf.summary.scalar("log_loss", loss)')
    assert [(e.line, text) for e, text in static.unkept] == [(line, 'return tf.summary.scalar("log_loss", loss)')]
    assert upgrade_v2.unkept_claims(static.entries, upgrade.upgraded["recipes/logistic_regression_tensorboard.py"].replace(
        "tf.summary.scalar(", "tf.compat.v1.summary.scalar(")) == []


def test_unresolved_tf_names_finds_the_first_missing_attribute():
    source = "import tensorflow as tf\nh = tf.layers.dense(x, 3)\nk = tf.compat.v1.layers.dense(x, 3)\nz = tf.nn.relu(h)\n"
    assert upgrade_v2.unresolved_tf_names(source) == [(2, "tf.layers.dense", "tf.layers")]


def test_silent_edits_are_marked():
    entries = [upgrade_v2.Entry("m.py", 1, 0, "INFO", "Renamed")]
    hunks = upgrade_v2.changed_lines("m.py", "a = tf.x\nb = tf.y\nc = 1", "a = tf.compat.v1.x\nb = tf.z\nc = 1", entries)
    assert [(h.start, h.before, h.after, h.logged) for h in hunks] == [
        (1, ["a = tf.x", "b = tf.y"], ["a = tf.compat.v1.x", "b = tf.z"], True)]
    hunks = upgrade_v2.changed_lines("m.py", "a = 1\nb = tf.y", "a = 1\nb = tf.z", entries)
    assert [(h.start, h.logged) for h in hunks] == [(2, False)]


# -- the fixes the tool leaves to its user ---------------------------------------------------

def test_fix_source_applies_each_rule_to_code_only_keeping_every_line():
    source = "\n".join([
        '"""Docs: ``tf.contrib.layers.l1_regularizer`` and tf.layers.dense stay."""',
        "import tensorflow as tf",
        'R = {"l1": tf.contrib.layers.l1_regularizer, "l2": tf.contrib.layers.l2_regularizer}',
        "h = tf.layers.dense(x, 3)  # tf.layers.dense in a comment stays",
        'd = functools.partial(tf.layers.dropout, rate=0.5); s = tf.summary.scalar("a", b)',
        "c = tf.contrib.layers.l1_regularizer(0.1)",
        "k = tf.compat.v1.layers.dense(x, 3); m = tf.summary.merge([s])",
    ])
    fixed, applied = upgrade_v2.fix_source(source)
    assert fixed.split("\n") == [
        '"""Docs: ``tf.contrib.layers.l1_regularizer`` and tf.layers.dense stay."""',
        "import tensorflow as tf",
        'R = {"l1": lambda scale: tf.keras.regularizers.l1(scale), '
        '"l2": lambda scale: tf.keras.regularizers.l2(0.5 * (scale))}',
        "h = tf.compat.v1.layers.dense(x, 3)  # tf.layers.dense in a comment stays",
        'd = functools.partial(tf.compat.v1.layers.dropout, rate=0.5); s = tf.compat.v1.summary.scalar("a", b)',
        "c = tf.contrib.layers.l1_regularizer(0.1)",  # a call: the tool converts those itself
        "k = tf.compat.v1.layers.dense(x, 3); m = tf.summary.merge([s])",
    ]
    assert applied == [(3, "contrib l1_regularizer as a value"), (3, "contrib l2_regularizer as a value"),
                       (4, "tf.layers -> tf.compat.v1.layers"), (5, "tf.layers -> tf.compat.v1.layers"),
                       (5, "tf.summary.scalar -> tf.compat.v1.summary.scalar")]
    assert upgrade_v2.fix_source(fixed) == (fixed, [])  # nothing left to fix
    with pytest.raises(upgrade_v2.UpgradeError, match=r"m\.py:1: tf\.layers\.dense spans lines"):
        upgrade_v2.fix_source("h = (tf.layers\n     .dense)(x, 3)", where="m.py")


def test_the_regularizer_rules_are_what_the_tool_writes_for_a_call(tmp_path):
    """The value rules wrap, in a lambda of contrib's ``scale``, exactly what the installed tool writes for a call."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "m.py").write_text("import tensorflow as tf\n"
                                          "r1 = tf.contrib.layers.l1_regularizer(scale)\n"
                                          "r2 = tf.contrib.layers.l2_regularizer(scale)\n")
    upgrade_v2.run_tool(tmp_path / "in", tmp_path / "out", tmp_path / "report.txt")
    called = (tmp_path / "out" / "m.py").read_text().split("\n")[1:3]
    rules = {f.old: f for f in upgrade_v2.FIXES}
    for line, old in zip(called, ("tf.contrib.layers.l1_regularizer", "tf.contrib.layers.l2_regularizer")):
        params, body = rules[old].new.split(": ", 1)
        assert params == "lambda scale" and rules[old].uncalled
        assert line.split(" = ", 1)[1] == body


def test_the_fixed_tree_leaves_no_name_tensorflow_lacks_and_changes_only_the_fixed_lines(upgrade):
    assert set(upgrade.fixed) == set(upgrade.upgraded)
    for path, fixed in upgrade.fixed.items():
        assert upgrade_v2.unresolved_tf_names(fixed) == [], path
        upgraded = upgrade.upgraded[path].split("\n")
        lines = fixed.split("\n")
        assert len(lines) == len(upgraded), path
        assert {i for i, (a, b) in enumerate(zip(upgraded, lines), 1) if a != b} == {
            line for line, _ in upgrade.applied[path]}, path
    rules = {fix for found in upgrade.applied.values() for _, fix in found}
    assert rules == {f.name for f in upgrade_v2.FIXES}  # every rule is needed by this catalogue
    static = upgrade.static("batch_norm")
    dense = line_of(upgrade, "recipes/families/pitfalls.py", "functools.partial(tf.layers.dense")
    assert [(h.start, names) for h, names in static.fixes] == [(dense, ["tf.layers -> tf.compat.v1.layers"])]
    assert static.fixed_unresolved == []


def test_probes_restore_the_recipes_own_code_keeping_every_line():
    vs = next(p for p in upgrade_v2.PROBES if p.name == "VarianceScaling")
    source = "import tensorflow as tf\nhe = tf.compat.v1.keras.initializers.VarianceScaling(scale=2.0)\nx = 1\n"
    probed = upgrade_v2.apply_probes(source, [vs])
    assert probed.split("\n") == ["import tensorflow as tf", "he = _tf1_recipes_contrib.variance_scaling_initializer()",
                                  "x = 1", "from tf1_recipes import contrib as _tf1_recipes_contrib  # cause probe", ""]
    assert upgrade_v2.apply_probes(source, [p for p in upgrade_v2.PROBES if p is not vs]) == source
    # each probe's pattern matches what the tool or a fix writes
    fixed, _ = upgrade_v2.fix_source('R = {"l1": tf.contrib.layers.l1_regularizer, "l2": tf.contrib.layers.l2_regularizer}')
    assert upgrade_v2.apply_probes(fixed, upgrade_v2.PROBES).split("\n")[0] == (
        'R = {"l1": _tf1_recipes_contrib.l1_regularizer, "l2": _tf1_recipes_contrib.l2_regularizer}')


# -- the registry: a second copy of a recipe module registers nothing --------------------------

def test_captured_registrations_leave_the_registry_alone_and_substituted_restores_it():
    spec = get_recipe("adam")
    with RECIPES.captured() as box:
        RECIPES.add("adam", "the upgraded one")
    assert box == {"adam": "the upgraded one"} and get_recipe("adam") is spec
    other = dataclasses.replace(spec, fn=print)
    with RECIPES.substituted("adam", other):
        assert get_recipe("adam") is other
    assert get_recipe("adam") is spec
    with RECIPES.substituted("no_such_recipe_here", other):
        assert RECIPES.registered("no_such_recipe_here") is other
    assert RECIPES.registered("no_such_recipe_here") is None


# -- the committed reports ------------------------------------------------------------------

def report_path(name):
    return ROOT / recipe_paths(name)["tf_upgrade_v2"]


def test_every_recipe_has_a_report_and_every_report_a_recipe():
    folder = ROOT / "migration" / "tf_upgrade_v2"
    assert sorted(p.stem for p in folder.glob("*.md") if p.name != "README.md") == sorted(NAMES)
    assert all(report_path(n).is_file() for n in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_the_committed_report_is_what_the_script_writes_now(upgrade, name):
    """Everything but the measured run section (kept from the file; the golden tier checks it)."""
    path = report_path(name)
    text = path.read_text(encoding="utf-8")
    assert upgrade_v2.render_report(upgrade.static(name), upgrade_v2.read_run(text, path),
                                    upgrade_v2.read_fixed(text, path)) == text, (
        f"{path} is stale: python scripts/upgrade_v2_reports.py {name} --write")


def test_the_catalogue_readme_is_built_from_the_reports():
    folder = ROOT / "migration" / "tf_upgrade_v2"
    summaries = [upgrade_v2.read_summary(report_path(n).read_text(encoding="utf-8"), n) for n in NAMES]
    assert (folder / "README.md").read_text(encoding="utf-8") == upgrade_v2.render_readme(summaries)


def test_an_unknown_recipe_is_one_line_and_exit_2(capsys):
    assert upgrade_v2.main(["no_such_recipe", "--static-only"]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("upgrade_v2_reports.py: error: unknown recipe 'no_such_recipe'")
    assert "Traceback" not in err


def test_static_only_write_without_a_report_to_keep_refuses_before_writing(tmp_path, capsys):
    assert upgrade_v2.main(["adam", "--static-only", "--write", "--report-dir", str(tmp_path)]) == 2
    assert "adam.md: missing, so no run section to keep; run without --static-only" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_static_only_write_of_a_report_without_its_fixes_section_is_one_line_and_left_as_it_is(tmp_path, capsys):
    damaged = tmp_path / "adam.md"
    text = report_path("adam").read_text()
    text = text.split(upgrade_v2.FIXED_BEGIN)[0] + text.split(upgrade_v2.FIXED_END)[1]
    damaged.write_text(text)
    assert upgrade_v2.main(["adam", "--static-only", "--write", "--report-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"upgrade_v2_reports.py: error: {damaged}: no fixes section; regenerate it with "
                   "python scripts/upgrade_v2_reports.py --write (without --static-only)"]
    assert damaged.read_text() == text and sorted(p.name for p in tmp_path.iterdir()) == ["adam.md"]


def test_a_report_folder_under_a_file_is_one_line_before_anything_runs(tmp_path, capsys):
    user_file = tmp_path / "notes.txt"
    user_file.write_text("mine\n")
    assert upgrade_v2.main(["adam", "--write", "--report-dir", str(user_file / "reports")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.splitlines() == [
        f"upgrade_v2_reports.py: error: {user_file / 'reports'}: {user_file} is a file, not a directory; give a "
        "directory for the reports"]
    assert user_file.read_text() == "mine\n"


def test_a_report_without_its_summary_is_one_line_and_left_as_it_is(tmp_path, capsys):
    damaged = tmp_path / "adam.md"
    text = "\n".join(line for line in report_path("adam").read_text().splitlines()
                     if not line.startswith(upgrade_v2.SUMMARY_PREFIX))
    damaged.write_text(text)
    assert upgrade_v2.main(["adam", "--static-only", "--write", "--report-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"upgrade_v2_reports.py: error: {damaged}: no summary line (<!-- summary: ... -->); "
                   "regenerate it with python scripts/upgrade_v2_reports.py --write"]
    assert damaged.read_text() == text and sorted(p.name for p in tmp_path.iterdir()) == ["adam.md"]


# -- golden tier: the runs ------------------------------------------------------------------

@pytest.mark.golden
@pytest.mark.parametrize("name", NAMES)
def test_the_upgraded_code_runs_as_its_report_says(upgrade, name, tmp_path, shared_run):
    """The upgraded code's smoke run equals the recipe's, or differs / fails exactly as the report states.

    The recipe's side is the session's shared run of the same configuration (conftest's ``shared_run``)."""
    path = report_path(name)
    committed = upgrade_v2.read_run(path.read_text(encoding="utf-8"), path)
    measured = upgrade_v2.compare_runs(name, upgrade, tmp_path, recipe_run=lambda: shared_run(name))
    assert_as_reported(measured, committed, name)


@pytest.mark.golden
@pytest.mark.parametrize("name", NAMES)
def test_the_fixed_code_runs_as_its_report_says(upgrade, name, tmp_path, shared_run):
    """After FIXES, the smoke run equals the recipe's, or differs (sizes, cause by probe) / fails as the report states."""
    path = report_path(name)
    committed = upgrade_v2.read_fixed(path.read_text(encoding="utf-8"), path)
    measured = upgrade_v2.compare_fixed(name, upgrade, tmp_path, recipe_run=lambda: shared_run(name))
    assert_as_reported(measured, committed, name)


def assert_as_reported(measured, committed, name):
    """Line for line on the numerics the report was written on; elsewhere what holds on any numerics (upgrade_v2.portable).

    A difference's sizes are this machine's numbers of two codes that compute differently: other numerics give others.
    A module that does not import names no numerics (nothing ran): its failure is compared line for line. A recipe
    whose graph has unordered stateful ops (its port's ``tf1_caller_thread``: bn_shared_between_towers, two towers
    updating one moving mean) is not bit-reproducible run to run, so for it only the verdict is compared (its fixed
    code's probe was measured equal to the recipe in one run and 4 variables apart in another).
    """
    if get_port(name).tf1_caller_thread:
        assert measured.verdict == committed.verdict
    elif upgrade_v2.measured_on(committed) == upgrade_v2.measured_on(measured):
        assert (measured.verdict, measured.summary, measured.lines) == (committed.verdict, committed.summary, committed.lines)
    else:
        assert upgrade_v2.portable(measured) == upgrade_v2.portable(committed)


def test_the_shared_run_the_tests_compare_with_is_the_configuration_the_script_runs(smoke_config):
    """The golden-tier tests take the recipe's side from conftest's ``shared_run``: it must be the script's own run."""
    for name in NAMES:
        assert smoke_config(name) == upgrade_v2.smoke_config(name)
    assert upgrade_v2.smoke_config("adam", "out").out_dir == "out"


def test_a_difference_measured_on_other_numerics_is_compared_by_its_cause_and_variables():
    def comparison(fingerprint, size):
        lines = [f"Both ran `RecipeConfig('x', preset='smoke', input_path='in_graph')` on numerics fingerprint `{fingerprint}` (...)",
                 "", "| variable | difference | scale |", "| --- | --- | --- |",
                 f"| `hidden1/kernel` | max abs diff {size} (9 of 9 values) | max abs value 1 |"]
        return upgrade_v2.RunComparison("differs", f"differs: 1/1 checkpoint variables; cause: VarianceScaling", lines)

    here, there = comparison("0123456789abcdef", 0.02), comparison("fedcba9876543210", 0.03)
    assert upgrade_v2.measured_on(here) == "0123456789abcdef"
    assert upgrade_v2.portable(here) == upgrade_v2.portable(there) == ("differs", "cause: VarianceScaling", ["hidden1/kernel"])
    other_cause = upgrade_v2.RunComparison("differs", "differs: 1/1 checkpoint variables; cause not pinned", there.lines)
    assert upgrade_v2.portable(other_cause) != upgrade_v2.portable(here)


def test_an_equal_run_measured_on_other_numerics_is_compared_without_its_values():
    """A report written on one CPU listed that CPU's accuracies: on another (AVX2, no AVX-512) 17 reports failed."""
    def comparison(fingerprint, history, variables=12):
        lines = [f"Both ran `RecipeConfig('x', preset='smoke', input_path='in_graph')` on numerics fingerprint `{fingerprint}` (...)",
                 "", f"Per-epoch `valid_accuracy`: equal, bit for bit ({history}).", "",
                 f"Saved checkpoint (`model.ckpt`): all {variables} variables equal, bit for bit."]
        return upgrade_v2.RunComparison("equal", "yes", lines)

    here = comparison("0123456789abcdef", "0.921199977, 0.928600013")
    there = comparison("fedcba9876543210", "0.921400011, 0.928600013")
    assert upgrade_v2.portable(here) == upgrade_v2.portable(there) == (
        "equal", "yes", ["", "Per-epoch `valid_accuracy`: equal, bit for bit.", "",
                         "Saved checkpoint (`model.ckpt`): all 12 variables equal, bit for bit."])
    fewer = comparison("fedcba9876543210", "0.921400011, 0.928600013", variables=11)
    assert upgrade_v2.portable(fewer) != upgrade_v2.portable(here)
