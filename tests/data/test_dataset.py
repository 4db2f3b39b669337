import numpy as np
import pytest
import torch

import backprop as bp
from backprop.data import ConcatDataset, DataLoader, Dataset, Subset, TensorDataset, random_split


def make(n=10):
    return TensorDataset(bp.arange(2 * n).float().reshape(n, 2), bp.arange(n))


def test_tensor_dataset_rows_like_torch():
    x = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    y = np.arange(6)
    ours, theirs = TensorDataset(bp.tensor(x), bp.tensor(y)), torch.utils.data.TensorDataset(torch.tensor(x),
                                                                                            torch.tensor(y))
    assert len(ours) == len(theirs) == 6
    for i in (0, 3, -1):
        for a, b in zip(ours[i], theirs[i]):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
            assert a.shape == tuple(b.shape)


def test_getitems_is_the_stacked_samples():
    ds = make()
    x, y = ds.__getitems__(np.array([7, 2, 2]))
    np.testing.assert_array_equal(x.numpy(), np.stack([ds[i][0].numpy() for i in (7, 2, 2)]))
    np.testing.assert_array_equal(y.numpy(), [7, 2, 2])


def test_tensor_dataset_keeps_the_graph_of_tensors_that_require_grad():
    w = bp.ones(4, 2, requires_grad=True)
    x, = TensorDataset(w * 3)[1]
    x.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[0, 0], [3, 3], [0, 0], [0, 0]])


def test_tensor_dataset_checks_its_inputs():
    with pytest.raises(ValueError, match=r"same first dimension, got sizes \(4, 3\)"):
        TensorDataset(bp.zeros(4, 2), bp.zeros(3))
    with pytest.raises(TypeError, match="expects Tensors, got ndarray at position 1"):
        TensorDataset(bp.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(IndexError):
        make(3)[3]


def test_subset_and_its_batches():
    ds = make()
    sub = Subset(ds, [9, 4, 1])
    assert len(sub) == 3 and sub[1][1].item() == 4
    np.testing.assert_array_equal(sub.__getitems__(np.array([2, 0]))[1].numpy(), [1, 9])


class Squares(Dataset):
    """A dataset without __getitems__: samples one at a time."""

    def __getitem__(self, i):
        if not 0 <= i < 5:
            raise IndexError(i)
        return i * i

    def __len__(self):
        return 5


def test_subset_of_a_plain_dataset_gives_its_samples_and_the_loader_collates_them():
    subset = Subset(Squares(), [4, 2])
    assert subset.__getitems__([0, 1]) == [16, 4]  # torch's __getitems__: the list of samples
    batch = next(iter(DataLoader(subset, batch_size=2)))
    np.testing.assert_array_equal(batch.numpy(), [16, 4])
    assert batch.dtype == bp.int64


def test_concat_dataset_and_add():
    both = make(3) + Squares()
    assert isinstance(both, ConcatDataset) and len(both) == 8
    assert both[2][1].item() == 2 and both[3] == 0 and both[7] == 16 and both[-1] == 16
    with pytest.raises(IndexError):
        both[8]


def test_random_split_is_disjoint_covering_and_seeded():
    ds = make(10)
    parts = random_split(ds, [3, 7], seed=1)
    indices = [list(p.indices) for p in parts]
    assert [len(i) for i in indices] == [3, 7]
    assert sorted(indices[0] + indices[1]) == list(range(10))
    again = random_split(ds, [3, 7], seed=1)
    assert [list(p.indices) for p in again] == indices
    assert [list(p.indices) for p in random_split(ds, [3, 7], seed=2)] != indices


@pytest.mark.parametrize("n, fractions", [(10, [0.5, 0.5]), (11, [0.7, 0.2, 0.1]), (7, [1 / 3] * 3), (5, [0.1, 0.9])])
def test_random_split_fraction_lengths_match_torch(n, fractions):
    ours = [len(p) for p in random_split(make(n), fractions, seed=0)]
    theirs = [len(p) for p in torch.utils.data.random_split(range(n), fractions)]
    assert ours == theirs


def test_random_split_without_seed_follows_manual_seed():
    ds = make(20)
    bp.manual_seed(3)
    first = [list(p.indices) for p in random_split(ds, [0.5, 0.5])]
    bp.manual_seed(3)
    assert [list(p.indices) for p in random_split(ds, [0.5, 0.5])] == first
    assert [list(p.indices) for p in random_split(ds, [0.5, 0.5])] != first


def test_random_split_rejects_bad_lengths():
    with pytest.raises(ValueError, match=r"sum to the dataset's length 10, got \[3, 3\]"):
        random_split(make(10), [3, 3])
    with pytest.raises(ValueError, match="non-negative ints or fractions summing to 1"):
        random_split(make(10), [0.5, 0.2])
