"""Numerical equivalence of a recipe and its TF2 port, in the style of TF's migration guide.

Both sides run their real training loop (the TF1 recipe function in a graph and session,
the port's ``fit``) on a probing ``run`` whose ``batches`` yields a fixed list of batches
and, around them, looks at the model:

* before the first batch: every model variable (by TF1 name), and the logits and loss on
  the first batch in inference mode and in training mode (the forward pass);
* before each batch: the inference-mode loss on that batch;
* after the last batch: every model variable again.

:func:`trace_tf1` records the TF1 side; :func:`trace_tf2` first copies the TF1 trace's
initial variables into the port (through the port's variable table), so the two traces
start from the same values and see the same batches. :func:`compare` reduces two traces
to the maximum absolute differences the parity tests hold to their tolerances.
"""

import contextlib
import dataclasses
import tempfile

import numpy as np

from tf1_recipes.harness import RecipeConfig, Run
from tf1_recipes.registry import get_recipe

TRAINING_PLACEHOLDER = "training:0"

#: Forward pass: the bound on |logits and loss difference| from the same variables (float32 rounding
#: of the same sums in another order stays orders of magnitude below it; a wrong op does not).
FORWARD_TOLERANCE = 1e-5
#: K training steps: every variable must satisfy |tf1 - tf2| <= WEIGHT_ATOL + WEIGHT_RTOL * |tf1|,
#: every loss |tf1 - tf2| <= LOSS_TOLERANCE. Why these: both sides compute in float32
#: (eps 1.2e-7) and may order a sum or an update formula differently (Keras' moving
#: average ``m*momentum + x*(1-momentum)`` vs TF1's ``m - (m-x)*(1-momentum)``, Keras'
#: optimizer formulas vs TF1's fused kernels). That costs a few ulps per step, and a
#: contracting recursion (a moving average, momentum) sums them to at most
#: ulps/(1 - momentum) = 20-30 ulps; RTOL 1e-5 is ~80 ulps, leaving room for K = 20 steps
#: of gradient noise, while every wrong default pinned in test_defaults moves some
#: variable by more than 1e-4 within the same steps. ATOL covers values near zero
#: (biases start at 0), where ulps are far smaller than 1e-6.
WEIGHT_RTOL, WEIGHT_ATOL = 1e-5, 1e-6
LOSS_TOLERANCE = 1e-5
#: The parity runs' size: K steps of BATCH_SIZE real MNIST images.
K_STEPS, BATCH_SIZE = 20, 32


@dataclasses.dataclass
class Trace:
    """What one side computed: see the module docstring."""

    initial: dict
    logits: dict  # mode ("inference" / "training") -> logits on the first batch
    loss: dict  # mode -> loss on the first batch
    step_losses: list
    final: dict
    final_loss: float = None
    final_logits: dict = None  # mode -> logits on the first batch after the K steps
    extras: dict = dataclasses.field(default_factory=dict)


class ProbeRun(Run):
    """A harness Run whose epochs split ``batch_list`` evenly, watched by ``observer``."""

    def __init__(self, batch_list, observer, *args):
        super().__init__(*args)
        self.batch_list, self.observer = batch_list, observer
        epochs = self.hyper["n_epochs"]
        if len(batch_list) % epochs:
            raise ValueError(f"{len(batch_list)} parity batches do not split into {epochs} epochs")
        self.per_epoch = len(batch_list) // epochs
        self.epoch = 0
        self.trace = None

    def batches(self, batch_size):
        return self._probe(self.epoch)

    def _probe(self, epoch):
        watch = self.observer
        X0, y0 = self.batch_list[0]
        if epoch == 0:
            watch.attach()
            watch.at_step(0)
        modes = ("inference", "training") if watch.has_training_mode() else ("inference",)
        if epoch == 0:
            self.trace = Trace(
                initial=watch.variables(),
                logits={m: watch.logits(X0, y0, m == "training") for m in modes},
                loss={m: watch.loss(X0, y0, m == "training") for m in modes},
                step_losses=[],
                final=None,
            )
        trace = self.trace
        first = epoch * self.per_epoch
        for step in range(first, first + self.per_epoch):
            X_batch, y_batch = self.batch_list[step]
            watch.at_step(step)
            trace.step_losses.append(watch.loss(X_batch, y_batch, False))
            yield X_batch, y_batch
        self.epoch += 1
        if self.epoch == self.hyper["n_epochs"]:
            watch.at_step(len(self.batch_list))
            trace.final = watch.variables()
            trace.final_loss = watch.loss(X0, y0, False)
            trace.final_logits = {m: watch.logits(X0, y0, m == "training") for m in modes}


