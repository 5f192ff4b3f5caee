"""MNIST for the recipes: find it, verify it, parse it, split it, and batch it.

The loader reads the four standard IDX files (gzip or uncompressed) or Keras'
``mnist.npz``, and checks the SHA-256 of the decompressed content against the official
values before any array reaches a recipe: a wrong, truncated or mislabelled file is a
:class:`DataError` naming the file, never a partial training set.

Where the files are looked for, in order: an explicit ``data_dir``, the
``TF1_RECIPES_DATA`` environment variable, then ``~/.cache/tf1_recipes/mnist``; when
none has them they are downloaded into that cache (and verified).

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
import struct
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

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
#: Where TF1's own MNIST reader downloaded the official files from.
DOWNLOAD_URLS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049


class DataError(Exception):
    """MNIST could not be found, fetched or verified; the message says which file and why."""


# --------------------------------------------------------------------------- IDX files


def _decompress(raw, source):
    """The IDX content of ``raw``: gunzipped when it is gzip, as it is otherwise."""
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise DataError(f"{source}: corrupt gzip stream ({err})") from err
    return raw


def _read_bytes(path):
    return _decompress(Path(path).read_bytes(), path)


def parse_idx(content, name, path="<memory>"):
    """Parse decompressed IDX bytes into a uint8 array, checking magic, size and checksum."""
    expected_magic = IMAGES_MAGIC if "images" in name else LABELS_MAGIC
    if len(content) < 8:
        raise DataError(f"{path}: truncated, {len(content)} bytes is shorter than an IDX header")
    magic, count = struct.unpack(">II", content[:8])
    if magic != expected_magic:
        kind = {IMAGES_MAGIC: "an image file", LABELS_MAGIC: "a label file"}.get(magic, "not an IDX file")
        raise DataError(f"{path}: wrong magic number {magic} (expected {expected_magic}); this is {kind}")
    if magic == IMAGES_MAGIC:
        if len(content) < 16:
            raise DataError(f"{path}: truncated, {len(content)} bytes is shorter than an image header")
        rows, cols = struct.unpack(">II", content[8:16])
        shape, offset = (count, rows, cols), 16
    else:
        shape, offset = (count,), 8
    expected = offset + int(np.prod(shape))
    if len(content) != expected:
        state = "truncated" if len(content) < expected else "too long"
        raise DataError(f"{path}: {state}, {len(content)} bytes where the header promises {expected}")
    digest = hashlib.sha256(content).hexdigest()
    if digest != SHA256[name]:
        raise DataError(
            f"{path}: SHA-256 {digest} does not match the official {name} ({SHA256[name]}); "
            "the file is corrupt or not the official MNIST"
        )
    return np.frombuffer(content, dtype=np.uint8, offset=offset).reshape(shape)


def _idx_bytes(array, name):
    """The IDX encoding of an array (used to verify npz content against the same table)."""
    if "images" in name:
        header = struct.pack(">IIII", IMAGES_MAGIC, *array.shape)
    else:
        header = struct.pack(">II", LABELS_MAGIC, *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def _find_idx(directory, name):
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _has_files(directory):
    return (directory / NPZ_NAME).is_file() or all(_find_idx(directory, n) for n in SHA256)


def read_raw(directory):
    """{'train': (images, labels), 'test': (images, labels)} as uint8, verified."""
    directory = Path(directory)
    if all(_find_idx(directory, n) for n in SHA256):
        arrays = {}
        for split in ("train", "test"):
            pair = []
            for name in (IMAGE_FILES[split], LABEL_FILES[split]):
                path = _find_idx(directory, name)
                pair.append(parse_idx(_read_bytes(path), name, path))
            images, labels = pair
            if len(images) != len(labels):
                raise DataError(
                    f"{directory}: {IMAGE_FILES[split]} has {len(images)} images but "
                    f"{LABEL_FILES[split]} has {len(labels)} labels"
                )
            arrays[split] = (images, labels)
        return arrays
    return _read_npz(directory / NPZ_NAME)


def _read_npz(path):
    try:
        with np.load(path, allow_pickle=False) as npz:
            content = {key: npz[key] for key in ("x_train", "y_train", "x_test", "y_test")}
    except (OSError, ValueError, KeyError, EOFError) as err:
        raise DataError(f"{path}: not a readable Keras mnist.npz ({err})") from err
    arrays = {}
    for split, prefix in (("train", "train"), ("test", "test")):
        images, labels = content[f"x_{prefix}"], content[f"y_{prefix}"]
        if len(images) != len(labels):
            raise DataError(f"{path}: x_{prefix} has {len(images)} images but y_{prefix} has {len(labels)} labels")
        for array, name in ((images, IMAGE_FILES[split]), (labels, LABEL_FILES[split])):
            parse_idx(_idx_bytes(array, name), name, f"{path}[{name}]")
        arrays[split] = (images.astype(np.uint8), labels.astype(np.uint8))
    return arrays


# --------------------------------------------------------------------------- locating


def search_path(data_dir=None):
    """The directories looked in, in order, each with where it came from."""
    places = []
    if data_dir:
        places.append((Path(data_dir).expanduser(), "--data-dir"))
    if os.environ.get(ENV_VAR):
        places.append((Path(os.environ[ENV_VAR]).expanduser(), f"${ENV_VAR}"))
    places.append((CACHE_DIR.expanduser(), "user cache"))
    return places


def locate(data_dir=None, download=True):
    """The first directory holding MNIST; downloads into the cache when none does."""
    places = search_path(data_dir)
    for directory, _ in places:
        if _has_files(directory):
            return directory
    cache = CACHE_DIR.expanduser()
    failure = f"downloading was not attempted (${NO_DOWNLOAD_ENV} is set)" if download else "downloading was not attempted"
    if download and not os.environ.get(NO_DOWNLOAD_ENV):
        try:
            download_mnist(cache)
            return cache
        except DataError as err:
            failure = f"downloading into {cache} failed: {err}"
    looked = "; ".join(f"{d} ({why})" for d, why in places)
    raise DataError(
        f"MNIST not found. Looked in: {looked}; {failure}. Provide the four IDX files "
        f"(train-images-idx3-ubyte[.gz], ...) or Keras' mnist.npz with --data-dir DIR or "
        f"{ENV_VAR}=DIR, or copy them into {cache}."
    )


def download_mnist(directory):
    """Fetch the official files into ``directory``, verifying each before it is kept."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name in SHA256:
        target = directory / f"{name}.gz"
        if target.is_file():
            continue
        errors = []
        for base in DOWNLOAD_URLS:
            try:
                with urllib.request.urlopen(base + name + ".gz", timeout=30) as response:
                    payload = response.read()
                parse_idx(_decompress(payload, base + name + ".gz"), name, base + name + ".gz")
                break
            except (urllib.error.URLError, OSError, DataError) as err:
                errors.append(f"{base}: {err}")
        else:
            raise DataError(f"could not fetch {name}.gz ({'; '.join(errors)})")
        with tempfile.NamedTemporaryFile(dir=directory, delete=False) as tmp:
            tmp.write(payload)
        os.replace(tmp.name, target)


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
    """train / validation / test, like TF1's ``input_data.read_data_sets`` result."""

    train: DataSet
    validation: DataSet
    test: DataSet
    source: str


