"""Every way an MNIST file is damaged in practice, in every form the loader reads.

For each of the four IDX files, gzipped and raw, and for Keras' ``mnist.npz``: missing,
empty, truncated (in the header, early, in the middle, one byte short), a changed byte
(early, in the middle, late), a web page / a text file / a directory under its name, and
swapped files. Each must be one :class:`~tf1_recipes.data.DataError` line naming the file,
the cause and what to do (through the CLI: exit code 2, exactly that one line on stderr,
no traceback), and the user's folder must be left byte for byte as it was.

Most cases go through :func:`tf1_recipes.data.load_mnist`, the loader every command uses;
a representative few through ``tf1_recipes.cli.main`` and one through a real process.
"""

import gzip
import hashlib
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from tf1_recipes import cli, data

IDX = list(data.SHA256)
#: The file each IDX file is swapped with: the same kind from the other split (same magic number).
PARTNER = {
    "train-images-idx3-ubyte": "t10k-images-idx3-ubyte",
    "t10k-images-idx3-ubyte": "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte": "t10k-labels-idx1-ubyte",
    "t10k-labels-idx1-ubyte": "train-labels-idx1-ubyte",
}
HTML = b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>Not Found</body></html>\n"
LFS_POINTER = b"version https://git-lfs.github.com/spec/v1\noid sha256:0fa7898d\nsize 7840016\n"
IDX_REMEDY = "replace it with an intact official copy"
NPZ_REMEDY = "replace it with Keras' original mnist.npz"
MISSING_REMEDY = "copy the missing file(s) there"
CORRUPT_GZ = "corrupt gzip stream"
CHECKSUM = r"SHA-256 [0-9a-f]{64} does not match the official"


# --------------------------------------------------------------------------- the pristine files


@pytest.fixture(scope="module")
def pristine(tmp_path_factory, mnist_dir):
    """{"gz": dir, "raw": dir, "npz": dir} of intact files, never handed to a test to damage."""
    root = tmp_path_factory.mktemp("pristine")
    dirs = {form: root / form for form in ("gz", "raw", "npz")}
    for directory in dirs.values():
        directory.mkdir()
    for name in IDX:
        gz = (mnist_dir / f"{name}.gz").read_bytes()
        (dirs["gz"] / f"{name}.gz").write_bytes(gz)
        (dirs["raw"] / name).write_bytes(gzip.decompress(gz))
    raw = data.read_raw(dirs["raw"])
    # Keras' file is compressed too (np.savez_compressed): its damage goes through zlib as well.
    np.savez_compressed(dirs["npz"] / data.NPZ_NAME, x_train=raw["train"][0], y_train=raw["train"][1],
                        x_test=raw["test"][0], y_test=raw["test"][1])
    return dirs


def _folder(pristine, tmp_path, form):
    """A user folder of intact files: hard links to the pristine ones (damage replaces, never writes into, one)."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    for src in pristine[form].iterdir():
        os.link(src, folder / src.name)
    return folder


def _replace(path, content):
    """Put ``content`` under ``path``'s name as a new file (the pristine hard link is left alone)."""
    if path.exists():
        path.unlink()
    path.write_bytes(content)


def _snapshot(folder):
    """What the folder holds: every entry's kind and the SHA-256 of each file's bytes."""
    out = {}
    for path in sorted(folder.rglob("*")):
        out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
    return out


# --------------------------------------------------------------------------- the damage


def _flip(at):
    def damage(content):
        content = bytearray(content)
        content[at(len(content))] ^= 0xFF
        return bytes(content)

    return damage


def _truncate(at):
    return lambda content: content[: at(len(content))]