class DropoutNoise:
    """The uniform noise of every dropout, injected: the same numbers, step by step, on both sides.

    ``tf.nn.dropout`` (TF1's ``tf.layers.dropout``) and ``stateless_dropout`` (Keras 3's
    ``Dropout``) both end in ``nn_ops._dropout(x, rate, noise_shape, uniform_sampler, ...)``,
    which keeps ``x / (1 - rate)`` where ``uniform >= rate``. While :meth:`patched` is
    active, that uniform comes from here instead of a random generator: for the TF1 graph
    a fed placeholder (built in the outer graph, captured by the ``tf.cond`` branch), for
    the port a variable assigned before each step (read inside the traced step). The noise
    of a dropout of width ``w`` at step ``i`` is ``noise(i, w)`` on both sides, so masks
    agree as the migration guide's injected-masks approach requires.

    Why not TensorFlow's ``tf.compat.v1.keras.utils.DeterministicRandomTestTool``
    (``mode="num_random_ops"``: the n-th stateful random op made gets op seed n): it
    cannot reach the masks after the first. A TF1 graph has one stateful dropout op per
    layer, whose state every ``session.run`` advances; eagerly each call makes a new op
    (a new op seed) and each traced ``tf.function`` its own ops, so the shim's training
    steps and probe looks never draw the graph's sequence. Measured (TF1 -> shim, K = 20,
    no injection, dropout recipe): initial weights equal (0), the probe's first
    training-mode logits equal (0), the K-step weights 0.063 apart (3.5e4 times the
    tolerance); dropout_bn_order: its dropout op is made between two kernel initialisers
    in the graph but not in the shim's inference-mode build call, so even the initial
    kernels differ (0.64). Keras 3's ``Dropout`` (native ports) is stateless, out of the
    tool's reach altogether. ``tests/parity/test_shim_random_ops.py`` uses the tool where it
    applies (the first masks, TF1 -> shim: 0 with it, 4.04 apart without) and pins where it stops.
    """

    def __init__(self, batch_size, seed=1):
        self.batch_size, self.seed = batch_size, seed
        self.step = 0
        self.sites = {}  # width -> TF1 placeholder or TF2 variable

    def noise(self, step, width):
        rng = np.random.RandomState([self.seed, step, width])
        return rng.random_sample((self.batch_size, width)).astype(np.float32)

    @contextlib.contextmanager
    def patched(self, side):
        from tf1_recipes import tf_private

        sampler = self._tf1_sampler if side == "tf1" else self._tf2_sampler
        with tf_private.dropout_noise(lambda x, shape, dtype: sampler(int(x.shape[-1]), shape, dtype)):
            yield self

    def _tf1_sampler(self, width, shape, dtype):
        import tensorflow as tf

        from tf1_recipes.compat import tf1

        if width not in self.sites:
            graph = tf1.get_default_graph()
            while hasattr(graph, "outer_graph") and graph.outer_graph is not None:
                graph = graph.outer_graph
            with graph.as_default():
                self.sites[width] = tf1.placeholder_with_default(
                    tf.zeros([1, width], dtype), shape=(None, width), name=f"injected_dropout_noise_{width}"
                )
        return self.sites[width]

    def _tf2_sampler(self, width, shape, dtype):
        import tensorflow as tf

        if width not in self.sites:
            with tf.init_scope():
                self.sites[width] = tf.Variable(self.noise(self.step, width), trainable=False)
        return self.sites[width][: shape[0]]

    def tf1_feed(self, batch_rows):
        """Extra feeds for a session call on ``batch_rows`` rows (none for the larger evaluation splits)."""
        if batch_rows != self.batch_size:
            return {}
        return {ph: self.noise(self.step, width) for width, ph in self.sites.items()}

    def at_step(self, step):
        self.step = step
        for width, site in self.sites.items():
            if hasattr(site, "assign"):
                site.assign(self.noise(step, width))


