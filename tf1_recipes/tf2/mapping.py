"""Which Keras 3 variable each variable of a TF1 ``Saver`` checkpoint becomes: the mapping ``migrate-ckpt`` prints.

A TF1 checkpoint names its variables by their graph names (``dnn/dense/kernel``,
``dense_1/bias``, ``batch_normalization/moving_mean``, ``dense/kernel/Adam``,
``global_step``); a Keras 3 model holds its variables as objects with paths
(``dense_4/kernel``, ``hidden1/bias``). :func:`map_checkpoint` decides, for every TF1
variable, which Keras variable it becomes, or why it is not converted, and lists every
difference that prevents a complete conversion:

1. **What the checkpoint holds** (:func:`classify_tf1`): the TF1 optimizer's state is
   not part of the model: a variable named ``<v>/<slot>`` where ``<v>`` is another
   variable of the checkpoint is a *slot* of ``<v>`` (``Adam``/``Adam_1``: m/v,
   ``Momentum``, ``RMSProp``/``RMSProp_1``(/``RMSProp_2``), ``Adagrad``, also
   ``ExponentialMovingAverage`` shadows); ``beta1_power``/``beta2_power`` (Adam's
   non-slot variables, any scope, ``_N`` suffixed too) and ``global_step`` are the
   optimizer's global state. Everything else is a model variable and must be converted.
2. **--map rules** (:class:`MapRule`), in the order given, each TF1 model variable
   taking the first rule that matches: ``OLD=NEW`` replaces the prefix ``OLD`` (the whole
   name, or a leading part ending at a ``/``) by ``NEW``; ``re:PATTERN=REPLACEMENT``
   rewrites a name that ``re.match(PATTERN, name)`` matches (anchored at the start) with
   ``re.sub(PATTERN, REPLACEMENT, name, count=1)`` (``\\1`` and ``\\g<name>`` refer to
   groups). The result is a Keras variable path. The text is split at its *last* ``=``
   (a Keras path holds no ``=``, a pattern may: ``(?=...)``). ``OLD=`` with nothing after
   the ``=`` leaves the matched variables out on purpose (listed, not converted).
3. **Layers matched by name**: a TF1 layer (the variables sharing a parent name,
   ``dnn/hidden1/{kernel,bias}`` is layer ``hidden1``) and a Keras layer of the same kind
   with the same last name (``hidden1``) go together, unless the Keras name is one Keras
   makes up (``dense``, ``dense_3``, ``batch_normalization_2``, ...): Keras numbers those
   across the whole process, so ``dense_1`` in Keras need not be the second layer.
4. **Layers matched in order**: the TF1 kernel layers left (a ``kernel`` or, by shape,
   one variable of rank >= 2 with at most one rank-1 ``bias``/``biases``/``b``: the
   ``tf.layers.dense``, ``tf.contrib.layers.fully_connected`` and hand-written
   ``weights``/``biases`` idioms) go onto the Keras layers left that hold a ``kernel``
   (``Dense``, ``Conv*``), first onto first; the TF1 batch-norm layers left
   (``gamma``/``beta``/``moving_mean``/``moving_variance``) onto the Keras
   ``BatchNormalization`` layers left, in order. TF1's layer order is the order the graph
   created its variables (the ``variables`` collection of ``PREFIX.meta``) when that
   file is there, else the natural order of the layer names (``dense`` < ``dense_1`` <
   ``dense_2`` < ``dense_10``). Within a layer the variables pair by their role
   (kernel/bias, gamma/beta/moving_mean/moving_variance).
5. **Exact paths**: a TF1 model variable still unmapped whose name is a Keras path of a
   variable still unmapped goes there.

Every converted pair must have the same shape. What is left over (TF1 model variables
no rule maps, Keras variables nothing maps onto, shapes that differ, ``--map`` results
naming no variable of the model, two TF1 variables onto one Keras variable) is listed in
:attr:`Mapping.problems`; :meth:`Mapping.check` raises one
:class:`CheckpointMismatchError` naming all of it, before anything is assigned.

A recipe's TF2 port gives its own explicit table instead of steps 2-5
(``table=port.variables``, TF1 name → Keras path); the classification of step 1 and the
checks are the same.
"""

import dataclasses
import re
from pathlib import Path

import numpy as np

