"""``tf1-recipes migrate-ckpt``: a TF1 name-based Saver checkpoint → a Keras 3 model's object-based TF2 checkpoint.

Two forms, one machinery (:mod:`tf1_recipes.tf2.mapping`, :mod:`tf1_recipes.tf2.optimizer_state`):

* ``migrate-ckpt RECIPE PREFIX OUT``: the recipe's TF2 port, through the port's explicit
  table (:attr:`Port.variables`, TF1 name → Keras path);
* ``migrate-ckpt PREFIX OUT --to MODULE:FUNCTION [--map OLD=NEW]...``: the user's own
  Keras 3 model, made by calling ``FUNCTION()`` (:func:`load_factory`,
  :func:`build_user_model`), its variables found by the automatic rules and ``--map``.

The TF1 checkpoint is read whole with ``tf.train.load_checkpoint`` (every tensor, so
TensorFlow's checksums are verified). Every TF1 variable is either converted or listed
with the reason it is not (the TF1 optimizer's slots, beta powers and ``global_step``:
"not converted: optimizer state", unless ``--optimizer-state`` converts them into the
model's Keras optimizer). Names or shapes that do not match are one
:class:`CheckpointMismatchError` listing every difference, raised before anything is
written. The result is written with ``tf.train.CheckpointManager`` as
``tf.train.Checkpoint(model=...)`` (with ``--optimizer-state``:
``tf.train.Checkpoint(model=..., optimizer=...)``) into the output directory;
:func:`restore_model` loads it into a port, :func:`restore` into any model.
"""

import contextlib
import dataclasses
import importlib
import importlib.util
import io
import os
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

from tf1_recipes import checkpoints, outputs
from tf1_recipes.tf2.mapping import CheckpointMismatchError, Entry, Row, format_rows, map_checkpoint, natural_key  # noqa: F401 (re-exported)

REMEDY_TF1 = "re-save it (Saver.save in your training script; for a recipe, run it again with --out) or give another TF1 checkpoint"
REMEDY_TF2 = "run migrate-ckpt again into an empty directory"


class ModelFactoryError(ValueError):
    """``--to MODULE:FUNCTION`` does not give a Keras 3 model: not importable, no such function, it raised, or returned something else."""


@dataclasses.dataclass
class Migration:
    """What :func:`migrate_checkpoint` and :func:`migrate_to_model` did.

    Attributes:
        path: the written TF2 checkpoint's prefix (``OUT/ckpt-1``).
        rows: one :class:`tf1_recipes.tf2.mapping.Row` per TF1 variable.
        mapping: the :class:`tf1_recipes.tf2.mapping.Mapping` of the model variables.
        conversion: the :class:`tf1_recipes.tf2.optimizer_state.Conversion`, or None without ``optimizer_state``.
        notes: what the user should know (also printed as ``tf1-recipes: note:`` lines).
    """

    path: str
    rows: list
    mapping: object
    conversion: object = None
    notes: list = dataclasses.field(default_factory=list)

    def __iter__(self):  # ``path, rows = migrate_checkpoint(...)``, as before
        return iter((self.path, self.rows))

    def format(self):
        """The printed table: one line per TF1 variable, columns aligned."""
        return format_rows(self.rows)

    def summary(self):
        """``wrote PATH (N model variables converted, M optimizer variables converted, K listed only)``."""
        model = sum(r.target is not None and not r.optimizer for r in self.rows)
        optimizer = sum(r.target is not None and r.optimizer for r in self.rows)
        listed = len(self.rows) - model - optimizer
        extra = f", {optimizer} optimizer variables converted" if self.conversion is not None else ""
        return f"wrote {self.path} ({model} variables converted{extra}, {listed} listed only)"


