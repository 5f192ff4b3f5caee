"""The TF2 port of a recipe: a Keras 3 model, its optimizer, a ``tf.function`` training loop.

A port subclasses :class:`Port` and writes :meth:`Port.build` with the recipe's
hyperparameters as keyword-only arguments (the same names; no defaults: the harness
passes the resolved preset, so a port can never drift from the recipe's defaults). The
training loop is the TF1 recipe's loop, its steps run ``steps_per_execution`` at a time
inside one ``tf.function`` call (MIGRATION.md, "The training loop")::

    for epoch in range(n_epochs):
        rows = run.batch_rows(batch_size)                    # the TF1 run's batches, in order, as rows
        port.train_rows(run.mnist.train, rows)               # 100 steps per tf.function call, gathered (train_epoch)
        run.report(epoch, port.accuracy(X_eval, y_eval))
    tf.train.Checkpoint(model=..., optimizer=...).write(run.checkpoint_path)

``train_rows`` gathers each step's batch from the training set held as tensors
(:func:`gather_steps_function`); ``train_batches`` (ports that transform their batches or
draw their own, and the ``feed_dict`` input path) stacks up to ``steps_per_execution`` consecutive batches into a
``tf.data.Dataset`` and hands it to ``train_steps``, one ``tf.function`` that runs
``_train_step`` (GradientTape + apply_gradients) on each batch in order: the same steps
as one call per batch (bit for bit: tests/unit/test_port_loop.py), without a Python
call per step.

Steps that return nothing: :meth:`Port.fit` trains with ``outputs=False`` (the loops'
``without_outputs``), and TensorFlow prunes what only the returned values needed: the loss's
forward terms that no gradient reads, such as the value of an L1 or L2 penalty (its gradient
needs ``sign(W)`` or ``W``, not the sum), and the loop's ``TensorArray`` of outputs. TF1's
``sess.run(training_op)`` computes no more: it does not fetch the loss, so its graph never
evaluates the penalty's sum. The variables end bit for bit the same
(tests/unit/test_port_loop.py). Measured on the 2-core machine (l1_manual/book, 275 steps,
1 intra-op thread, medians of 5 interleaved epochs): 0.633 s with each step's loss returned,
0.586 s without.

``variables`` is the port's explicit table from each TF1 variable name (as the Saver
stores it) to the Keras variable that plays its part, by path inside the model
(``"batch_normalization/moving_mean": "bn1/moving_mean"``). The parity tests copy a TF1
graph's variables into the port through it, and ``migrate-ckpt`` converts checkpoints with it.
"""

import numpy as np
import tensorflow as tf


#: Training steps per call of a port's loop function (Keras' ``steps_per_execution``). Measured
#: on the 2-core machine (1 intra-op thread, he_init and adam, medians of 3 interleaved epochs):
#: 100 steps per call ran an epoch in 0.34-0.49 of the time of one call per step; 25 and 50
#: steps kept more of the per-call overhead, 200 and 400 steps and a whole epoch per call
#: (its 170 MB of stacked batches copied at once) were slower again.
STEPS_PER_EXECUTION = 100