#: The last part of a TF1 name that makes it Adam's non-slot global state (``beta1_power``, ``beta2_power_1``).
BETA_POWER = re.compile(r"beta([12])_power(_\d+)?$")
#: The last part of the step counter ``tf.train.get_or_create_global_step`` makes.
GLOBAL_STEP = "global_step"
#: Batch-norm variable roles, as ``tf.layers.batch_normalization`` and ``keras.layers.BatchNormalization`` name them.
BN_ROLES = ("gamma", "beta", "moving_mean", "moving_variance")
#: Names of a kernel layer's rank-1 variable (``tf.layers``: bias; contrib/hand-written: biases, b).
BIAS_NAMES = ("bias", "biases", "b")
#: Keras' made-up layer names (snake case of the class, then ``_N``): they never decide a match by name.
KERAS_AUTO_NAME = re.compile(
    r"(dense|einsum_dense|conv[123]d|conv[123]d_transpose|depthwise_conv[12]d|separable_conv[12]d|batch_normalization)(_\d+)?$"
)
#: The key every object-based (TF2 ``tf.train.Checkpoint``) checkpoint holds, and no Saver checkpoint does.
OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"


class CheckpointMismatchError(ValueError):
    """The TF1 checkpoint's variables or shapes are not the model's; the message lists every difference (one line)."""


def _quoted(text):
    """``text`` in single quotes as a shell takes it back (a backslash stays one backslash, unlike ``repr``)."""
    return "'" + text.replace("'", "'\\''") + "'"


class MapSyntaxError(ValueError):
    """A ``--map`` text that is not ``OLD=NEW`` or ``re:PATTERN=REPLACEMENT`` (or whose pattern does not compile)."""


# --------------------------------------------------------------------------- --map


@dataclasses.dataclass(frozen=True)
class MapRule:
    """One ``--map`` rule; see the module docstring for the syntax. ``new`` "" leaves the matched variables out."""

    text: str
    old: str
    new: str
    regex: bool

    @classmethod
    def parse(cls, text):
        """``OLD=NEW`` (prefix) or ``re:PATTERN=REPLACEMENT`` (regex); MapSyntaxError naming the text otherwise."""
        if "=" not in text:
            raise MapSyntaxError(f"--map {_quoted(text)}: expected OLD=NEW (a TF1 name prefix = a Keras path prefix) or re:PATTERN=REPLACEMENT")
        old, new = text.rsplit("=", 1)
        regex = old.startswith("re:")
        if regex:
            old = old[3:]
            try:
                re.compile(old)
            except re.error as err:
                raise MapSyntaxError(f"--map {_quoted(text)}: the pattern {_quoted(old)} is not a regular expression ({err})") from None
        if not old:
            raise MapSyntaxError(f"--map {_quoted(text)}: nothing before the '='; expected OLD=NEW or re:PATTERN=REPLACEMENT")
        return cls(text, old.rstrip("/") if not regex else old, new.rstrip("/") if not regex else new, regex)

    def apply(self, name):
        """The Keras path this rule gives TF1 ``name``: a string ("" = left out), or None when it does not match."""
        if self.regex:
            if not re.match(self.old, name):
                return None
            try:
                return re.sub(self.old, self.new, name, count=1)
            except (re.error, IndexError) as err:
                raise MapSyntaxError(f"--map {_quoted(self.text)}: the replacement {_quoted(self.new)} does not fit the pattern ({err})") from None
        if name == self.old:
            return self.new
        if name.startswith(self.old + "/"):
            rest = name[len(self.old) + 1 :]
            return f"{self.new}/{rest}" if self.new else ""
        return None


# --------------------------------------------------------------------------- the two sides


def tf1_shapes(source):
    """{TF1 variable name: shape tuple} of ``source``.

    Args:
        source: a Saver prefix (``str``/``Path``, read with ``tf.train.load_checkpoint``), a
            ``CheckpointReader`` (anything with ``get_variable_to_shape_map()``), or a dict
            {name: NumPy array, or shape as a list or tuple}.
    """
    if isinstance(source, dict):  # a shape (list or tuple, as get_variable_to_shape_map gives) or an array
        return {name: tuple(v) if isinstance(v, (list, tuple)) else tuple(np.shape(v)) for name, v in source.items()}
    if isinstance(source, (str, Path)):
        import tensorflow as tf

        source = tf.train.load_checkpoint(str(source))
    return {name: tuple(shape) for name, shape in source.get_variable_to_shape_map().items()}


