"""The numerics fingerprint: which floating-point results this machine's TensorFlow gives.

Two machines whose CPUs share a ``model name`` can still round differently: oneDNN picks
its kernels by instruction set (AVX2, AVX-512, AMX) and cache sizes, and
``TF_ENABLE_ONEDNN_OPTS=0`` swaps oneDNN for Eigen. A bit-exact rerun of a recipe is only
expected where the arithmetic is the same, and that is measured here, not assumed from a
name: :func:`fingerprint` runs a small fixed computation made of the op kinds the recipes
use and hashes every output bit for bit.

The computation, in a fresh ``tf.Graph`` and ``Session`` under the suite's seeding and
thread settings (:func:`tf1_recipes.compat.configure_tensorflow`), from fixed NumPy inputs:

* ``dense``: ``tf.layers.dense`` forward passes at the recipes' shapes: 784->300, 300->100,
  300->50, 100->100, 100->10 with the batch sizes they train and evaluate on (20 .. 10,000 rows);
* ``activations``: ReLU, leaky ReLU, ELU, SELU, sigmoid, tanh, softmax;
* ``batch_norm``: ``tf.layers.batch_normalization`` in training and inference mode, with its
  ``UPDATE_OPS`` (moving statistics);
* ``loss``: sparse softmax cross-entropy and its gradients (the transposed matmuls of backprop);
* ``<optimizer>``: three steps of each TF1 optimizer the recipes use (GradientDescent,
  Momentum, Nesterov, AdaGrad, RMSProp, Adam) on a 784-100-10 net's variables, fed fixed
  gradients; the variables and slots are hashed.

Each group is hashed on its own (:func:`group_hashes`), so two runs that differ say where;
:func:`fingerprint` is the first 16 hex digits of the SHA-256 over all groups. It takes
1.3-2 s in a new process on the 2-core development machines (about half of it building the
graph) and is computed once per process (same thread settings, same result).

A later process of the same boot of the same machine, with the same TensorFlow and NumPy, the
same :data:`NUMERICS_ENV` settings and thread counts and this module's same computation, reads
the groups the first one measured (:func:`measured_before`, ``numerics/`` in the checkpoint
cache) instead of measuring again: a ``tf1-recipes run`` or a ``check --jobs`` worker starts
1.3-2 s sooner. The boot is the kernel's ``boot_id``: a restart, or a move to another host that
restarts the machine, measures again. ``tf1-recipes numerics`` always measures in its own process
and says whether an earlier measurement of this boot agrees.
"""

import functools
import hashlib
import json
import os
import platform
import tempfile
from pathlib import Path

import numpy as np

#: CPU flags that change which kernels oneDNN and Eigen run (vector width, FMA, AMX).
RELEVANT_CPU_FLAGS = (
    "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
    "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8",
)
#: Environment variables that change TensorFlow's CPU arithmetic.
NUMERICS_ENV = ("TF_ENABLE_ONEDNN_OPTS", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "ONEDNN_DEFAULT_FPMATH_MODE",
                "TF_ENABLE_MKL_NATIVE_FORMAT", "OMP_NUM_THREADS")
