import itertools

import numpy as np
import pytest

from backprop.data import TensorDataset, datasets, parity, sine, spirals, xor


def test_xor():
    ds = xor()
    assert isinstance(ds, TensorDataset)
    x, t = ds.tensors
    assert x.dtype == np.float32 and t.dtype == np.float32 and t.shape == (4, 1)
    for row, target in zip(x.numpy(), t.numpy()):
        assert target[0] == float(int(row[0]) ^ int(row[1]))


@pytest.mark.parametrize("n_bits", [1, 3, 5])
def test_parity_has_every_bit_vector_once(n_bits):
    x, t = parity(n_bits).tensors
    assert x.shape == (2**n_bits, n_bits) and t.shape == (2**n_bits, 1) and x.dtype == t.dtype == np.float32
    assert sorted(map(tuple, x.numpy().astype(int).tolist())) == list(itertools.product([0, 1], repeat=n_bits))
    for row, target in zip(x.numpy(), t.numpy()):
        assert target[0] == sum(row) % 2


def test_parity_rejects_bad_sizes():
    with pytest.raises(ValueError, match="parity n_bits must be a positive int, got 0"):
        parity(0)
    with pytest.raises(ValueError, match="<= 24"):
        parity(40)


def test_spirals_are_two_interleaved_classes():
    x, y = spirals(n=101).tensors
    assert x.shape == (101, 2) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y.numpy()).tolist() == [51, 50]
    points = x.numpy()
    assert np.abs(points).max() <= 1.0
    assert np.all(np.diff(np.linalg.norm(points[y.numpy() == 1], axis=1)) > 0)  # winding outwards
    # class 1 is class 0 turned by pi: opposite points
    even = spirals(n=100).tensors[0].numpy()
    np.testing.assert_allclose(even[50:], -even[:50], atol=1e-6)


def test_spirals_noise_is_seeded():
    clean = spirals(n=50).tensors[0].numpy()
    noisy = spirals(n=50, noise=0.1, seed=3).tensors[0].numpy()
    np.testing.assert_array_equal(noisy, spirals(n=50, noise=0.1, seed=3).tensors[0].numpy())
    assert not np.array_equal(noisy, spirals(n=50, noise=0.1, seed=4).tensors[0].numpy())
    assert 0.05 < np.std(noisy - clean) < 0.15


def test_sine():
    x, t = sine(n=300).tensors
    assert x.shape == t.shape == (300, 1) and x.dtype == t.dtype == np.float32
    assert np.all(np.abs(x.numpy()) <= np.pi)
    np.testing.assert_allclose(t.numpy(), np.sin(x.numpy()), atol=1e-6)
    xn, tn = sine(n=300, noise=0.1, seed=1).tensors
    residual = tn.numpy() - np.sin(xn.numpy())
    assert 0.07 < residual.std() < 0.13
    assert not np.array_equal(xn.numpy(), x.numpy())


def test_registry_names_info_and_get():
    assert {"digits", "mnist", "fashion_mnist", "cifar10", "spirals", "sine"} <= set(datasets.names())
    digits = datasets.info("digits")
    assert (digits.input_shape, digits.num_classes, digits.offline) == ((1, 8, 8), 10, True)
    assert datasets.info("cifar10").input_shape == (3, 32, 32) and not datasets.info("cifar10").offline
    assert datasets.info("fashion_mnist").classes[9] == "Ankle boot"
    for name in datasets.names():
        info = datasets.info(name)
        if info.offline:
            dataset = datasets.get(name)
            x, y = dataset[0]
            assert tuple(x.shape) == info.input_shape, name
            if info.num_classes:
                assert 0 <= y.item() < info.num_classes and len(info.classes) == info.num_classes
    for name in ("spirals", "sine"):  # the test split is other points than the training split
        train, test = datasets.get(name), datasets.get(name, train=False)
        assert len(train) == len(test)
        assert not np.isin(test.tensors[0].numpy(), train.tensors[0].numpy()).any(), name
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'; expected one of digits"):
        datasets.get("imagenet")


def test_registry_passes_root_to_file_datasets(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        datasets.get("mnist", root=tmp_path)