def tf1_creation_order(prefix):
    """The TF1 variable names in the order the graph created them, from ``PREFIX.meta``; None without a readable one.

    Reads the ``variables`` collection of the MetaGraphDef (VariableDef protos, in
    creation order); only the order is taken from it. A missing or unparseable ``.meta``
    gives None (the caller then orders by name and says so).
    """
    from google.protobuf.message import DecodeError
    from tensorflow.core.framework import variable_pb2
    from tensorflow.core.protobuf import meta_graph_pb2

    meta = Path(f"{prefix}.meta")
    try:
        graph = meta_graph_pb2.MetaGraphDef.FromString(meta.read_bytes())
        names = []
        for collection in ("variables", "trainable_variables"):
            for raw in graph.collection_def[collection].bytes_list.value:
                name = variable_pb2.VariableDef.FromString(raw).variable_name.split(":")[0]
                if name not in names:
                    names.append(name)
    except (OSError, DecodeError, ValueError):
        return None
    return names or None


def keras_variables(model):
    """{path: variable} of every variable of a Keras 3 model but random-generator state, in the model's order.

    The path is ``variable.path`` without the model's own name in front (Sequential
    models put it there, functional ones do not): ``hidden1/kernel``,
    ``batch_normalization/moving_mean``, ``encoder/dense/bias`` for a nested model. Keras'
    ``Dropout`` keeps its generator's state in a ``seed_generator_state`` variable, which
    TF1's dropout kept inside its random ops: it has no TF1 counterpart and is left out.
    """
    prefix = model.name + "/"
    out = {}
    for v in model.variables:
        if v.path.endswith("seed_generator_state"):
            continue
        out[v.path[len(prefix) :] if v.path.startswith(prefix) else v.path] = v
    return out


@dataclasses.dataclass(frozen=True)
class TF1Role:
    """What one TF1 variable is: ``kind`` "model", "slot", "beta_power" or "global_step".

    ``owner`` is the variable a slot belongs to, ``slot`` its last name part (``Adam_1``).
    """

    kind: str
    owner: str = None
    slot: str = None


def classify_tf1(names):
    """{TF1 name: :class:`TF1Role`} for the names of a checkpoint (see the module docstring, step 1)."""
    names = set(names)
    roles = {}
    for name in names:
        parent, _, last = name.rpartition("/")
        if last == GLOBAL_STEP:
            roles[name] = TF1Role("global_step")
        elif BETA_POWER.match(last):
            roles[name] = TF1Role("beta_power", slot=last)
        elif parent and parent in names:
            roles[name] = TF1Role("slot", owner=parent, slot=last)
        else:
            roles[name] = TF1Role("model")
    return roles


def natural_key(name):
    """Sort key putting ``dense`` < ``dense_1`` < ``dense_2`` < ``dense_10`` (numbers compared as numbers)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _groups(names):
    """{parent name: {last name part: full name}}, parents in the order of ``names``."""
    groups = {}
    for name in names:
        parent, _, last = name.rpartition("/")
        groups.setdefault(parent, {})[last] = name
    return groups


def _layer_roles(members, shapes):
    """("kernel"|"bn"|None, {role: name}) of one layer's variables (``members``: {last part: name})."""
    if set(members) & set(BN_ROLES) and set(members) <= set(BN_ROLES):
        return "bn", dict(members)
    high = [last for last, name in members.items() if len(shapes[name]) >= 2]
    low = [last for last, name in members.items() if len(shapes[name]) == 1]
    if len(high) == 1 and len(members) <= 2 and (len(members) == 1 or (len(low) == 1 and low[0] in BIAS_NAMES)):
        roles = {"kernel": members[high[0]]}
        if low:
            roles["bias"] = members[low[0]]
        return "kernel", roles
    return None, {}


# --------------------------------------------------------------------------- the table