def tf1_checkpoint_prefix(path):
    """The Saver prefix meant by ``path``: a prefix (``.../model.ckpt``), one of its files, or a directory.

    A file of the checkpoint (``model.ckpt.index``, ``.meta``, ``.data-00000-of-00001``)
    stands for its prefix (said in a note). A directory is read through its ``checkpoint``
    state file (:func:`tf1_recipes.checkpoints.prefix_in_directory`).
    """
    given = Path(path)
    if given.is_dir():
        return checkpoints.prefix_in_directory(given, "TF1 checkpoint")
    prefix, suffix = checkpoints.strip_suffix(given)
    if suffix:
        if not Path(f"{prefix}.index").is_file():
            raise checkpoints.CheckpointNotFoundError(
                f"{given}: not a complete TF1 checkpoint ({Path(prefix).name}.index missing beside it); "
                f"give the prefix of a Saver checkpoint, e.g. {Path(prefix).parent / checkpoints.CHECKPOINT_NAME}"
            )
        checkpoints.note(f"{given} is a file of the checkpoint {prefix}: reading that prefix")
        return prefix
    if Path(f"{given}.index").is_file() or any(given.parent.glob(f"{given.name}.*")):
        return str(given)  # a prefix (read_checkpoint names any of its files that is missing)
    if not given.exists():
        where = given.parent if given.parent.is_dir() else f"{given.parent} (no such directory)"
        raise checkpoints.CheckpointNotFoundError(
            f"{given}: does not exist (no {given.name}.index in {where}); "
            "give a TF1 checkpoint prefix (DIR/model.ckpt) or a directory with a 'checkpoint' file"
        )
    raise checkpoints.CheckpointNotFoundError(
        f"{given}: not a TF1 checkpoint (a file with no {given.name}.index beside it); "
        "give a TF1 checkpoint prefix (DIR/model.ckpt) or a directory with a 'checkpoint' file"
    )



def plan(port, tf1_shapes):
    """The Row list mapping every TF1 variable (name → shape) onto ``port``; CheckpointMismatchError otherwise.

    Through the port's explicit table (:attr:`Port.variables`); the TF1 optimizer's state
    (any optimizer's slots, beta powers, ``global_step``) is listed, not converted.
    """
    return _port_mapping(port, tf1_shapes).check().rows


def _port_mapping(port, tf1):
    return map_checkpoint(tf1, port.model, table=port.variables, keras=port.keras_variables(), subject=f"recipe {port.recipe!r}")


# --------------------------------------------------------------------------- --to MODULE:FUNCTION


def load_factory(spec, flag="--to"):
    """The function ``spec`` names: ``MODULE:FUNCTION`` (a dotted module importable from the current
    directory or the Python path) or ``FILE.py:FUNCTION`` (a path to a Python file).

    Raises:
        ModelFactoryError: no ``:``, the module or file is not there, importing it raised,
            or it has no such callable; one line naming ``FLAG SPEC`` (``flag``: ``--to``,
            ``--tf2``, ``--optimizer``, the command-line flag that gave it) and what to do.
    """
    module_name, sep, function = spec.rpartition(":")
    if not sep or not module_name or not function:
        raise ModelFactoryError(f"{flag} {spec}: expected MODULE:FUNCTION (or path/to/file.py:FUNCTION), a function returning a Keras 3 model")
    where = module_name
    if module_name.endswith(".py") or "/" in module_name or os.sep in module_name:
        path = Path(module_name)
        if path.is_dir():
            raise ModelFactoryError(f"{flag} {spec}: {path} is a folder, not a Python file; give the file that defines "
                                    "the function, path/to/file.py:FUNCTION (or MODULE:FUNCTION)")
        if not path.is_file():
            raise ModelFactoryError(f"{flag} {spec}: no such file {path}; give MODULE:FUNCTION or an existing path/to/file.py:FUNCTION")
        where = str(path)
        if path.suffix != ".py":  # importlib finds no loader for it: a data file, a script without the suffix
            raise ModelFactoryError(f"{flag} {spec}: {path} is not a Python file (.py); give path/to/file.py:FUNCTION "
                                    "or MODULE:FUNCTION")
        loader_spec = importlib.util.spec_from_file_location(f"_tf1_recipes_to_{abs(hash(str(path.resolve())))}", path)
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[loader_spec.name] = module  # as an import would: dataclasses and pickling look it up there
        try:
            with _user_code(flag, spec, f"importing {path}", _IMPORT_EXITED):
                loader_spec.loader.exec_module(module)
        except Exception as err:  # the user's module: any error it raises is theirs to fix
            del sys.modules[loader_spec.name]
            if isinstance(err, ModelFactoryError):  # it exited (_user_code)
                raise
            raise ModelFactoryError(f"{flag} {spec}: importing {path} raised {_one_line(err)}; fix that file") from None
    else:
        added = os.getcwd() not in sys.path
        if added:  # as `python -m` does: a module in the current directory is found
            sys.path.insert(0, os.getcwd())
        try:
            with _user_code(flag, spec, f"importing {module_name}", _IMPORT_EXITED):
                module = importlib.import_module(module_name)
        except ModelFactoryError:  # it exited (_user_code)
            raise
        except ModuleNotFoundError as err:
            if err.name and (module_name == err.name or module_name.startswith(err.name + ".")):
                raise ModelFactoryError(
                    f"{flag} {spec}: no module named {err.name!r} in the current directory or on the Python path; "
                    "give a module you can import, or a file: path/to/file.py:FUNCTION"
                ) from None
            raise ModelFactoryError(f"{flag} {spec}: importing {module_name} raised {_one_line(err)}; install what it imports") from None
        except Exception as err:  # the user's module: any error it raises is theirs to fix
            raise ModelFactoryError(f"{flag} {spec}: importing {module_name} raised {_one_line(err)}; fix that module") from None
        finally:
            if added:
                sys.path.remove(os.getcwd())
    factory = getattr(module, function, None)
    if not callable(factory):
        functions = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == module.__name__)
        what = "is not a function" if hasattr(module, function) else "does not exist"
        raise ModelFactoryError(
            f"{flag} {spec}: {function} {what} in {where} (its functions: {', '.join(functions) or 'none'}); "
            "name the function that returns the Keras 3 model"
        )
    return factory


