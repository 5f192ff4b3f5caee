"""The catalogue of recipes: a ``@recipe`` decorator, lookup and listing.

The name of a recipe is its address: recipe ``<name>`` is registered by
``tf1_recipes/recipes/<name>.py`` (:data:`LAYOUT` says where its port, goldens and tests
are). :class:`Registry` maps names to entries; :data:`RECIPES` is the recipes' and
``tf1_recipes.tf2.PORTS`` the TF2 ports'.

A recipe is a function ``fn(run, *, <hyperparameters>)``. Its keyword defaults are the
hyperparameters of the reference code, named as there (``n_hidden1``, ``learning_rate``,
``batch_size``, ``n_epochs``); a preset overrides some of them and may set the harness
settings in :data:`HARNESS_SETTINGS` (which reader, which split is evaluated, ...).
Every recipe also gets a ``smoke`` preset: its default preset on the first
``SMOKE_STEPS_PER_EPOCH * batch_size`` training images for two epochs. A recipe whose
first few hundred steps are too chaotic for a band that can fail (deep ReLU stacks on
their plateau, a diverging optimizer) gives ``@recipe(..., smoke={...})`` overrides: more
training images or epochs, measured so that the band over 10 seeds is at most 0.12 wide
(tf1_recipes/golden/README.md).
"""

import contextlib
import dataclasses
import difflib
import importlib
import inspect
import pkgutil

#: Preset keys the harness consumes; everything else is a hyperparameter of the recipe.
HARNESS_SETTINGS = {
    "reader": "next_batch or shuffle_batch: which reference reader run.batches() uses",
    "eval_split": "test or valid: the split run.eval_split() returns and the metric is named after",
    "train_size": "keep only the first N training images",
    "seed": "graph-level TF seed and NumPy seed",
}
DEFAULT_SETTINGS = {"reader": "shuffle_batch", "eval_split": "valid", "train_size": None, "seed": 42}
SMOKE_STEPS_PER_EPOCH = 150
SMOKE_EPOCHS = 2


