"""Rung 1 of the migration ladder: every recipe through the installed ``tf_upgrade_v2``.

What a user with TF1 code does first is run TensorFlow's own converter over it. This module
does that to the catalogue, as the reference wrote it, and measures the result:

1. **Reference source** (:func:`reference_source`): a recipe module, and the family modules its
   body imports, respelled mechanically the way the reference code spelt TensorFlow:
   ``from tf1_recipes.compat import tf, tf1`` becomes ``import tensorflow as tf``, ``tf1.X``
   becomes ``tf.X`` (``tf1`` is ``tf.compat.v1``, which is TF1's ``tf``), ``contrib.X`` becomes
   the ``tf.contrib`` path :mod:`tf1_recipes.contrib`'s docstrings name (e.g.
   ``tf.contrib.layers.variance_scaling_initializer``), and imports of other recipe or family
   modules become relative, so that an upgraded module imports upgraded code. Lines keep
   their numbers: line N of the reference source is line N of ``tf1_recipes/recipes/...``.
2. **The tool** (:func:`run_tool`): the installed ``tf_upgrade_v2`` (the console script that
   comes with the ``tensorflow`` wheel) run once over the whole reference tree, as a user runs
   it: ``tf_upgrade_v2 --intree REF --outtree OUT --reportfile REPORT``.
3. **Its report** (:func:`parse_report`), per file: ``INFO`` (what it renamed or rewrote),
   ``WARNING`` (flagged for manual review) and ``ERROR`` entries with line and column; the lines
   it changed (a line-by-line diff of reference and upgraded source, including changes it made
   without a log entry), and the ``tf.`` names the upgraded code still uses that the installed
   TensorFlow does not have (:func:`unresolved_tf_names`).
4. **The upgraded code run** (:func:`compare_runs`): the upgraded module imported as its own
   package (its ``@recipe`` captured, :meth:`tf1_recipes.registry.Registry.captured`), its
   function run through the harness under the recipe's own spec and ``smoke`` preset
   (:meth:`~tf1_recipes.registry.Registry.substituted`), and compared with the recipe's own run:
   the per-epoch history and every variable of the saved checkpoint, bit for bit.
5. **After the fixes the tool leaves to its user** (:data:`FIXES`, :func:`fix_source`,
   :func:`compare_fixed`): one mechanical rule per failure class the tool leaves in this
   catalogue (``tf.layers`` -> ``tf.compat.v1.layers``, the contrib regularizers used as values
   -> what the tool writes for a call, ``tf.summary.scalar`` -> ``tf.compat.v1.summary.scalar``),
   applied to the upgraded tree, which is run and compared the same way; where it differs, each
   rewrite with changed semantics (:data:`PROBES`) is restored alone to the recipe's own code and
   the run repeated, to pin the cause.

``scripts/upgrade_v2_reports.py`` (:func:`main`) writes the per-recipe reports
``migration/tf_upgrade_v2/<name>.md`` and their catalogue table ``migration/tf_upgrade_v2/README.md``.
"""

import argparse
import ast
import dataclasses
import difflib
import importlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

from tf1_recipes import outputs

PROJECT = Path(__file__).resolve().parents[1]
RECIPES_DIR = PROJECT / "tf1_recipes" / "recipes"
REPORT_DIR = PROJECT / "migration" / "tf_upgrade_v2"
SCRIPT = "python scripts/upgrade_v2_reports.py"
TOOL = "tf_upgrade_v2"
LEVELS = ("INFO", "WARNING", "ERROR")
#: The preset every comparison runs (seconds per recipe; registry.SMOKE_STEPS_PER_EPOCH).
PRESET = "smoke"

RUN_BEGIN, RUN_END = "<!-- run: written from the measured runs -->", "<!-- /run -->"
FIXED_BEGIN, FIXED_END = "<!-- fixed: written from the measured runs -->", "<!-- /fixed -->"
SUMMARY_PREFIX = "<!-- summary: "


class UpgradeError(ValueError):
    """The tool is missing or failed, or a module cannot be respelled (one line: what, where, what to do)."""


# -- 1. reference source --------------------------------------------------------------------

def contrib_reference_paths(contrib_source=None):
    """{stand-in name: reference ``tf.contrib`` path} from :mod:`tf1_recipes.contrib`'s docstrings.

    Each public function of ``tf1_recipes/contrib.py`` opens its docstring with the path it
    stands in for (```tf.contrib.layers.l1_regularizer```); that path is what the reference wrote.

    Args:
        contrib_source: the text of ``contrib.py``; None reads the installed module's file.

    Raises:
        UpgradeError: a public function whose docstring names no ``tf.contrib`` path of its name.
    """
    if contrib_source is None:
        contrib_source = (PROJECT / "tf1_recipes" / "contrib.py").read_text(encoding="utf-8")
    paths = {}
    for node in ast.parse(contrib_source).body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            match = re.search(r"``(tf\.contrib\.[\w.]+)``", ast.get_docstring(node) or "")
            if not match or match.group(1).rsplit(".", 1)[-1] != node.name:
                raise UpgradeError(f"tf1_recipes/contrib.py: {node.name}'s docstring names no tf.contrib path ending "
                                   f"in {node.name}; open it with ``tf.contrib.<module>.{node.name}``")
            paths[node.name] = match.group(1)
    return paths


_COMPAT_IMPORT = re.compile(r"^from tf1_recipes\.compat import (?P<names>[\w ,]+)$")
_CONTRIB_IMPORT = re.compile(r"^from tf1_recipes import contrib$")
_RECIPES_IMPORT = re.compile(r"^(?P<indent>\s*)from tf1_recipes\.recipes\.(?P<module>[\w.]+) import ")
_TF1_ATTRIBUTE = re.compile(r"(?<![\w.])tf1\.")
_CONTRIB_ATTRIBUTE = re.compile(r"(?<![\w.])contrib\.(?P<name>\w+)")
_BARE_TF1 = re.compile(r"(?<![\w.\-])tf1(?![\w.\-])")


def reference_source(text, *, family=False, contrib_paths=None, where="<source>"):
    """A recipe or family module respelled as the reference code spelt TensorFlow; same line count.

    The rules, in order (each a whole-line or whole-token rewrite; nothing else changes):

    * ``from tf1_recipes.compat import tf, tf1[, others]`` -> ``import tensorflow as tf``
      (followed on the same line by ``; from tf1_recipes.compat import others`` for helpers
      such as ``ref_variables`` that are the suite's, not TensorFlow's);
    * ``from tf1_recipes import contrib`` -> an empty line (or ``import tensorflow as tf`` when
      the module has no TensorFlow import of its own);
    * ``tf1.`` -> ``tf.``; ``contrib.X`` -> ``contrib_paths[X]`` (``tf.contrib.layers.X``);
    * ``from tf1_recipes.recipes[.families].M import`` -> the relative import of M.

    Args:
        text: the module's source (str).
        family: True for a module of ``tf1_recipes/recipes/families/``, False for a recipe module
            (it decides the relative import paths).
        contrib_paths: {name: path} (:func:`contrib_reference_paths`); None derives it.
        where: the module's path, for error messages.

    Returns:
        The reference source (str), with as many lines as ``text``.

    Raises:
        UpgradeError: ``contrib.X`` with no reference path, or ``tf1`` used other than as ``tf1.X``.
    """
    contrib_paths = contrib_reference_paths() if contrib_paths is None else contrib_paths
    lines = text.split("\n")
    has_tf = any(
        (m := _COMPAT_IMPORT.match(line)) and {"tf", "tf1"} & {n.strip() for n in m.group("names").split(",")}
        for line in lines
    )
    out = []
    for number, line in enumerate(lines, 1):
        compat = _COMPAT_IMPORT.match(line)
        if compat:
            names = [n.strip() for n in compat.group("names").split(",")]
            others = [n for n in names if n not in ("tf", "tf1")]
            if len(others) == len(names):
                out.append(line)
                continue
            line = "import tensorflow as tf" + (f"; from tf1_recipes.compat import {', '.join(others)}" if others else "")
            out.append(line)
            continue
        if _CONTRIB_IMPORT.match(line):
            out.append("" if has_tf else "import tensorflow as tf")
            has_tf = True
            continue
        relative = _RECIPES_IMPORT.match(line)
        if relative:
            module = relative.group("module")
            if family:
                target = module.removeprefix("families.") if module.startswith("families.") else "." + module
            else:
                target = module
            line = f"{relative.group('indent')}from .{target} import " + line[relative.end():]
        line = _TF1_ATTRIBUTE.sub("tf.", line)

        def contrib_path(match):
            name = match.group("name")
            if name not in contrib_paths:
                raise UpgradeError(f"{where}:{number}: contrib.{name} has no reference path in tf1_recipes/contrib.py; "
                                   "add the stand-in there with its tf.contrib path in its docstring")
            return contrib_paths[name]

        line = _CONTRIB_ATTRIBUTE.sub(contrib_path, line)
        if _BARE_TF1.search(line):
            raise UpgradeError(f"{where}:{number}: tf1 used other than as tf1.X ({line.strip()!r}); "
                               "spell it tf1.<name> so that it respells to tf.<name>")
        out.append(line)
    return "\n".join(out)


