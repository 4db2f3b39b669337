import json

import numpy as np
import pytest

import backprop as bp
from backprop.data import DataLoader, Dataset, TensorDataset, default_collate


def dataset(n=23):
    return TensorDataset(bp.arange(n).float()[:, None] * 2, bp.arange(n))


def epoch_labels(loader):
    return [y.numpy().tolist() for _, y in loader]


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("shuffle", [False, True])
def test_each_sample_once_per_epoch(drop_last, shuffle):
    loader = DataLoader(dataset(23), batch_size=5, shuffle=shuffle, drop_last=drop_last, seed=0)
    assert len(loader) == (4 if drop_last else 5)
    for _ in range(3):
        batches = epoch_labels(loader)
        assert len(batches) == len(loader)
        assert [len(b) for b in batches] == [5] * 4 + ([] if drop_last else [3])
        seen = sum(batches, [])
        assert len(set(seen)) == len(seen)
        if drop_last:
            assert len(seen) == 20 and set(seen) <= set(range(23))
        else:
            assert sorted(seen) == list(range(23))
        if not shuffle:
            assert seen == list(range(len(seen)))


def test_features_stay_with_their_labels():
    for x, y in DataLoader(dataset(), batch_size=4, shuffle=True, seed=1):
        assert x.shape == (len(y), 1) and x.dtype == np.float32 and y.dtype == np.int64
        np.testing.assert_array_equal(x.numpy()[:, 0], 2 * y.numpy())


def test_same_seed_same_epochs_and_epochs_differ():
    a = DataLoader(dataset(), batch_size=4, shuffle=True, seed=7)
    b = DataLoader(dataset(), batch_size=4, shuffle=True, seed=7)
    epochs_a = [epoch_labels(a) for _ in range(3)]
    assert epochs_a == [epoch_labels(b) for _ in range(3)]
    assert epochs_a[0] != epochs_a[1] != epochs_a[2]
    assert epoch_labels(DataLoader(dataset(), batch_size=4, shuffle=True, seed=8)) != epochs_a[0]


def test_epoch_order_is_default_rng_of_seed_and_epoch():
    loader = DataLoader(dataset(), batch_size=23, shuffle=True, seed=5)
    for epoch in range(3):
        assert epoch_labels(loader)[0] == np.random.default_rng([5, epoch]).permutation(23).tolist()


def test_iter_starts_the_next_epoch():
    loader = DataLoader(dataset(), batch_size=4, shuffle=True, seed=0)
    assert loader.epoch == 0
    iterator = iter(loader)
    assert loader.epoch == 1
    first = [y.numpy().tolist() for _, y in iterator]
    loader.set_epoch(0)
    assert epoch_labels(loader) == first


def test_resume_from_state_dict_sees_the_same_batches():
    run = DataLoader(dataset(), batch_size=4, shuffle=True, seed=11)
    epoch_labels(run)
    epoch_labels(run)
    state = json.loads(json.dumps(run.state_dict()))  # plain values: survive JSON
    assert state == {"seed": 11, "epoch": 2}
    expected = [epoch_labels(run) for _ in range(2)]
    resumed = DataLoader(dataset(), batch_size=4, shuffle=True, seed=99)
    resumed.load_state_dict(state)
    assert [epoch_labels(resumed) for _ in range(2)] == expected


def test_seed_none_is_drawn_from_backprops_generator():
    bp.manual_seed(4)
    first = DataLoader(dataset(), batch_size=4, shuffle=True)
    bp.manual_seed(4)
    second = DataLoader(dataset(), batch_size=4, shuffle=True)
    assert isinstance(first.seed, int) and first.seed == second.seed
    assert epoch_labels(first) == epoch_labels(second)
    assert DataLoader(dataset(), shuffle=True).seed != first.seed
    state = bp.get_rng_state()
    assert DataLoader(dataset(), shuffle=False).seed is None
    assert bp.get_rng_state() == state  # a loader that does not shuffle draws nothing


def test_bad_arguments():
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=0"):
        DataLoader(dataset(), batch_size=0)
    with pytest.raises(ValueError, match="seed must be an int >= 0, got -1"):
        DataLoader(dataset(), shuffle=True, seed=-1)
    with pytest.raises(TypeError, match=r"dataset with __getitem__ and __len__ \(or an IterableDataset\), got int"):
        DataLoader(5)
    with pytest.raises(ValueError, match=r"keys \['epoch', 'seed'\], got \['epoch'\]"):
        DataLoader(dataset()).load_state_dict({"epoch": 1})


class Counting(Dataset):
    """Records how it is asked for samples."""

    def __init__(self):
        self.calls = []

    def __getitem__(self, i):
        self.calls.append("item")
        return float(i), i

    def __getitems__(self, indices):
        self.calls.append("items")
        return bp.tensor(np.asarray(indices, dtype=np.float32)), bp.tensor(np.asarray(indices))

    def __len__(self):
        return 8


def test_loader_fetches_a_batch_with_one_getitems_call():
    ds = Counting()
    batches = list(DataLoader(ds, batch_size=3))
    assert ds.calls == ["items"] * 3
    np.testing.assert_array_equal(batches[2][1].numpy(), [6, 7])


def test_custom_collate_fn_gets_the_list_of_samples():
    ds = Counting()
    batches = list(DataLoader(ds, batch_size=4, collate_fn=lambda samples: [s[1] for s in samples]))
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert set(ds.calls) == {"item"}


def test_default_collate_dtypes():
    ints, floats, flags = default_collate([(1, 0.5, True), (2, 1.5, False)])
    assert ints.dtype == bp.int64 and floats.dtype == bp.float64 and flags.dtype == bp.bool  # torch's
    np.testing.assert_array_equal(floats.numpy(), [0.5, 1.5])
    wide = default_collate([np.zeros(3), np.ones(3)])
    assert wide.dtype == bp.float64 and wide.shape == (2, 3)
    assert default_collate([np.float32(1.0), np.float32(2.0)]).dtype == bp.float32
    stacked = default_collate([bp.ones(2, 2, dtype=bp.float16), bp.zeros(2, 2, dtype=bp.float16)])
    assert stacked.shape == (2, 2, 2) and stacked.dtype == bp.float16
    batch = default_collate([{"x": bp.ones(3), "y": 1}, {"x": bp.zeros(3), "y": 2}])
    assert batch["x"].shape == (2, 3) and batch["y"].numpy().tolist() == [1, 2]
    assert default_collate(["a", "b"]) == ["a", "b"]


def test_a_plain_dataset_is_collated_field_by_field():
    class Pairs(Dataset):
        def __getitem__(self, i):
            return np.full(2, i, dtype=np.float32), i

        def __len__(self):
            return 5

    x, y = next(iter(DataLoader(Pairs(), batch_size=5)))
    assert x.shape == (5, 2) and x.dtype == np.float32 and y.numpy().tolist() == [0, 1, 2, 3, 4]