_IMPORT_EXITED = ("ran a script that exited", "name a module that defines the factory without running anything, or put the "
                  "script's code under if __name__ == '__main__':")
_CALL_EXITED = ("exited", "return the model (or the optimizer) instead of exiting")


@contextlib.contextmanager
def _user_code(flag, spec, doing, exited):
    """Around running the user's code (``doing``: "importing X", "calling f()"): what it prints is held back and
    printed once it returns, and a SystemExit it raises (a script run on import: ``argparse``, ``sys.exit(main())``)
    is one ModelFactoryError quoting the last line it printed, instead of ending this process (with exit 0 for
    ``sys.exit(0)``: nothing done, and nothing said). ``exited``: (what happened, what to do) for that message."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield
    except SystemExit as exit_:
        said = (err.getvalue().strip() or out.getvalue().strip()).splitlines()
        said = f", after printing {' '.join(said[-1].split())[:200]!r}" if said else ""
        happened, remedy = exited
        raise ModelFactoryError(f"{flag} {spec}: {doing} {happened} (sys.exit({exit_.code!r}){said}); {remedy}") from None
    sys.stdout.write(out.getvalue())
    sys.stderr.write(err.getvalue())


def _call_factory(factory, spec, flag):
    """What the user's ``factory()`` returns; anything it raises, or an exit, is one ModelFactoryError."""
    name = spec.rpartition(":")[2]
    with _user_code(flag, spec, f"calling {name}()", _CALL_EXITED):  # an exit: SystemExit is no Exception
        try:
            return factory()
        except Exception as err:  # the user's factory: any error it raises is theirs to fix
            raise ModelFactoryError(f"{flag} {spec}: calling {name}() raised {_one_line(err)}; fix the factory") from None


def _one_line(err):
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text[:300]}" if text else type(err).__name__


def _is_keras3(obj, kind):
    import keras

    return isinstance(obj, keras.Model if kind == "model" else keras.optimizers.Optimizer)


