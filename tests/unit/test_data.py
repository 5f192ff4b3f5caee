"""The MNIST loader: verification, locating, splits and both reference readers."""

import http.client
import json
import shutil
import struct

import numpy as np
import pytest

from tf1_recipes import data


@pytest.fixture
def mnist_copy(tmp_path, mnist_dir):
    """A writable copy of the four real files, to corrupt."""
    for name in data.SHA256:
        src = data._find_idx(mnist_dir, name)
        shutil.copy(src, tmp_path / src.name)
    return tmp_path


def _rewrite(directory, name, transform):
    path = data._find_idx(directory, name)
    content = transform(data._read_bytes(path))
    path.unlink()
    (directory / name).write_bytes(content)


def test_real_mnist_loads_with_the_reference_split(mnist_dir):
    mnist = data.load_mnist(mnist_dir)
    assert mnist.train.images.shape == (55000, 784) and mnist.train.images.dtype == np.float32
    assert mnist.validation.images.shape == (5000, 784)
    assert mnist.test.images.shape == (10000, 784)
    assert 0.0 == mnist.train.images.min() and mnist.train.images.max() == 1.0
    raw = data.read_raw(mnist_dir)
    # the validation set is the FIRST 5,000 training images, training the other 55,000
    np.testing.assert_array_equal(mnist.validation.labels, raw["train"][1][:5000])
    np.testing.assert_array_equal(mnist.train.labels, raw["train"][1][5000:])
    np.testing.assert_allclose(mnist.train.images[0], raw["train"][0][5000].reshape(-1) / 255.0)


def test_uncompressed_files_verify_with_the_same_table(mnist_copy):
    for name in data.SHA256:
        _rewrite(mnist_copy, name, lambda content: content)
    assert not list(mnist_copy.glob("*.gz"))
    assert len(data.read_raw(mnist_copy)["test"][0]) == 10000


def test_keras_npz_is_read_and_verified(tmp_path, mnist_dir):
    raw = data.read_raw(mnist_dir)
    np.savez(tmp_path / "mnist.npz", x_train=raw["train"][0], y_train=raw["train"][1], x_test=raw["test"][0], y_test=raw["test"][1])
    assert data.load_mnist(tmp_path).test.images.shape == (10000, 784)
    labels = raw["test"][1].copy()
    labels[0] = (labels[0] + 1) % 10
    np.savez(tmp_path / "mnist.npz", x_train=raw["train"][0], y_train=raw["train"][1], x_test=raw["test"][0], y_test=labels)
    with pytest.raises(data.DataError, match="SHA-256"):
        data.read_raw(tmp_path)


def test_a_flipped_pixel_fails_the_checksum_naming_the_file(mnist_copy):
    def flip(content):
        content = bytearray(content)
        content[1000] ^= 0xFF
        return bytes(content)

    _rewrite(mnist_copy, "t10k-images-idx3-ubyte", flip)
    with pytest.raises(data.DataError, match=r"t10k-images-idx3-ubyte.*SHA-256"):
        data.read_raw(mnist_copy)


def test_a_truncated_file_is_rejected(mnist_copy):
    _rewrite(mnist_copy, "train-labels-idx1-ubyte", lambda content: content[:-10])
    with pytest.raises(data.DataError, match=r"train-labels-idx1-ubyte.*truncated"):
        data.read_raw(mnist_copy)


def test_a_truncated_gzip_stream_is_rejected(mnist_copy):
    path = mnist_copy / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(data.DataError, match="t10k-labels-idx1-ubyte"):
        data.read_raw(mnist_copy)


def test_a_label_file_in_the_image_slot_has_the_wrong_magic(mnist_copy):
    labels = data._read_bytes(data._find_idx(mnist_copy, "t10k-labels-idx1-ubyte"))
    (mnist_copy / "t10k-images-idx3-ubyte.gz").unlink()
    (mnist_copy / "t10k-images-idx3-ubyte").write_bytes(labels)
    with pytest.raises(data.DataError, match=r"t10k-images-idx3-ubyte.*magic number 2049.*label file"):
        data.read_raw(mnist_copy)