def logits_of_loss(graph, loss=None):
    """The logits tensor the graph's cross-entropy reads (the one ``loss`` is computed from, when given).

    ``sparse_softmax_cross_entropy_with_logits`` is one fused op, or, with op determinism
    enabled (as the harness runs), ``LogSoftmax`` + gather inside a scope of that name;
    either way the logits are the first input of its first op. A graph may hold two (an
    imported model's and the loss added on top of it): ``loss`` picks its own.
    """
    ops = graph.get_operations() if loss is None else _ancestors(loss)
    xent = [
        op
        for op in ops
        if op.type in ("SparseSoftmaxCrossEntropyWithLogits", "LogSoftmax")
        and "SparseSoftmaxCrossEntropyWithLogits/" in op.name
    ]
    if len(xent) != 1:
        raise RuntimeError(f"expected one sparse softmax cross-entropy in the graph, found {[op.name for op in xent]}")
    return xent[0].inputs[0]


def _ancestors(tensor):
    """The ops ``tensor`` is computed from, its own included."""
    seen, stack = set(), [tensor.op]
    while stack:
        op = stack.pop()
        if op not in seen:
            seen.add(op)
            stack.extend(t.op for t in op.inputs)
    return seen


class TF1Observer:
    """Looks at the TF1 graph through the recipe's own session (the default session in its loop)."""

    def __init__(self, names, noise=None, loss="loss/loss:0", logits=None):
        self.names, self.noise, self.loss_name, self.logits_name = names, noise, loss, logits

    def attach(self):
        from tf1_recipes.compat import tf1

        self.sess = tf1.get_default_session()
        if self.noise is not None:
            self._feed_noise_into_every_run()
        graph = self.sess.graph
        self.X, self.y = graph.get_tensor_by_name("X:0"), graph.get_tensor_by_name("y:0")
        self.loss_t = graph.get_tensor_by_name(self.loss_name)
        self.logits_t = graph.get_tensor_by_name(self.logits_name) if self.logits_name else logits_of_loss(graph, self.loss_t)
        names = {op.name for op in graph.get_operations()}
        self.training = graph.get_tensor_by_name(TRAINING_PLACEHOLDER) if "training" in names else None
        by_name = {v.op.name: v for v in graph.get_collection("variables")}
        self.all_names = sorted(by_name)
        missing = sorted(set(self.names) - set(by_name))
        if missing:
            raise KeyError(f"the TF1 graph has no variables {missing}; it has {sorted(by_name)}")
        self.vars = {name: by_name[name] for name in self.names}

    def _feed_noise_into_every_run(self):
        """Wrap the recipe's session so each of its calls (and ours) also feeds the injected dropout noise."""
        run, noise = self.sess.run, self.noise

        def run_with_noise(fetches, feed_dict=None, **kwargs):
            feed = dict(feed_dict or {})
            rows = [len(v) for k, v in feed.items() if getattr(k, "name", k) == "X:0"]
            feed.update(noise.tf1_feed(rows[0] if rows else None))
            return run(fetches, feed, **kwargs)

        self.sess.run = run_with_noise

    def at_step(self, step):
        if self.noise is not None:
            self.noise.at_step(step)

    def has_training_mode(self):
        return self.training is not None

    def _feed(self, X, y, training):
        feed = {self.X: X, self.y: y}
        if training:
            feed[self.training] = True
        return feed

    def variables(self):
        return self.sess.run(self.vars)

    def logits(self, X, y, training):
        return self.sess.run(self.logits_t, self._feed(X, y, training))

    def loss(self, X, y, training):
        return float(self.sess.run(self.loss_t, self._feed(X, y, training)))