@dataclasses.dataclass(frozen=True)
class Row:
    """One TF1 checkpoint variable and where it goes.

    ``target``: the Keras variable path it is converted into (a model variable), or a
    description of the optimizer variable it is converted into (``optimizer`` True); None
    when it is listed and not converted, ``reason`` then says why ("optimizer state",
    "left out by --map ..."). ``how`` says what decided it ("by name", "in order: kernel
    layer 2 of 3", "--map dnn=encoder", "the port's table").
    """

    tf1_name: str
    shape: tuple
    target: str = None
    reason: str = ""
    how: str = ""
    optimizer: bool = False

    def line(self, width=0, shape_width=0):
        """``name [shape] -> target  (how)`` or ``name [shape] -> (not converted: reason)``."""
        where = self.target if self.target is not None else f"(not converted: {self.reason})"
        how = f"  ({self.how})" if self.how and self.target is not None else ""
        return f"{self.tf1_name:<{width}} {str(list(self.shape)):<{shape_width}} -> {where}{how}".rstrip()


#: The old name of :class:`Row` (``tf1_recipes.tf2.migrate.Entry``).
Entry = Row


@dataclasses.dataclass
class Mapping:
    """The outcome of :func:`map_checkpoint`.

    Attributes:
        rows: one :class:`Row` per TF1 variable, in checkpoint (name) order.
        variables: {TF1 name: Keras variable} of the model variables to convert.
        roles: {TF1 name: :class:`TF1Role`}.
        problems: every difference (strings), empty when the checkpoint converts completely.
        subject: what the checkpoint was matched with ("recipe 'adam'", "the model of mod:fn").
        order: how the TF1 layer order was found ("creation order from PREFIX.meta", "by name").
    """

    rows: list
    variables: dict
    roles: dict
    problems: list
    subject: str
    order: str = ""

    def check(self):
        """Raise one CheckpointMismatchError listing every problem (``; ``-joined) unless there are none."""
        if self.problems:
            raise CheckpointMismatchError(f"checkpoint does not match {self.subject}: " + "; ".join(self.problems))
        return self

    def assign(self, values):
        """Assign the TF1 values ({name: array}, e.g. ``checkpoints.read_checkpoint``) into the mapped Keras variables.

        Raises CheckpointMismatchError (via :meth:`check`) when the mapping has problems:
        nothing is assigned then.
        """
        self.check()
        for name, variable in self.variables.items():
            variable.assign(np.asarray(values[name]).astype(variable.dtype))

    def with_rows(self, rows):
        """A copy with ``rows`` ({TF1 name: Row}) replacing the rows of those names."""
        return dataclasses.replace(self, rows=[rows.get(r.tf1_name, r) for r in self.rows])

    def format(self):
        """The printed table: one line per TF1 variable (:meth:`Row.line`), columns aligned."""
        return format_rows(self.rows)


def format_rows(rows):
    """One :meth:`Row.line` per row, the name and shape columns aligned."""
    width = max((len(r.tf1_name) for r in rows), default=0)
    shape_width = max((len(str(list(r.shape))) for r in rows), default=0)
    return "\n".join(r.line(width, shape_width) for r in rows)


#: What the default-named slots of TF1's optimizers hold (tensorflow/python/training/{adam,momentum,rmsprop,adagrad}.py).
SLOT_MEANING = {
    "Adam": "Adam m",
    "Adam_1": "Adam v",
    "Momentum": "Momentum accumulator",
    "RMSProp": "RMSProp rms",
    "RMSProp_1": "RMSProp momentum, or mg when centered",
    "RMSProp_2": "centered RMSProp momentum",
    "Adagrad": "Adagrad accumulator",
}


def _optimizer_reason(role):
    if role.kind == "slot" and role.slot == "ExponentialMovingAverage":
        return f"moving-average shadow of {role.owner} (tf.train.ExponentialMovingAverage)"
    if role.kind == "slot":
        meaning = f" ({SLOT_MEANING[role.slot]})" if role.slot in SLOT_MEANING else ""
        return f"optimizer state, slot {role.slot!r}{meaning} of {role.owner}"
    if role.kind == "beta_power":
        return "optimizer state, Adam's step count"
    return "optimizer state, step count"


def _plural(items):
    return ", ".join(items)


def refuse_object_based(names, where):
    """CheckpointMismatchError when ``names`` (a checkpoint's variable names) are an object-based TF2 checkpoint's.

    Such a checkpoint holds :data:`OBJECT_GRAPH_KEY` (a serialized object graph, a string
    tensor): it is what ``tf.train.Checkpoint`` and Keras write, not what a TF1 ``Saver`` does.
    ``where`` names the checkpoint in the message.
    """
    if OBJECT_GRAPH_KEY in names:
        raise CheckpointMismatchError(
            f"{where} is an object-based TF2 checkpoint (tf.train.Checkpoint), not a TF1 Saver checkpoint; "
            "restore it with tf.train.Checkpoint(model=...).read(prefix)"
        )


