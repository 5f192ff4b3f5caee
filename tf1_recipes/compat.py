"""The single import point of TensorFlow's v1 API, plus seeding and determinism.

Recipes write ``from tf1_recipes.compat import tf1`` and then read like the TF1 code
they reproduce (``tf1.placeholder``, ``tf1.layers.dense``, ``tf1.Session``).
"""

import contextlib
import os
import random
import re
import sys
import tempfile
import warnings

import numpy as np

import tf1_recipes  # sets TF_USE_LEGACY_KERAS and TF_CPP_MIN_LOG_LEVEL before TensorFlow loads



def _one_line_when_run_as_a_command(check):
    """Run ``check``; its ImportError is one line and exit 2 when a tf1_recipes module is the program.

    ``python -m tf1_recipes.recipes.<name>`` imports this module (through the recipe) before its
    ``main_for_recipe`` can catch anything; imported as a library, the ImportError propagates.
    """
    try:
        check()
    except ImportError as err:
        spec = getattr(sys.modules.get("__main__"), "__spec__", None)
        if spec is not None and (spec.name or "").startswith("tf1_recipes."):
            print(f"tf1-recipes: error: {err}", file=sys.stderr)
            raise SystemExit(2) from None
        raise


# TF_USE_LEGACY_KERAS=0 in the environment: say so before TensorFlow loads
_one_line_when_run_as_a_command(tf1_recipes.require_legacy_keras)

#: Lines TensorFlow's C++ libraries write while they load, before absl's log is set up and so
#: before TF_CPP_MIN_LOG_LEVEL applies: absl's notice, then glog-style lines (severity letter,
#: date, time, thread, file:line]). Each library that links its own copy of absl and TSL
#: writes them again: ``import tensorflow`` loads two (``_pywrap_tensorflow_internal`` and
#: ``profiler/internal/_pywrap_profiler_plugin``), hence every notice twice.
_PRE_INIT_NOTICE = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
_GLOG_LINE = re.compile(r"^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [^\]]+\] ")


def _is_start_up_noise(line, min_level):
    """A load-time line below ``TF_CPP_MIN_LOG_LEVEL`` (0 INFO, 1 WARNING, 2 ERROR, 3 FATAL), or absl's notice."""
    if line.rstrip("\n") == _PRE_INIT_NOTICE:
        return True
    match = _GLOG_LINE.match(line)
    return bool(match) and "IWEF".index(match.group(1)) < min_level