class TF2Observer:
    """Looks at a port (its Keras model) directly."""

    def __init__(self, port, noise=None):
        self.port, self.noise = port, noise

    def attach(self):
        pass

    def at_step(self, step):
        if self.noise is not None:
            self.noise.at_step(step)

    def has_training_mode(self):
        return self.port.has_training_mode

    def variables(self):
        return self.port.get_tf1_values()

    def logits(self, X, y, training):
        return without_state_changes(self.port.model, lambda: self.port.logits(X, training=training).numpy(), training)

    def loss(self, X, y, training):
        return without_state_changes(self.port.model, lambda: float(self.port.loss(X, y.astype(np.int64), training=training)),
                                     training)


def without_state_changes(model, compute, training):
    """``compute()``; a training-mode call's updates of ``model``'s non-trainable state are undone.

    A Keras ``BatchNormalization`` called with ``training=True`` updates its moving
    statistics on every call, where TF1 only updates them when ``UPDATE_OPS`` run; a look
    at the model must not train it (the recipe ports' probe and ``parity`` on a user's model).
    """
    if not training:
        return compute()
    state = [v.numpy() for v in model.non_trainable_variables]
    try:
        return compute()
    finally:
        for variable, value in zip(model.non_trainable_variables, state):
            variable.assign(value)


def resolve(recipe, preset=None, overrides=None, n_epochs=1):
    """(config, spec, preset, settings, hyper) of a parity run: the preset, ``n_epochs``, ``overrides``.

    A recipe that does not train for epochs (no ``n_epochs`` hyperparameter) keeps its hyperparameters.
    """
    config = RecipeConfig(recipe, preset=preset, overrides=dict(overrides or {}), quiet=True, progress=False)
    spec, preset, settings, hyper = config.resolve()
    if "n_epochs" in hyper:
        hyper["n_epochs"] = n_epochs
    return config, spec, preset, settings, hyper


def fixed_batches(n_steps, batch_size, seed=0):
    """``n_steps`` batches of real MNIST training images, drawn once with their own RNG."""
    from tf1_recipes.data import load_mnist

    train = load_mnist().train
    rng = np.random.RandomState(seed)
    index = rng.permutation(train.num_examples)[: n_steps * batch_size].reshape(n_steps, batch_size)
    return [(train.images[i], train.labels[i]) for i in index]


@contextlib.contextmanager
def _probe_run(batch_list, observer, config, spec, preset, settings, hyper):
    """A ProbeRun whose checkpoint goes to a scratch directory removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="parity_") as scratch:
        run = ProbeRun(batch_list, observer, spec, preset, settings, hyper, config, scratch)
        run.start()
        yield run


def _noise_for(recipe, batch_list):
    """A DropoutNoise when the recipe's port has dropout (None otherwise)."""
    from tf1_recipes.tf2 import get_port

    return DropoutNoise(len(batch_list[0][0])) if get_port(recipe).has_dropout else None


def _patched(noise, side):
    return noise.patched(side) if noise is not None else contextlib.nullcontext()


@contextlib.contextmanager
def caller_thread_sessions():
    """While active, ``tf1.Session()`` runs every op in the calling thread: one op schedule, always the same.

    A session otherwise hands ops to TensorFlow's inter-op thread pool too, so two stateful
    ops with no order between them (one tower's read of a shared moving mean, the other's
    update of it) may run in either order. ``inter_op_parallelism_threads < 0`` in the
    session's config runs them in the caller's thread instead; the rest of the context's
    config (intra-op threads) is kept.
    """
    from tf1_recipes import tf_private
    from tf1_recipes.compat import tf1

    session = tf1.Session

    def in_caller_thread(*args, config=None, **kwargs):
        config = type(tf_private.eager_context_config()).FromString((config or tf_private.eager_context_config()).SerializeToString())
        config.inter_op_parallelism_threads = -1
        return session(*args, config=config, **kwargs)

    tf1.Session = in_caller_thread
    try:
        yield
    finally:
        tf1.Session = session