class UnknownRecipeError(KeyError):
    """No recipe (or preset) of that name; the message lists the known ones."""

    def __str__(self):
        return self.args[0]


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A registered recipe: its function, presets and the hyperparameters it accepts."""

    name: str
    fn: object
    presets: dict
    default_preset: str
    metric: str = None  # None: "<eval_split>_accuracy"
    metric_label: str = None  # how the per-epoch line names it; None: from the eval split
    summary: str = None  # the one-line description; None: the first line of fn's docstring
    extends: object = None  # the shared body whose keyword parameters follow fn's; None: fn alone

    @property
    def description(self):
        return self.summary or (inspect.getdoc(self.fn) or "").splitlines()[0]

    @property
    def hyperparameters(self):
        """Keyword parameters of the recipe function (then of the body it extends) with their reference defaults."""
        own = _keyword_parameters(self.fn)
        shared = _keyword_parameters(self.extends) if self.extends else []
        clash = {p.name for p in own} & {p.name for p in shared}
        if clash:
            raise TypeError(f"recipe {self.name!r}: hyperparameters {sorted(clash)} are also {self.extends.__name__}'s")
        if self.extends and not any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in inspect.signature(self.fn).parameters.values()
        ):
            raise TypeError(f"recipe {self.name!r} extends {self.extends.__name__}: it must take **hyperparameters")
        return {p.name: p.default for p in [*own, *shared]}

    def preset(self, name=None):
        """(harness settings, hyperparameters) of a preset, defaults filled in."""
        name = name or self.default_preset
        if name not in self.presets:
            raise UnknownRecipeError(
                f"recipe {self.name!r} has no preset {name!r}; presets: {', '.join(self.presets)}"
            )
        values = self.presets[name]
        settings = {**DEFAULT_SETTINGS, **{k: v for k, v in values.items() if k in HARNESS_SETTINGS}}
        hyper = {**self.hyperparameters, **{k: v for k, v in values.items() if k not in HARNESS_SETTINGS}}
        return settings, hyper


class Registry:
    """Entries by name, where the name is also the address: entry ``n`` is registered by module ``<package>.n``.

    :meth:`get` imports that one module; only :meth:`all` imports the package's modules (to
    list them; ``scan`` names them when not every module of the package registers an entry).
    A name its module does not register is an ``error`` (an :class:`UnknownRecipeError`)
    listing the known ones: its message is ``missing`` formatted with ``kind``, ``name``,
    ``known`` (the names, comma-separated) and ``close`` (`` (did you mean 'x'?)`` or empty).
    """

    def __init__(self, package, kind, error=None, scan=None, missing="unknown {kind} {name!r}{close}; known {kind}s: {known}"):
        self.package, self.kind = package, kind
        self.error = error or UnknownRecipeError
        self.scan = scan
        self.missing = missing
        self._entries = {}
        self._captures = []  # open captured() blocks, innermost last

    def add(self, name, entry):
        """Register ``entry`` as ``name`` (again when its module is run again, e.g. by ``python -m``).

        Inside a :meth:`captured` block the entry goes to that block's dict instead.
        """
        (self._captures[-1] if self._captures else self._entries)[name] = entry
        return entry

    @contextlib.contextmanager
    def captured(self):
        """Keep the block's registrations out of the registry: yields the {name: entry} they went to.

        For importing a second copy of registering modules (``tf1_recipes.upgrade_v2`` imports
        the recipes as ``tf_upgrade_v2`` rewrote them, and their ``@recipe`` must not replace
        the real ones). The registry itself is unchanged by the block.
        """
        box = {}
        self._captures.append(box)
        try:
            yield box
        finally:
            self._captures.remove(box)

    @contextlib.contextmanager
    def substituted(self, name, entry):
        """``name`` is ``entry`` inside the block (e.g. for :func:`tf1_recipes.harness.run_recipe`); as before after it.

        Args:
            name: an entry name; it need not be registered yet.
            entry: what :meth:`get` and :meth:`registered` return for ``name`` in the block.
        """
        missing = object()
        before = self._entries.get(name, missing)
        self._entries[name] = entry
        try:
            yield entry
        finally:
            if before is missing:
                self._entries.pop(name, None)
            else:
                self._entries[name] = before

    def class_decorator(self, name, what):
        """A class decorator registering a class as entry ``name`` and setting its ``recipe`` to ``name``.

        Args:
            name: the recipe's name.
            what: what the class is, for the error (``"a TF2 port"``).

        Raises:
            TypeError: (when applied) another class is already registered as ``name``.
        """

        def register(cls):
            registered = self.registered(name)
            if registered is not None and registered is not cls:
                raise TypeError(f"recipe {name!r} already has {what}: {registered.__qualname__}")
            cls.recipe = name
            return self.add(name, cls)

        return register

    def registered(self, name):
        """The entry registered as ``name`` so far, or None (imports nothing)."""
        return self._entries.get(name)

    def _import(self, module_name):
        if not module_name.isidentifier():
            return  # no module has that name
        try:
            importlib.import_module(f"{self.package}.{module_name}")
        except ModuleNotFoundError as error:
            if error.name != f"{self.package}.{module_name}":
                raise

    def unknown(self, name, known):
        """The ``error`` for a ``name`` not among ``known``: the known names, and the closest ones if any look alike.

        "Look alike" is :func:`difflib.get_close_matches` at its default cutoff (0.6), so a
        typo (``batchnorm``, ``he-init``) is answered with the name it missed.
        """
        known = sorted(known)
        close = difflib.get_close_matches(str(name), known, n=2)
        close = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
        return self.error(self.missing.format(kind=self.kind, name=name, close=close, known=", ".join(known)))

    def module_names(self):
        """The names of the package's modules (its subpackages left out), read without importing them."""
        package = importlib.import_module(self.package)
        return sorted(module.name for module in pkgutil.iter_modules(package.__path__) if not module.ispkg)

    def _load_all(self):
        for name in self.scan() if self.scan is not None else self.module_names():
            self._import(name)

    def get(self, name):
        """Entry ``name``, registered by module ``<package>.<name>`` (imported here if need be)."""
        if name not in self._entries:
            self._import(name)
        if name not in self._entries:
            self._load_all()  # only to list the known names
            raise self.unknown(name, self._entries)
        return self._entries[name]

    def all(self):
        """{name: entry} of every entry, sorted by name."""
        self._load_all()
        return dict(sorted(self._entries.items()))