def map_checkpoint(tf1, model, maps=(), *, table=None, subject=None, order=None, keras=None):
    """Map every variable of a TF1 checkpoint onto ``model``'s variables (see the module docstring).

    Args:
        tf1: the TF1 checkpoint: a Saver prefix (its ``.meta``, when there, gives the layer
            order), a ``CheckpointReader``, or a dict {name: array or shape}.
        model: a built Keras 3 model (``keras.Model``); its variables are read, not changed.
        maps: ``--map`` rules (strings or :class:`MapRule`), tried in order.
        table: an explicit {TF1 name: Keras path} table (a recipe port's ``variables``):
            used instead of the automatic rules and ``maps``.
        subject: how the refusal names the model (default "the model <name>").
        order: TF1 names in creation order (default: from ``PREFIX.meta`` when ``tf1`` is
            a prefix, else the natural order of the names).
        keras: {path: variable} to map onto instead of :func:`keras_variables` (``model``).

    Returns:
        a :class:`Mapping`; its ``problems`` list every difference (call ``.check()`` to
        raise them, ``.assign(values)`` to convert).

    Raises:
        MapSyntaxError: a ``--map`` text that does not parse.
        CheckpointMismatchError: ``tf1`` is an object-based TF2 checkpoint, not a Saver one.
    """
    shapes = tf1_shapes(tf1)
    refuse_object_based(shapes, tf1 if isinstance(tf1, (str, Path)) else "the checkpoint")
    subject = subject or f"the model {getattr(model, 'name', model)!r}"
    mine = keras if keras is not None else keras_variables(model)
    roles = classify_tf1(shapes)
    model_names = [n for n in shapes if roles[n].kind == "model"]
    if table is not None:
        return _map_with_table(shapes, roles, mine, table, subject)
    order_how = "by name (natural order)"
    if order is None and isinstance(tf1, (str, Path)):
        order = tf1_creation_order(tf1)
        if order is not None:
            order_how = f"creation order from {tf1}.meta"
    elif order is not None:
        order_how = "the order given"
    rank = {name: i for i, name in enumerate(order or [])}
    model_names.sort(key=lambda n: (rank.get(n, len(rank)), natural_key(n)))

    rules = [m if isinstance(m, MapRule) else MapRule.parse(m) for m in maps]
    assigned = {}  # tf1 name -> (keras path, how) ; path "" = left out
    problems = []
    for name in model_names:
        for rule in rules:
            new = rule.apply(name)
            if new is not None:
                assigned[name] = (new, f"--map {rule.text}")
                if new and new not in mine:
                    problems.append(f"--map {rule.text} sends {name} to {new}, which is no variable of the model")
                break
    for rule in rules:
        if not any(rule.apply(n) is not None for n in model_names):
            problems.append(f"--map {rule.text} matches no TF1 model variable")
    taken = {path for path, _ in assigned.values() if path}

    # Layers on both sides, still open.
    tf1_layers = []
    for parent, members in _groups([n for n in model_names if n not in assigned]).items():
        kind, layer_roles = _layer_roles(members, shapes)
        if kind:
            tf1_layers.append((parent, kind, layer_roles))
    keras_layers = []
    keras_shapes = {path: tuple(v.shape) for path, v in mine.items()}
    for parent, members in _groups([p for p in mine if p not in taken]).items():
        kind, layer_roles = _layer_roles(members, keras_shapes)
        if kind == "kernel" and "kernel" not in members:
            kind = None  # Keras layers name their kernel "kernel"; another rank-2 weight is not one
        if kind:
            keras_layers.append((parent, kind, layer_roles))

    def pair(tf1_layer, keras_layer, how):
        _, _, t_roles = tf1_layer
        _, _, k_roles = keras_layer
        for role, name in t_roles.items():
            if role in k_roles:
                assigned[name] = (k_roles[role], how)
                taken.add(k_roles[role])

    # 3: by name (never a Keras made-up name)
    for t_layer in list(tf1_layers):
        last = t_layer[0].rpartition("/")[2]
        hits = [k for k in keras_layers if k[1] == t_layer[1] and k[0].rpartition("/")[2] == last and not KERAS_AUTO_NAME.match(last)]
        if len(hits) == 1:
            pair(t_layer, hits[0], "by name")
            tf1_layers.remove(t_layer)
            keras_layers.remove(hits[0])
    # 4: in order, per kind
    for kind, label in (("kernel", "kernel layer"), ("bn", "batch-norm layer")):
        t_list = [t for t in tf1_layers if t[1] == kind]
        k_list = [k for k in keras_layers if k[1] == kind]
        for i, (t_layer, k_layer) in enumerate(zip(t_list, k_list), 1):
            pair(t_layer, k_layer, f"in order: {label} {i} of {len(t_list)}")
    # 5: exact paths
    for name in model_names:
        if name not in assigned and name in mine and name not in taken:
            assigned[name] = (name, "same path")
            taken.add(name)

    rows, variables = [], {}
    onto = {}
    for name in sorted(shapes):
        role = roles[name]
        if role.kind != "model":
            rows.append(Row(name, shapes[name], None, _optimizer_reason(role)))
            continue
        if name not in assigned:
            rows.append(Row(name, shapes[name], None, "nothing maps it"))
            continue
        path, how = assigned[name]
        if not path:
            rows.append(Row(name, shapes[name], None, f"left out by {how}", how))
            continue
        if path not in mine:
            rows.append(Row(name, shapes[name], None, f"{how} names no variable of the model"))
            continue
        onto.setdefault(path, []).append(name)
        if tuple(shapes[name]) != keras_shapes[path]:
            problems.append(f"{name} has shape {list(shapes[name])}, the model's {path} {list(keras_shapes[path])} ({how})")
        rows.append(Row(name, shapes[name], path, how=how))
        variables[name] = mine[path]
    for path, names in onto.items():
        if len(names) > 1:
            problems.append(f"{_plural(names)} all map onto {path}")
    leftover = [n for n in model_names if n not in assigned]
    if leftover:
        problems.append(f"TF1 variables nothing maps: {_plural(sorted(leftover))}")
    unmapped = [p for p in mine if p not in onto]
    if unmapped:
        problems.append(f"model variables nothing maps onto: {_plural(f'{p} {list(keras_shapes[p])}' for p in unmapped)}")
    if leftover or unmapped:
        problems.append("map them with --map OLD=NEW (or re:PATTERN=REPLACEMENT), or build the model the checkpoint holds")
    return Mapping(rows, variables, roles, problems, subject, order_how)


