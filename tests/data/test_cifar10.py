import hashlib
import io
import os
import pickle
import sys
import tarfile

import numpy as np
import pytest

from backprop.data import cifar10, download

cifar = sys.modules["backprop.data.datasets.cifar10"]


def batch_pickle(data, labels, protocol):
    return pickle.dumps({b"batch_label": b"test", b"labels": list(labels), b"data": data,
                         b"filenames": [b"x.png"] * len(labels)}, protocol=protocol)


def make_archive(path, per_batch=2, protocol=2, seed=0):
    """A tiny cifar-10-python.tar.gz: the six batches of ``per_batch`` images each, plus batches.meta."""
    rng = np.random.default_rng(seed)
    batches = {}
    with tarfile.open(path, "w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            data = rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8)
            labels = rng.integers(0, 10, size=per_batch).tolist()
            batches[name] = (data, labels)
            content = batch_pickle(data, labels, protocol)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        meta = pickle.dumps({b"label_names": [b"airplane"]}, protocol=2)
        info = tarfile.TarInfo("cifar-10-batches-py/batches.meta")
        info.size = len(meta)
        tar.addfile(info, io.BytesIO(meta))
    return batches


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_cifar10_reads_the_archive(tmp_path, protocol):
    batches = make_archive(tmp_path / "cifar-10-python.tar.gz", protocol=protocol)
    train = cifar10(tmp_path)
    assert len(train) == 10 and train.data.shape == (10, 3, 32, 32)
    expected = np.concatenate([batches[f"data_batch_{i}"][0] for i in range(1, 6)])
    labels = sum((batches[f"data_batch_{i}"][1] for i in range(1, 6)), [])
    image, label = train[7]
    assert image.dtype == np.float32 and label.dtype == np.int64 and label.shape == ()
    # pixel (c, h, w) of image k is byte c*1024 + h*32 + w of its row
    c, h, w = 2, 5, 31
    assert image.numpy()[c, h, w] == np.float32(expected[7, c * 1024 + h * 32 + w]) / np.float32(255)
    assert label.item() == labels[7]
    np.testing.assert_array_equal(train.targets, labels)
    test = cifar10(tmp_path, train=False)
    np.testing.assert_array_equal(test.data.reshape(2, -1), batches["test_batch"][0])
    assert test.classes[0] == "airplane" and test.classes[-1] == "truck"


def test_extracted_batches_are_reused_without_the_archive(tmp_path):
    make_archive(tmp_path / "cifar-10-python.tar.gz")
    first = cifar10(tmp_path, train=False)
    os.remove(tmp_path / "cifar-10-python.tar.gz")
    np.testing.assert_array_equal(cifar10(tmp_path, train=False).data, first.data)


def test_unpickler_refuses_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": Evil(), b"labels": []}))
    with pytest.raises(pickle.UnpicklingError, match="refusing to load the global .*system"):
        cifar.read_batch(path)


def test_archive_paths_are_never_used(tmp_path):
    """A member named ../../x is written by its base name inside the batch folder, nothing outside."""
    archive = tmp_path / "root" / "cifar-10-python.tar.gz"
    archive.parent.mkdir()
    batches = make_archive(tmp_path / "good.tar.gz")
    with tarfile.open(tmp_path / "good.tar.gz") as good, tarfile.open(archive, "w:gz") as tar:
        for member in good:
            content = good.extractfile(member).read()
            member.name = "../../" + member.name.split("/")[-1] if member.name.endswith("test_batch") else member.name
            tar.addfile(member, io.BytesIO(content))
    test = cifar10(archive.parent, train=False)
    np.testing.assert_array_equal(test.data.reshape(2, -1), batches["test_batch"][0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.tar.gz", "root"]


def test_missing_archive_error_and_download(tmp_path, server, monkeypatch):
    with pytest.raises(FileNotFoundError, match="cifar-10-python.tar.gz.*download=True"):
        cifar10(tmp_path / "empty")
    make_archive(tmp_path / "served.tar.gz")
    content = (tmp_path / "served.tar.gz").read_bytes()
    server.files["/kriz/cifar-10-python.tar.gz"] = content
    monkeypatch.setitem(download.MIRRORS, "cifar10", [server.url + "/kriz/"])
    monkeypatch.setitem(download.SHA256, "cifar10", {"cifar-10-python.tar.gz": hashlib.sha256(content).hexdigest()})
    assert len(cifar10(tmp_path / "cache", download=True)) == 10
    assert (tmp_path / "cache" / "cifar-10-python.tar.gz").read_bytes() == content


def test_reads_batches_pickled_by_numpy_1(tmp_path):
    """The real archive names numpy.core.multiarray._reconstruct (NumPy 1's path), as rewritten here."""
    data = np.arange(2 * 3072, dtype=np.int64).astype(np.uint8).reshape(2, 3072)
    content = batch_pickle(data, [3, 4], protocol=2)
    assert b"numpy._core.multiarray\n_reconstruct" in content
    path = tmp_path / "data_batch_1"
    path.write_bytes(content.replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n"))
    images, labels = cifar.read_batch(path)
    np.testing.assert_array_equal(images.reshape(2, -1), data)
    np.testing.assert_array_equal(labels, [3, 4])