RECIPES = Registry("tf1_recipes.recipes", "recipe")

#: Where everything of recipe ``name`` is, relative to the project: its name is its address.
LAYOUT = {
    "recipe": "tf1_recipes/recipes/{name}.py",
    "port": "tf1_recipes/tf2/{name}.py",
    "shim": "tf1_recipes/shim/{name}.py",
    "golden": "tf1_recipes/golden/{name}/",
    "test": "tests/unit/test_{name}.py",
    "tf_upgrade_v2": "migration/tf_upgrade_v2/{name}.md",
}


def recipe_paths(name):
    """{"recipe", "port", "shim", "golden", "test", "tf_upgrade_v2": path relative to the project} of recipe ``name`` (:data:`LAYOUT`)."""
    return {kind: pattern.format(name=name) for kind, pattern in LAYOUT.items()}


def _keyword_parameters(fn):
    return [p for p in inspect.signature(fn).parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]


def recipe(
    name, *, presets, default=None, metric=None, metric_label=None, description=None, smoke=None, extends=None
):
    """Register ``fn`` as recipe ``name`` with named presets (the first is the default).

    ``extends`` is a body shared by several recipes (a function of ``tf1_recipes.recipes.families``):
    the recipe's hyperparameters are then fn's keyword parameters followed by the body's,
    and fn takes the body's as ``**hyperparameters`` and calls the body with them.

    ``smoke`` overrides the derived ``smoke`` preset's keys (e.g. ``train_size``, ``n_epochs``,
    or a hyperparameter), for recipes whose default smoke run is too chaotic to pin.

    ``description`` is the recipe's one-line description; by default, the first line of fn's docstring.

    ``metric`` names what ``run.report`` records when it is not the accuracy on the eval
    split (e.g. ``"valid_loss"``), and ``metric_label`` how the per-epoch line shows it.
    """

    def register(fn):
        spec = Recipe(name, fn, dict(presets), default or next(iter(presets)), metric, metric_label, description, extends)
        accepted = set(spec.hyperparameters)
        for preset_name, values in {**presets, "smoke= overrides": smoke or {}}.items():
            unknown = set(values) - accepted - set(HARNESS_SETTINGS)
            if unknown:
                raise TypeError(f"recipe {name!r} preset {preset_name!r}: unknown keys {sorted(unknown)}")
        if "smoke" not in spec.presets:
            base = spec.presets[spec.default_preset]
            batch_size = base.get("batch_size", spec.hyperparameters["batch_size"])
            spec.presets["smoke"] = {
                **base,
                "n_epochs": SMOKE_EPOCHS,
                "train_size": SMOKE_STEPS_PER_EPOCH * batch_size,
                **(smoke or {}),
            }
        elif smoke:
            raise TypeError(f"recipe {name!r} defines its smoke preset; smoke= overrides only the derived one")
        RECIPES.add(name, spec)
        fn.recipe_name = name
        return fn

    return register


def list_recipes():
    """Every registered recipe, sorted by name."""
    return list(RECIPES.all().values())


def check_recipe_name(name):
    """``name`` when ``tf1_recipes/recipes/<name>.py`` exists; else the :class:`UnknownRecipeError` :func:`get_recipe` raises.

    Reads the module names only, so a mistyped name costs no TensorFlow import
    (``tests/unit/test_layout.py`` holds every recipe module to registering the recipe it names).
    """
    names = RECIPES.module_names()
    if name not in names:
        raise RECIPES.unknown(name, names)
    return name


def get_recipe(name):
    """The recipe called ``name`` (from ``tf1_recipes.recipes.<name>``); UnknownRecipeError listing the known names otherwise."""
    return RECIPES.get(name)