def recipe_modules():
    """{tree path: source path} of every module the reference tree holds.

    Tree paths are relative to the tree's package root (``recipes/adam.py``,
    ``recipes/families/faster_optimizers.py``, and the packages' ``__init__.py``).
    """
    modules = {"recipes/__init__.py": RECIPES_DIR / "__init__.py"}
    for path in sorted(RECIPES_DIR.glob("*.py")):
        modules[f"recipes/{path.name}"] = path
    for path in sorted((RECIPES_DIR / "families").glob("*.py")):
        modules[f"recipes/families/{path.name}"] = path
    return modules


def project_path(tree_path):
    """``recipes/x.py`` (a tree path) -> ``tf1_recipes/recipes/x.py`` (the project file it was respelled from)."""
    return f"tf1_recipes/{tree_path}"


def write_reference_tree(dest):
    """Write the whole catalogue's reference source as a package under ``dest`` (which must not exist).

    Args:
        dest: a folder path; it gets ``__init__.py`` (empty) and ``recipes/...`` (:func:`recipe_modules`).

    Returns:
        {tree path: reference source text}.

    Raises:
        UpgradeError: a module cannot be respelled (:func:`reference_source`).
    """
    dest = Path(dest)
    paths = contrib_reference_paths()
    written = {}
    (dest / "recipes" / "families").mkdir(parents=True)
    (dest / "__init__.py").write_text("", encoding="utf-8")
    for tree_path, source in recipe_modules().items():
        text = reference_source(source.read_text(encoding="utf-8"), family="/families/" in tree_path,
                                contrib_paths=paths, where=project_path(tree_path))
        (dest / tree_path).write_text(text, encoding="utf-8")
        written[tree_path] = text
    return written


# -- 2. the tool ----------------------------------------------------------------------------

def tool_path():
    """The installed ``tf_upgrade_v2``: beside this Python (its virtual environment's), else on PATH.

    Raises:
        UpgradeError: neither has one.
    """
    beside = Path(sys.executable).with_name(TOOL)
    if beside.exists():
        return str(beside)
    found = shutil.which(TOOL)
    if found:
        return found
    raise UpgradeError(f"{TOOL}: not found beside {sys.executable} or on PATH; it comes with the tensorflow "
                       "package (pip install tensorflow), install it in this environment")


def tool_version():
    """The version of the ``tensorflow`` distribution the tool comes with (e.g. ``"2.21.0"``)."""
    return importlib.metadata.version("tensorflow")