DENSE_SHAPES = ((784, 300), (300, 100), (300, 50), (100, 100), (100, 10))
BATCH_SIZES = (20, 32, 50, 100, 200, 500, 5000, 10000)
OPTIMIZERS = ("GradientDescent", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam")
#: The groups :func:`group_hashes` hashes, each on its own.
GROUPS = ("dense", "activations", "batch_norm", "loss", *OPTIMIZERS)
SEED = 1234
#: The variables each optimizer updates: a 784-100-10 net's kernels and biases.
OPTIMIZED_SHAPES = ((784, 100), (100,), (100, 10), (10,))


def _optimizer(tf1, name):
    return {
        "GradientDescent": lambda: tf1.train.GradientDescentOptimizer(0.1),
        "Momentum": lambda: tf1.train.MomentumOptimizer(0.05, momentum=0.9),
        "Nesterov": lambda: tf1.train.MomentumOptimizer(0.05, momentum=0.9, use_nesterov=True),
        "AdaGrad": lambda: tf1.train.AdagradOptimizer(0.05),
        "RMSProp": lambda: tf1.train.RMSPropOptimizer(0.01, momentum=0.9, decay=0.9, epsilon=1e-10),
        "Adam": lambda: tf1.train.AdamOptimizer(0.01),
    }[name]()


def _inputs():
    """The fixed inputs: MNIST-like pixels in [0, 1] and labels 0..9 (no data set is read)."""
    rng = np.random.RandomState(SEED)
    X = rng.uniform(0.0, 1.0, size=(max(BATCH_SIZES), 784)).astype(np.float32)
    X[X < 0.8] = 0.0  # MNIST's images are mostly zeros: oneDNN's kernels see the same sparsity
    y = rng.randint(0, 10, size=max(BATCH_SIZES)).astype(np.int64)
    return X, y


def _computations(tf, tf1):
    """{group: [tensors or (name, callable)]} built in the current (fresh) default graph."""
    X_all, y_all = _inputs()
    X = tf1.placeholder(tf.float32, (None, 784), name="X")
    y = tf1.placeholder(tf.int64, (None,), name="y")
    training = tf1.placeholder_with_default(False, (), name="training")
    init = tf1.variance_scaling_initializer(seed=SEED)
    groups = {"dense": [], "activations": [], "batch_norm": [], "loss": []}

    # dense: each shape fed from the previous layer's width, at every batch size
    kernels = {}
    for n_in, n_out in DENSE_SHAPES:
        kernels[(n_in, n_out)] = tf1.get_variable(f"kernel_{n_in}_{n_out}", (n_in, n_out), initializer=init)
    widths = {784: X}
    hidden = tf.nn.elu(tf.matmul(X, kernels[(784, 300)]))
    widths[300] = hidden
    widths[100] = tf.nn.elu(tf.matmul(hidden, kernels[(300, 100)]))
    for (n_in, n_out), kernel in kernels.items():
        groups["dense"].append(tf.matmul(widths[n_in], kernel))
    dense_layer = tf1.layers.dense(X, 300, kernel_initializer=init, name="hidden1")
    groups["dense"].append(dense_layer)

    z = groups["dense"][0]
    groups["activations"] += [
        tf.nn.relu(z), tf.nn.leaky_relu(z, alpha=0.01), tf.nn.elu(z), tf.nn.selu(z), tf.sigmoid(z), tf.tanh(z),
        tf.nn.softmax(tf.matmul(widths[100], kernels[(100, 10)])),
    ]

    bn = tf1.layers.batch_normalization(dense_layer, training=training, momentum=0.9, name="bn")
    groups["batch_norm"].append(bn)

    logits = tf1.layers.dense(tf.nn.elu(bn), 10, kernel_initializer=init, name="outputs")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    grads = tf1.gradients(loss, tf1.trainable_variables(scope="hidden1|bn|outputs"))
    groups["loss"] += [loss, *grads]
    update_ops = tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)

    # the optimizers' update kernels, fed fixed gradients (building six backprop graphs is slow)
    nets = {}
    rng = np.random.RandomState(SEED + 1)
    for name in OPTIMIZERS:
        with tf1.variable_scope(f"net_{name}"):
            variables = [tf1.get_variable(f"v{i}", shape, initializer=init) for i, shape in enumerate(OPTIMIZED_SHAPES)]
            fed = [tf1.placeholder(tf.float32, shape) for shape in OPTIMIZED_SHAPES]
            step = _optimizer(tf1, name).apply_gradients(zip(fed, variables))
        steps = [{g: rng.normal(0.0, 0.05, g.shape.as_list()).astype(np.float32) for g in fed} for _ in range(3)]
        nets[name] = (step, steps, tf1.global_variables(scope=f"net_{name}"))
    feeds = {batch: {X: X_all[:batch], y: y_all[:batch]} for batch in BATCH_SIZES}
    return groups, update_ops, nets, feeds, training