def build_user_model(spec, tf1_shapes, order=None, factory=None, flag="--to"):
    """``(model, optimizer or None)`` from the factory ``spec`` names (:func:`load_factory`), built.

    The factory is called with no arguments and returns a Keras 3 model (``keras.Model``;
    its optimizer is ``model.optimizer`` when it was compiled) or a ``(model, optimizer)``
    pair. A model that is not built yet (no ``keras.Input``, never called) is built by
    calling it once on a float32 zeros batch of shape ``(1, n)``, ``n`` being the input
    width of the TF1 checkpoint's first kernel (rows of the first rank-2 kernel, in the
    layer order of :func:`tf1_recipes.tf2.mapping.map_checkpoint`).

    Args:
        spec: ``MODULE:FUNCTION`` or ``FILE.py:FUNCTION``.
        tf1_shapes: {TF1 name: shape} of the checkpoint (for the input width of an unbuilt model).
        order: TF1 names in creation order (:func:`tf1_recipes.tf2.mapping.tf1_creation_order`), or None.
        factory: the function ``spec`` names, when :func:`load_factory` already loaded it.
        flag: the command-line flag that gave ``spec`` (``--to``, ``--tf2``), named in the errors.

    Raises:
        ModelFactoryError: the factory raised, returned something else (a tf.keras /
            tf-keras model included: Keras 2, not 3), or the model cannot be built that way.
    """
    factory = factory or load_factory(spec, flag)
    made = _call_factory(factory, spec, flag)
    model, optimizer = made, None
    if isinstance(made, (tuple, list)) and len(made) == 2:
        model, optimizer = made
        if not _is_keras3(optimizer, "optimizer"):
            raise ModelFactoryError(
                f"{flag} {spec}: returned a pair whose second item is a {type(optimizer).__module__}.{type(optimizer).__name__}, "
                "not a Keras 3 optimizer (keras.optimizers.Adam, ...); return (model, optimizer) or the model alone"
            )
    if not _is_keras3(model, "model"):
        kind = f"{type(model).__module__}.{type(model).__name__}"
        if type(model).__module__.split(".")[0] in ("tf_keras", "keras_core") or kind.startswith("tensorflow.python.keras"):
            raise ModelFactoryError(
                f"{flag} {spec}: returned a tf.keras model ({kind}: Keras 2, which tf.keras is in this suite); "
                "build it with `import keras` (Keras 3): keras.Sequential, keras.layers.Dense, ..."
            )
        raise ModelFactoryError(f"{flag} {spec}: returned a {kind}, not a Keras 3 model (keras.Model) or a (model, optimizer) pair")
    if optimizer is None:
        optimizer = getattr(model, "optimizer", None)
    if not model.built or not model.variables:
        width = _first_kernel_width(tf1_shapes, order)
        if width is None:
            raise ModelFactoryError(
                f"{flag} {spec}: the model is not built and the checkpoint has no rank-2 kernel to take its input width from; "
                "build it in the factory (keras.Input(shape=...) or call it once on a batch)"
            )
        try:
            model(np.zeros((1, width), np.float32))
        except Exception as err:  # the user's model: any error its call raises is theirs to fix
            raise ModelFactoryError(
                f"{flag} {spec}: the model is not built, and calling it on zeros of shape (1, {width}) (the input width of "
                f"the checkpoint's first kernel) raised {_one_line(err)}; build it in the factory (keras.Input(shape=...))"
            ) from None
    return model, optimizer


def build_optimizer(spec, flag="--optimizer"):
    """The Keras 3 optimizer the factory ``spec`` (``MODULE:FUNCTION`` or ``FILE.py:FUNCTION``) returns.

    Raises:
        ModelFactoryError: as :func:`load_factory`, or the function raised or returned
            something other than a Keras 3 optimizer (one line saying what it returned).
    """
    factory = load_factory(spec, flag)
    made = _call_factory(factory, spec, flag)
    if not _is_keras3(made, "optimizer"):
        raise ModelFactoryError(f"{flag} {spec}: returned a {type(made).__module__}.{type(made).__name__}, not a Keras 3 "
                                "optimizer (keras.optimizers.SGD, Adam, ...)")
    return made


def _first_kernel_width(tf1_shapes, order):
    from tf1_recipes.tf2.mapping import classify_tf1

    roles = classify_tf1(tf1_shapes)
    rank = {name: i for i, name in enumerate(order or [])}
    names = sorted((n for n in tf1_shapes if roles[n].kind == "model"), key=lambda n: (rank.get(n, len(rank)), natural_key(n)))
    for name in names:
        if len(tf1_shapes[name]) == 2:
            return int(tf1_shapes[name][0])
    return None


# --------------------------------------------------------------------------- converting