def _map_with_table(shapes, roles, mine, table, subject):
    """:func:`map_checkpoint` with an explicit table (a recipe port): the messages the recipe form has always given."""
    stale = sorted(path for path in table.values() if path not in mine)
    if stale:
        raise KeyError(f"the table names no variable {stale}; the model has {sorted(mine)}")
    unmapped = sorted(set(mine) - set(table.values()))
    if unmapped:
        raise KeyError(f"the table does not map {unmapped}")
    what = subject.split("'")[1] if "'" in subject else subject
    problems = []
    missing = sorted(set(table) - set(shapes))
    if missing:
        problems.append(f"missing from the checkpoint: {', '.join(missing)}")
    unexpected = sorted(n for n in shapes if n not in table and roles[n].kind == "model")
    if unexpected:
        problems.append(f"not variables of {what}: {', '.join(unexpected)}")
    for name in sorted(set(table) & set(shapes)):
        if tuple(shapes[name]) != tuple(mine[table[name]].shape):
            problems.append(f"{name} has shape {list(shapes[name])}, the port's {table[name]} {list(mine[table[name]].shape)}")
    rows = []
    for name in sorted(shapes):
        if name in table:
            rows.append(Row(name, shapes[name], table[name], how="the port's table"))
        elif roles[name].kind != "model":
            rows.append(Row(name, shapes[name], None, _optimizer_reason(roles[name])))
        else:
            rows.append(Row(name, shapes[name], None, f"not a variable of {what}"))
    variables = {name: mine[path] for name, path in table.items() if name in shapes}
    # A table name the checkpoint lacks is in the problems; its role is the model's.
    roles = {**roles, **{name: TF1Role("model") for name in missing}}
    return Mapping(rows, variables, roles, problems, subject, "the port's table")


def assign_tf1_values(mapping, values):
    """Assign TF1 values ({name: array}) into the Keras variables ``mapping`` names; see :meth:`Mapping.assign`."""
    mapping.assign(values)
