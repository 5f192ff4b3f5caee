"""MNIST for the recipes: find it, verify it, parse it, split it, and batch it.

The loader reads the four standard IDX files (gzip or uncompressed) or Keras'
``mnist.npz``, and checks the SHA-256 of the decompressed content against the official
values before any array reaches a recipe: a wrong, truncated or mislabelled file is a
:class:`DataError` naming the file, never a partial training set.

Where the files are read from: the folder the user names (``data_dir``, i.e. ``--data-dir``,
else the ``TF1_RECIPES_DATA`` environment variable), and only that folder: when it does not
exist or lacks a file the loader refuses with a :class:`DataError` naming the folder and the
missing files, it never falls back to other data. When the user names no folder, MNIST is
read from ``~/.cache/tf1_recipes/mnist``, downloaded (and verified) there first when missing.
What was read (folder, format, verified SHA-256s) is :attr:`Datasets.provenance`.

Every way a file is damaged in practice (missing, empty, truncated, a changed byte, another
file or a web page saved under its name, files swapped) is a :class:`DataError` of one line
naming the file, the cause and what to do; the user's files are only ever read.

Splits follow the reference code: pixels as float32 in [0, 1], the first 5,000 training
images are the validation set, the other 55,000 the training set, the 10,000 test images
as given. Two batch readers reproduce the reference code's two styles: :func:`shuffle_batch`
and :meth:`DataSet.next_batch` (TF1's ``tensorflow.examples.tutorials.mnist`` reader).
Both draw from NumPy's global RNG, so seeding NumPy fixes the batch order. Each has an
index twin (:func:`shuffle_batch_indices`, :meth:`DataSet.next_batch_indices`) that makes
the same draws and names the same batches by their rows, copying no image: the harness's
in-graph input path gathers those rows in the graph.
"""

import dataclasses
import functools
import gzip
import hashlib
import os
import http.client
import struct
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path

import numpy as np

from tf1_recipes import outputs

ENV_VAR = "TF1_RECIPES_DATA"
NO_DOWNLOAD_ENV = "TF1_RECIPES_NO_DOWNLOAD"  # set (to anything) to never try the network
CACHE_DIR = Path("~/.cache/tf1_recipes/mnist")
VALIDATION_SIZE = 5000

#: SHA-256 of the decompressed content of the official files.
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
IMAGE_FILES = {"train": "train-images-idx3-ubyte", "test": "t10k-images-idx3-ubyte"}
LABEL_FILES = {"train": "train-labels-idx1-ubyte", "test": "t10k-labels-idx1-ubyte"}
NPZ_NAME = "mnist.npz"
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
#: Where TF1's own MNIST reader downloaded the official files from.
DOWNLOAD_URLS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049


class DataError(Exception):
    """MNIST could not be found, fetched or verified; the message says which file and why."""


# --------------------------------------------------------------------------- IDX files

#: What to do about a damaged IDX file (the end of its error message).
IDX_REMEDY = (
    "replace it with an intact official copy (download verified files into an empty folder with "
    "`python scripts/fetch_mnist.py DIR`, or restore it from a backup and check the SHA-256 of its "
    "decompressed content against SHA256SUMS)"
)
#: What to do about a damaged mnist.npz.
NPZ_REMEDY = (
    "replace it with Keras' original mnist.npz (tf.keras.datasets.mnist.load_data() downloads it to "
    "~/.keras/datasets/) or use the four official IDX files instead"
)
GZIP_MAGIC = b"\x1f\x8b"
#: The errors decompressing a damaged gzip stream raises (gzip.BadGzipFile is an OSError).
GZIP_ERRORS = (OSError, EOFError, zlib.error, ValueError, struct.error)


def _damaged(path, cause, remedy=IDX_REMEDY):
    """The DataError for a damaged file: ``<path>: <cause>; <what to do>``."""
    return DataError(f"{path}: {cause}; {remedy}")


def _looks_like(content):
    """What a file that is not MNIST seems to be, from its first bytes (for error messages)."""
    head = bytes(content[:64]).lstrip()
    if head[:1] == b"<":
        return "an HTML/XML page"
    if head[:4] == b"PK\x03\x04":
        return "a zip archive"
    if head[:2] == GZIP_MAGIC:
        return "a gzip stream"
    if head and all(32 <= b < 127 or b in b"\t\r\n" for b in head):
        return "a text file"
    return "not an IDX file"


