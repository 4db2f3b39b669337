"""DistributedSampler: each rank's shard of an epoch, by hand from the permutation the DataLoader uses."""
import numpy as np
import pytest

import backprop as bp
from backprop.data import DataLoader, TensorDataset
from backprop.distributed import DistributedSampler


def shards(n, replicas, epoch=0, **kwargs):
    result = []
    for rank in range(replicas):
        sampler = DistributedSampler(range(n), num_replicas=replicas, rank=rank, **kwargs)
        sampler.set_epoch(epoch)
        shard = list(sampler)
        assert len(shard) == len(sampler)
        assert all(type(i) is int for i in shard)
        result.append(shard)
    return result


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("n, replicas", [(12, 3), (12, 4), (10, 2), (7, 1)])
def test_divisible_shards_are_disjoint_and_cover(n, replicas, shuffle):
    parts = shards(n, replicas, shuffle=shuffle, seed=5)
    assert [len(p) for p in parts] == [n // replicas] * replicas
    together = sum(parts, [])
    assert sorted(together) == list(range(n))  # disjoint (no repeat) and covering


@pytest.mark.parametrize("n, replicas", [(10, 3), (11, 4), (2, 3), (1, 4)])
def test_padding_covers_with_equal_lengths_and_repeats_only_the_padding(n, replicas):
    parts = shards(n, replicas, seed=1)
    length = -(-n // replicas)
    assert [len(p) for p in parts] == [length] * replicas
    together = sum(parts, [])
    assert set(together) == set(range(n))
    # the padding is the start of the epoch's order, repeated: rank r's k-th index is order[k * N + r]
    order = np.resize(np.random.default_rng([1, 0]).permutation(n), length * replicas)
    interleaved = [parts[position % replicas][position // replicas] for position in range(length * replicas)]
    assert interleaved == order.tolist()
    counts = np.bincount(together, minlength=n)
    padded = length * replicas - n
    assert counts.sum() == n + padded
    expected_counts = np.bincount(order, minlength=n)  # the indices at the start of the order are seen again
    np.testing.assert_array_equal(counts, expected_counts)
    assert (counts >= 1).all() and (counts > 1).sum() <= padded


@pytest.mark.parametrize("n, replicas", [(10, 3), (11, 4), (12, 5)])
def test_drop_last_is_disjoint_with_equal_lengths(n, replicas):
    parts = shards(n, replicas, seed=2, drop_last=True)
    assert [len(p) for p in parts] == [n // replicas] * replicas
    together = sum(parts, [])
    assert len(set(together)) == len(together) == (n // replicas) * replicas
    dropped = set(range(n)) - set(together)
    # what is left out is the end of the epoch's order
    assert dropped == set(np.random.default_rng([2, 0]).permutation(n)[(n // replicas) * replicas:].tolist())


@pytest.mark.parametrize("n, replicas", [(10, 3), (11, 4), (2, 3), (9, 3)])
def test_uneven_shards_cover_once(n, replicas):
    parts = shards(n, replicas, seed=3, even=False)
    lengths = [len(p) for p in parts]
    assert sum(lengths) == n and max(lengths) - min(lengths) <= 1
    assert sorted(sum(parts, [])) == list(range(n))


def test_reshuffles_per_epoch_and_repeats_for_the_same_seed_and_epoch():
    a = DistributedSampler(range(50), num_replicas=2, rank=1, seed=7)
    b = DistributedSampler(range(50), num_replicas=2, rank=1, seed=7)
    other_seed = DistributedSampler(range(50), num_replicas=2, rank=1, seed=8)
    epochs = []
    for epoch in range(3):
        a.set_epoch(epoch), b.set_epoch(epoch), other_seed.set_epoch(epoch)
        epochs.append(list(a))
        assert list(a) == list(a) == list(b)
        assert list(other_seed) != list(a)
        assert a.epoch == epoch
    assert epochs[0] != epochs[1] != epochs[2] != epochs[0]
    a.set_epoch(1)
    assert list(a) == epochs[1]
    no_shuffle = DistributedSampler(range(10), num_replicas=2, rank=1, shuffle=False)
    no_shuffle.set_epoch(3)
    assert list(no_shuffle) == [1, 3, 5, 7, 9]


def dataset(n):
    return TensorDataset(bp.arange(n).float()[:, None], bp.arange(n))


def labels(loader):
    return [y.numpy().tolist() for _, y in loader]


@pytest.mark.parametrize("n", [20, 23])
def test_world_of_one_visits_the_shuffling_loaders_order(n):
    sampler = DistributedSampler(dataset(n), num_replicas=1, rank=0, seed=11)
    with_sampler = DataLoader(dataset(n), batch_size=4, sampler=sampler)
    shuffling = DataLoader(dataset(n), batch_size=4, shuffle=True, seed=11)
    for _ in range(3):
        assert labels(with_sampler) == labels(shuffling)


@pytest.mark.parametrize("replicas", [2, 4])
def test_ranks_kth_batches_make_the_kth_batch_of_one_loader(replicas):
    n, batch = 48, 8
    one = DataLoader(dataset(n), batch_size=batch, shuffle=True, seed=4)
    loaders = [DataLoader(dataset(n), batch_size=batch // replicas,
                          sampler=DistributedSampler(dataset(n), num_replicas=replicas, rank=rank, seed=4))
               for rank in range(replicas)]
    for _ in range(3):  # epochs
        whole = labels(one)
        per_rank = [labels(loader) for loader in loaders]
        assert all(len(p) == len(whole) == n // batch for p in per_rank)
        for k, expected in enumerate(whole):
            assert sorted(sum((p[k] for p in per_rank), [])) == sorted(expected)


@pytest.mark.parametrize("kwargs, name, error", [  # a value of the wrong type is a TypeError
    (dict(num_replicas=0, rank=0), "num_replicas", ValueError),
    (dict(num_replicas=2.0, rank=0), "num_replicas", TypeError),
    (dict(num_replicas=True, rank=0), "num_replicas", TypeError),
    (dict(num_replicas=2, rank=-1), "rank", ValueError),
    (dict(num_replicas=2, rank=2), "rank", ValueError),
    (dict(num_replicas=2, rank="1"), "rank", TypeError),
    (dict(num_replicas=2, rank=0, seed=-1), "seed", ValueError),
    (dict(num_replicas=2, rank=0, seed=1.5), "seed", TypeError),
])
def test_bad_arguments_name_the_argument(kwargs, name, error):
    with pytest.raises(error, match=rf"\b{name}\b"):
        DistributedSampler(range(10), **kwargs)


def test_bad_epoch_and_dataset():
    sampler = DistributedSampler(range(10), num_replicas=2, rank=0)
    for bad, error in ((-1, ValueError), (1.0, TypeError), (None, TypeError)):
        with pytest.raises(error, match="epoch"):
            sampler.set_epoch(bad)
    with pytest.raises(TypeError, match="__len__"):
        DistributedSampler(iter(range(10)), num_replicas=2, rank=0)