def trace_tf1(recipe, batch_list, preset=None, overrides=None, names=None, n_epochs=1):
    """Run the TF1 recipe on ``batch_list`` (split over ``n_epochs``) and return its Trace.

    ``names`` are the TF1 variables to record (default: the keys of the port's table).
    """
    from tf1_recipes.compat import seed_everything, tf1
    from tf1_recipes.tf2 import get_port

    config, spec, preset, settings, hyper = resolve(recipe, preset, overrides, n_epochs)
    names = list(names or build_port(recipe, preset, overrides).variables)  # a port's table may depend on its hyperparameters
    noise = _noise_for(recipe, batch_list)
    observer = TF1Observer(names, noise, get_port(recipe).tf1_loss, get_port(recipe).tf1_logits)
    graph = tf1.Graph()
    with _probe_run(batch_list, observer, config, spec, preset, settings, hyper) as run:
        schedule = caller_thread_sessions() if get_port(recipe).tf1_caller_thread else contextlib.nullcontext()
        with graph.as_default(), _patched(noise, "tf1"), schedule:
            seed_everything(settings["seed"])
            spec.fn(run, **hyper)
    run.trace.extras.update(graph=graph, tf1_variables=observer.all_names, reported=reported(run))
    return run.trace


def build_port(recipe, preset=None, overrides=None, **replace):
    """The port of ``recipe`` built from a preset's hyperparameters (``replace`` overrides them after resolving)."""
    from tf1_recipes.tf2 import get_port, seed_everything

    _, _, _, settings, hyper = resolve(recipe, preset, overrides)
    seed_everything(settings["seed"])
    return get_port(recipe)(**{**hyper, **replace})


def build_shim(recipe, preset=None, overrides=None):
    """The shim port of ``recipe`` (:mod:`tf1_recipes.shim`) built from a preset's hyperparameters, for :func:`against`."""
    from tf1_recipes.shim import get_shim
    from tf1_recipes.tf2 import seed_everything

    _, _, _, settings, hyper = resolve(recipe, preset, overrides)
    seed_everything(settings["seed"])
    return get_shim(recipe)(**hyper)


def trace_tf2(recipe, batch_list, initial, preset=None, overrides=None, port=None, n_epochs=1):
    """Train the port (``port``, or one built from the preset) from ``initial`` on ``batch_list``."""
    config, spec, preset, settings, hyper = resolve(recipe, preset, overrides, n_epochs)
    port = port or build_port(recipe, preset, overrides)
    port.n_epochs = n_epochs
    # The probe looks at the model before each batch, so the loop trains one batch per call:
    # train_steps.single, the step the epoch runs' loop runs 100 at a time (the same numbers,
    # bit for bit: tests/unit/test_port_loop.py).
    port.steps_per_execution = 1
    port.set_tf1_values(initial)
    noise = _noise_for(recipe, batch_list)
    with _probe_run(batch_list, TF2Observer(port, noise), config, spec, preset, settings, hyper) as run:
        with _patched(noise, "tf2"):
            port.fit(run)
    run.trace.extras.update(port=port, reported=reported(run))
    return run.trace


def reported(run):
    """What a parity run reported after its epochs: ``{"history": [...], <extra series>: [...]}``."""
    return {"history": list(run.history), **{name: list(series) for name, series in run.extras.items()}}


def max_abs_diff(a, b):
    """The largest absolute difference between two arrays, or two dicts of arrays with the same keys."""
    if isinstance(a, dict):
        if set(a) != set(b):
            raise KeyError(f"different variables: {sorted(set(a) ^ set(b))}")
        return max(max_abs_diff(a[k], b[k]) for k in a)
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


@dataclasses.dataclass
class Parity:
    """The differences between a TF1 and a TF2 trace."""

    forward: dict  # mode -> max |logits diff| on the first batch
    forward_loss: dict  # mode -> |loss diff|
    step_losses: float  # max |diff| of the per-step losses
    final_logits: dict  # mode -> max |logits diff| on the first batch after the K steps
    weights: float  # max |diff| of any variable after the K steps
    per_variable: dict
    #: max over every element of |tf1 - tf2| / (WEIGHT_ATOL + WEIGHT_RTOL * |tf1|): <= 1 is within tolerance.
    weights_ratio: float = None

    @property
    def k_steps_ok(self):
        return self.weights_ratio <= 1.0 and self.step_losses <= LOSS_TOLERANCE

    @property
    def forward_max(self):
        return max(max(self.forward.values()), max(self.forward_loss.values()))

    def summary(self):
        return (
            f"forward max|diff| {self.forward_max:.3g} "
            f"({', '.join(f'{m} logits {d:.3g}' for m, d in self.forward.items())}); "
            f"K-step: losses {self.step_losses:.3g}, weights {self.weights:.3g} "
            f"({self.weights_ratio:.2g} of the tolerance)"
        )