def _digest(hasher, arrays):
    for array in arrays:
        array = np.ascontiguousarray(array)
        hasher.update(str(array.dtype).encode() + str(array.shape).encode())
        hasher.update(array.tobytes())


def group_hashes():
    """{group: SHA-256 hex} of every group of the fixed computation (see the module docstring).

    Runs in a fresh graph under the process's TensorFlow settings; nothing is cached, so two
    calls in one process also show whether the device reproduces itself bit for bit.
    """
    from tf1_recipes import session_observer
    from tf1_recipes.compat import configure_tensorflow, tf, tf1

    configure_tensorflow()
    graph = tf1.Graph()
    with graph.as_default():
        tf1.set_random_seed(SEED)
        groups, update_ops, nets, feeds, training = _computations(tf, tf1)
        init = tf1.global_variables_initializer()
        graph.finalize()
        hashes = {}
        with session_observer.unobserved(graph), tf1.Session(graph=graph) as sess:
            sess.run(init)
            for group in ("dense", "activations", "loss"):
                hasher = hashlib.sha256()
                for batch, feed in feeds.items():
                    if group != "dense" and batch > 500:
                        continue  # the big evaluation batches matter for the matmul kernels only
                    _digest(hasher, sess.run(groups[group], feed_dict=feed))
                hashes[group] = hasher.hexdigest()
            hasher = hashlib.sha256()
            for batch in (50, 200):
                inference = sess.run(groups["batch_norm"], feed_dict={**feeds[batch], training: False})
                trained, _ = sess.run([groups["batch_norm"], update_ops], feed_dict={**feeds[batch], training: True})
                _digest(hasher, [*inference, *trained])
            moving = [v for v in tf1.global_variables() if "moving_" in v.name]
            _digest(hasher, sess.run(moving))
            hashes["batch_norm"] = hasher.hexdigest()
            for name, (step, steps, variables) in nets.items():
                for feed in steps:
                    sess.run(step, feed_dict=feed)
                hasher = hashlib.sha256()
                _digest(hasher, sess.run(variables))
                hashes[name] = hasher.hexdigest()
    return hashes


def combine(hashes):
    """The fingerprint of a {group: hash} dict: 16 hex digits of SHA-256 over the groups in order."""
    hasher = hashlib.sha256()
    for group in sorted(hashes):
        hasher.update(f"{group}={hashes[group]};".encode())
    return hasher.hexdigest()[:16]


#: Where the kernel names this boot (Linux); elsewhere nothing measured is reused by another process.
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def reuse_key():
    """What a measurement is reused under: 32 hex digits of SHA-256 over this boot and process's numerics facts, or None.

    The facts: the kernel's ``boot_id``, :func:`cpu_facts`, the :data:`NUMERICS_ENV` variables,
    the intra- and inter-op thread counts and logical CPU devices this process runs with,
    TensorFlow's version and git version, NumPy's version and this module's source (the
    computation). None where there is no ``boot_id`` to read: every process measures.
    """
    from tf1_recipes.compat import configure_tensorflow, cpu_devices_wanted, tf

    try:
        boot = BOOT_ID.read_text().strip()
    except OSError:
        return None
    settings = configure_tensorflow()
    facts = {
        "boot_id": boot,
        "cpu": cpu_facts(),
        "env": {name: os.environ.get(name) for name in NUMERICS_ENV},
        "threads": [settings["intra_op_threads"], settings["inter_op_threads"]],
        "cpu_devices": cpu_devices_wanted(),
        "tensorflow": [tf.__version__, tf.version.GIT_VERSION],
        "numpy": np.__version__,
        "computation": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:32]


def _measured_path(key):
    from tf1_recipes.checkpoints import cache_dir

    return cache_dir() / "numerics" / f"{key}.json"