def test_mismatched_image_and_label_counts_are_rejected(tmp_path, mnist_dir):
    raw = data.read_raw(mnist_dir)
    np.savez(
        tmp_path / "mnist.npz",
        x_train=raw["train"][0], y_train=raw["train"][1], x_test=raw["test"][0], y_test=raw["test"][1][:-1],
    )
    with pytest.raises(data.DataError, match="x_test has 10000 images but y_test has 9999 labels"):
        data.read_raw(tmp_path)


def test_a_named_folder_that_does_not_exist_is_refused_not_replaced(tmp_path, monkeypatch, mnist_dir):
    monkeypatch.setenv(data.ENV_VAR, str(mnist_dir))  # a good copy the loader must NOT fall back to
    monkeypatch.setattr(data, "CACHE_DIR", mnist_dir)
    with pytest.raises(data.DataError) as err:
        data.locate(tmp_path / "explicit", download=False)
    message = str(err.value)
    assert f"--data-dir {tmp_path / 'explicit'} does not exist" in message
    assert f"$TF1_RECIPES_DATA={mnist_dir} is not read" in message
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "env"))
    with pytest.raises(data.DataError, match=r"\$TF1_RECIPES_DATA .*env does not exist"):
        data.load_mnist()


def test_a_named_folder_lacking_files_names_exactly_the_missing_ones(mnist_copy, monkeypatch, mnist_dir):
    monkeypatch.setattr(data, "CACHE_DIR", mnist_dir)  # a full cache: still not read
    (mnist_copy / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(data.DataError) as err:
        data.load_mnist(mnist_copy)
    message = str(err.value)
    assert f"--data-dir {mnist_copy} lacks t10k-images-idx3-ubyte[.gz] (it takes precedence" in message
    for present in ("train-images", "train-labels", "t10k-labels"):
        assert present not in message
    (mnist_copy / "t10k-images-idx3-ubyte.gz").mkdir()  # a directory under the name is no file
    with pytest.raises(data.DataError, match=r"lacks t10k-images-idx3-ubyte\[\.gz\] \(t10k-images-idx3-ubyte\.gz there is not a regular file\)"):
        data.load_mnist(mnist_copy)
    empty = mnist_copy / "empty"
    empty.mkdir()
    with pytest.raises(data.DataError, match=r"empty holds neither the four IDX files .* nor Keras' mnist.npz"):
        data.locate(empty)


def test_only_the_named_folder_is_read_then_the_cache(tmp_path, monkeypatch, mnist_dir):
    monkeypatch.setenv(data.ENV_VAR, str(mnist_dir))
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path / "cache")
    assert data.locate(None, download=False) == mnist_dir
    assert data.search_path(tmp_path) == [(tmp_path, "--data-dir")]
    assert data.search_path() == [(mnist_dir, "$TF1_RECIPES_DATA")]
    monkeypatch.delenv(data.ENV_VAR)
    assert data.search_path() == [(tmp_path / "cache", "user cache")]
    with pytest.raises(data.DataError, match="--data-dir is empty"):
        data.locate("")


def test_nothing_named_and_no_cache_says_what_the_cache_lacks(tmp_path, monkeypatch):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path / "cache")
    with pytest.raises(data.DataError) as err:
        data.locate(None, download=False)
    message = str(err.value)
    assert "MNIST not found" in message and str(tmp_path / "cache") in message and "user cache" in message
    assert "downloading was not attempted" in message and "--data-dir DIR" in message


def test_offline_download_fails_cleanly_and_keeps_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.delenv(data.NO_DOWNLOAD_ENV, raising=False)  # CI sets it; this test is about the attempt
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(data, "DOWNLOAD_URLS", ("http://127.0.0.1:9/",))
    with pytest.raises(data.DataError, match="downloading into .* failed"):
        data.locate(None)
    assert not list((tmp_path / "cache").glob("*.gz"))