def run_pair(recipe, preset=None, overrides=None, n_steps=K_STEPS, batch_size=BATCH_SIZE, port=None):
    """(tf1 trace, tf2 trace, Parity) of K steps from the TF1 graph's initial values.

    The port class's ``parity_overrides`` apply first (a configuration that exercises the
    recipe's mechanism within K steps), its ``parity_epochs`` split the K steps into epochs.
    """
    from tf1_recipes.tf2 import get_port

    cls = get_port(recipe)
    overrides = {**cls.parity_overrides, **(overrides or {})}
    batch_list = fixed_batches(n_steps, batch_size)
    tf1_trace = trace_tf1(recipe, batch_list, preset, overrides, n_epochs=cls.parity_epochs)
    tf1_trace.extras.update(batch_list=batch_list, overrides=overrides)
    tf2_trace, result = against(tf1_trace, recipe, preset, port)
    return tf1_trace, tf2_trace, result


def against(tf1_trace, recipe, preset=None, port=None):
    """(tf2 trace, Parity) of ``port`` (default: the recipe's port, freshly built) against a TF1 trace
    made by :func:`run_pair`: the same batches, overrides and epochs. Tests pass a port built with a
    Keras default substituted to show that the default breaks the agreement."""
    from tf1_recipes.tf2 import get_port

    batch_list, overrides = tf1_trace.extras["batch_list"], tf1_trace.extras["overrides"]
    epochs = get_port(recipe).parity_epochs
    tf2_trace = trace_tf2(recipe, batch_list, tf1_trace.initial, preset, overrides, port=port, n_epochs=epochs)
    return tf2_trace, compare(tf1_trace, tf2_trace)


def weight_atol(tf2_trace):
    """The port's own absolute K-step tolerance when it states one (with its reason), else WEIGHT_ATOL."""
    return getattr(tf2_trace.extras["port"], "k_step_atol", None) or WEIGHT_ATOL


def parity_presets(recipe):
    """The presets worth a parity run: one per distinct model/optimizer configuration.

    Presets that differ only in the reader, the evaluated split, the epochs or the batch
    size train the same computation (a parity run brings its own batches), so the first
    of them stands for all.
    """
    spec = get_recipe(recipe)
    seen, chosen = set(), []
    for name in spec.presets:
        if name == "smoke":
            continue
        _, hyper = spec.preset(name)
        key = tuple(sorted((k, repr(v)) for k, v in hyper.items() if k not in ("n_epochs", "batch_size")))
        if key not in seen:
            seen.add(key)
            chosen.append(name)
    return chosen


def compare(tf1_trace, tf2_trace):
    """The Parity of two traces of the same batches from the same initial values."""
    per_variable = {k: max_abs_diff(tf1_trace.final[k], tf2_trace.final[k]) for k in tf1_trace.final}
    atol = weight_atol(tf2_trace)
    ratio = max(
        float(np.max(np.abs(tf1_trace.final[k] - tf2_trace.final[k]) / (atol + WEIGHT_RTOL * np.abs(tf1_trace.final[k]))))
        for k in tf1_trace.final
    )
    losses = [*tf1_trace.step_losses, tf1_trace.final_loss]
    losses2 = [*tf2_trace.step_losses, tf2_trace.final_loss]
    return Parity(
        forward={m: max_abs_diff(tf1_trace.logits[m], tf2_trace.logits[m]) for m in tf1_trace.logits},
        forward_loss={m: abs(tf1_trace.loss[m] - tf2_trace.loss[m]) for m in tf1_trace.loss},
        step_losses=max_abs_diff(losses, losses2),
        final_logits={m: max_abs_diff(tf1_trace.final_logits[m], tf2_trace.final_logits[m]) for m in tf1_trace.final_logits},
        weights=max(per_variable.values()),
        per_variable=per_variable,
        weights_ratio=ratio,
    )
