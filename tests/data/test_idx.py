import gzip
import hashlib
import struct
import sys

import numpy as np
import pytest

from backprop.data import download, fashion_mnist, mnist

idx = sys.modules["backprop.data.datasets.idx"]


def idx_bytes(array, code=0x08):
    """An IDX file written by hand from the format's definition (big-endian header and values)."""
    big_endian = {0x08: ">u1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4"}[code]
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(big_endian).tobytes()


def write_mnist(directory, n_train=5, n_test=3, gzipped=True, rng=None):
    """The four IDX files of a tiny MNIST; returns {name: bytes written} and the arrays."""
    rng = rng or np.random.default_rng(0)
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        arrays[f"{prefix}-images-idx3-ubyte"] = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        arrays[f"{prefix}-labels-idx1-ubyte"] = rng.integers(0, 10, size=n, dtype=np.uint8)
    files = {}
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        content = idx_bytes(array)
        if gzipped:
            name, content = name + ".gz", gzip.compress(content)
        (directory / name).write_bytes(content)
        files[name] = content
    return files, arrays


@pytest.mark.parametrize("gzipped", [False, True])
@pytest.mark.parametrize("code, values", [
    (0x08, np.arange(24, dtype=np.uint8).reshape(2, 3, 4)),
    (0x08, np.array([7, 2, 1, 0], dtype=np.uint8)),
    (0x0B, np.array([[-300, 2], [5, 32000]], dtype=np.int16)),
    (0x0C, np.array([-(2**31), 2**31 - 1, 5], dtype=np.int32)),
    (0x0D, np.array([[1.5, -2.25]], dtype=np.float32)),
])
def test_read_idx_round_trips_hand_written_files(tmp_path, gzipped, code, values):
    content = idx_bytes(values, code)
    path = tmp_path / "f.idx"
    path.write_bytes(gzip.compress(content) if gzipped else content)
    array = idx.read_idx(path)
    assert array.shape == values.shape and array.dtype == values.dtype
    np.testing.assert_array_equal(array, values)
    assert array.dtype.byteorder in "=|"  # native order for fast arithmetic


def test_read_idx_rejects_bad_magic(tmp_path):
    path = tmp_path / "bad.idx"
    path.write_bytes(b"\x01\x00\x08\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match="bad magic 01 00 08 01"):
        idx.read_idx(path)
    path.write_bytes(b"\x00\x00\x07\x01" + b"\x00" * 8)  # 0x07 is no IDX type
    with pytest.raises(ValueError, match="not an IDX file"):
        idx.read_idx(path)


def test_read_idx_rejects_truncated_files(tmp_path):
    content = idx_bytes(np.zeros((4, 28, 28), dtype=np.uint8))
    path = tmp_path / "short.idx.gz"
    path.write_bytes(gzip.compress(content[:-10]))
    expected = r"truncated: shape \(4, 28, 28\) of uint8 needs 3152 bytes, the file has 3142"
    with pytest.raises(ValueError, match=expected):
        idx.read_idx(path)
    path.write_bytes(content[:9])  # the header itself is cut off
    with pytest.raises(ValueError, match="truncated: its header needs 16 bytes"):
        idx.read_idx(path)


def test_mnist_reads_the_four_files_from_root(tmp_path):
    _, arrays = write_mnist(tmp_path, gzipped=False)
    train, test = mnist(tmp_path), mnist(tmp_path, train=False)
    assert len(train) == 5 and len(test) == 3
    image, label = test[2]
    assert image.shape == (1, 28, 28) and image.dtype == np.float32
    assert label.shape == () and label.dtype == np.int64
    np.testing.assert_array_equal(image.numpy()[0], arrays["t10k-images-idx3-ubyte"][2] / np.float32(255))
    assert label.item() == arrays["t10k-labels-idx1-ubyte"][2]
    images, labels = train.__getitems__(np.array([4, 0]))
    np.testing.assert_array_equal(images.numpy()[:, 0], arrays["train-images-idx3-ubyte"][[4, 0]] / np.float32(255))
    np.testing.assert_array_equal(labels.numpy(), arrays["train-labels-idx1-ubyte"][[4, 0]])
    assert train.classes == [str(d) for d in range(10)]


def test_fashion_mnist_reads_gzipped_files_and_names_its_classes(tmp_path):
    _, arrays = write_mnist(tmp_path, gzipped=True)
    train = fashion_mnist(root=tmp_path)
    np.testing.assert_array_equal(train.data[:, 0], arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(train.targets, arrays["train-labels-idx1-ubyte"])
    assert train.classes[0] == "T-shirt/top" and train.classes[9] == "Ankle boot" and len(train.classes) == 10


def test_count_mismatch_between_images_and_labels(tmp_path):
    write_mnist(tmp_path, gzipped=False)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(4, dtype=np.uint8)))
    with pytest.raises(ValueError, match="holds 5 images but .* holds 4 labels"):
        mnist(tmp_path)


def test_missing_files_offline_error_lists_the_four_files(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKPROP_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError) as info:
        mnist()
    message = str(info.value)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        assert name in message
    assert str(tmp_path / "mnist") in message and "download=True" in message


def test_download_fetches_verifies_and_caches(tmp_path, server, monkeypatch):
    files, arrays = write_mnist(tmp_path / "source")
    for name, content in files.items():
        server.files[f"/mnist/{name}"] = content
    monkeypatch.setitem(download.MIRRORS, "mnist", [server.url + "/missing/", server.url + "/mnist/"])
    monkeypatch.setitem(download.SHA256, "mnist", {n: hashlib.sha256(c).hexdigest() for n, c in files.items()})
    root = tmp_path / "cache"
    test = mnist(root, train=False, download=True)
    np.testing.assert_array_equal(test.targets, arrays["t10k-labels-idx1-ubyte"])
    assert sorted(p.name for p in root.iterdir()) == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    asked = len(server.requests)
    mnist(root, train=False, download=True)
    assert len(server.requests) == asked  # served from the cache


def test_download_every_mirror_failing_gives_the_offline_error(tmp_path, closed_port_url, monkeypatch):
    monkeypatch.setitem(download.MIRRORS, "fashion_mnist", [closed_port_url])
    with pytest.raises(FileNotFoundError, match="download failed: could not download train-images-idx3-ubyte.gz"):
        fashion_mnist(tmp_path, download=True)