def _decompress(raw, source):
    """The IDX content of ``raw``: gunzipped when it is gzip, as it is otherwise.

    Raises:
        DataError: the gzip stream is damaged (truncated, a changed byte, a bad checksum).
    """
    if raw[:2] == GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except GZIP_ERRORS as err:
            raise _damaged(source, f"corrupt gzip stream ({err})") from err
    return raw


def _read_bytes(path):
    """The (decompressed) content of the file at ``path``.

    Raises:
        DataError: it cannot be read (a directory, no permission, I/O error) or its gzip
            stream is damaged.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise DataError(
            f"{path}: cannot be read ({err.strerror or err}); make it a readable file, or name a "
            "folder with readable MNIST files"
        ) from err
    return _decompress(raw, path)


def _official_name_of(digest):
    """The official file whose decompressed content has SHA-256 ``digest``, or None."""
    return next((name for name, known in SHA256.items() if known == digest), None)


def parse_idx(content, name, path="<memory>"):
    """Parse decompressed IDX bytes into a uint8 array, checking magic, size and checksum.

    Args:
        content: the decompressed bytes of one IDX file.
        name: which official file it should be (a key of :data:`SHA256`).
        path: where it came from, for the error message.

    Raises:
        DataError: empty, truncated, too long, the wrong kind of file (magic number), or
            content whose SHA-256 is not the official one (a changed byte, another file).
    """
    expected_magic = IMAGES_MAGIC if "images" in name else LABELS_MAGIC
    if len(content) == 0:
        raise _damaged(path, "empty file (0 bytes)")
    if len(content) < 8:
        raise _damaged(path, f"truncated, {len(content)} bytes is shorter than an IDX header")
    magic, count = struct.unpack(">II", content[:8])
    if magic != expected_magic:
        kind = {IMAGES_MAGIC: "an image file", LABELS_MAGIC: "a label file"}.get(magic) or _looks_like(content)
        raise _damaged(path, f"wrong magic number {magic} (expected {expected_magic}); this is {kind}")
    if magic == IMAGES_MAGIC:
        if len(content) < 16:
            raise _damaged(path, f"truncated, {len(content)} bytes is shorter than an image header")
        rows, cols = struct.unpack(">II", content[8:16])
        shape, offset = (count, rows, cols), 16
    else:
        shape, offset = (count,), 8
    expected = offset + int(np.prod(shape, dtype=np.int64))
    if len(content) != expected:
        state = "truncated" if len(content) < expected else "too long"
        raise _damaged(path, f"{state}, {len(content)} bytes where the header promises {expected}")
    digest = hashlib.sha256(content).hexdigest()
    if digest != SHA256[name]:
        other = _official_name_of(digest)
        cause = (
            f"holds the content of {other}, not of {name} (files swapped or misnamed)"
            if other
            else f"SHA-256 {digest} does not match the official {name} ({SHA256[name]}); "
            "the file is corrupt or not the official MNIST"
        )
        raise _damaged(path, cause)
    return np.frombuffer(content, dtype=np.uint8, offset=offset).reshape(shape)


def _idx_bytes(array, name):
    """The IDX encoding of an array (used to verify npz content against the same table)."""
    if "images" in name:
        header = struct.pack(">IIII", IMAGES_MAGIC, *array.shape)
    else:
        header = struct.pack(">II", LABELS_MAGIC, *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def _find_idx(directory, name):
    """The file holding IDX file ``name`` in ``directory`` (raw first, then ``.gz``), or None."""
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _has_files(directory):
    return (directory / NPZ_NAME).is_file() or all(_find_idx(directory, n) for n in SHA256)


#: The order IDX files are read and verified in: the small ones first, so a damaged one fails fast.
READ_ORDER = ("t10k-labels-idx1-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "train-images-idx3-ubyte")


def read_raw(directory):
    """{'train': (images, labels), 'test': (images, labels)} as uint8, verified.

    Reads the four IDX files of ``directory`` when it has them all, else its ``mnist.npz``.

    Raises:
        DataError: a file is missing, unreadable or damaged (see :func:`parse_idx`).
    """
    return _read_verified(directory)[0]


def _read_verified(directory):
    """(:func:`read_raw`'s arrays, what was read): the folder, format, files and their SHA-256s."""
    directory = Path(directory)
    if not all(_find_idx(directory, n) for n in SHA256):
        return _read_npz(directory / NPZ_NAME)
    paths = {name: _find_idx(directory, name) for name in SHA256}
    content = {name: parse_idx(_read_bytes(paths[name]), name, paths[name]) for name in READ_ORDER}
    arrays = {}
    for split in ("train", "test"):
        images, labels = content[IMAGE_FILES[split]], content[LABEL_FILES[split]]
        if len(images) != len(labels):
            raise DataError(
                f"{directory}: {IMAGE_FILES[split]} has {len(images)} images but "
                f"{LABEL_FILES[split]} has {len(labels)} labels; {IDX_REMEDY}"
            )
        arrays[split] = (images, labels)
    formats = sorted({"idx.gz" if path.suffix == ".gz" else "idx" for path in paths.values()})
    return arrays, _facts(directory, "+".join(formats), [paths[name].name for name in SHA256])


def _facts(directory, fmt, files):
    # parse_idx raised unless each content's SHA-256 is the official one: no second hashing pass.
    return {
        "dir": str(directory),
        "format": fmt,
        "files": files,
        "sha256": dict(SHA256),
        "verified": "the SHA-256 of each file's content matches the official MNIST",
    }


#: What reading a damaged .npz raises: a bad zip (truncated, a changed byte: CRC), a bad deflate
#: stream, a bad .npy header, a missing array (KeyError), an object array (pickle refusal: ValueError).
NPZ_ERRORS = (
    OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error, struct.error, SyntaxError,
    NotImplementedError, OverflowError, TypeError,
)


def _read_npz(path):
    """Keras' ``mnist.npz`` at ``path``, verified like the IDX files: (arrays, facts) of :func:`_read_verified`."""
    try:
        with path.open("rb") as fh:
            head = fh.read(64)
    except OSError as err:
        raise DataError(
            f"{path}: cannot be read ({err.strerror or err}); name a folder with the four IDX files or a readable {NPZ_NAME}"
        ) from err
    if head[:4] != b"PK\x03\x04":
        cause = "empty file (0 bytes)" if not head else f"not a zip archive (.npz); this is {_looks_like(head)}"
        raise _damaged(path, cause, NPZ_REMEDY)
    try:
        with np.load(path, allow_pickle=False) as npz:
            absent = [key for key in NPZ_KEYS if key not in npz.files]
            if absent:
                held = ", ".join(npz.files) or "none"
                raise _damaged(path, f"not a Keras mnist.npz: no {', '.join(absent)} array (it holds {held})", NPZ_REMEDY)
            content = {key: npz[key] for key in NPZ_KEYS}
    except NPZ_ERRORS as err:
        cause = f"no array {err}" if isinstance(err, KeyError) else str(err)
        raise _damaged(path, f"not a readable Keras mnist.npz ({cause})", NPZ_REMEDY) from err
    arrays = {}
    for split, prefix in (("train", "train"), ("test", "test")):
        images, labels = content[f"x_{prefix}"], content[f"y_{prefix}"]
        for key, array, ndim in ((f"x_{prefix}", images, 3), (f"y_{prefix}", labels, 1)):
            if array.ndim != ndim:
                raise _damaged(path, f"{key} has shape {array.shape}, expected {ndim} dimensions", NPZ_REMEDY)
        if len(images) != len(labels):
            raise _damaged(
                path, f"x_{prefix} has {len(images)} images but y_{prefix} has {len(labels)} labels", NPZ_REMEDY
            )
        for array, name in ((images, IMAGE_FILES[split]), (labels, LABEL_FILES[split])):
            try:
                parse_idx(_idx_bytes(array, name), name, f"{path}[{name}]")
            except DataError as err:
                raise DataError(str(err).replace(IDX_REMEDY, NPZ_REMEDY)) from None
        arrays[split] = (images.astype(np.uint8), labels.astype(np.uint8))
    return arrays, _facts(path.parent, "npz", [path.name])


# --------------------------------------------------------------------------- locating


def _describe_idx(name):
    return f"{name}[.gz]"


def search_path(data_dir=None):
    """Where MNIST is read from, as ``[(directory, origin)]``: one place, never a fallback.

    The folder the user names: ``data_dir`` (``--data-dir``), else ``$TF1_RECIPES_DATA``;
    when neither is given, the user cache ``~/.cache/tf1_recipes/mnist``.

    Raises:
        DataError: ``data_dir`` is an empty string.
    """
    return [_source(data_dir)[:2]]


def _source(data_dir=None):
    """(directory, origin, named): ``named`` is True when the user named the folder."""
    if data_dir is not None:
        if str(data_dir) == "":
            raise DataError("--data-dir is empty; give the folder that holds MNIST")
        return _expand(data_dir), "--data-dir", True
    if os.environ.get(ENV_VAR):
        return _expand(os.environ[ENV_VAR]), f"${ENV_VAR}", True
    return CACHE_DIR.expanduser(), "user cache", False


def _missing(directory):
    """Why ``directory`` holds no complete MNIST (``holds neither ...`` / ``lacks <exactly the missing files>``)."""
    if not any(_find_idx(directory, n) for n in SHA256):
        wanted = ", ".join(_describe_idx(n) for n in SHA256)
        why = f"holds neither the four IDX files ({wanted}) nor Keras' {NPZ_NAME}"
    else:
        why = "lacks " + ", ".join(_describe_idx(n) for n in SHA256 if not _find_idx(directory, n))
    try:
        odd = [p.name for p in sorted(directory.iterdir()) if p.name in _ALL_NAMES and not p.is_file()]
    except OSError as err:  # an unreadable folder: its files cannot be seen
        return f"{why} (the folder cannot be listed: {err.strerror or err})"
    if odd:
        why += f" ({', '.join(odd)} there is not a regular file)"
    return why


def _expand(path):
    try:
        return Path(path).expanduser()
    except RuntimeError:  # "~someone" with no such user: the path as given
        return Path(path)


_ALL_NAMES = {NPZ_NAME, *SHA256, *(f"{n}.gz" for n in SHA256)}


def locate(data_dir=None, download=True):
    """The directory MNIST is read from (see :func:`search_path`).

    A folder the user names is the one read: it is returned only when it holds the four
    IDX files (raw or ``.gz``) or ``mnist.npz``. Only the user cache is ever downloaded
    into, when nothing is named and it lacks files (unless ``download`` is False or
    ``$TF1_RECIPES_NO_DOWNLOAD`` is set).

    Raises:
        DataError: the named folder does not exist or lacks files (each missing file is
            named); or, with nothing named, the cache lacks files and downloading was not
            attempted or failed.
    """
    return _locate(data_dir, download)[0]


def _locate(data_dir=None, download=True):
    """(directory, origin) of :func:`locate`."""
    directory, origin, named = _source(data_dir)
    if named:
        others = ""
        if origin == "--data-dir" and os.environ.get(ENV_VAR):
            others = f" (it takes precedence: ${ENV_VAR}={os.environ[ENV_VAR]} is not read)"
        if not directory.exists():
            raise DataError(
                f"MNIST not found: {origin} {directory} does not exist{others}; create it with the four IDX "
                f"files or Keras' {NPZ_NAME}, or name the folder that holds them"
            )
        if not directory.is_dir():
            raise DataError(f"MNIST not found: {origin} {directory} is not a folder{others}; name the folder that holds the MNIST files")
        if not _has_files(directory):
            raise DataError(
                f"MNIST incomplete: {origin} {directory} {_missing(directory)}{others}; copy the missing "
                f"file(s) there (official MNIST, checked against SHA256SUMS), or name a folder that holds all of them"
            )
        return directory, origin
    if _has_files(directory):
        return directory, origin
    failure = (
        f"downloading was not attempted (${NO_DOWNLOAD_ENV} is set)" if download else "downloading was not attempted"
    )
    if download and not os.environ.get(NO_DOWNLOAD_ENV):
        try:
            download_mnist(directory)
            return directory, origin
        except DataError as err:
            failure = f"downloading into {directory} failed: {err}"
    raise DataError(
        f"MNIST not found: no --data-dir or ${ENV_VAR} names a folder and the user cache {directory} "
        f"{_missing(directory)}; {failure}. Provide the four IDX files (train-images-idx3-ubyte[.gz], ...) "
        f"or Keras' {NPZ_NAME} with --data-dir DIR or {ENV_VAR}=DIR, or copy them into {directory}."
    )


def download_mnist(directory, fetch=None):
    """Fetch the official files into ``directory``, verifying each before it is kept.

    Each file is downloaded whole into memory and verified (:func:`parse_idx`), then
    written to a temporary file in ``directory``, flushed to disk and renamed to its name:
    an interrupted or failed download leaves no file under an MNIST name (and no temporary
    file). Files already there are kept as they are.

    Args:
        directory: where the ``.gz`` files go (created when missing).
        fetch: ``fetch(url) -> bytes`` (default: ``urllib``; tests pass their own).

    Raises:
        DataError: no URL gave a verified copy of a file, or it could not be written.
    """
    fetch = fetch or _fetch
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataError(f"{directory}: cannot create the download folder ({err.strerror or err})") from err
    for name in SHA256:
        target = directory / f"{name}.gz"
        if target.is_file():
            continue
        errors = []
        for base in DOWNLOAD_URLS:
            url = base + name + ".gz"
            try:
                payload = fetch(url)
                parse_idx(_decompress(payload, url), name, url)
                break
            except (urllib.error.URLError, OSError, http.client.HTTPException, DataError) as err:
                errors.append(f"{base}: {err}")
        else:
            raise DataError(f"could not fetch {name}.gz ({'; '.join(errors)})")
        _write_atomically(target, payload)


def _fetch(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def _write_atomically(target, payload):
    """Write ``payload`` to ``target`` via a temporary file renamed only once it is complete."""
    tmp = None
    try:
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False) as fh:
            tmp = fh.name
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as err:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(err, OSError):
            raise DataError(f"{target}: cannot be written ({err.strerror or err}); "
                            f"{outputs.write_remedy(err, 'the download')}") from err
        raise


# --------------------------------------------------------------------------- datasets


class DataSet:
    """One split, with the ``next_batch`` of TF1's tutorial MNIST reader.

    ``next_batch`` shuffles before the first batch; at an epoch boundary it takes the rest
    of the old order, reshuffles, and fills the batch from the new order.
    """

    def __init__(self, images, labels):
        assert len(images) == len(labels)
        self._images, self._labels = images, labels
        self._num_examples = len(images)
        self._epochs_completed = 0
        self._index_in_epoch = 0
        self._order = np.arange(self._num_examples)  # next_batch_indices: the rows in the current order

    images = property(lambda self: self._images)
    labels = property(lambda self: self._labels)
    num_examples = property(lambda self: self._num_examples)
    epochs_completed = property(lambda self: self._epochs_completed)

    def next_batch(self, batch_size, shuffle=True):
        start = self._index_in_epoch
        if self._epochs_completed == 0 and start == 0 and shuffle:
            perm0 = np.arange(self._num_examples)
            np.random.shuffle(perm0)
            self._images, self._labels = self.images[perm0], self.labels[perm0]
        if start + batch_size > self._num_examples:
            self._epochs_completed += 1
            rest_num_examples = self._num_examples - start
            images_rest_part = self._images[start : self._num_examples]
            labels_rest_part = self._labels[start : self._num_examples]
            if shuffle:
                perm = np.arange(self._num_examples)
                np.random.shuffle(perm)
                self._images, self._labels = self.images[perm], self.labels[perm]
            start = 0
            self._index_in_epoch = batch_size - rest_num_examples
            end = self._index_in_epoch
            return (
                np.concatenate((images_rest_part, self._images[start:end]), axis=0),
                np.concatenate((labels_rest_part, self._labels[start:end]), axis=0),
            )
        self._index_in_epoch += batch_size
        end = self._index_in_epoch
        return self._images[start:end], self._labels[start:end]

    def next_batch_indices(self, batch_size, shuffle=True):
        """The rows of what ``next_batch(batch_size)`` would return, as indices into the arrays as given.

        :meth:`next_batch` step by step, with the same draws from NumPy's RNG, permuting an
        index array instead of the images: for one seed, ``images[next_batch_indices(n)]`` is
        ``next_batch(n)[0]``, batch after batch. A DataSet serves one of the two, not both
        (the images it holds stay in their given order here).
        """
        start = self._index_in_epoch
        if self._epochs_completed == 0 and start == 0 and shuffle:
            perm0 = np.arange(self._num_examples)
            np.random.shuffle(perm0)
            self._order = self._order[perm0]
        if start + batch_size > self._num_examples:
            self._epochs_completed += 1
            rest_num_examples = self._num_examples - start
            rows_rest_part = self._order[start : self._num_examples]
            if shuffle:
                perm = np.arange(self._num_examples)
                np.random.shuffle(perm)
                self._order = self._order[perm]
            start = 0
            self._index_in_epoch = batch_size - rest_num_examples
            end = self._index_in_epoch
            return np.concatenate((rows_rest_part, self._order[start:end]), axis=0)
        self._index_in_epoch += batch_size
        end = self._index_in_epoch
        return self._order[start:end]


def shuffle_batch(X, y, batch_size):
    """The reference code's reader: a fresh permutation per epoch, ``len(X) // batch_size`` batches."""
    for batch_idx in shuffle_batch_indices(len(X), batch_size):
        X_batch, y_batch = X[batch_idx], y[batch_idx]
        yield X_batch, y_batch


def shuffle_batch_indices(n_examples, batch_size):
    """The rows of each :func:`shuffle_batch` batch of an ``n_examples`` set (the same draws, no copy)."""
    rnd_idx = np.random.permutation(n_examples)
    n_batches = n_examples // batch_size
    yield from np.array_split(rnd_idx, n_batches)


@dataclasses.dataclass
class Datasets:
    """train / validation / test, like TF1's ``input_data.read_data_sets`` result.

    ``provenance`` is what was read: ``dir`` (the folder), ``origin`` (``--data-dir``,
    ``$TF1_RECIPES_DATA`` or ``user cache``), ``format`` (``idx.gz``, ``idx``, both as
    ``idx+idx.gz``, or ``npz``), ``files`` (the file names) and ``sha256`` (the verified
    SHA-256 of each IDX content, the official values: nothing unverified is ever loaded).
    """

    train: DataSet
    validation: DataSet
    test: DataSet
    source: str
    provenance: dict = dataclasses.field(default_factory=dict)


def _signature(directory):
    """The MNIST files of ``directory`` as (name, size, mtime, inode): a file replaced since is read again."""
    out = []
    for name in sorted(_ALL_NAMES):
        try:
            stat = (directory / name).stat()
        except OSError:
            continue
        out.append((name, stat.st_size, stat.st_mtime_ns, stat.st_ino))
    return tuple(out)


@functools.lru_cache(maxsize=4)
def _load_arrays(directory, signature):  # pylint: disable=unused-argument  (signature: part of the cache key)
    raw, facts = _read_verified(directory)
    out = {}
    for split, (images, labels) in raw.items():
        # Pixels / 255 in float32, the bits of the reference's ``astype(np.float32) / 255.0``,
        # written straight into one array: the cast's 188 MB temporary and the quotient cost
        # 0.05-0.78 s in a new process with TensorFlow loaded (5 tries), this 0.03-0.04 s.
        X = np.empty((len(images), 28 * 28), np.float32)
        np.divide(images.reshape(len(images), 28 * 28), np.float32(255.0), out=X, dtype=np.float32)
        y = labels.astype(np.int64)
        X.setflags(write=False)
        y.setflags(write=False)
        out[split] = (X, y)
    return out, facts


def load_mnist(data_dir=None, train_size=None):
    """Verified MNIST as :class:`Datasets` (fresh ``DataSet`` objects on every call).

    Args:
        data_dir: the folder to read (else ``$TF1_RECIPES_DATA``, else the user cache; see
            :func:`locate`).
        train_size: keep only the first N training images (the smoke configurations).

    Raises:
        DataError: the folder is missing or lacks a file, a file is damaged or not the
            official MNIST, or ``train_size`` is out of range.
    """
    directory, origin = _locate(data_dir)
    directory = directory.resolve()
    arrays, facts = _load_arrays(str(directory), _signature(directory))
    (X_train_full, y_train_full), (X_test, y_test) = arrays["train"], arrays["test"]
    X_valid, X_train = X_train_full[:VALIDATION_SIZE], X_train_full[VALIDATION_SIZE:]
    y_valid, y_train = y_train_full[:VALIDATION_SIZE], y_train_full[VALIDATION_SIZE:]
    if train_size is not None:
        if not 0 < train_size <= len(X_train):
            raise DataError(f"train_size must be in 1..{len(X_train)}, got {train_size}")
        X_train, y_train = X_train[:train_size], y_train[:train_size]
    provenance = {
        "dir": facts["dir"], "origin": origin, "format": facts["format"], "files": list(facts["files"]),
        "sha256": dict(facts["sha256"]), "verified": facts["verified"],
    }
    return Datasets(
        DataSet(X_train, y_train), DataSet(X_valid, y_valid), DataSet(X_test, y_test), str(directory), provenance
    )