def run_tool(intree, outtree, reportfile):
    """``tf_upgrade_v2 --intree INTREE --outtree OUTTREE --reportfile REPORTFILE``, one process.

    Args:
        intree: the reference tree (:func:`write_reference_tree`).
        outtree: where the upgraded tree goes (must not exist: the tool refuses otherwise).
        reportfile: the tool's report.

    Returns:
        The report's text.

    Raises:
        UpgradeError: the tool is missing, exits non-zero or writes no report (its last stderr line quoted).
    """
    tool = tool_path()
    done = subprocess.run([tool, "--intree", str(intree), "--outtree", str(outtree), "--reportfile", str(reportfile)],
                          capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if done.returncode != 0 or not Path(reportfile).exists():
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise UpgradeError(f"{tool} exited {done.returncode} over {intree}: {last}")
    return Path(reportfile).read_text(encoding="utf-8")


# -- 3. its report --------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Entry:
    """One line of the tool's detailed log.

    Attributes:
        path: tree path of the file (``recipes/batch_norm.py``).
        line, col: where (1-based line, 0-based column, as the tool prints them).
        level: ``"INFO"`` (renamed or rewritten), ``"WARNING"`` (manual review) or ``"ERROR"``.
        message: the tool's message, its continuation lines joined with spaces.
    """

    path: str
    line: int
    col: int
    level: str
    message: str


_PROCESSING = re.compile(r"^Processing file '(?P<path>.+)'$")
_ENTRY = re.compile(r"^(?P<line>\d+):(?P<col>\d+): (?P<level>INFO|WARNING|ERROR): (?P<message>.*)$")
_RULE = re.compile(r"^(-{20,}|={20,})$")


def parse_report(text, intree):
    """The tool's report, per file: {tree path: [Entry, ...]} in the report's order.

    Reads the "Detailed log" (the summary at the top repeats its warnings and errors). A
    message runs on over the following lines up to the next entry, blank line or rule.

    Args:
        text: the report file's text.
        intree: the ``--intree`` folder it was written for (its paths are made relative to it).

    Raises:
        UpgradeError: the text has no "Detailed log follows" (not a tf_upgrade_v2 report).
    """
    marker = "Detailed log follows:"
    if marker not in text:
        raise UpgradeError(f"not a {TOOL} report (no {marker!r} line); rerun the tool")
    entries, current, last = {}, None, None
    for raw in text.split(marker, 1)[1].splitlines():
        line = raw.rstrip()
        processing = _PROCESSING.match(line)
        if processing:
            current = Path(os.path.relpath(processing.group("path"), intree)).as_posix()
            entries.setdefault(current, [])
            last = None
            continue
        entry = _ENTRY.match(line)
        if entry and current is not None:
            last = [current, int(entry.group("line")), int(entry.group("col")), entry.group("level"),
                    entry.group("message").strip()]
            entries[current].append(last)
        elif not line or _RULE.match(line) or line.startswith(" outputting to "):
            last = None
        elif last is not None:
            last[4] = f"{last[4]} {line.strip()}".strip()
    return {path: [Entry(*e) for e in found] for path, found in entries.items()}


def module_closure(tree_path, sources):
    """The tree paths of a module and every tree module it imports relatively, transitively; itself first.

    Args:
        tree_path: e.g. ``recipes/clip_by_global_norm.py``.
        sources: {tree path: source text} (the reference tree).
    """
    order, todo = [], [tree_path]
    while todo:
        path = todo.pop(0)
        if path in order:
            continue
        order.append(path)
        package = path.rsplit("/", 1)[0].split("/")
        for node in ast.walk(ast.parse(sources[path])):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package[: len(package) - (node.level - 1)]
                target = "/".join(base + (node.module.split(".") if node.module else [])) + ".py"
                if target in sources:
                    todo.append(target)
    return order


def _tf_chains(tree):
    """[(line, dotted)] of every maximal ``tf.a.b...`` attribute chain in an AST."""
    return [(node.lineno, dotted) for node, dotted, _ in _tf_chain_nodes(tree)]


def unresolved_tf_names(source):
    """The ``tf.`` names a module uses that the installed TensorFlow lacks: [(line, name, missing prefix)].

    Each maximal attribute chain rooted at ``tf`` (``tf.layers.dense``) is looked up attribute
    by attribute on the ``tensorflow`` module as this suite loads it (tf-keras selected); the
    first prefix that is not there (``tf.layers``) is what the code would fail on when it runs.

    Args:
        source: Python source text (an upgraded module).
    """
    from tf1_recipes.compat import tf

    missing = []
    for line, dotted in sorted(set(_tf_chains(ast.parse(source)))):
        value, parts = tf, dotted.split(".")
        for i, part in enumerate(parts[1:], 2):
            try:
                value = getattr(value, part)
            except AttributeError:
                missing.append((line, dotted, ".".join(parts[:i])))
                break
    return missing


@dataclasses.dataclass
class Hunk:
    """Lines the tool changed: reference lines ``start``.. replaced by ``after`` (1-based; ``logged``: an entry names one of them)."""

    path: str
    start: int
    before: list
    after: list
    logged: bool


def changed_lines(path, reference, upgraded, entries):
    """The tool's edits to one module as hunks of whole lines (:class:`Hunk`), in order.

    Args:
        path: the module's tree path.
        reference, upgraded: its source before and after the tool.
        entries: the tool's entries for it (to mark each hunk logged or silent).
    """
    before, after = reference.split("\n"), upgraded.split("\n")
    logged_lines = {e.line for e in entries}
    hunks = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        span = set(range(i1 + 1, max(i2, i1 + 1) + 1))
        hunks.append(Hunk(path, i1 + 1, before[i1:i2], after[j1:j2], bool(span & logged_lines)))
    return hunks


#: Consequences of the tool's rewrites found by reading the code on both sides: {regex the upgraded
#: source matches: note}. Each note says where its formula or behaviour comes from.
READING = {
    r"tf\.compat\.v1\.keras\.initializers\.VarianceScaling\(scale=2\.0\)": (
        "`tf.contrib.layers.variance_scaling_initializer()` -> `tf.compat.v1.keras.initializers.VarianceScaling(scale=2.0)`: "
        "same factor 2 and fan-in, another truncated-normal stddev. contrib draws with stddev sqrt(1.3 x 2 / fan_in) "
        "(contrib's initializers.py, reproduced in tf1_recipes/contrib.py); VarianceScaling (tensorflow/python/ops/init_ops.py) "
        "with sqrt(2 / fan_in) / 0.87962566103423978: 1.1402 / 1.1369 = 0.29 % wider kernels at initialisation, so every "
        "number after the first step differs."
    ),
    r"tf\.keras\.regularizers\.l2\(0\.5 \* \(": (
        "`tf.contrib.layers.l2_regularizer(s)` -> `tf.keras.regularizers.l2(0.5 * (s))`: the same penalty "
        "s x sum(W**2) / 2 in exact arithmetic, computed as (0.5 s) x reduce_sum(square(W)) (tf_keras/src/regularizers.py) "
        "instead of s x l2_loss(W) (contrib's regularizers.py), so it may round differently, and under another op name."
    ),
    r"tf\.keras\.regularizers\.l1\(": (
        "`tf.contrib.layers.l1_regularizer(s)` -> `tf.keras.regularizers.l1(s)` without a log entry: the same "
        "s x reduce_sum(abs(W)) (tf_keras/src/regularizers.py), under another op name."
    ),
    r"(?<![\w.])tf\.summary\.(scalar|histogram|image|audio|text)\(": (
        "`tf.summary.scalar` (and the other TF1 summary ops) are left as they are, under the same name in TF2, where "
        "they are other functions: TF2's writes through the default `tf.summary` writer, is implemented by the "
        "tensorboard package and returns a bool (TensorFlow's API documentation of `tf.summary.scalar`), where TF1's "
        "returned a serialized `Summary` tensor for `FileWriter.add_summary`; the log line says the TF1 summary "
        "symbols were converted to `tf.compat.v1.summary.*`, and this one was not."
    ),
}


_CLAIM = re.compile(r"^(?P<symbol>tf\.[\w.]+) requires manual check\..*converted to (tf\.)?compat\.v1")


def unkept_claims(entries, upgraded):
    """Entries saying a symbol was converted to ``compat.v1`` where the upgraded line still calls it unconverted.

    Args:
        entries: one module's :class:`Entry` list.
        upgraded: that module's upgraded source.

    Returns:
        [(Entry, the upgraded line, stripped)].
    """
    lines = upgraded.split("\n")
    found = []
    for entry in entries:
        claim = _CLAIM.match(entry.message)
        if not claim or not 0 < entry.line <= len(lines):
            continue
        line = lines[entry.line - 1]
        if re.search(r"(?<![\w.])" + re.escape(claim.group("symbol")) + r"\b", line):
            found.append((entry, line.strip()))
    return found


@dataclasses.dataclass
class StaticReport:
    """What the tool did to one recipe: its modules, log entries, edits and names TensorFlow lacks.

    Attributes:
        recipe: the recipe's name.
        modules: tree paths of the recipe's module and the modules it imports (:func:`module_closure`).
        entries: the tool's :class:`Entry` lines for those modules.
        hunks: the tool's edits (:class:`Hunk`), logged or silent.
        unresolved: [(tree path, line, name, missing prefix)] (:func:`unresolved_tf_names`).
        unkept: [(Entry, upgraded line)] (:func:`unkept_claims`): conversions the log claims and the code lacks.
        reading: the :data:`READING` notes whose pattern the upgraded modules contain.
        tool: ``"tf_upgrade_v2 (TensorFlow X.Y.Z)"``.
        fixes: [(Hunk, [fix name])]: the user's fixes (:data:`FIXES`) to the upgraded modules,
            as hunks of the upgraded source with the names of the rules that made them.
        fixed_unresolved: :func:`unresolved_tf_names` of the fixed modules, as ``unresolved``.
    """

    recipe: str
    modules: list
    entries: list
    hunks: list
    unresolved: list
    unkept: list
    reading: list
    tool: str
    fixes: list = dataclasses.field(default_factory=list)
    fixed_unresolved: list = dataclasses.field(default_factory=list)

    def count(self, level):
        """How many entries of ``level`` (``"INFO"``, ``"WARNING"``, ``"ERROR"``)."""
        return sum(1 for e in self.entries if e.level == level)


@dataclasses.dataclass
class Upgrade:
    """The whole catalogue through the tool once: the trees, the parsed log, and the importable package.

    Attributes:
        work: the folder holding ``reference/``, ``<package>/`` (the upgraded tree) and ``report.txt``.
        package: the upgraded tree's package name (importable once ``work`` is on ``sys.path``).
        reference, upgraded: {tree path: source text}.
        entries: {tree path: [Entry]} (:func:`parse_report`).
        fixed: {tree path: source text}: the upgraded tree after the user's fixes (:func:`fix_source`).
        applied: {tree path: [(line, fix name)]}: where each fix was made.
        fixed_package: the fixed tree's package name (beside ``package`` in ``work``).
    """

    work: Path
    package: str
    reference: dict
    upgraded: dict
    entries: dict
    fixed: dict = dataclasses.field(default_factory=dict)
    applied: dict = dataclasses.field(default_factory=dict)
    fixed_package: str = ""
    _probe_packages: dict = dataclasses.field(default_factory=dict, repr=False)

    def static(self, name):
        """The :class:`StaticReport` of recipe ``name``."""
        modules = module_closure(f"recipes/{name}.py", self.reference)
        entries = [e for path in modules for e in self.entries.get(path, [])]
        hunks, unresolved, unkept = [], [], []
        for path in modules:
            hunks += changed_lines(path, self.reference[path], self.upgraded[path], self.entries.get(path, []))
            unresolved += [(path, *found) for found in unresolved_tf_names(self.upgraded[path])]
            unkept += unkept_claims(self.entries.get(path, []), self.upgraded[path])
        text = "\n".join(self.upgraded[path] for path in modules)
        reading = [note for pattern, note in READING.items() if re.search(pattern, text)]
        fixes, fixed_unresolved = [], []
        for path in modules:
            by_line = {}
            for line, fix in self.applied.get(path, []):
                by_line.setdefault(line, []).append(fix)
            for hunk in changed_lines(path, self.upgraded[path], self.fixed[path], []):
                span = range(hunk.start, hunk.start + max(len(hunk.before), 1))
                fixes.append((hunk, sorted({f for line in span for f in by_line.get(line, [])})))
            fixed_unresolved += [(path, *found) for found in unresolved_tf_names(self.fixed[path])]
        return StaticReport(name, modules, entries, hunks, unresolved, unkept, reading,
                            f"{TOOL} (TensorFlow {tool_version()})", fixes, fixed_unresolved)

    def probe_package(self, probes):
        """The package of the fixed tree with ``probes`` (:data:`PROBES` entries) applied to every module.

        Written once per set of probes under ``work`` (:func:`apply_probes`); its name is returned.
        """
        key = tuple(sorted(p.name for p in probes))
        if key not in self._probe_packages:
            package = f"{self.fixed_package}_probe{len(self._probe_packages)}"
            texts = {path: apply_probes(text, probes) for path, text in self.fixed.items()}
            _write_tree(self.work / package, texts)
            self._probe_packages[key] = package
        return self._probe_packages[key]


def upgrade_catalogue(work):
    """Write the reference tree under ``work``, run the tool over it once, parse its report.

    Args:
        work: an empty or missing folder (kept: the upgraded package is imported from it).

    Returns:
        :class:`Upgrade`.

    Raises:
        UpgradeError: the tool is missing or failed; a module cannot be respelled.
    """
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    package = f"upgraded_{os.getpid()}_{abs(hash(str(work.resolve()))) % 10**8}"
    reference = write_reference_tree(work / "reference")
    text = run_tool(work / "reference", work / package, work / "report.txt")
    upgraded = {path: (work / package / path).read_text(encoding="utf-8") for path in reference}
    fixed, applied = {}, {}
    for path, source in upgraded.items():
        fixed[path], applied[path] = fix_source(source, where=project_path(path))
    _write_tree(work / f"{package}_fixed", fixed)
    return Upgrade(work, package, reference, upgraded, parse_report(text, work / "reference"), fixed, applied,
                   f"{package}_fixed")


def _write_tree(dest, texts):
    """Write {tree path: text} as a package under ``dest`` (with the root ``__init__.py``)."""
    dest = Path(dest)
    for path, text in {"__init__.py": "", **texts}.items():
        (dest / path).parent.mkdir(parents=True, exist_ok=True)
        (dest / path).write_text(text, encoding="utf-8")


# -- 3b. the fixes the tool leaves to its user ----------------------------------------------

@dataclasses.dataclass(frozen=True)
class Fix:
    """One mechanical fix a user makes to the upgraded code: a ``tf.`` name replaced wherever code uses it.

    Attributes:
        name: the rule's short name (reports: which rule made an edit).
        old: the dotted name the upgraded code still uses (``tf.layers``).
        new: what replaces it: a dotted name, or any expression (``lambda scale: ...``).
        prefix: True replaces ``old`` as the head of longer names (``tf.layers.dense`` ->
            ``tf.compat.v1.layers.dense``); False replaces the name ``old`` exactly.
        uncalled: True applies only where ``old`` is not called (used as a value: the tool
            converts the calls itself).
        reason: what fails without the fix (measured by the rung-1 run, or the tool's log).
        source: where the replacement comes from.
    """

    name: str
    old: str
    new: str
    prefix: bool = False
    uncalled: bool = False
    reason: str = ""
    source: str = ""


#: The fixes for exactly the failure classes the tool leaves in this catalogue (rung-1 reports):
#: one rule each, applied by :func:`fix_source` to code only (docstrings and comments stay).
FIXES = (
    Fix("tf.layers -> tf.compat.v1.layers", "tf.layers", "tf.compat.v1.layers", prefix=True,
        reason="the tool leaves `tf.layers.dense` and `tf.layers.dropout` without a log line and TensorFlow 2 has no "
               "`tf.layers` (AttributeError at the first one reached: 36 recipes)",
        source="the tool's own rename of the other `tf.layers` symbols (tensorflow/tools/compatibility/renames_v2.py: "
               "`tf.layers.batch_normalization` -> `tf.compat.v1.layers.batch_normalization`); `tf.compat.v1.layers` "
               "is TF1's `tf.layers` (TensorFlow's API documentation of `tf.compat.v1.layers`)"),
    Fix("contrib l1_regularizer as a value", "tf.contrib.layers.l1_regularizer",
        "lambda scale: tf.keras.regularizers.l1(scale)", uncalled=True,
        reason="ERROR in the tool's log, not converted: used as a dict value, not called, so its call transformer "
               "never runs, and TensorFlow 2 has no `tf.contrib` (AttributeError on import: 2 recipes)",
        source="what the tool writes for a call `tf.contrib.layers.l1_regularizer(scale)` "
               "(_contrib_layers_l1_regularizer_transformer in tensorflow/tools/compatibility/tf_upgrade_v2.py), "
               "wrapped in a lambda of contrib's argument"),
    Fix("contrib l2_regularizer as a value", "tf.contrib.layers.l2_regularizer",
        "lambda scale: tf.keras.regularizers.l2(0.5 * (scale))", uncalled=True,
        reason="as for l1_regularizer (ERROR, not converted, no `tf.contrib` in TensorFlow 2)",
        source="what the tool writes for a call `tf.contrib.layers.l2_regularizer(scale)`, its scale halved "
               "(_contrib_layers_l2_regularizer_transformer in tensorflow/tools/compatibility/tf_upgrade_v2.py: "
               "\"Multiplying scale arg ... by half to what tf.keras.regularizers.l2 expects\"), in a lambda"),
    Fix("tf.summary.scalar -> tf.compat.v1.summary.scalar", "tf.summary.scalar", "tf.compat.v1.summary.scalar",
        reason="logged as converted to `tf.compat.v1.summary.*` and not converted; TensorFlow 2's `tf.summary.scalar` "
               "is another function (TBNotInstalledError here: 1 recipe)",
        source="the tool's log line itself (\"symbols have been converted to tf.compat.v1.summary.*\")"),
)


def _tf_chain_nodes(tree):
    """[(Attribute node, dotted name, parent node)] of every maximal ``tf.a.b...`` chain in an AST."""
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or isinstance(parents.get(node), ast.Attribute):
            continue
        parts, inner = [], node
        while isinstance(inner, ast.Attribute):
            parts.append(inner.attr)
            inner = inner.value
        if isinstance(inner, ast.Name) and inner.id == "tf":
            found.append((node, ".".join(["tf", *reversed(parts)]), parents.get(node)))
    return found


def fix_source(source, fixes=FIXES, where="<source>"):
    """The upgraded source after the user's fixes: every ``tf.`` name in code that a rule names, replaced.

    Names are found in the syntax tree (maximal attribute chains rooted at ``tf``), so strings,
    docstrings and comments stay as they are; each replacement keeps its line, so line N of the
    fixed source is line N of the upgraded one (and of the recipe file).

    Args:
        source: an upgraded module's source (str).
        fixes: the rules (:data:`FIXES`).
        where: the module's path, for error messages.

    Returns:
        (fixed source, [(line, fix name)] in order).

    Raises:
        UpgradeError: a name to fix that spans lines (no single-line replacement).
    """
    edits = []
    for node, dotted, parent in _tf_chain_nodes(ast.parse(source)):
        for fix in fixes:
            if not (dotted.startswith(fix.old + ".") if fix.prefix else dotted == fix.old):
                continue
            if fix.uncalled and isinstance(parent, ast.Call) and parent.func is node:
                continue
            if node.end_lineno != node.lineno:
                raise UpgradeError(f"{where}:{node.lineno}: {dotted} spans lines; join it onto one line to fix it")
            edits.append((node.lineno, node.col_offset, node.end_col_offset, fix.new + dotted[len(fix.old):], fix.name))
            break
    lines = source.split("\n")
    for line, start, end, text, _ in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        raw = lines[line - 1].encode("utf-8")
        lines[line - 1] = (raw[:start] + text.encode("utf-8") + raw[end:]).decode("utf-8")
    return "\n".join(lines), [(line, name) for line, _, _, _, name in sorted(edits)]


@dataclasses.dataclass(frozen=True)
class Probe:
    """One of the tool's (or the fixes') rewrites with changed semantics, restored to the recipe's own code.

    A fixed run that differs is run again with probes applied; the one whose restoration makes
    it equal to the recipe bit for bit is the cause.

    Attributes:
        name: short name for the reports.
        pattern: a regex of the rewritten code (only the tool or :data:`FIXES` write it).
        replacement: the recipe's own code: a :mod:`tf1_recipes.contrib` stand-in, through the
            module alias :data:`PROBE_ALIAS` (imported on a line appended to the module).
        note: the difference in semantics, with its source (as :data:`READING`).
    """

    name: str
    pattern: str
    replacement: str
    note: str


PROBE_ALIAS = "_tf1_recipes_contrib"
PROBES = (
    Probe("VarianceScaling", r"tf\.compat\.v1\.keras\.initializers\.VarianceScaling\(scale=2\.0\)",
          f"{PROBE_ALIAS}.variance_scaling_initializer()",
          "truncated-normal stddev sqrt(2 / fan_in) / 0.8796 instead of contrib's sqrt(1.3 x 2 / fan_in)"),
    Probe("keras l1", re.escape("lambda scale: tf.keras.regularizers.l1(scale)"), f"{PROBE_ALIAS}.l1_regularizer",
          "reduce_sum(abs(W)) x scale instead of contrib's scale x reduce_sum(abs(W))"),
    Probe("keras l2", re.escape("lambda scale: tf.keras.regularizers.l2(0.5 * (scale))"),
          f"{PROBE_ALIAS}.l2_regularizer",
          "(0.5 scale) x reduce_sum(square(W)) instead of contrib's scale x l2_loss(W)"),
)


def apply_probes(source, probes):
    """``source`` with every match of each probe's pattern replaced by its recipe code; same line numbers.

    When anything was replaced, ``from tf1_recipes import contrib as _tf1_recipes_contrib`` is
    appended as a new last line (module level, so it runs on import, before any function).
    """
    out = source
    for probe in probes:
        out = re.sub(probe.pattern, lambda _m, r=probe.replacement: r, out)
    if out != source:
        out = out.rstrip("\n") + f"\nfrom tf1_recipes import contrib as {PROBE_ALIAS}  # cause probe\n"
    return out


# -- 4. the upgraded code run ---------------------------------------------------------------

@dataclasses.dataclass
class RunComparison:
    """The upgraded code's smoke run against the recipe's own.

    Attributes:
        verdict: ``"equal"``, ``"differs"`` or ``"cannot run"``.
        summary: one line for the catalogue table (``yes``, ``differs: ...``, ``cannot run: ...``).
        lines: the report's run section (markdown lines): what was compared and every difference.
        measures: when both sides ran, {"history_max": max |difference| of the per-epoch metric
            (float; None when one history is shorter), "variables": {checkpoint variable: max
            |difference| (float) or None (shape, dtype or presence)} of the differing ones,
            "total": how many variables, "series": the other reported series that differ, when
            any (:data:`tf1_recipes.harness.TIMING_EXTRAS` by length)}; empty when a side did not run or for a comparison
            read back from a report.
    """

    verdict: str
    summary: str
    lines: list
    measures: dict = dataclasses.field(default_factory=dict)


def _where_in_tree(err, root, package):
    """``tf1_recipes/recipes/x.py:N`` of the last traceback frame inside the upgraded tree, or ''."""
    found = ""
    for frame in traceback.extract_tb(err.__traceback__):
        try:
            relative = Path(frame.filename).resolve().relative_to((root / package).resolve())
        except ValueError:
            continue
        found = f"{project_path(relative.as_posix())}:{frame.lineno}"
    return found


def _one_line(err):
    first = (str(err).strip().splitlines() or [""])[0]
    return f"{type(err).__name__}: {first}".rstrip(": ")


def _fmt(value):
    return f"{value:.9g}"


def _compare_checkpoints(recipe_ckpt, upgraded_ckpt, side="upgraded"):
    """Every variable that differs (values, shape, dtype, or present on one side only).

    Returns:
        (rows, total, differing): rows, a markdown row per differing variable; total, how many
        variables the two checkpoints hold together; differing, {variable: max |difference|
        (float) or None where shape, dtype or presence differs}.
    """
    from tf1_recipes.compat import tf
    import numpy as np

    ours, theirs = tf.train.load_checkpoint(recipe_ckpt), tf.train.load_checkpoint(upgraded_ckpt)
    shapes_a, shapes_b = ours.get_variable_to_shape_map(), theirs.get_variable_to_shape_map()
    rows, differing = [], {}
    for name in sorted(set(shapes_a) | set(shapes_b)):
        if name not in shapes_b:
            rows.append(f"| `{name}` | only in the recipe's checkpoint | |")
            differing[name] = None
            continue
        if name not in shapes_a:
            rows.append(f"| `{name}` | only in the {side} code's checkpoint | |")
            differing[name] = None
            continue
        a, b = np.asarray(ours.get_tensor(name)), np.asarray(theirs.get_tensor(name))
        if a.shape != b.shape or a.dtype != b.dtype:
            rows.append(f"| `{name}` | {a.dtype}{list(a.shape)} vs {b.dtype}{list(b.shape)} | |")
            differing[name] = None
        elif a.tobytes() != b.tobytes():
            if a.dtype.kind in "fc":
                diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
                rows.append(f"| `{name}` | max abs diff {_fmt(diff.max())} ({int((diff > 0).sum())} of {a.size} values) "
                            f"| max abs value {_fmt(np.abs(a).max())} |")
                differing[name] = float(diff.max())
            else:
                rows.append(f"| `{name}` | {a.tolist()} vs {b.tolist()} | |")
                differing[name] = float(np.abs(a.astype(np.float64) - b.astype(np.float64)).max()) if a.size else None
    return rows, len(set(shapes_a) | set(shapes_b)), differing


def _comparable_series(extras):
    """A run's ``extras`` as compared: each wall-clock timing (:data:`tf1_recipes.harness.TIMING_EXTRAS`: no two
    runs agree on them) replaced by how many there are, epochs run (1 for a number)."""
    from tf1_recipes.harness import TIMING_EXTRAS

    return {k: ((len(v) if isinstance(v, (list, tuple)) else 1) if k in TIMING_EXTRAS else v) for k, v in extras.items()}


def smoke_config(name, out_dir=None):
    """The ``RecipeConfig`` both sides of a comparison run: the :data:`PRESET` preset, quiet, on the in-graph
    input path (the batches and numbers of the ``feed_dict`` path, in less time: tests/unit/test_in_graph.py)."""
    from tf1_recipes.harness import RecipeConfig

    return RecipeConfig(name, preset=PRESET, quiet=True, progress=False, input_path="in_graph", out_dir=out_dir)


def run_recipe_smoke(name, scratch):
    """The recipe's own run of :func:`smoke_config`, ``--out scratch/recipe``: its RunResult."""
    from tf1_recipes.harness import run_recipe

    return run_recipe(smoke_config(name, str(Path(scratch) / "recipe")))


def recipe_run_once(name, scratch):
    """A function returning :func:`run_recipe_smoke`'s result, run on the first call only: the ``recipe_run``
    of several comparisons of one recipe, none of which may need it (code that cannot run needs no recipe run)."""
    result = []

    def _recipe_run():
        if not result:
            result.append(run_recipe_smoke(name, scratch))
        return result[0]

    return _recipe_run


def compare_runs(name, upgrade, scratch, *, recipe_run=None):
    """Run recipe ``name`` and its upgraded code on the smoke preset; compare history and checkpoint bit for bit.

    The upgraded module is imported from ``upgrade``'s package with its registration captured
    (the real registry keeps the recipe), and its function runs through
    :func:`tf1_recipes.harness.run_recipe` under the recipe's own spec (presets, metric) with
    only ``fn`` (and ``extends``) replaced: same RecipeConfig, seed, data and batches.

    Args:
        name: a recipe name.
        upgrade: :class:`Upgrade` (its ``work`` folder is put on ``sys.path`` while importing).
        scratch: a folder for the two runs' ``--out`` (``recipe/``, ``upgraded/``).
        recipe_run: the RunResult of the recipe's own run of :func:`smoke_config` to compare with, or a
            function returning it, called only once the other code has run (:func:`recipe_run_once`);
            None runs it here, then.

    Returns:
        :class:`RunComparison`. An import or run failure of the upgraded code is its result
        (TensorFlow's one-line error and where in the recipe files it was raised), not an exception.

    Raises:
        Whatever the recipe's own run raises (bad data, ...): that is no finding about the tool.
    """
    return compare_package(name, upgrade.work, upgrade.package, scratch, side="upgraded", recipe_run=recipe_run)


def compare_package(name, root, package, scratch, *, side, recipe_run=None):
    """Recipe ``name`` against the same module of another tree (``root/package/recipes/<name>.py``), bit for bit.

    What :func:`compare_runs` does, for any converted tree: the upgraded one (``side="upgraded"``),
    the upgraded one after the user's fixes (``side="fixed"``), or one of :func:`cause_probes`.

    Args:
        name: a recipe name.
        root: the folder put on ``sys.path`` while importing (it holds ``package``).
        package: the tree's package name.
        scratch: a folder for the runs' ``--out`` (``recipe/``, ``<side>/``).
        side: the word the report uses for the tree's code (``"upgraded"``, ``"fixed"``).
        recipe_run: as in :func:`compare_runs`.

    Returns:
        :class:`RunComparison` with ``measures`` filled when both ran.
    """
    from tf1_recipes.registry import RECIPES, get_recipe

    spec = get_recipe(name)
    scratch = Path(scratch)
    config = smoke_config(name)
    from tf1_recipes import numerics

    head = [f"Both ran `RecipeConfig({name!r}, preset={PRESET!r}, input_path='in_graph')` on numerics fingerprint "
            f"`{numerics.fingerprint()}` (same seed, data and batches; op determinism, 1 intra-op thread): the recipe, "
            f"and the {side} function under the recipe's spec."]

    sys.path.insert(0, str(root))
    try:
        with RECIPES.captured() as box:
            importlib.import_module(f"{package}.recipes.{name}")
    except Exception as err:  # the module itself does not import: that is the finding
        where = _where_in_tree(err, root, package)
        message = _one_line(err)
        return RunComparison("cannot run", f"cannot run: {message} (import, {where})",
                             [f"The {side} module does not import: `{message}`, raised at `{where}` (line of the "
                              f"{side} code; the same line of the recipe file)."])
    finally:
        sys.path.remove(str(root))
    from tf1_recipes.harness import TIMING_EXTRAS, run_recipe

    other_spec = dataclasses.replace(spec, fn=box[name].fn, extends=box[name].extends)
    try:
        with RECIPES.substituted(name, other_spec):
            other = run_recipe(dataclasses.replace(config, out_dir=str(scratch / side)))
    except Exception as err:  # the code fails while building or training: that is the finding
        where = _where_in_tree(err, root, package)
        message = _one_line(err)
        return RunComparison("cannot run", f"cannot run: {message} ({where})",
                             head + [f"The {side} code fails: `{message}`, raised at `{where}` (line of the {side} "
                                     f"code; the same line of the recipe file)."])
    if recipe_run is None:
        recipe = run_recipe_smoke(name, scratch)
    else:
        recipe = recipe_run() if callable(recipe_run) else recipe_run

    lines = list(head)
    differences = []
    measures = {"history_max": 0.0, "variables": {}, "total": 0}
    epochs = list(range(max(len(recipe.history), len(other.history))))
    if recipe.history != other.history:
        lines += ["", f"Per-epoch `{recipe.metric}` differs:", "", f"| epoch | recipe | {side} | difference |",
                  "| --- | --- | --- | --- |"]
        for epoch in epochs:
            a = recipe.history[epoch] if epoch < len(recipe.history) else None
            b = other.history[epoch] if epoch < len(other.history) else None
            diff = _fmt(b - a) if a is not None and b is not None else "missing"
            if a is not None and b is not None:
                measures["history_max"] = max(measures["history_max"], abs(b - a))
            else:
                measures["history_max"] = None
            lines.append(f"| {epoch} | {a if a is None else _fmt(a)} | {b if b is None else _fmt(b)} | {diff} |")
        final = (other.final - recipe.final) if recipe.history and other.history else None
        differences.append(f"final {recipe.metric} {_fmt(final) if final is not None else 'missing'}")
    else:
        lines += ["", f"Per-epoch `{recipe.metric}`: equal, bit for bit ({', '.join(_fmt(v) for v in recipe.history)})."]
    ours, theirs = _comparable_series(recipe.extras), _comparable_series(other.extras)
    timings = sorted(TIMING_EXTRAS & (set(recipe.extras) | set(other.extras)))
    if ours != theirs:
        keys = sorted(set(ours) | set(theirs))
        changed = [k for k in keys if ours.get(k) != theirs.get(k)]
        lines += ["", f"Other reported series differ: {', '.join(f'`{k}`' for k in changed)}."]
        differences.append(f"series {', '.join(changed)}")
        measures["series"] = changed
    if timings:
        lines += ["", f"Wall-clock timings ({', '.join(f'`{k}`' for k in timings)}) compared by how many there are "
                      "(epochs run), not by value."]
    if recipe.checkpoint_path and other.checkpoint_path:
        rows, total, differing = _compare_checkpoints(recipe.checkpoint_path, other.checkpoint_path, side)
        measures.update(variables=differing, total=total)
        if rows:
            lines += ["", f"Saved checkpoint (`model.ckpt`): {len(rows)} of {total} variables differ:", "",
                      "| variable | difference | scale |", "| --- | --- | --- |", *rows]
            differences.append(f"{len(rows)}/{total} checkpoint variables")
        else:
            lines += ["", f"Saved checkpoint (`model.ckpt`): all {total} variables equal, bit for bit."]
    elif recipe.checkpoint_path or other.checkpoint_path:
        who = "the recipe" if recipe.checkpoint_path else f"the {side} code"
        lines += ["", f"Only {who} saved `model.ckpt`."]
        differences.append("checkpoint saved on one side only")
    else:
        lines += ["", "Neither saves `model.ckpt` in its run folder: the history is the comparison."]
    if differences:
        return RunComparison("differs", "differs: " + "; ".join(differences), lines, measures)
    return RunComparison("equal", "yes", lines, measures)


#: The numerics fingerprint a report's run section was measured on (in its first line).
_MEASURED_ON = re.compile(r"on numerics fingerprint `([0-9a-f]{16})`")


def measured_on(comparison):
    """The numerics fingerprint a comparison's run section names (:func:`compare_package` writes it), or None."""
    match = _MEASURED_ON.search(comparison.lines[0]) if comparison.lines else None
    return match.group(1) if match else None


#: The per-epoch values an equal run's line lists (:func:`compare_package`): ``: equal, bit for bit (0.9212, 0.9286).``
_EQUAL_VALUES = re.compile(r": equal, bit for bit \([^()]*\)\.$")


def portable(comparison):
    """What of a comparison holds on any numerics: a tuple to compare a report written elsewhere with a run here.

    Two runs of the same code on one numerics agree bit for bit on any machine, and a run
    that cannot run fails the same way; but when the two codes compute differently (the
    tool's ``VarianceScaling``), the sizes of the difference are this machine's numbers.
    The values themselves are this machine's too: two numerics send one code's run to other
    accuracies (the same chaotic spread a change of seed gives).
    So: ``equal`` and ``cannot run`` keep their summary and every line but the first (which
    names the fingerprint), with the per-epoch values an equal run lists left out;
    ``differs`` keeps its cause and the names of the differing checkpoint variables, not the sizes.
    """
    if comparison.verdict != "differs":
        return comparison.verdict, comparison.summary, [_EQUAL_VALUES.sub(": equal, bit for bit.", line)
                                                        for line in comparison.lines[1:]]
    cause = comparison.summary.rsplit("; ", 1)[-1]
    names = sorted(re.findall(r"^\| `([^`]+)` \|", "\n".join(comparison.lines), flags=re.M))
    return comparison.verdict, cause, names


def _fmt_max(value):
    return "n/a" if value is None else _fmt(value)


def compare_fixed(name, upgrade, scratch, *, recipe_run=None):
    """The fixed code's smoke run (:data:`FIXES` applied to the upgraded code) against the recipe, with its cause.

    The comparison is :func:`compare_package` with ``side="fixed"``. When it differs, each
    :data:`PROBES` entry whose pattern the recipe's fixed modules contain is restored to the
    recipe's own code alone and run again (then all of them together, when none alone gives
    equality and there are several); the probe whose run equals the recipe bit for bit is the
    cause. The section states every probe's run.

    Args:
        name: a recipe name.
        upgrade: :class:`Upgrade` (its fixed tree and ``work`` folder).
        scratch: a folder for the runs' ``--out`` (``recipe/``, ``fixed/``, ``probe_N/``).
        recipe_run: as in :func:`compare_runs`.

    Returns:
        :class:`RunComparison`: ``summary`` is ``equal``, ``differs: history max |diff| H; K/N variables
        (max |diff| V); cause: ...`` or ``cannot run: ...``.
    """
    scratch = Path(scratch)
    recipe_run = recipe_run if recipe_run is not None else recipe_run_once(name, scratch)
    fixed = compare_package(name, upgrade.work, upgrade.fixed_package, scratch, side="fixed", recipe_run=recipe_run)
    if fixed.verdict == "equal":
        return RunComparison("equal", "equal", fixed.lines, fixed.measures)
    if fixed.verdict != "differs":
        return fixed
    m = fixed.measures
    variables = m["variables"]
    known = [v for v in variables.values() if v is not None]
    sizes = (f"history max |diff| {_fmt_max(m['history_max'])}; {len(variables)}/{m['total']} variables"
             + (f" (max |diff| {_fmt(max(known))})" if known else "")
             + (f"; series {', '.join(m['series'])}" if m.get("series") else ""))
    if variables:
        sizes_line = f"Differing variables: {', '.join(f'`{v}`' for v in sorted(variables))}."
    else:
        sizes_line = "No checkpoint variable differs."
    modules = module_closure(f"recipes/{name}.py", upgrade.reference)
    text = "\n".join(upgrade.fixed[path] for path in modules)
    applicable = [p for p in PROBES if re.search(p.pattern, text)]
    lines = fixed.lines + ["", sizes_line, "", "Cause, by probe: each rewrite with changed semantics that this code "
                           "contains, restored to the recipe's own code (`tf1_recipes.upgrade_v2.PROBES`), and the "
                           "run repeated:", ""]
    if not applicable:
        lines.append("None of the probed rewrites is in this code: cause not pinned.")
        return RunComparison("differs", f"differs: {sizes}; cause not pinned", lines, m)
    trials = [[p] for p in applicable] + ([applicable] if len(applicable) > 1 else [])
    lines += ["| restored | what it changes | run against the recipe |", "| --- | --- | --- |"]
    cause = None
    for i, probes in enumerate(trials):
        package = upgrade.probe_package(probes)
        probed = compare_package(name, upgrade.work, package, scratch / f"probe_{i}", side="probed",
                                 recipe_run=recipe_run)
        names = " + ".join(p.name for p in probes)
        notes = "; ".join(p.note for p in probes)
        lines.append(f"| {names} | {_cell(notes)} | {_cell(probed.summary)} |")
        if probed.verdict == "equal" and cause is None:
            cause = names
            break
    if cause:
        lines += ["", f"Cause: {cause} (with it restored the run equals the recipe bit for bit)."]
        return RunComparison("differs", f"differs: {sizes}; cause: {cause}", lines, m)
    lines += ["", "Cause not pinned: no probe restores equality."]
    return RunComparison("differs", f"differs: {sizes}; cause not pinned", lines, m)


# -- the reports ----------------------------------------------------------------------------

def _cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


def render_static(static):
    """The report's part that the tool alone decides (markdown lines), without the run section."""
    name = static.recipe
    modules = ", ".join(f"`{project_path(p)}`" for p in static.modules)
    out = [
        f"# `{name}` through `{TOOL}` (rung 1)",
        "",
        f"Written by `{SCRIPT} {name} --write` with the installed {static.tool}; do not edit by hand.",
        "",
        f"Input: the reference spelling of {modules} (`tf1_recipes.upgrade_v2.reference_source`: "
        "`import tensorflow as tf`, `tf.placeholder`, `tf.layers.dense`, `tf.train.*`, `tf.contrib.layers.*`), "
        f"converted with `{TOOL} --intree REFERENCE --outtree UPGRADED --reportfile report.txt`. Line numbers are "
        "those of the recipe files.",
        "",
    ]
    for level, title in (("INFO", "What it renamed or rewrote (INFO)"), ("WARNING", "Flagged for manual review (WARNING)"),
                         ("ERROR", "Errors (ERROR)")):
        entries = [e for e in static.entries if e.level == level]
        out += [f"## {title}: {len(entries)}", ""]
        if entries:
            out += ["| where | message |", "| --- | --- |"]
            out += [f"| `{project_path(e.path)}:{e.line}:{e.col}` | {_cell(e.message)} |" for e in entries]
        else:
            out.append("None.")
        out.append("")
    silent = [h for h in static.hunks if not h.logged]
    out += [f"## The lines it changed: {len(static.hunks)} edits, {len(silent)} without a log entry", ""]
    if static.hunks:
        out.append("```diff")
        for hunk in static.hunks:
            mark = "" if hunk.logged else "  (no log entry)"
            out.append(f"@@ {project_path(hunk.path)}:{hunk.start}{mark}")
            out += [f"-{line}" for line in hunk.before] + [f"+{line}" for line in hunk.after]
        out.append("```")
    else:
        out.append("None: the upgraded source is the reference source.")
    out.append("")
    out += [f"## What it got wrong, by reading: {len(static.unresolved)} names TensorFlow {tool_version()} lacks, "
            f"{len(static.unkept)} conversions logged but not made, {len(static.reading)} changed semantics", ""]
    if static.unresolved:
        out += ["Names the upgraded code still uses that the installed TensorFlow does not have (it fails on the first "
                "one it reaches):", "", "| where | name | missing |", "| --- | --- | --- |"]
        out += [f"| `{project_path(p)}:{line}` | `{dotted}` | `{prefix}` |" for p, line, dotted, prefix in static.unresolved]
        out.append("")
    if static.unkept:
        out += ["Conversions the log says it made and the upgraded line does not have:", "",
                "| where | log | upgraded line |", "| --- | --- | --- |"]
        out += [f"| `{project_path(e.path)}:{e.line}` | `{_CLAIM.match(e.message).group('symbol')}` ... converted to "
                f"`tf.compat.v1` | `{_cell(line)}` |" for e, line in static.unkept]
        out.append("")
    out += [f"- {note}" for note in static.reading] or ["No rewrite with known changed semantics."]
    out.append("")
    return out


def _asks_for_a_look(message):
    """An INFO message that still asks for a manual check (``requires manual check``, ``not safe to convert``)."""
    return "manual check" in message or "not safe to convert" in message


def render_fixes(static):
    """The fixes section's static part (markdown lines): the rules' edits and the names still missing."""
    out = [f"The fixes a user makes for what the tool left (`tf1_recipes.upgrade_v2.FIXES`, one mechanical rule per "
           "failure class of this catalogue, applied to code, never per recipe; MIGRATION.md \"Rung 1: tf_upgrade_v2\"), "
           "then the same run as above. Everything else the tool wrote stays.", ""]
    if static.fixes:
        out += [f"{len(static.fixes)} edits:", "", "```diff"]
        for hunk, names in static.fixes:
            out.append(f"@@ {project_path(hunk.path)}:{hunk.start} ({', '.join(names) or 'no rule'})")
            out += [f"-{line}" for line in hunk.before] + [f"+{line}" for line in hunk.after]
        out.append("```")
    else:
        out.append("None: nothing here that the rules fix; the fixed code is the upgraded code.")
    out.append("")
    if static.fixed_unresolved:
        out += ["Names the fixed code still uses that the installed TensorFlow does not have:", "",
                "| where | name | missing |", "| --- | --- | --- |"]
        out += [f"| `{project_path(p)}:{line}` | `{dotted}` | `{prefix}` |" for p, line, dotted, prefix in static.fixed_unresolved]
    else:
        out.append("Names the fixed code uses that the installed TensorFlow lacks: none.")
    out.append("")
    return out


def render_report(static, run, fixed):
    """A recipe's whole report (str): :func:`render_static`, the run section, the fixes section, the summary comment.

    Args:
        static: :class:`StaticReport`.
        run: :class:`RunComparison` of the upgraded code (:func:`compare_runs`).
        fixed: :class:`RunComparison` of the fixed code (:func:`compare_fixed`).
    """
    summary = {"recipe": static.recipe, "info": static.count("INFO"), "warning": static.count("WARNING"),
               "error": static.count("ERROR"), "silent": sum(1 for h in static.hunks if not h.logged),
               "unresolved": sorted({prefix for *_, prefix in static.unresolved}),
               "unkept": len(static.unkept),
               "manual_review": [[e.path, e.line, e.message] for e in static.entries if e.level == "WARNING"],
               "manual_info": [[e.path, e.line, e.message] for e in static.entries
                               if e.level == "INFO" and _asks_for_a_look(e.message)],
               "errors": [[e.path, e.line, e.message] for e in static.entries if e.level == "ERROR"],
               "run": run.summary, "verdict": run.verdict,
               "fixes": sorted({n for _, names in static.fixes for n in names}),
               "fixed_run": fixed.summary, "fixed_verdict": fixed.verdict}
    out = render_static(static)
    out += [f"## The upgraded code run (`{PRESET}` preset) against the recipe: {run.summary}", "",
            RUN_BEGIN, *run.lines, RUN_END, ""]
    out += [f"## After the fixes the tool leaves to its user: {fixed.summary}", "", *render_fixes(static),
            FIXED_BEGIN, *fixed.lines, FIXED_END, "", SUMMARY_PREFIX + json.dumps(summary, sort_keys=True) + " -->", ""]
    return "\n".join(out)


def read_summary(text, where):
    """The summary dict a report ends with.

    Raises:
        UpgradeError: the report has no summary line (not written by this module, or damaged).
    """
    for line in text.splitlines():
        if line.startswith(SUMMARY_PREFIX) and line.endswith(" -->"):
            try:
                return json.loads(line[len(SUMMARY_PREFIX):-len(" -->")])
            except ValueError:
                break
    raise UpgradeError(f"{where}: no summary line ({SUMMARY_PREFIX.strip()} ... -->); regenerate it with {SCRIPT} --write")


def read_run(text, where):
    """The :class:`RunComparison` a written report holds (to rewrite its static part without running).

    Raises:
        UpgradeError: no run section or summary in the report.
    """
    summary = read_summary(text, where)
    if RUN_BEGIN not in text or RUN_END not in text:
        raise UpgradeError(f"{where}: no run section; regenerate it with {SCRIPT} --write (without --static-only)")
    body = text.split(RUN_BEGIN, 1)[1].split(RUN_END, 1)[0].strip("\n")
    return RunComparison(summary["verdict"], summary["run"], body.split("\n"))


def read_fixed(text, where):
    """The fixed code's :class:`RunComparison` a written report holds (as :func:`read_run`).

    Raises:
        UpgradeError: no fixes section or no fixed result in the summary.
    """
    summary = read_summary(text, where)
    if FIXED_BEGIN not in text or FIXED_END not in text or "fixed_verdict" not in summary:
        raise UpgradeError(f"{where}: no fixes section; regenerate it with {SCRIPT} --write (without --static-only)")
    body = text.split(FIXED_BEGIN, 1)[1].split(FIXED_END, 1)[0].strip("\n")
    return RunComparison(summary["fixed_verdict"], summary["fixed_run"], body.split("\n"))


def render_readme(summaries):
    """``migration/tf_upgrade_v2/README.md`` (str): the catalogue table and the distinct manual-review items.

    Args:
        summaries: [summary dict] (:func:`read_summary`), one per recipe.
    """
    summaries = sorted(summaries, key=lambda s: s["recipe"])
    equal = sum(s["verdict"] == "equal" for s in summaries)
    differs = sum(s["verdict"] == "differs" for s in summaries)
    cannot = sum(s["verdict"] == "cannot run" for s in summaries)
    out = [
        f"# Rung 1: the catalogue through `{TOOL}`",
        "",
        f"Written by `{SCRIPT} --write` from the per-recipe reports beside it (`<name>.md`, each "
        f"rewritten by `{SCRIPT} <name> --write`); do not edit by hand. How the input is made and what is compared: "
        "`tf1_recipes/upgrade_v2.py`, MIGRATION.md (\"Rung 1: tf_upgrade_v2\").",
        "",
        f"{len(summaries)} recipes: the upgraded code, run as it comes out on the `{PRESET}` preset, equals the recipe "
        f"bit for bit in {equal}, differs in {differs}, cannot run in {cannot}.",
        "",
        "| recipe | renamed / rewritten (INFO) | manual review (WARNING) | errors (ERROR) | edits without a log entry "
        "| names TF lacks | logged, not made | upgraded run = recipe? |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in summaries:
        lacks = ", ".join(f"`{n}`" for n in s["unresolved"]) or "none"
        out.append(f"| [`{s['recipe']}`]({s['recipe']}.md) | {s['info']} | {s['warning']} | {s['error']} | {s['silent']} "
                   f"| {lacks} | {s['unkept']} | {_cell(s['run'])} |")
    out += render_fixed_table(summaries)
    sections = (
        ("manual_review", "Manual-review items (WARNING) across the catalogue"),
        ("errors", "Errors (ERROR) across the catalogue"),
        ("manual_info", "INFO entries that still ask for a manual check"),
    )
    for key, title in sections:
        places, recipes = {}, {}
        for s in summaries:
            for path, line, message in s[key]:
                places.setdefault(message, set()).add((path, line))
                recipes.setdefault(message, set()).add(s["recipe"])
        out += ["", f"## {title}: {len(places)} distinct", ""]
        if places:
            out += ["| item | lines (shared family code once) | recipes |", "| --- | --- | --- |"]
            out += [f"| {_cell(m)} | {len(places[m])} | {', '.join(sorted(recipes[m]))} |" for m in sorted(places)]
        else:
            out.append("None.")
    out.append("")
    return "\n".join(out)


def render_fixed_table(summaries):
    """The README's section on the fixed code (markdown lines): the rules, the outcome per class, the table.

    Args:
        summaries: [summary dict] sorted by recipe, each with ``fixes``, ``fixed_run``, ``fixed_verdict``.
    """
    counts = {v: sum(s["fixed_verdict"] == v for s in summaries) for v in ("equal", "differs", "cannot run")}
    out = ["", "## After the fixes the tool leaves to its user", "",
           f"The upgraded code with `tf1_recipes.upgrade_v2.FIXES` applied (one mechanical rule per failure class the "
           f"tool leaves here; nothing else changed), run the same way: equals the recipe bit for bit in "
           f"{counts['equal']}, differs in {counts['differs']}, cannot run in {counts['cannot run']}.", "",
           "| rule | replacement | why | source |", "| --- | --- | --- | --- |"]
    out += [f"| {_cell(f.name)} | `{_cell(f.new)}`{' (as a value)' if f.uncalled else ''} | {_cell(f.reason)} "
            f"| {_cell(f.source)} |" for f in FIXES]
    out += ["", "| recipe | rules applied | fixed run = recipe? |", "| --- | --- | --- |"]
    out += [f"| [`{s['recipe']}`]({s['recipe']}.md) | {', '.join(s['fixes']) or 'none'} | {_cell(s['fixed_run'])} |"
            for s in summaries]
    return out


def write_readme(report_dir=REPORT_DIR):
    """Rewrite ``report_dir/README.md`` from every ``<name>.md`` there; returns its text.

    Raises:
        UpgradeError: a report without its summary line.
    """
    report_dir = Path(report_dir)
    summaries = [read_summary(p.read_text(encoding="utf-8"), p) for p in sorted(report_dir.glob("*.md"))
                 if p.name != "README.md"]
    text = render_readme(summaries)
    outputs.write_text(report_dir / "README.md", text)
    return text


def main(argv=None):
    """``python scripts/upgrade_v2_reports.py [NAME ...] [--write] [--static-only]``; returns the exit code.

    Without names: every recipe. Prints one row per recipe (INFO, WARNING, ERROR counts and the
    run's result). ``--write`` writes ``migration/tf_upgrade_v2/<name>.md`` and the README.
    ``--static-only`` runs no training and keeps each written report's run sections (the
    upgraded code's and the fixed code's).

    Exit codes: 0 done, 2 bad input (unknown recipe, tool missing, a report without its run
    section for --static-only), one line on stderr.
    """

    class Parser(argparse.ArgumentParser):
        def error(self, message):
            raise UpgradeError(f"{message}; see {SCRIPT} --help")

    parser = Parser(prog=SCRIPT, description="Every recipe through the installed tf_upgrade_v2, "
                                             "reported per recipe (rung 1 of the migration ladder).")
    parser.add_argument("recipes", nargs="*", help="recipe names (default: every recipe)")
    parser.add_argument("--write", action="store_true", help="write migration/tf_upgrade_v2/<name>.md and README.md")
    parser.add_argument("--static-only", action="store_true",
                        help="run no training: the tool's part only; with --write, keep each report's run section")
    parser.add_argument("--report-dir", default=str(REPORT_DIR), help=argparse.SUPPRESS)
    from tf1_recipes.registry import UnknownRecipeError, get_recipe, list_recipes

    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
        names = [get_recipe(n).name for n in args.recipes] if args.recipes else [r.name for r in list_recipes()]
        report_dir = Path(args.report_dir)
        if args.write:
            outputs.check_folder(report_dir, purpose="the reports")  # before anything runs
        kept = {}
        if args.static_only and args.write:
            for name in names:
                path = report_dir / f"{name}.md"
                if not path.exists():
                    raise UpgradeError(f"{path}: missing, so no run section to keep; run without --static-only")
                text = path.read_text(encoding="utf-8")
                kept[name] = (read_run(text, path), read_fixed(text, path))
        with tempfile.TemporaryDirectory(prefix="tf_upgrade_v2_") as work:
            upgrade = upgrade_catalogue(Path(work) / "tree")
            for name in names:
                static = upgrade.static(name)
                if args.static_only:
                    run, fixed = kept.get(name, (None, None))
                    result = fixed_result = "(not run)"
                else:
                    scratch = Path(work) / "runs" / name
                    recipe_run = recipe_run_once(name, scratch)
                    run = compare_runs(name, upgrade, scratch, recipe_run=recipe_run)
                    fixed = compare_fixed(name, upgrade, scratch, recipe_run=recipe_run)
                    result, fixed_result = run.summary, fixed.summary
                print(f"{name}: {static.count('INFO')} INFO, {static.count('WARNING')} WARNING, "
                      f"{static.count('ERROR')} ERROR, {len(static.unresolved)} names TF lacks; run: {result}; "
                      f"after the fixes: {fixed_result}", flush=True)
                if args.write:
                    outputs.write_text(report_dir / f"{name}.md", render_report(static, run, fixed))
        if args.write:
            write_readme(report_dir)
    except (UpgradeError, UnknownRecipeError, outputs.OutputPathError) as err:
        print(f"upgrade_v2_reports.py: error: {err}", file=sys.stderr)
        return 2
    return 0