def _check_out_dir(out_dir, tf1_prefix):
    """``out_dir`` as a Path, after refusing one that cannot take the TF2 checkpoint (reads only).

    The TF2 checkpoint's state file is named ``checkpoint``, as a TF1 Saver's is: a directory
    holding one (the TF1 checkpoint's own directory included) is refused, never written over.
    """
    out_dir = outputs.check_folder(out_dir, purpose="the TF2 checkpoint")  # a file, or a place this user cannot write
    state = out_dir / checkpoints.STATE_FILE
    if state.exists() and out_dir.resolve() == Path(tf1_prefix).parent.resolve():
        raise checkpoints.CheckpointError(
            f"{out_dir} is the TF1 checkpoint's own directory: the TF2 checkpoint's state file would replace its "
            f"{state.name}; give another output directory")
    if state.exists():
        raise checkpoints.CheckpointError(
            f"{out_dir} already holds a checkpoint ({state}); give another output directory, or delete that one if it "
            "is an earlier migration's")
    return out_dir


def _convert(values, mapping, model, optimizer, optimizer_state, out_dir, what):
    """Check the mapping (and the optimizer state), assign, write; the Migration."""
    from tf1_recipes.tf2 import optimizer_state as state

    mapping.check()
    conversion, rows = None, list(mapping.rows)
    notes = []
    if optimizer_state:
        if optimizer is None:
            raise ModelFactoryError(
                f"--optimizer-state needs a Keras optimizer for {what}: return (model, optimizer) from the factory, "
                "or compile the model with it (model.compile(optimizer=...))"
            )
        conversion = state.convert_optimizer_state(mapping, values, optimizer, model).check()
        rows = [conversion.rows.get(r.tf1_name, r) for r in rows]
        notes = conversion.notes
    mapping.assign(values)
    if conversion is not None:
        conversion.apply()
    objects = {"model": model, **({"optimizer": optimizer} if optimizer_state else {})}
    path = _write(out_dir, objects)
    for line in notes:
        checkpoints.note(line)
    return Migration(path, rows, mapping, conversion, notes)


def _write(out_dir, objects):
    """Write ``tf.train.Checkpoint(**objects)`` into ``out_dir`` through a temporary folder (:func:`tf1_recipes.outputs.staged_folder`); the prefix."""
    with outputs.staged_folder(out_dir, purpose="the TF2 checkpoint", last=checkpoints.STATE_FILE) as scratch:
        manager = tf.train.CheckpointManager(tf.train.Checkpoint(**objects), str(scratch), max_to_keep=1)
        written = Path(manager.save())
    return str(out_dir / written.name)


def migrate_checkpoint(recipe, tf1_checkpoint, out_dir, preset=None, *, optimizer_state=False):
    """Convert recipe ``recipe``'s TF1 Saver checkpoint into its TF2 port's object-based checkpoint.

    Args:
        recipe: a recipe name with a TF2 port (``tf1-recipes list``).
        tf1_checkpoint: a Saver prefix (``DIR/model.ckpt``), one of its files (``.index``,
            ``.meta``, ``.data-*``: the prefix is taken, with a note on stderr), or a directory
            holding a ``checkpoint`` state file (a moved folder's checkpoint beside it is used).
        out_dir: directory for the TF2 checkpoint; must not already hold one.
        preset: the preset whose hyperparameters (layer widths, optimizer) shape the port;
            None: the recipe's default.
        optimizer_state: also convert the TF1 optimizer's slots and step count into the
            port's Keras optimizer (:mod:`tf1_recipes.tf2.optimizer_state`) and write
            ``tf.train.Checkpoint(model=..., optimizer=...)``.

    Returns:
        a :class:`Migration`; it unpacks as ``(path, rows)``: the written checkpoint's
        prefix (``out_dir/ckpt-1``) and one Row per TF1 variable (TF1 name, shape, the port
        variable it went to, or the reason it was listed and not converted).

    Raises:
        tf1_recipes.checkpoints.CheckpointError: the path does not exist, or a file of the
            checkpoint is missing or damaged (every tensor is read, so TensorFlow's
            checksums are verified), or ``out_dir`` already holds a checkpoint (the TF1 one's own
            directory included).
        CheckpointMismatchError: names or shapes differ from the port's (every difference
            listed), or, with ``optimizer_state``, the optimizer state does not fit.
        tf1_recipes.registry.UnknownRecipeError: unknown recipe or preset, or no TF2 port.

    Every TF1 tensor is read and matched before anything is written; the TF2 checkpoint is
    written into a temporary directory (beside ``out_dir``, inside it when it exists) and moved into it only when
    complete, so a failure leaves ``out_dir`` as it was.
    """
    from tf1_recipes.tf2.parity import build_port

    prefix = tf1_checkpoint_prefix(tf1_checkpoint)
    out_dir = _check_out_dir(out_dir, prefix)
    values = checkpoints.read_checkpoint(prefix, "TF1 checkpoint", REMEDY_TF1)
    port = build_port(recipe, preset)
    mapping = _port_mapping(port, values)
    return _convert(values, mapping, port.model, port.optimizer, optimizer_state, out_dir, f"recipe {recipe!r}")