#: damage -> {form: (how the bytes change, the cause the message must give)}
DAMAGE = {
    "empty": {form: (lambda c: b"", r"empty file \(0 bytes\)") for form in ("raw", "gz", "npz")},
    "truncated-in-header": {
        "raw": (_truncate(lambda n: 5), "truncated, 5 bytes is shorter than an IDX header"),
        "gz": (_truncate(lambda n: 5), CORRUPT_GZ),
        "npz": (_truncate(lambda n: 5), "not a readable Keras mnist.npz"),
    },
    **{
        damage: {
            "raw": (_truncate(at), "truncated, .* bytes where the header promises"),
            "gz": (_truncate(at), CORRUPT_GZ),
            "npz": (_truncate(at), "not a readable Keras mnist.npz"),
        }
        for damage, at in (("truncated-early", lambda n: n // 10), ("truncated-middle", lambda n: n // 2),
                           ("one-byte-short", lambda n: n - 1))
    },
    "flipped-early": {
        "raw": (_flip(lambda n: 5), "truncated|too long"),  # the item count: the size no longer matches
        "gz": (_flip(lambda n: 20), CORRUPT_GZ),  # in the deflate stream, past the 10-byte gzip header
        "npz": (_flip(lambda n: 100), "not a readable Keras mnist.npz"),  # in the first member's deflate stream
    },
    "flipped-middle": {
        "raw": (_flip(lambda n: n // 2), CHECKSUM),  # a pixel or a label: only the checksum can tell
        "gz": (_flip(lambda n: n // 2), CORRUPT_GZ),
        "npz": (_flip(lambda n: n // 2), "not a readable Keras mnist.npz"),
    },
    "flipped-late": {
        "raw": (_flip(lambda n: n - 6), CHECKSUM),
        "gz": (_flip(lambda n: n - 6), CORRUPT_GZ),  # in the trailer's CRC-32
        "npz": (_flip(lambda n: n - 6), "not a readable Keras mnist.npz"),  # in the zip's end-of-directory record
    },
    "html-page": {form: (lambda c: HTML, "this is an HTML/XML page") for form in ("raw", "gz", "npz")},
    "lfs-pointer": {form: (lambda c: LFS_POINTER, "this is a text file") for form in ("raw", "gz", "npz")},
}


def _assert_one_clear_line(message, *patterns):
    assert "\n" not in message.strip(), message
    assert "Traceback" not in message
    for pattern in patterns:
        assert re.search(pattern, message), f"{pattern!r} not in {message!r}"


def _load_fails(folder):
    with pytest.raises(data.DataError) as err:
        data.load_mnist(folder)
    return str(err.value)


@pytest.mark.parametrize("damage", sorted(DAMAGE))
@pytest.mark.parametrize("form", ["gz", "raw"])
@pytest.mark.parametrize("name", IDX)
def test_damaged_idx(pristine, tmp_path, name, form, damage):
    folder = _folder(pristine, tmp_path, form)
    path = folder / (f"{name}.gz" if form == "gz" else name)
    change, cause = DAMAGE[damage][form]
    _replace(path, change(path.read_bytes()))
    before = _snapshot(folder)
    message = _load_fails(folder)
    _assert_one_clear_line(message, re.escape(f"{path}: "), cause, re.escape(IDX_REMEDY))
    assert _snapshot(folder) == before


@pytest.mark.parametrize("form", ["gz", "raw"])
@pytest.mark.parametrize("name", IDX)
def test_missing_idx_is_named_exactly(pristine, tmp_path, name, form):
    folder = _folder(pristine, tmp_path, form)
    (folder / (f"{name}.gz" if form == "gz" else name)).unlink()
    before = _snapshot(folder)
    message = _load_fails(folder)
    _assert_one_clear_line(message, re.escape(f"--data-dir {folder} lacks {name}[.gz]"), re.escape(MISSING_REMEDY))
    for other in set(IDX) - {name}:
        assert other not in message  # only the missing one is named
    assert _snapshot(folder) == before


@pytest.mark.parametrize("form", ["gz", "raw"])
@pytest.mark.parametrize("name", IDX)
def test_a_directory_under_an_idx_name(pristine, tmp_path, name, form):
    folder = _folder(pristine, tmp_path, form)
    path = folder / (f"{name}.gz" if form == "gz" else name)
    path.unlink()
    path.mkdir()
    (path / "inside").write_bytes(b"x")
    before = _snapshot(folder)
    message = _load_fails(folder)
    _assert_one_clear_line(message, re.escape(f"lacks {name}[.gz] ({path.name} there is not a regular file)"),
                           re.escape(MISSING_REMEDY))
    assert _snapshot(folder) == before


def _swap(one, other):
    """Exchange two files' contents (a copy made with the names mixed up)."""
    one_bytes, other_bytes = one.read_bytes(), other.read_bytes()
    _replace(one, other_bytes)
    _replace(other, one_bytes)


@pytest.mark.parametrize("form", ["gz", "raw"])
@pytest.mark.parametrize("name", IDX)
def test_swapped_idx_files(pristine, tmp_path, name, form):
    """Swapped with the other split's file of its kind: the checksum names the content it holds."""
    folder = _folder(pristine, tmp_path, form)
    suffix = ".gz" if form == "gz" else ""
    path, partner = folder / f"{name}{suffix}", folder / f"{PARTNER[name]}{suffix}"
    _swap(path, partner)
    before = _snapshot(folder)
    message = _load_fails(folder)
    # whichever of the pair is read first is reported, with the file whose content it holds
    first, second = sorted((name, PARTNER[name]), key=data.READ_ORDER.index)
    _assert_one_clear_line(message, re.escape(f"{folder / (first + suffix)}: holds the content of {second}, not of {first} "
                                              "(files swapped or misnamed)"), re.escape(IDX_REMEDY))
    assert _snapshot(folder) == before


@pytest.mark.parametrize("form", ["gz", "raw"])
def test_images_and_labels_swapped(pristine, tmp_path, form):
    folder = _folder(pristine, tmp_path, form)
    suffix = ".gz" if form == "gz" else ""
    images, labels = folder / f"t10k-images-idx3-ubyte{suffix}", folder / f"t10k-labels-idx1-ubyte{suffix}"
    _swap(images, labels)
    before = _snapshot(folder)
    message = _load_fails(folder)
    _assert_one_clear_line(message, re.escape(f"{labels}: wrong magic number 2051 (expected 2049); this is an image file"),
                           re.escape(IDX_REMEDY))
    assert _snapshot(folder) == before


# --------------------------------------------------------------------------- Keras' mnist.npz


def _npz_without(pristine, tmp_path, drop=None, swap_splits=False, object_labels=False):
    folder = tmp_path / "mnist"
    folder.mkdir()
    with np.load(pristine["npz"] / data.NPZ_NAME) as npz:
        arrays = {key: npz[key] for key in npz.files}
    if swap_splits:
        arrays = {"x_train": arrays["x_test"], "y_train": arrays["y_test"], "x_test": arrays["x_train"], "y_test": arrays["y_train"]}
    if object_labels:
        arrays["y_test"] = arrays["y_test"].astype(object)
    arrays.pop(drop, None)
    np.savez(folder / data.NPZ_NAME, **arrays)
    return folder


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_npz(pristine, tmp_path, damage):
    folder = _folder(pristine, tmp_path, "npz")
    path = folder / data.NPZ_NAME
    change, cause = DAMAGE[damage]["npz"]
    _replace(path, change(path.read_bytes()))
    before = _snapshot(folder)
    message = _load_fails(folder)
    _assert_one_clear_line(message, re.escape(f"{path}"), cause, re.escape(NPZ_REMEDY))
    assert _snapshot(folder) == before


@pytest.mark.parametrize(
    "kind, cause",
    [
        (dict(drop="y_test"), r"not a Keras mnist.npz: no y_test array \(it holds x_train, y_train, x_test\)"),
        (dict(object_labels=True), r"not a readable Keras mnist.npz \(Object arrays cannot be loaded when allow_pickle=False\)"),
        (dict(swap_splits=True), r"\[train-images-idx3-ubyte\]: holds the content of t10k-images-idx3-ubyte"),
    ],
    ids=["an-array-missing", "pickled-object-array", "train-and-test-swapped"],
)
def test_npz_with_the_wrong_arrays(pristine, tmp_path, kind, cause):
    folder = _npz_without(pristine, tmp_path, **kind)
    before = _snapshot(folder)
    message = _load_fails(folder)
    _assert_one_clear_line(message, re.escape(str(folder / data.NPZ_NAME)), cause, re.escape(NPZ_REMEDY))
    assert _snapshot(folder) == before


def test_missing_npz_and_idx_files(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / data.NPZ_NAME).mkdir()  # a directory under the name: no file either
    message = _load_fails(folder)
    _assert_one_clear_line(message, re.escape(f"--data-dir {folder} holds neither the four IDX files"),
                           re.escape(f"nor Keras' mnist.npz ({data.NPZ_NAME} there is not a regular file)"),
                           re.escape(MISSING_REMEDY))


# --------------------------------------------------------------------------- through the CLI


def _cli(capsys, folder):
    capsys.readouterr()
    code = cli.main(["run", "gradient_clipping", "--preset", "smoke", "--epochs", "1", "--no-progress",
                     "--data-dir", str(folder)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "form, file, damage, cause",
    [
        ("gz", "t10k-labels-idx1-ubyte.gz", _flip(lambda n: 100), "corrupt gzip stream .*invalid distance too far back"),
        ("raw", "t10k-images-idx3-ubyte", _flip(lambda n: n // 2), CHECKSUM),
        ("raw", "train-labels-idx1-ubyte", None, "lacks train-labels-idx1-ubyte"),
        ("npz", "mnist.npz", _truncate(lambda n: n // 2), "not a readable Keras mnist.npz"),
    ],
    ids=["gz-flipped-byte", "raw-flipped-pixel", "raw-missing", "npz-truncated"],
)
def test_the_cli_says_one_line_and_exits_2(capsys, pristine, tmp_path, form, file, damage, cause):
    folder = _folder(pristine, tmp_path, form)
    path = folder / file
    if damage is None:
        path.unlink()
    else:
        _replace(path, damage(path.read_bytes()))
    before = _snapshot(folder)
    code, out, err = _cli(capsys, folder)
    assert code == 2
    assert err.startswith("tf1-recipes: error: ") and len(err.strip().splitlines()) == 1, err
    _assert_one_clear_line(err, re.escape(str(path)) if damage else re.escape(str(folder)), cause)
    assert "Test accuracy" not in out  # nothing trained
    assert _snapshot(folder) == before


#: TensorFlow's own start-up lines on stderr (C++ logging before absl is initialised): not ours.
TF_STARTUP = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\)|[IWE]\d{4} )")


def test_a_real_process_prints_no_traceback(pristine, tmp_path):
    """One byte changed inside a deflate stream, read in a process of its own: a clear error, never a traceback."""
    folder = _folder(pristine, tmp_path, "gz")
    path = folder / "t10k-labels-idx1-ubyte.gz"
    _replace(path, _flip(lambda n: 100)(path.read_bytes()))
    before = _snapshot(folder)
    done = subprocess.run(
        [sys.executable, "-m", "tf1_recipes", "run", "gradient_clipping", "--preset", "smoke", "--epochs", "1",
         "--no-progress", "--data-dir", str(folder)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "TF1_RECIPES_NO_DOWNLOAD": "1"},
    )
    assert done.returncode == 2
    ours = [line for line in done.stderr.splitlines() if not TF_STARTUP.match(line)]
    assert len(ours) == 1 and "Traceback" not in done.stderr, done.stderr
    assert ours[0].startswith(f"tf1-recipes: error: {path}: corrupt gzip stream (Error -3 while decompressing data: ")
    assert IDX_REMEDY in ours[0]
    assert _snapshot(folder) == before