def measured_before(key):
    """The :func:`group_hashes` an earlier process measured under ``key`` (:func:`reuse_key`), or None.

    None too where ``key`` is None, or the file is missing, unreadable or not a {group: SHA-256 hex}
    of every one of :data:`GROUPS`.
    """
    if key is None:
        return None
    try:
        hashes = json.loads(_measured_path(key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(hashes, dict) or set(hashes) != set(GROUPS) or not all(
            isinstance(v, str) and len(v) == 64 for v in hashes.values()):
        return None
    return hashes


def measure(key):
    """:func:`group_hashes` measured now, and kept for later processes under ``key`` unless it is None.

    Kept whole or not at all (a temporary file renamed); a cache that cannot be written is left
    alone (the next process measures).
    """
    hashes = group_hashes()
    if key is None:
        return hashes
    path = _measured_path(key)
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False, encoding="utf-8") as f:
            temporary = f.name
            json.dump(hashes, f, sort_keys=True)
        os.replace(temporary, path)
    except OSError:
        if temporary:
            Path(temporary).unlink(missing_ok=True)
    return hashes


@functools.lru_cache(maxsize=None)
def fingerprint_groups():
    """The :func:`group_hashes` this process's fingerprint is made of: measured once per process, or read from an
    earlier process of this boot with the same facts (:func:`reuse_key`, module docstring)."""
    key = reuse_key()
    return measured_before(key) or measure(key)


def fingerprint():
    """This process's numerics fingerprint (16 hex digits), of :func:`fingerprint_groups`."""
    return combine(fingerprint_groups())


def cpu_facts():
    """CPU vendor, family, model, stepping, model name and the :data:`RELEVANT_CPU_FLAGS` it has."""
    facts = {"vendor": None, "family": None, "model": None, "stepping": None, "model_name": platform.processor() or None}
    keys = {"vendor_id": "vendor", "cpu family": "family", "model": "model", "stepping": "stepping", "model name": "model_name"}
    flags = set()
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        text = ""
    for line in text.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key in keys:
            facts[keys[key]] = value
        elif key == "flags":
            flags = set(value.split())
    facts["flags"] = [flag for flag in RELEVANT_CPU_FLAGS if flag in flags]
    return facts


def describe(groups=None):
    """The fingerprint beside the human facts a person reads when two fingerprints differ.

    ``fingerprint`` (of ``groups``, a :func:`group_hashes` result, when given; else this process's
    :func:`fingerprint`); ``cpu`` (:func:`cpu_facts`); ``onednn``: whether TensorFlow's oneDNN
    kernels run in this process, as TensorFlow itself says (:func:`tf1_recipes.tf_private.onednn_enabled`:
    ``TF_ENABLE_ONEDNN_OPTS`` when set; unset, on only where the CPU has AVX512_VNNI, AVX512_BF16,
    AVX_VNNI or AMX);
    ``env``: the :data:`NUMERICS_ENV` variables that are set; ``device``; ``tf_build``:
    TensorFlow's version, git version and CUDA/cuDNN versions where built with them.
    """
    from tf1_recipes import tf_private
    from tf1_recipes.compat import device_name, tf

    build = tf.sysconfig.get_build_info()
    return {
        "fingerprint": combine(groups) if groups else fingerprint(),
        "cpu": cpu_facts(),
        "onednn": tf_private.onednn_enabled(),
        "env": {name: os.environ[name] for name in NUMERICS_ENV if name in os.environ},
        "device": device_name(),
        "tf_build": {
            "version": tf.__version__,
            "git_version": tf.version.GIT_VERSION,
            **{key: build[key] for key in ("cuda_version", "cudnn_version") if key in build},
        },
    }


def differences(ours, theirs):
    """'key theirs -> ours' for the human facts that differ between two :func:`describe` dicts."""
    out = []
    if not theirs:
        return ["the pinned run recorded no numerics"]
    for key in ("fingerprint", "onednn", "env", "device"):
        if ours.get(key) != theirs.get(key):
            out.append(f"{key} {theirs.get(key)} -> {ours.get(key)}")
    ours_cpu, theirs_cpu = ours.get("cpu") or {}, theirs.get("cpu") or {}
    for key in ("vendor", "family", "model", "stepping", "model_name", "flags"):
        if ours_cpu.get(key) != theirs_cpu.get(key):
            out.append(f"cpu {key} {theirs_cpu.get(key)} -> {ours_cpu.get(key)}")
    return out