def steps_function(step, input_signature):
    """One ``tf.function`` that runs ``step`` on every batch of a ``tf.data.Dataset``, in order.

    Args:
        step: one training step, ``step(X, y)`` -> a float32 scalar tensor (the loss) or a
            tuple of them (the loss and per-step metrics); traced once, as the loop's body.
        input_signature: ``(TensorSpec of X, TensorSpec of y)`` of one batch, the batch
            dimension None (e.g. ``[None, 784]`` float32 and ``[None]`` int64).

    Returns:
        ``steps(batches)``: ``batches`` a ``tf.data.Dataset`` of ``(X, y)`` elements of that
        signature and known cardinality ``n`` (``Dataset.from_tensor_slices`` of stacked
        batches); runs ``step`` on each element in dataset order inside a ``tf.while_loop``
        (AutoGraph's ``tf.range`` loop) and returns its outputs as a float32 tensor
        ``[n, k]``: row i holds step i's ``k`` outputs. Traced once for every dataset of the
        signature (any ``n``, any batch size). Its attribute ``single`` is ``step`` alone as a
        ``tf.function`` of one batch (one call per step: what this loop replaced, kept for a
        look at one step, for ``steps_per_execution`` 1 and as the benchmark's baseline);
        ``without_outputs`` is the same loop returning nothing, so that TensorFlow prunes
        what only the outputs needed (module docstring, "Steps that return nothing").
    """

    def steps(batches):
        n = tf.cast(batches.cardinality(), tf.int32)
        outputs = tf.TensorArray(tf.float32, size=n)
        batch = iter(batches)
        for i in tf.range(n):
            X, y = next(batch)
            outputs = outputs.write(i, tf.stack(tf.nest.flatten(step(X, y))))
        return outputs.stack()

    def steps_without_outputs(batches):
        batch = iter(batches)
        for _ in tf.range(tf.cast(batches.cardinality(), tf.int32)):
            X, y = next(batch)
            step(X, y)

    signature = [tf.data.DatasetSpec(tuple(input_signature))]
    function = tf.function(steps, input_signature=signature)
    function.single = tf.function(step, input_signature=input_signature)
    function.without_outputs = tf.function(steps_without_outputs, input_signature=signature)
    return function


def gather_steps_function(step, images, labels):
    """:func:`steps_function` over row indices: each step's batch gathered from a training set held as tensors.

    Args:
        step: one training step, as for :func:`steps_function`.
        images: the training images, a float32 tensor ``[N, d]``.
        labels: their labels, ``[N, ...]`` (int64 classes ``[N]`` for the MNIST ports).

    Returns:
        ``steps(rows, outputs=True)``: ``rows`` an int64 tensor ``[n, B]`` (n batches of B row
        indices, in order, e.g. ``run.batch_rows``' arrays stacked); runs ``step(tf.gather(images,
        rows[i]), tf.gather(labels, rows[i]))`` for i = 0..n-1 inside one ``tf.while_loop``
        and returns the outputs ``[n, k]`` as :func:`steps_function` does (``outputs=False``:
        None, from the loop that returns nothing, as ``without_outputs``). The gathered batch
        is the batch NumPy's ``images[rows[i]]`` gives, so the steps are the dataset loop's,
        bit for bit (tests/unit/test_port_loop.py); per step only B indices move, as on the
        TF1 recipes' in-graph input path (:mod:`tf1_recipes.in_graph`). ``images`` and
        ``labels`` are arguments of the traced loop, passed with every call (the same tensors,
        nothing copied), not captured by it: captured, TensorFlow kept them alive after the port
        was gone (172 MB of MNIST per port run; tests/unit/test_port_loop.py).
    """

    def steps(rows, images, labels):
        n = tf.shape(rows)[0]
        outputs = tf.TensorArray(tf.float32, size=n)
        for i in tf.range(n):
            batch = rows[i]
            outputs = outputs.write(i, tf.stack(tf.nest.flatten(step(tf.gather(images, batch), tf.gather(labels, batch)))))
        return outputs.stack()

    def steps_without_outputs(rows, images, labels):
        for i in tf.range(tf.shape(rows)[0]):
            batch = rows[i]
            step(tf.gather(images, batch), tf.gather(labels, batch))

    signature = [tf.TensorSpec([None, None], tf.int64), tf.TensorSpec.from_tensor(images), tf.TensorSpec.from_tensor(labels)]
    functions = {True: tf.function(steps, input_signature=signature),
                 False: tf.function(steps_without_outputs, input_signature=signature)}
    return lambda rows, outputs=True: functions[outputs](rows, images, labels)


