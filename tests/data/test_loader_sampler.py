"""DataLoader(sampler=...): the sampler's order and length, set_epoch before each epoch, resuming, bad samplers."""
import numpy as np
import pytest

import backprop as bp
from backprop.data import DataLoader, TensorDataset
from backprop.distributed import DistributedSampler


def dataset(n=10):
    return TensorDataset(bp.arange(n).float()[:, None] * 3, bp.arange(n))


class Recorder:
    """A sampler whose order is a function of the epoch: [epoch-th rotation of ORDER]; records set_epoch calls."""
    ORDER = [7, 2, 9, 0, 4]

    def __init__(self):
        self.epochs, self.epoch = [], 0

    def set_epoch(self, epoch):
        self.epochs.append(epoch)
        self.epoch = epoch

    def __iter__(self):
        k = self.epoch % len(self.ORDER)
        return iter(self.ORDER[k:] + self.ORDER[:k])

    def __len__(self):
        return len(self.ORDER)


def batches(loader):
    return [(x.numpy()[:, 0].tolist(), y.numpy().tolist()) for x, y in loader]


@pytest.mark.parametrize("drop_last, lengths", [(False, [2, 2, 1]), (True, [2, 2])])
def test_uses_the_samplers_order_and_length(drop_last, lengths):
    sampler = Recorder()
    loader = DataLoader(dataset(), batch_size=2, sampler=sampler, drop_last=drop_last)
    assert len(loader) == len(lengths)
    for epoch in range(3):
        got = batches(loader)
        assert [len(y) for _, y in got] == lengths
        order = Recorder.ORDER[epoch:] + Recorder.ORDER[:epoch]
        assert sum((y for _, y in got), []) == order[:sum(lengths)]
        assert all(x == [3.0 * i for i in y] for x, y in got)
    assert sampler.epochs == [0, 1, 2]


def test_a_sampler_without_set_epoch():
    loader = DataLoader(dataset(), batch_size=3, sampler=[5, 1, 8, 3])
    assert len(loader) == 2
    assert [y for _, y in batches(loader)] == [[5, 1, 8], [3]]
    assert [y for _, y in batches(loader)] == [[5, 1, 8], [3]]


def test_resuming_gives_the_same_batches():
    def make():
        return DataLoader(dataset(20), batch_size=3, sampler=DistributedSampler(dataset(20), num_replicas=2, rank=1,
                                                                                  seed=9))
    straight = make()
    epochs = [batches(straight) for _ in range(4)]
    assert epochs[2] != epochs[3]
    first = make()
    batches(first), batches(first)
    state = first.state_dict()
    resumed = make()
    resumed.load_state_dict(state)
    assert [batches(resumed), batches(resumed)] == epochs[2:]
    assert resumed.sampler.epoch == 3


def test_sampler_and_shuffle_cannot_be_combined():
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(dataset(), batch_size=2, shuffle=True, sampler=Recorder())


@pytest.mark.parametrize("sampler", [5, object()])
def test_a_sampler_must_be_an_iterable(sampler):
    with pytest.raises(TypeError, match="sampler must be an iterable"):
        DataLoader(dataset(), batch_size=2, sampler=sampler)


def test_a_sampler_without_len_is_iterated_but_has_no_len():
    loader = DataLoader(dataset(), batch_size=2, sampler=iter([1, 2, 3]))  # as torch: a one-shot iterator
    assert [y for _, y in batches(loader)] == [[1, 2], [3]]
    assert batches(loader) == []
    with pytest.raises(TypeError):
        len(loader)


def test_the_default_order_is_unchanged_without_a_sampler():
    loader = DataLoader(dataset(), batch_size=4, shuffle=True, seed=3)
    assert loader.sampler is None  # the sampler given; DistributedTrainer reads it
    expected = np.random.default_rng([3, 0]).permutation(10).tolist()
    assert sum((y for _, y in batches(loader)), []) == expected