@contextlib.contextmanager
def _quiet_start_up():
    """Hold back the C++ lines written to stderr while the block runs; replay all but the noise.

    Only when tf1_recipes chose the log level (the user set no TF_CPP_MIN_LOG_LEVEL): then the
    load-time INFO lines it cannot otherwise reach are filtered as the later ones are. Anything
    else written to the stderr file descriptor meanwhile (a Python warning, a real error) is
    written back, in order.
    """
    if not tf1_recipes.QUIET_TF_LOG:
        yield
        return
    try:
        min_level = int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
        sys.stderr.flush()
        saved = os.dup(2)
    except (ValueError, OSError, AttributeError):
        yield
        return
    with tempfile.TemporaryFile(mode="w+b") as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            kept = [line for line in held.read().decode("utf-8", "replace").splitlines(keepends=True)
                    if not _is_start_up_noise(line, min_level)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


with _quiet_start_up():
    import tensorflow as tf

tf1 = tf.compat.v1

# The TF1 API is deprecated by design here: its warnings would bury the per-epoch lines.
tf.get_logger().setLevel("ERROR")
warnings.filterwarnings("ignore", message=r"`tf\.layers\.\w+` is deprecated", category=UserWarning)


class LegacyKerasError(ImportError):
    """``tf.compat.v1.layers`` is unavailable: tf-keras missing or Keras 3 already routed."""


def _check_legacy_layers():
    fix = (
        "Set TF_USE_LEGACY_KERAS=1 before TensorFlow is first imported "
        "(export TF_USE_LEGACY_KERAS=1, or import tf1_recipes before tensorflow), "
        f"and install the matching tf-keras: pip install 'tf-keras~={tf.__version__.rsplit('.', 1)[0]}.0'."
    )
    try:
        import tf_keras  # noqa: F401
    except ImportError as err:
        raise LegacyKerasError(f"tf1_recipes needs the tf-keras package for tf.compat.v1.layers. {fix}") from err
    try:
        dense = tf1.layers.dense
    except AttributeError as err:
        raise LegacyKerasError(
            "tf.compat.v1.layers is not available: TensorFlow was imported and routed its Keras "
            f"to Keras 3 before tf1_recipes could select the legacy layers. {fix}"
        ) from err
    if not dense.__module__.startswith("tf_keras"):
        raise LegacyKerasError(f"tf.compat.v1.layers resolves to {dense.__module__}, not tf_keras. {fix}")


_one_line_when_run_as_a_command(_check_legacy_layers)

#: Threads for one TensorFlow op (intra) and across ops (inter). Eigen splits a matmul's
#: sums differently with another thread count, which changes the numbers in the last bits,
#: so the count is fixed, recorded in each run's provenance, and part of the platform a
#: pinned golden is compared on. One thread makes a run's numbers independent of the
#: machine's core count, and parallel runs (check --jobs, pytest -n) use the cores instead.
#: ``$TF1_RECIPES_THREADS`` sets the count when no caller gives one (:func:`intra_op_threads_wanted`).
DEFAULT_INTRA_OP_THREADS = 1
#: Logical CPU devices TensorFlow splits the machine's CPU into (``/cpu:0`` .. ``/cpu:N-1``), where
#: the data-parallel recipe places its towers (``data_parallel_towers``) and its port's
#: ``MirroredStrategy`` its replicas. ``$TF1_RECIPES_CPU_DEVICES`` sets N (default 4, the most
#: towers a preset asks for). TensorFlow fixes the device list when its runtime starts, so
#: :func:`configure_tensorflow` applies it then, once per process. Ops without a device run
#: on ``/cpu:0`` as before, on the same intra-op thread pool (logical CPU devices share
#: TensorFlow's global one): the split changes no other recipe's numbers (the numerics
#: fingerprint is the same with 1 and 4 devices, and the smoke goldens pass under it).
DEFAULT_CPU_DEVICES = 4
_configured = {}


def _whole_number_from_environment(name, default, what):
    """``$name`` as a whole number >= 1, ``default`` when unset or empty; ValueError (one line naming it) otherwise."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{name}={text!r}: give a whole number of {what} >= 1 (default {default}), or unset it")
    return value


def intra_op_threads_wanted():
    """The intra-op thread count when no caller gives one: ``$TF1_RECIPES_THREADS``, else :data:`DEFAULT_INTRA_OP_THREADS`.

    Raises:
        ValueError: the variable is set to something else than a whole number >= 1 (one line naming it).
    """
    return _whole_number_from_environment("TF1_RECIPES_THREADS", DEFAULT_INTRA_OP_THREADS, "TensorFlow intra-op threads")


def cpu_devices_wanted():
    """N of :data:`DEFAULT_CPU_DEVICES`: ``$TF1_RECIPES_CPU_DEVICES`` when set (a whole number >= 1), else 4.

    Raises:
        ValueError: the variable is set to something else (one line naming it).
    """
    return _whole_number_from_environment("TF1_RECIPES_CPU_DEVICES", DEFAULT_CPU_DEVICES, "logical CPU devices")


class TooFewDevicesError(ValueError):
    """The process has fewer logical CPU devices than a recipe's towers (one line: what to set)."""


def cpu_devices():
    """The names of this process's logical CPU devices, ``["/cpu:0", ...]`` (starts TensorFlow's runtime)."""
    return [f"/cpu:{i}" for i in range(len(tf.config.list_logical_devices("CPU")))]


def require_cpu_devices(count, what):
    """``["/cpu:0", ..., "/cpu:<count-1>"]``, or TooFewDevicesError when the process has fewer.

    Args:
        count: devices needed (an int >= 1), e.g. a recipe's towers.
        what: who needs them, for the message (e.g. ``"data_parallel_towers/4towers"``).

    TensorFlow would otherwise place ``tf.device("/cpu:3")`` on ``/cpu:0`` without a word
    (soft placement): a run on fewer devices than it names is refused instead.
    """
    have = cpu_devices()
    if len(have) < count:
        raise TooFewDevicesError(
            f"{what} needs {count} CPU devices and TensorFlow has {len(have)} in this process; "
            f"set TF1_RECIPES_CPU_DEVICES={count} (or more) before TensorFlow starts, in a new process"
        )
    return have[:count]


def available_cores():
    """The CPU cores this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def share_cores(processes, threads=None):
    """(processes, intra-op threads each) so that processes x threads <= the cores.

    ``threads`` (default :func:`intra_op_threads_wanted`, the goldens' count unless set) is lowered
    to the cores' share of each process when it does not fit, never raised; the processes
    are cut to what the cores hold at one thread each. Both stay >= 1.
    """
    cores = available_cores()
    processes = max(1, processes)
    threads = max(1, min(threads or intra_op_threads_wanted(), cores // processes or 1))
    return max(1, min(processes, cores // threads)), threads


def configure_tensorflow(intra_op_threads=None):
    """Process-wide settings every recipe runs under: op determinism and thread counts.

    ``tf1.Session()`` without a config takes TensorFlow's context config, so recipes can
    keep the reference code's bare ``tf.Session()``. Thread counts can only be set before
    TensorFlow initialises its runtime; a later call asking for other counts is an error,
    and a later call asking for none gets the process's (e.g. a pytest-xdist worker's share).
    The first call also splits the CPU into :func:`cpu_devices_wanted` logical devices
    (:data:`DEFAULT_CPU_DEVICES`), which must likewise happen before the runtime starts.

    Raises:
        RuntimeError: a later call asks for another intra-op thread count.
        ValueError: ``$TF1_RECIPES_THREADS`` or ``$TF1_RECIPES_CPU_DEVICES`` is not a whole number >= 1.
    """
    if _configured:
        if intra_op_threads and _configured["intra_op_threads"] != intra_op_threads:
            raise RuntimeError(
                f"TensorFlow is already configured with {_configured['intra_op_threads']} intra-op threads "
                f"in this process; cannot switch to {intra_op_threads}. Run in a new process."
            )
        return dict(_configured)
    threads = intra_op_threads or intra_op_threads_wanted()
    wanted_devices = cpu_devices_wanted()
    tf.config.experimental.enable_op_determinism()
    try:
        (cpu,) = tf.config.list_physical_devices("CPU")
        if len(tf.config.get_logical_device_configuration(cpu) or [None]) < wanted_devices:
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * wanted_devices)
    except RuntimeError:
        pass  # the runtime is already up: its devices stay (require_cpu_devices says so to a recipe needing more)
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        # The runtime is already up (someone ran TensorFlow before us); record what it has.
        threads = tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count()
    _configured.update(intra_op_threads=threads, inter_op_threads=tf.config.threading.get_inter_op_parallelism_threads())
    return dict(_configured)


def seed_everything(seed):
    """Seed NumPy's global RNG, Python's, and the current default graph, as reset_graph() did."""
    tf1.set_random_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


@contextlib.contextmanager
def ref_variables():
    """Create the block's variables as TF1 did (``RefVariable``), not as TF2 does (``ResourceVariable``).

    In TF1, ``tf.get_default_graph().get_tensor_by_name("hidden1/kernel:0")`` is the kernel
    itself (a ``float32_ref`` tensor that ``tf.abs`` reads and ``tf.assign`` writes); with TF2's
    resource variables it is an opaque handle. Recipes whose reference code fetches kernels by
    name build their layers in this block. It only affects variables created inside it.
    """
    with tf1.variable_scope(tf1.get_variable_scope(), use_resource=False):
        yield


def device_name():
    """'GPU: <name>' when TensorFlow sees a GPU, else 'CPU'."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        return f"GPU: {details.get('device_name', gpus[0].name)}"
    return "CPU"


def error_cause(err):
    """What an exception says, in one line (for a finding or a one-line error).

    A ``tf.errors.OpError`` that ``Session.run`` raises starts with "Graph execution error:",
    then the Python stack that built the failing op and a ``Node: 'name'`` line; the kernel's
    own message follows (TensorFlow 2.9+, ``tensorflow/python/client/session.py``). For those
    this returns that message and the node, e.g. ``You must feed a value for placeholder tensor
    'b' with dtype float and shape [?,784] (at node 'b')``; for anything else, the first
    non-empty line of the message, else the exception's type name.
    """
    message = (getattr(err, "message", None) or str(err)).strip()
    if not message:
        return type(err).__name__
    lines = message.splitlines()
    if lines[0].strip() == "Graph execution error:":
        nodes = [i for i, line in enumerate(lines) if line.startswith("Node: ")]
        start = nodes[-1] + 1 if nodes else 1
        said = [line.strip() for line in lines[start:] if line.strip() and not line.strip().startswith(("[[", "Detected at"))]
        if said:
            return said[0] + (f" (at node {lines[nodes[-1]][len('Node: '):].strip()})" if nodes else "")
    return lines[0].strip()