def stacked_runs(batches, limit):
    """Consecutive ``(X, y)`` batches stacked into runs of at most ``limit``, one shape per run.

    Args:
        batches: an iterable of ``(X, y)`` NumPy batches (``run.batches``: float32 images
            ``[B, d]``, int64 labels ``[B]``), or of any tuples of arrays (``(rows,)``: a
            batch's row indices, ``run.batch_rows``); consumed lazily, one run at a time: a run is
            yielded as soon as it holds ``limit`` batches, before the next batch is drawn (so
            with ``limit=1`` every batch is trained before the next is asked for).
        limit: the most batches per run (None: no limit).

    Yields:
        ``(Xs, ys)``: ``np.stack`` of a run's images ``[n, B, d]`` and labels ``[n, B]``. A
        batch of another shape than the run's (``np.array_split``'s one-larger batches,
        a last short batch) starts a new run, so every run stacks.
    """
    run = []
    for batch in batches:
        if run and [np.shape(part) for part in batch] != [np.shape(part) for part in run[0]]:
            yield _stack(run)
            run = []
        run.append(batch)
        if len(run) == limit:
            yield _stack(run)
            run = []
    if run:
        yield _stack(run)


def _stack(run):
    return tuple(np.stack(parts) for parts in zip(*run))


def mean_xentropy(labels, logits):
    """What the TF1 graphs call ``loss/loss``: ``reduce_mean(sparse_softmax_cross_entropy_with_logits)``."""
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))