@functools.lru_cache(maxsize=4)
def _load_arrays(directory):
    raw = read_raw(directory)
    out = {}
    for split, (images, labels) in raw.items():
        X = images.reshape(len(images), 28 * 28).astype(np.float32) / 255.0
        y = labels.astype(np.int64)
        X.setflags(write=False)
        y.setflags(write=False)
        out[split] = (X, y)
    return out


def load_mnist(data_dir=None, train_size=None):
    """Verified MNIST as :class:`Datasets` (fresh ``DataSet`` objects on every call).

    ``train_size`` keeps only the first N training images (the smoke configurations).
    """
    directory = locate(data_dir).resolve()
    arrays = _load_arrays(str(directory))
    (X_train_full, y_train_full), (X_test, y_test) = arrays["train"], arrays["test"]
    X_valid, X_train = X_train_full[:VALIDATION_SIZE], X_train_full[VALIDATION_SIZE:]
    y_valid, y_train = y_train_full[:VALIDATION_SIZE], y_train_full[VALIDATION_SIZE:]
    if train_size is not None:
        if not 0 < train_size <= len(X_train):
            raise DataError(f"train_size must be in 1..{len(X_train)}, got {train_size}")
        X_train, y_train = X_train[:train_size], y_train[:train_size]
    return Datasets(DataSet(X_train, y_train), DataSet(X_valid, y_valid), DataSet(X_test, y_test), str(directory))