def migrate_to_model(tf1_checkpoint, out_dir, factory, maps=(), *, optimizer_state=False):
    """Convert any TF1 Saver checkpoint into the object-based checkpoint of the user's Keras 3 model.

    Args:
        tf1_checkpoint: as for :func:`migrate_checkpoint` (prefix, one of its files, a folder).
        out_dir: directory for the TF2 checkpoint; must not already hold one.
        factory: ``MODULE:FUNCTION`` or ``FILE.py:FUNCTION``, a function of no arguments
            returning the Keras 3 model or ``(model, optimizer)`` (:func:`build_user_model`).
        maps: ``--map`` rules (``OLD=NEW``, ``re:PATTERN=REPLACEMENT``; see
            :mod:`tf1_recipes.tf2.mapping`).
        optimizer_state: also convert the TF1 optimizer's state into the model's optimizer.

    Returns:
        a :class:`Migration` (unpacks as ``(path, rows)``).

    Raises:
        tf1_recipes.checkpoints.CheckpointError: as for :func:`migrate_checkpoint`.
        ModelFactoryError: ``factory`` does not give a Keras 3 model (one line saying why),
            or ``optimizer_state`` without an optimizer.
        tf1_recipes.tf2.mapping.MapSyntaxError: a ``--map`` that does not parse.
        CheckpointMismatchError: names or shapes do not match (every difference listed),
            or the optimizer state does not fit the model's optimizer.

    Nothing is written unless every variable is accounted for.
    """
    from tf1_recipes.tf2.mapping import MapRule, refuse_object_based, tf1_creation_order

    rules = [MapRule.parse(m) for m in maps]  # a bad --map before anything is read
    function = load_factory(factory)  # a bad --to before anything is read
    prefix = tf1_checkpoint_prefix(tf1_checkpoint)
    out_dir = _check_out_dir(out_dir, prefix)
    values = checkpoints.read_checkpoint(prefix, "TF1 checkpoint", REMEDY_TF1)
    refuse_object_based(values, prefix)  # before the factory's model is built on the checkpoint's shapes
    order = tf1_creation_order(prefix)
    if order is None and Path(f"{prefix}.meta").exists():
        checkpoints.note(f"{prefix}.meta is unreadable (damaged?): the TF1 layers are ordered by name instead of by creation")
    model, optimizer = build_user_model(factory, {n: v.shape for n, v in values.items()}, order, function)
    differences = _settings_against_meta(prefix, optimizer) if optimizer_state and optimizer is not None and order else []
    mapping = map_checkpoint(values, model, rules, order=order, subject=f"the model of {factory}")
    mapping.order = f"creation order from {prefix}.meta" if order else "by name (natural order; no readable .meta)"
    migration = _convert(values, mapping, model, optimizer, optimizer_state, out_dir, f"the model of {factory}")
    for line in differences:  # after a conversion that went through: a refusal stays one line
        checkpoints.note(line)
    return migration


def _settings_against_meta(prefix, optimizer):
    """Notes naming the TF1 optimizer's constant settings in ``PREFIX.meta`` that ``optimizer`` does not share.

    The training op is found by the TF1 conventions (:func:`tf1_recipes.user_graph.train_ops_by_convention`)
    and compared as ``parity`` compares (:func:`tf1_recipes.tf2.user_parity.optimizer_differences`):
    a Keras SGD at another rate gets a Momentum buffer of ``-lr x a`` for *its* rate, and
    training then continues differently. None when the graph does not import or has no
    training op to read them from.
    """
    from tf1_recipes import user_graph
    from tf1_recipes.tf2.user_parity import optimizer_differences

    try:
        graph, _ = user_graph.import_graph(f"{prefix}.meta")
        fetches, _ = user_graph.train_ops_by_convention(graph)
    except user_graph.UserGraphError:
        return []
    return optimizer_differences(graph, fetches, optimizer)