class Port:
    """One recipe in idiomatic TF2. Subclasses set ``variables`` and write ``build``."""

    #: The recipe this ports (set by ``@port``).
    recipe = None
    #: TF1 variable name -> Keras variable path inside ``self.model`` (without the model's name).
    variables = {}
    #: The TF1 optimizer's slot names (``<variable>/<slot>`` in a Saver checkpoint) and its
    #: global state variables (``beta1_power``, ``global_step``): training state that
    #: ``migrate-ckpt`` expects in the checkpoint, lists, and does not convert.
    tf1_slots = ()
    tf1_optimizer_globals = ()
    #: Whether the model behaves differently in training (batch norm, dropout): the TF1
    #: graph then has a ``training`` placeholder, and the parity tests check both modes.
    has_training_mode = False
    #: Whether the model has dropout (the parity tests then inject the same noise on both sides).
    has_dropout = False
    #: The TF1 graph's loss tensor the parity probe reads (a recipe that adds its own loss
    #: to an imported graph, which keeps the imported model's ``loss/loss``, names it).
    tf1_loss = "loss/loss:0"
    #: The TF1 graph's logits tensor the parity probe compares, when the loss reads more
    #: than one (two towers); None: the logits the loss's cross-entropy reads.
    tf1_logits = None
    #: Run the TF1 recipe's sessions in the calling thread during parity runs (one fixed op
    #: schedule), for a graph whose numbers depend on the order of unordered stateful ops;
    #: the subclass says which.
    tf1_caller_thread = False
    #: Whether the inference-mode loss falls within the K parity steps (the K-step test's sign
    #: that training went somewhere); False for a pitfall whose inference mode gets worse as it
    #: trains, which the subclass names, with the test that checks its training instead.
    parity_inference_loss_falls = True
    #: Hyperparameter overrides for the parity runs, when the preset's values would not
    #: exercise the recipe's mechanism within K steps (e.g. a max-norm threshold no row reaches).
    parity_overrides = {}
    #: False when the TF1 loop does not draw its batches from ``run.batches`` (the probe
    #: cannot watch it); the port's class then says which test compares it instead.
    probe_parity = True
    #: Epochs the parity runs split their K steps into (per-epoch behaviour, e.g. a fed rate).
    parity_epochs = 1
    #: The parity tests' absolute tolerance on weights after K steps, when this port needs
    #: another than tf1_recipes.tf2.parity.WEIGHT_ATOL; the subclass says why.
    k_step_atol = None
    #: Training steps per call of ``train_steps`` (Keras' ``steps_per_execution``); None: all
    #: of ``train_batches``' batches in one call. The parity probe sets 1: it looks at the
    #: model before every batch.
    steps_per_execution = STEPS_PER_EXECUTION
    #: Hyperparameters the training loop consumes (build() gets all the others).
    LOOP_HYPERPARAMETERS = ("n_epochs", "batch_size")

    def __init__(self, **hyper):
        missing = [k for k in self.LOOP_HYPERPARAMETERS if k not in hyper]
        if missing:
            raise TypeError(f"{type(self).__name__}: missing hyperparameters {missing}")
        self.hyper = dict(hyper)
        self.n_epochs = hyper.pop("n_epochs")
        self.batch_size = hyper.pop("batch_size")
        self.model, self.optimizer = self.build(**hyper)
        self.build_optimizer_state()
        #: The training loop's function: a dataset of batches per call (:func:`steps_function`).
        self.train_steps = steps_function(self._train_step, self.step_signature())
        #: One step per call (traced on first use): for a look at a single step.
        self.train_step = self.train_steps.single
        #: :meth:`train_rows`' loop functions: {step: (the training set it holds, its function)}, made on first use.
        self._gather_steps = {}
        #: :meth:`train_held`'s stacked-batch loop functions of steps other than ``_train_step``: {step: function}.
        self._stacked_steps = {}

    def build_optimizer_state(self):
        """Create the optimizer's slots now (not inside the first traced step), so the
        checkpoint, the parity tools and migrate-ckpt see every variable up front."""
        self.optimizer.build(self.model.trainable_variables)

    def step_signature(self):
        """``(TensorSpec of X, TensorSpec of y)`` of one training batch: the model's input width, int64 classes."""
        return tf.TensorSpec([None, self.model.input_shape[-1]], tf.float32), tf.TensorSpec([None], tf.int64)

    def build(self, **hyper):
        """(keras.Model, keras optimizer) from the recipe's hyperparameters."""
        raise NotImplementedError

    # -- the computation -------------------------------------------------------------
    def logits(self, X, training=False):
        return self.model(X, training=training)

    def loss(self, X, y, training=False):
        """What the TF1 graph calls ``loss/loss``: mean cross-entropy (plus the model's regularisation losses)."""
        loss = mean_xentropy(y, self.logits(X, training=training))
        penalties = self.model.losses  # Keras computes them on each read of .losses: read once
        if penalties:
            loss = loss + tf.add_n(penalties)
        return loss

    def process_gradients(self, grads):
        """The step between computing and applying the gradients (TF1: between compute_gradients and apply_gradients)."""
        return grads

    def after_step(self):
        """Run after every applied step (TF1: ops run after the training op, e.g. max-norm clipping)."""

    def _train_step(self, X, y):
        """One training step on a batch; returns the training-mode loss before the update.

        ``__init__`` makes it the body of ``self.train_steps`` (the loop, :func:`steps_function`)
        and wraps it alone in ``tf.function`` as ``self.train_step``, each traced once for the
        model's input width and any batch size.
        """
        variables = self.model.trainable_variables
        with tf.GradientTape() as tape:
            loss = self.loss(X, y, training=True)
        grads = self.process_gradients(tape.gradient(loss, variables))
        self.optimizer.apply_gradients(zip(grads, variables))
        self.after_step()
        return loss

    def gradient_step(self, model, X, y):
        """A GD step of ``model`` (all or part of the port's model) on mean cross-entropy; (loss, logits)."""
        variables = model.trainable_variables
        with tf.GradientTape() as tape:
            logits = model(X, training=True)
            loss = mean_xentropy(y, logits)
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss, logits

    def gradient_loss(self, model, X, y):
        """:meth:`gradient_step`'s loss alone: the step of a part of the model, for :meth:`train_rows`."""
        return self.gradient_step(model, X, y)[0]

    def gradient_steps(self, model):
        """The loop function (:func:`steps_function`) of :meth:`gradient_step` on ``model``, for :meth:`train_batches`.

        ``model`` takes float32 ``[B, width]`` inputs and int64 classes ``[B]``; each step's output is its loss.
        """
        signature = (tf.TensorSpec([None, model.input_shape[-1]], tf.float32), tf.TensorSpec([None], tf.int64))
        return steps_function(lambda X, y: self.gradient_step(model, X, y)[0], signature)

    def accuracy(self, X, y):
        """Top-1 accuracy as TF1's ``in_top_k(logits, y, 1)`` counts it (a tie for the top counts)."""
        logits = self.logits(tf.convert_to_tensor(X, tf.float32), training=False)
        correct = tf.math.in_top_k(targets=tf.convert_to_tensor(y, tf.int64), predictions=logits, k=1)
        return float(tf.reduce_mean(tf.cast(correct, tf.float32)))

    def evaluate(self, X, y):
        """(accuracy, loss) on a split, as the pitfall recipes fetch ``[accuracy, loss]``."""
        X = tf.convert_to_tensor(X, tf.float32)
        return self.accuracy(X, y), float(self.loss(X, tf.convert_to_tensor(y, tf.int64), training=False))

    def split_function(self, values):
        """``values(X, y)`` as one ``tf.function`` over a whole split, for what a TF1 recipe fetches in one ``sess.run``.

        Args:
            values: ``values(X, y)`` -> tensors, ``X`` and ``y`` of :meth:`step_signature` (any number of rows).

        Returns:
            ``function(X, y)``: NumPy arrays or tensors, converted to the signature's dtypes; traced on first
            call, once for any split size; returns ``values``' tensors.
        """
        X_spec, y_spec = self.step_signature()
        traced = tf.function(values, input_signature=(X_spec, y_spec))
        return lambda X, y: traced(tf.convert_to_tensor(X, X_spec.dtype), tf.convert_to_tensor(y, y_spec.dtype))

    # -- the loop ----------------------------------------------------------------------
    def start_epoch(self, epoch):
        """Called before each epoch's batches (TF1: values fed per epoch, e.g. a fed learning rate)."""

    def prepare(self, X):
        """What the recipe does to every batch (and the evaluated split) before feeding it: nothing by default.

        Row by row (``prepare(X)[r]`` equals ``prepare(X[r])`` bit for bit, e.g. standardising
        each pixel by the training set's statistics), so :meth:`train_rows` prepares the whole
        training set once and gathers the prepared batches from it.
        """
        return X

    def report(self, run, epoch, X_eval, y_eval):
        """Record the epoch's metric (subclasses add the extra series their TF1 recipe reports)."""
        run.report(epoch, self.accuracy(X_eval, y_eval))

    def train_batches(self, batches, steps=None, outputs=True):
        """Train on every batch of ``batches``, in order, ``steps_per_execution`` per function call.

        Args:
            batches: an iterable of ``(X, y)`` NumPy batches (what ``run.batches`` yields),
                drawn lazily (see :func:`stacked_runs`).
            steps: the loop function (default ``self.train_steps``; a port training a part
                of its model makes its own with :func:`steps_function`).
            outputs: False: run the loop that returns nothing (``steps.without_outputs``), so that
                TensorFlow computes only what the updates need (module docstring).

        Returns:
            float32 array ``[steps, k]``: each step's outputs (column 0: its loss); None when
            ``outputs`` is False.
        """
        steps = steps or self.train_steps
        if self.steps_per_execution == 1:
            # One batch per call (the parity probe's): the step alone, as Keras' steps_per_execution=1
            # calls its train step, not a tf.while_loop of one over a dataset of one.
            results = [np.array(tf.nest.flatten(steps.single(X, y)), np.float32)[None] for X, y in batches]
        elif outputs:
            results = [steps(tf.data.Dataset.from_tensor_slices(run)).numpy() for run in stacked_runs(batches, self.steps_per_execution)]
        else:
            for run in stacked_runs(batches, self.steps_per_execution):
                steps.without_outputs(tf.data.Dataset.from_tensor_slices(run))
        if not outputs:
            return None
        return np.concatenate(results) if results else np.zeros((0, 1), np.float32)

    def train_rows(self, train, rows, step=None, outputs=True):
        """Train on the batches ``prepare(train.images[r]), train.labels[r]`` for each ``r`` of ``rows``, in
        order, ``steps_per_execution`` per call of a :func:`gather_steps_function` (the training
        set, prepared, held as tensors once per port, step and training set).

        Args:
            train: the training :class:`tf1_recipes.data.DataSet`, or any object with its
                ``images`` (float32 ``[N, d]``) and ``labels`` (``[N]``, or as :meth:`step_signature`
                says), e.g. a subset of it or cached activations; held until ``train_rows`` is
                called with another object.
            rows: an iterable of int arrays ``[B]`` into ``train`` (``run.batch_rows``), drawn lazily;
                consecutive arrays of another length start a new call (:func:`stacked_runs`).
            step: the training step, ``step(X, y)`` as for :func:`steps_function` (default
                ``self._train_step``; a port training a part of its model passes its own, the same
                object every epoch, e.g. ``functools.partial(self.gradient_loss, model)``).
            outputs: as for :meth:`train_batches`.

        Returns:
            float32 array ``[steps, k]``: each step's outputs (column 0: its loss); None when
            ``outputs`` is False.
        """
        step = step or self._train_step
        held, function = self._gather_steps.get(step, (None, None))
        if held is not train:
            images, labels = self.step_signature()
            function = gather_steps_function(
                step, tf.constant(self.prepare(train.images), images.dtype), tf.constant(train.labels, labels.dtype))
            self._gather_steps[step] = (train, function)
        runs = (tf.constant(stacked, tf.int64) for (stacked,) in stacked_runs(((r,) for r in rows), self.steps_per_execution))
        if not outputs:
            for run in runs:
                function(run, outputs=False)
            return None
        results = [function(run).numpy() for run in runs]
        return np.concatenate(results) if results else np.zeros((0, 1), np.float32)

    def train_held(self, run, held, rows, step=None, outputs=True):
        """Train on the batches ``prepare(held.images[r]), held.labels[r]`` for each ``r`` of ``rows``, a set of the
        port's own (a subset of the training set, cached activations, rows drawn with replacement): gathered
        (:meth:`train_rows`) where :meth:`_gathers` allows ``run``, else stacked from NumPy (:meth:`train_batches`,
        the ``feed_dict`` input path), the same steps either way.

        Args:
            run: the harness run (its input path).
            held, rows, step, outputs: as for :meth:`train_rows` (``rows`` drawn lazily, once).

        Returns:
            float32 array ``[steps, k]``: each step's outputs (column 0: its loss); None when
            ``outputs`` is False.
        """
        if self._gathers(run):
            return self.train_rows(held, rows, step, outputs)
        batches = ((self.prepare(held.images[r]), held.labels[r]) for r in rows)
        if step is None:
            return self.train_batches(batches, outputs=outputs)
        if step not in self._stacked_steps:
            X_spec, y_spec = self.step_signature()
            self._stacked_steps[step] = steps_function(step, (tf.TensorSpec([None, held.images.shape[-1]], X_spec.dtype), y_spec))
        return self.train_batches(batches, self._stacked_steps[step], outputs)

    def _gathers(self, run):
        """Whether :meth:`fit` gathers ``run``'s batches by their rows: the run is on the in-graph input
        path (``--input in_graph``, the default of the command and the tests; ``feed_dict`` hands
        the port NumPy batches) and ``run``'s batches are its reader's (a parity probe's fixed
        batches are not)."""
        from tf1_recipes.harness import Run

        return run.config.input_path == "in_graph" and type(run).batches is Run.batches

    def fit(self, run):
        """The recipe's epoch loop on ``run``'s batches; reports the metric, saves the model.

        The batches are the TF1 run's, in its order: gathered by their rows from the (prepared)
        training set held as tensors (:meth:`train_rows`), or, on the ``feed_dict`` input path
        or for a run with batches of its own, stacked from NumPy (:meth:`train_batches`).
        """
        X_eval, y_eval = run.eval_split()
        for epoch in range(self.n_epochs):
            self.start_epoch(epoch)
            self.train_epoch(run, outputs=False)  # TF1: sess.run(training_op), the loss not fetched
            self.report(run, epoch, self.prepare(X_eval), y_eval)
        self.save(run.checkpoint_path)

    def train_epoch(self, run, outputs=True):
        """One epoch of ``run``'s batches (the TF1 run's, in its order), ``prepare``\ d: gathered by their rows
        (:meth:`train_rows`) where :meth:`_gathers` allows, else stacked from NumPy (:meth:`train_batches`).

        Args:
            run: the harness run.
            outputs: as for :meth:`train_batches` (:meth:`fit` passes False).

        Returns:
            float32 array ``[steps, k]``: each step's outputs (column 0: its loss; then what ``_train_step``
            returns); None when ``outputs`` is False.
        """
        if self._gathers(run):
            return self.train_rows(run.mnist.train, run.batch_rows(self.batch_size), outputs=outputs)
        batches = ((self.prepare(X_batch), y_batch) for X_batch, y_batch in run.batches(self.batch_size))
        return self.train_batches(batches, outputs=outputs)

    def save(self, path):
        """Write the run's checkpoint to ``path`` (a prefix, as ``run.checkpoint_path``)."""
        self.checkpoint().write(path)

    def checkpoint(self):
        """The object-based checkpoint of the run (TF1: ``tf.train.Saver``)."""
        return tf.train.Checkpoint(model=self.model, optimizer=self.optimizer)

    # -- the variable table ------------------------------------------------------------
    def keras_variables(self):
        """{path inside the model: variable} for every variable of the model but RNG state.

        Keras 3 ``Dropout`` keeps its random generator's state in a variable
        (``seed_generator_state``); TF1's dropout kept it inside its random ops, so it has no
        TF1 counterpart and is left out of the table.
        """
        prefix = self.model.name + "/"
        return {
            v.path[len(prefix) :] if v.path.startswith(prefix) else v.path: v
            for v in self.model.variables
            if not v.path.endswith("seed_generator_state")
        }

    def mapped_variables(self):
        """{TF1 name: Keras variable} through the ``variables`` table (an error if the table is stale)."""
        mine = self.keras_variables()
        stale = sorted(path for path in self.variables.values() if path not in mine)
        if stale:
            raise KeyError(f"{type(self).__name__}.variables names no variable {stale}; the model has {sorted(mine)}")
        unmapped = sorted(set(mine) - set(self.variables.values()))
        if unmapped:
            raise KeyError(f"{type(self).__name__}.variables does not map {unmapped}")
        return {tf1_name: mine[path] for tf1_name, path in self.variables.items()}

    def get_tf1_values(self):
        """{TF1 name: NumPy value} of the model's variables."""
        return {name: v.numpy() for name, v in self.mapped_variables().items()}

    def tf1_training_state(self):
        """{TF1 checkpoint name: what it is} of the TF1 optimizer's state for this model."""
        trainable = [name for name, v in self.mapped_variables().items() if v.trainable]
        state = {f"{name}/{slot}": f"TF1 optimizer slot {slot!r}" for name in trainable for slot in self.tf1_slots}
        state.update({name: "TF1 optimizer state" for name in self.tf1_optimizer_globals})
        return state

    def set_tf1_values(self, values):
        """Assign TF1-named values (a dict holding at least every name of the table)."""
        for name, variable in self.mapped_variables().items():
            variable.assign(values[name])