def test_no_download_variable_stops_the_attempt_and_says_so(tmp_path, monkeypatch):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setenv(data.NO_DOWNLOAD_ENV, "1")
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(data, "DOWNLOAD_URLS", ("http://127.0.0.1:9/",))
    with pytest.raises(data.DataError, match=r"not attempted \(\$TF1_RECIPES_NO_DOWNLOAD is set\)"):
        data.locate(None)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


def _tiny_dataset(n=10):
    X = np.arange(n, dtype=np.float32).reshape(n, 1)
    return data.DataSet(X, np.arange(n))


def test_next_batch_shuffles_before_the_first_batch_and_refills_across_the_epoch_boundary():
    np.random.seed(0)
    perm0 = np.arange(10)
    np.random.shuffle(perm0)
    perm1 = np.arange(10)
    np.random.shuffle(perm1)
    expected_second_order = perm0[perm1]

    np.random.seed(0)
    ds = _tiny_dataset()
    first = [ds.next_batch(4)[1] for _ in range(2)]
    np.testing.assert_array_equal(np.concatenate(first), perm0[:8])
    X, y = ds.next_batch(4)  # 2 left in the old order + 2 from the new one
    np.testing.assert_array_equal(y[:2], perm0[8:])
    np.testing.assert_array_equal(y[2:], expected_second_order[:2])
    np.testing.assert_array_equal(X[:, 0], y.astype(np.float32))
    assert ds.epochs_completed == 1
    np.testing.assert_array_equal(ds.next_batch(4)[1], expected_second_order[2:6])


def test_shuffle_batch_is_a_fresh_permutation_split_into_len_over_batch_size_batches():
    X = np.arange(10, dtype=np.float32).reshape(10, 1)
    y = np.arange(10)
    np.random.seed(1)
    expected = np.random.permutation(10)
    np.random.seed(1)
    batches = list(data.shuffle_batch(X, y, 3))
    assert [len(b[1]) for b in batches] == [4, 3, 3]  # np.array_split into 10 // 3 = 3 batches
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), expected)


def test_train_size_keeps_the_first_training_images(mnist_dir):
    full = data.load_mnist(mnist_dir)
    small = data.load_mnist(mnist_dir, train_size=100)
    np.testing.assert_array_equal(small.train.labels, full.train.labels[:100])
    with pytest.raises(data.DataError, match="train_size"):
        data.load_mnist(mnist_dir, train_size=0)


# --------------------------------------------------------------------------- provenance


def test_the_datasets_say_which_data_was_read(mnist_copy, mnist_dir, tmp_path, monkeypatch):
    gz = data.load_mnist(mnist_copy).provenance
    assert gz == {
        "dir": str(mnist_copy.resolve()), "origin": "--data-dir", "format": "idx.gz",
        "files": [f"{name}.gz" for name in data.SHA256], "sha256": data.SHA256,
        "verified": "the SHA-256 of each file's content matches the official MNIST",
    }
    _rewrite(mnist_copy, "t10k-labels-idx1-ubyte", lambda content: content)
    mixed = data.load_mnist(mnist_copy).provenance
    assert mixed["format"] == "idx+idx.gz" and "t10k-labels-idx1-ubyte" in mixed["files"]
    raw = data.read_raw(mnist_dir)
    npz_dir = tmp_path / "npz"
    npz_dir.mkdir()
    np.savez(npz_dir / "mnist.npz", x_train=raw["train"][0], y_train=raw["train"][1], x_test=raw["test"][0], y_test=raw["test"][1])
    monkeypatch.setenv(data.ENV_VAR, str(npz_dir))
    npz = data.load_mnist().provenance
    assert (npz["dir"], npz["origin"], npz["format"], npz["files"]) == (str(npz_dir.resolve()), "$TF1_RECIPES_DATA", "npz", ["mnist.npz"])