# --------------------------------------------------------------------------- restoring


def restore_model(port, directory):
    """Load a migrated checkpoint (the latest in ``directory``) into ``port``'s model.

    A missing, damaged or stale ``checkpoint`` state file and damaged checkpoint files are
    one CheckpointError naming the file.
    """
    directory = Path(directory)
    if not (directory / checkpoints.STATE_FILE).is_file():
        raise CheckpointMismatchError(f"{directory}: no TF2 checkpoint here (no '{checkpoints.STATE_FILE}' file); {REMEDY_TF2}")
    latest = checkpoints.prefix_in_directory(directory, "TF2 checkpoint")
    checkpoints.verify_checkpoint(latest, "TF2 checkpoint", REMEDY_TF2)
    try:
        tf.train.Checkpoint(model=port.model).restore(latest).assert_existing_objects_matched()
    except (AssertionError, ValueError) as err:  # another model's checkpoint: objects or shapes differ
        cause = " ".join(str(err).split())[:300]
        raise CheckpointMismatchError(
            f"{latest}: not a TF2 checkpoint of {port.recipe}'s port as built here ({cause}); "
            "migrate the TF1 checkpoint of this recipe and preset with migrate-ckpt, or build the port it was made for"
        ) from None
    return latest


def restore(model, directory, optimizer=None):
    """Load ``migrate-ckpt``'s output (the latest checkpoint in ``directory``) into a built Keras 3 model.

    Args:
        model: the model the checkpoint was converted into (built, as ``--to``'s factory made it).
        directory: the OUT directory of ``migrate-ckpt``.
        optimizer: the Keras 3 optimizer to load ``--optimizer-state``'s state into (built
            here on ``model.trainable_variables`` if it is not yet: a Keras 3 optimizer
            creates its slots only when built, and only then can they be restored).

    Returns:
        the prefix restored.

    Raises:
        tf1_recipes.checkpoints.CheckpointError: no checkpoint there, or a damaged file.
        CheckpointMismatchError: the checkpoint is of another model, or holds no optimizer
            state when ``optimizer`` is given.
    """
    directory = Path(directory)
    if not (directory / checkpoints.STATE_FILE).is_file():
        raise CheckpointMismatchError(f"{directory}: no TF2 checkpoint here (no '{checkpoints.STATE_FILE}' file); {REMEDY_TF2}")
    latest = checkpoints.prefix_in_directory(directory, "TF2 checkpoint")
    checkpoints.verify_checkpoint(latest, "TF2 checkpoint", REMEDY_TF2)
    objects = {"model": model}
    if optimizer is not None:
        optimizer.build(model.trainable_variables)
        objects["optimizer"] = optimizer
    try:
        tf.train.Checkpoint(**objects).restore(latest).assert_existing_objects_matched()
    except (AssertionError, ValueError) as err:
        cause = " ".join(str(err).split())[:300]
        extra = " (with an optimizer: was it converted with --optimizer-state?)" if optimizer is not None else ""
        raise CheckpointMismatchError(f"{latest}: not a TF2 checkpoint of this model{extra} ({cause}); {REMEDY_TF2}") from None
    return latest


# --------------------------------------------------------------------------- the command


def cmd_migrate_ckpt(args):
    """The ``migrate-ckpt`` command (arguments checked by tf1_recipes.cli): convert, print the table, say where it went."""
    if args.to:
        result = migrate_to_model(args.tf1_checkpoint, args.out_dir, args.to, args.maps or (), optimizer_state=args.optimizer_state)
        print(f"layer order: {result.mapping.order}")
    else:
        result = migrate_checkpoint(args.recipe, args.tf1_checkpoint, args.out_dir, args.preset, optimizer_state=args.optimizer_state)
    print(result.format())
    print(result.summary())
    return 0
