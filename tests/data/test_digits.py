import hashlib
import subprocess
import sys

import numpy as np
import pytest

from backprop.data import digits

digits_module = sys.modules["backprop.data.datasets.digits"]


@pytest.fixture(scope="module")
def sklearn_digits():
    """scikit-learn's copy of the same UCI data, the oracle (backprop itself never needs scikit-learn)."""
    datasets = pytest.importorskip("sklearn.datasets")
    return datasets.load_digits()


def rows(dataset):
    """Each sample as a row (pixels in sklearn's 0..16, label), sorted: the dataset as a multiset."""
    table = np.concatenate([dataset.data.reshape(len(dataset), -1).astype(np.int64),
                            dataset.targets[:, None]], axis=1)
    return table[np.lexsort(table.T[::-1])]


def test_train_and_test_together_are_sklearns_digits(sklearn_digits):
    train, test = digits(), digits(train=False)
    assert len(train) == 1437 and len(test) == 360
    reference = np.concatenate([sklearn_digits.data.astype(np.int64), sklearn_digits.target[:, None]], axis=1)
    reference = reference[np.lexsort(reference.T[::-1])]
    both = np.concatenate([rows(train), rows(test)])
    np.testing.assert_array_equal(both[np.lexsort(both.T[::-1])], reference)


def test_samples_are_float_images_in_unit_range(sklearn_digits):
    train = digits()
    image, label = train[5]
    assert image.shape == (1, 8, 8) and image.dtype == np.float32
    assert label.shape == () and label.dtype == np.int64
    images, labels = train.__getitems__(np.arange(len(train)))
    assert images.shape == (1437, 1, 8, 8) and labels.shape == (1437,)
    assert float(images.numpy().min()) == 0.0 and float(images.numpy().max()) == 1.0
    # value / 16, exactly: every image is one of sklearn's images divided by 16
    sk = {tuple(row): t for row, t in zip((sklearn_digits.data / 16).astype(np.float32), sklearn_digits.target)}
    assert sk[tuple(image.numpy().ravel())] == label.item()
    assert train.classes == [str(d) for d in range(10)]


def test_split_is_stratified_disjoint_and_seeded():
    labels = digits_module._load()[1]
    train, test = digits_module.stratified_split(labels, 0.2, seed=0)
    assert len(np.intersect1d(train, test)) == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(1797))
    counts, test_counts = np.bincount(labels), np.bincount(labels[test])
    assert test_counts.sum() == 360
    assert np.all(np.abs(test_counts - counts * 360 / 1797) < 1)
    again, _ = digits_module.stratified_split(labels, 0.2, seed=0)
    other, _ = digits_module.stratified_split(labels, 0.2, seed=1)
    np.testing.assert_array_equal(again, train)
    assert not np.array_equal(other, train)
    np.testing.assert_array_equal(digits(seed=1).targets, labels[other])


def test_test_fraction():
    assert len(digits(train=False, test_fraction=0.5)) == 899  # ceil(898.5), as scikit-learn
    assert len(digits(test_fraction=0.0)) == 1797
    with pytest.raises(ValueError, match=r"test_fraction must be in \[0, 1\), got 1.5"):
        digits(test_fraction=1.5)


def test_transform_applies_to_samples_and_batches():
    from backprop.data.transforms import Resize

    resized = digits(train=False, transform=Resize(16))
    assert resized[0][0].shape == (1, 16, 16)
    assert resized.__getitems__(np.arange(4))[0].shape == (4, 1, 16, 16)


def test_shipped_arrays_are_load_digits_exactly(sklearn_digits):
    images, labels = digits_module._read(digits_module.PATH)
    assert images.dtype == np.uint8 and labels.dtype == np.uint8
    np.testing.assert_array_equal(images, sklearn_digits.images)
    np.testing.assert_array_equal(images.reshape(1797, 64), sklearn_digits.data)
    np.testing.assert_array_equal(labels, sklearn_digits.target)
    loaded_images, loaded_labels = digits_module._load()
    np.testing.assert_array_equal(loaded_images.reshape(1797, 64), sklearn_digits.data)
    assert loaded_labels.dtype == np.int64
    np.testing.assert_array_equal(loaded_labels, sklearn_digits.target)


def test_checksum_is_of_the_shipped_arrays():
    images, labels = digits_module._read(digits_module.PATH)
    assert hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest() == digits_module.SHA256
    assert digits_module.PATH.stat().st_size < 50_000


def rewrite(path, images, labels):
    np.savez_compressed(path, images=images, labels=labels)
    return path


def test_changed_pixel_or_label_is_refused_in_one_line(tmp_path):
    images, labels = digits_module._read(digits_module.PATH)
    changed = images.copy()
    changed[100, 3, 4] ^= 1
    for path in (rewrite(tmp_path / "pixel.npz", changed, labels),
                 rewrite(tmp_path / "label.npz", images, (labels + 1) % 10)):
        with pytest.raises(ValueError, match=r"^the digits data .* is damaged; reinstall backprop \(SHA-256 ") as info:
            digits_module._read(path)
        assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_wrong_arrays_cut_short_or_missing_file_are_refused(tmp_path):
    images, labels = digits_module._read(digits_module.PATH)
    with pytest.raises(ValueError, match=r"expected uint8 \(1797, 8, 8\) and uint8 \(1797,\)"):
        digits_module._read(rewrite(tmp_path / "float.npz", images.astype(np.float64), labels))
    with pytest.raises(ValueError, match=r"damaged; reinstall backprop"):
        digits_module._read(rewrite(tmp_path / "short.npz", images[:-1], labels[:-1]))
    cut = tmp_path / "cut.npz"
    cut.write_bytes(digits_module.PATH.read_bytes()[:20_000])
    with pytest.raises(ValueError, match=r"damaged; reinstall backprop"):
        digits_module._read(cut)
    for offset in (60, 30_000):  # inside the deflated pixels: a bad stream, a bad CRC-32
        flipped = bytearray(digits_module.PATH.read_bytes())
        flipped[offset] ^= 0xFF
        cut.write_bytes(bytes(flipped))
        with pytest.raises(ValueError, match=r"damaged; reinstall backprop"):
            digits_module._read(cut)
    with pytest.raises(FileNotFoundError, match=r"missing; reinstall backprop"):
        digits_module._read(tmp_path / "none.npz")


def test_a_damaged_shipped_file_stops_digits(monkeypatch, tmp_path):
    images, labels = digits_module._read(digits_module.PATH)
    copy = rewrite(tmp_path / "digits.npz", images, labels[::-1].copy())
    monkeypatch.setattr(digits_module, "PATH", copy)
    digits_module._load.cache_clear()
    try:
        with pytest.raises(ValueError, match="damaged"):
            digits()
    finally:
        digits_module._load.cache_clear()


def test_reading_the_file_does_not_import_sklearn():
    code = "import sys, backprop as bp; bp.data.digits(); print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