def test_the_run_record_says_which_data_was_read(mnist_copy, tmp_path):
    from tf1_recipes.harness import RecipeConfig, run_recipe

    out = tmp_path / "out"
    result = run_recipe(RecipeConfig("gradient_clipping", preset="smoke", data_dir=str(mnist_copy), out_dir=str(out),
                                     quiet=True, progress=False, overrides={"n_epochs": 1, "train_size": 200}))
    record = json.loads((out / "runs.jsonl").read_text().splitlines()[-1])
    for provenance in (result.provenance["data"], record["provenance"]["data"]):
        assert provenance["dir"] == str(mnist_copy.resolve()) and provenance["origin"] == "--data-dir"
        assert provenance["format"] == "idx.gz" and provenance["sha256"] == data.SHA256


# --------------------------------------------------------------------------- downloads


def _serve(mnist_dir, damage=None):
    """A fetch(url) serving the real .gz files; ``damage(name, payload)`` may change or refuse one."""
    fetched = []

    def fetch(url):
        name = url.rsplit("/", 1)[1][: -len(".gz")]
        fetched.append(name)
        payload = (mnist_dir / f"{name}.gz").read_bytes()
        return damage(name, payload) if damage else payload

    return fetch, fetched


def test_a_download_keeps_only_complete_verified_files(tmp_path, mnist_dir):
    def cut_short(name, payload):
        if name == "t10k-images-idx3-ubyte":
            return payload[: len(payload) // 2]  # the connection dropped: a partial body
        return payload

    fetch, _ = _serve(mnist_dir, cut_short)
    with pytest.raises(data.DataError, match=r"could not fetch t10k-images-idx3-ubyte.gz .*corrupt gzip stream"):
        data.download_mnist(tmp_path, fetch=fetch)
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]  # verified ones only, no partial, no temp file
    fetch, fetched = _serve(mnist_dir)
    data.download_mnist(tmp_path, fetch=fetch)  # the next attempt fetches only what is missing
    assert fetched == ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    assert len(data.read_raw(tmp_path)["test"][0]) == 10000


def test_a_dropped_connection_is_a_data_error(tmp_path, mnist_dir):
    def drop(name, payload):
        raise http.client.IncompleteRead(payload[:10], len(payload) - 10)

    with pytest.raises(data.DataError, match=r"could not fetch train-images-idx3-ubyte.gz .*IncompleteRead"):
        data.download_mnist(tmp_path, fetch=_serve(mnist_dir, drop)[0])
    assert not list(tmp_path.iterdir())


def test_a_download_interrupted_while_writing_leaves_nothing(tmp_path, mnist_dir, monkeypatch):
    def interrupted(src, dst):
        raise KeyboardInterrupt  # Ctrl-C between the write and the rename

    monkeypatch.setattr(data.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        data.download_mnist(tmp_path, fetch=_serve(mnist_dir)[0])
    assert not list(tmp_path.iterdir())


def test_the_cache_is_downloaded_into_when_nothing_is_named(tmp_path, mnist_dir, monkeypatch):
    monkeypatch.delenv(data.ENV_VAR)
    monkeypatch.delenv(data.NO_DOWNLOAD_ENV, raising=False)
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(data, "_fetch", _serve(mnist_dir)[0])
    mnist = data.load_mnist()
    assert mnist.provenance["origin"] == "user cache" and mnist.provenance["dir"] == str((tmp_path / "cache").resolve())


def test_a_file_damaged_after_a_load_is_read_again_not_served_from_memory(mnist_copy):
    assert data.load_mnist(mnist_copy).test.num_examples == 10000
    path = mnist_copy / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(data.DataError, match="t10k-labels-idx1-ubyte.gz: corrupt gzip stream"):
        data.load_mnist(mnist_copy)


def test_an_unreadable_folder_and_an_unknown_home_are_data_errors(tmp_path, monkeypatch):
    def unlistable(self):
        raise PermissionError(13, "Permission denied")

    folder = tmp_path / "locked"
    folder.mkdir()
    monkeypatch.setattr(data.Path, "iterdir", unlistable)  # what a folder without read permission does (root reads all)
    with pytest.raises(data.DataError, match=r"locked holds neither .*\(the folder cannot be listed: Permission denied\)"):
        data.locate(folder)
    with pytest.raises(data.DataError, match="--data-dir ~no-such-user-here/mnist does not exist"):
        data.locate("~no-such-user-here/mnist")
