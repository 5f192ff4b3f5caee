"""The catalogue of recipes: a ``@recipe`` decorator, lookup and listing.

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

import dataclasses
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

    @property
    def description(self):
        return self.summary or (inspect.getdoc(self.fn) or "").splitlines()[0]

    @property
    def hyperparameters(self):
        """Keyword parameters of the recipe function with their reference defaults."""
        params = inspect.signature(self.fn).parameters.values()
        return {p.name: p.default for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}

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


_RECIPES = {}


def recipe(name, *, presets, default=None, metric=None, metric_label=None, description=None, smoke=None):
    """Register ``fn`` as recipe ``name`` with named presets (the first is the default).

    ``smoke`` overrides the derived ``smoke`` preset's keys (e.g. ``train_size``, ``n_epochs``,
    or a hyperparameter), for recipes whose default smoke run is too chaotic to pin.

    ``description`` is the recipe's one-line description when ``fn`` is one body shared by
    several recipes (each registered with its own presets); by default, fn's docstring.

    ``metric`` names what ``run.report`` records when it is not the accuracy on the eval
    split (e.g. ``"valid_loss"``), and ``metric_label`` how the per-epoch line shows it.
    """

    def register(fn):
        accepted = {
            p.name for p in inspect.signature(fn).parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY
        }
        for preset_name, values in {**presets, "smoke= overrides": smoke or {}}.items():
            unknown = set(values) - accepted - set(HARNESS_SETTINGS)
            if unknown:
                raise TypeError(f"recipe {name!r} preset {preset_name!r}: unknown keys {sorted(unknown)}")
        all_presets = dict(presets)
        default_name = default or next(iter(presets))
        if "smoke" not in all_presets:
            base = all_presets[default_name]
            batch_size = base.get("batch_size", inspect.signature(fn).parameters["batch_size"].default)
            all_presets["smoke"] = {
                **base,
                "n_epochs": SMOKE_EPOCHS,
                "train_size": SMOKE_STEPS_PER_EPOCH * batch_size,
                **(smoke or {}),
            }
        elif smoke:
            raise TypeError(f"recipe {name!r} defines its smoke preset; smoke= overrides only the derived one")
        _RECIPES[name] = Recipe(name, fn, all_presets, default_name, metric, metric_label, description)
        fn.recipe_name = name
        return fn

    return register


def _load_all():
    import tf1_recipes.recipes as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")


def list_recipes():
    """Every registered recipe, sorted by name."""
    _load_all()
    return [_RECIPES[n] for n in sorted(_RECIPES)]


def get_recipe(name):
    """The recipe called ``name``; UnknownRecipeError listing the known names otherwise."""
    if name not in _RECIPES:
        _load_all()
    if name not in _RECIPES:
        raise UnknownRecipeError(f"unknown recipe {name!r}; known recipes: {', '.join(sorted(_RECIPES))}")
    return _RECIPES[name]
