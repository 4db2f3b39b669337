"""Samplers against torch.utils.data's: the same orders where they are deterministic, the same lengths and errors,
and for the random ones the right distribution and reproducibility from their generator."""
import numpy as np
import pytest
import torch
import torch.utils.data as tud

import backprop as bp
from backprop.data import (BatchSampler, DataLoader, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                           TensorDataset, WeightedRandomSampler)
from backprop.distributed import DistributedSampler


def same_error(ours, theirs):
    """Both calls raise the same exception type with the same message."""
    with pytest.raises(Exception) as expected:
        theirs()
    with pytest.raises(type(expected.value)) as got:
        ours()
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("n", [0, 1, 7])
def test_sequential_sampler(n):
    assert list(SequentialSampler(range(n))) == list(tud.SequentialSampler(range(n)))
    assert len(SequentialSampler(range(n))) == n


@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False),
                                                      (2, 5, True), (0, 2, False)])
def test_batch_sampler_as_torch(n, batch_size, drop_last):
    ours = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    theirs = tud.BatchSampler(tud.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert all(type(batch) is list for batch in ours)
    assert list(BatchSampler([5, 3, 9, 1], 3, drop_last)) == list(tud.BatchSampler([5, 3, 9, 1], 3, drop_last))


@pytest.mark.parametrize("batch_size", [0, -1, 1.5, True, "2"])
def test_batch_sampler_batch_size_errors(batch_size):
    same_error(lambda: BatchSampler(range(3), batch_size, False), lambda: tud.BatchSampler(range(3), batch_size, False))


def test_batch_sampler_drop_last_error():
    same_error(lambda: BatchSampler(range(3), 2, 1), lambda: tud.BatchSampler(range(3), 2, 1))


def test_sampler_base_class():
    class Evens(Sampler):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(0, self.n, 2))

        def __len__(self):
            return (self.n + 1) // 2

    assert list(BatchSampler(Evens(9), 2, False)) == [[0, 2], [4, 6], [8]]
    with pytest.raises(NotImplementedError):
        iter(Sampler())


def counts(indices, n):
    return np.bincount(np.asarray(list(indices)), minlength=n)


def test_random_sampler_is_a_permutation_each_time_and_reproducible_from_its_generator():
    n = 50
    sampler = RandomSampler(range(n), generator=np.random.default_rng(3))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == list(range(n)) and first != second and len(sampler) == n
    again = RandomSampler(range(n), generator=np.random.default_rng(3))
    assert [list(again), list(again)] == [first, second]


def test_random_sampler_without_generator_follows_manual_seed():
    bp.manual_seed(5)
    first = list(RandomSampler(range(30)))
    bp.manual_seed(5)
    assert list(RandomSampler(range(30))) == first
    assert list(RandomSampler(range(30))) != first


@pytest.mark.parametrize("num_samples", [3, 10, 25])
def test_random_sampler_num_samples_without_replacement(num_samples):
    n = 10
    ours = list(RandomSampler(range(n), num_samples=num_samples, generator=np.random.default_rng(0)))
    theirs = list(tud.RandomSampler(range(n), num_samples=num_samples))
    assert len(ours) == len(theirs) == num_samples
    whole, rest = divmod(num_samples, n)
    # as torch: whole permutations, then the start of one more (every index whole or whole + 1 times)
    assert sorted(ours[:whole * n]) == sorted(list(range(n)) * whole)
    assert len(set(ours[whole * n:])) == rest
    assert set(counts(ours, n)) <= {whole, whole + 1} and set(counts(theirs, n)) <= {whole, whole + 1}


def test_random_sampler_with_replacement_is_uniform():
    n, draws = 5, 20000
    indices = list(RandomSampler(range(n), replacement=True, num_samples=draws, generator=np.random.default_rng(1)))
    assert len(indices) == draws and min(indices) >= 0 and max(indices) < n
    np.testing.assert_allclose(counts(indices, n) / draws, 1 / n, atol=0.015)  # 5 sigma is 0.014


@pytest.mark.parametrize("options", [{"replacement": 1}, {"num_samples": 0}, {"num_samples": -2},
                                     {"num_samples": 2.0}, {"replacement": True, "num_samples": "3"}])
def test_random_sampler_errors(options):
    same_error(lambda: RandomSampler(range(4), **options), lambda: tud.RandomSampler(range(4), **options))


def test_random_sampler_of_an_empty_dataset_is_refused_as_torch():
    same_error(lambda: RandomSampler([]), lambda: tud.RandomSampler([]))


def test_seeded_random_sampler_depends_only_on_seed_and_epoch():
    sampler = RandomSampler(range(20), seed=4)
    assert list(sampler) == list(sampler) == np.random.default_rng([4, 0]).permutation(20).tolist()
    sampler.set_epoch(3)
    assert list(sampler) == np.random.default_rng([4, 3]).permutation(20).tolist()
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        RandomSampler(range(3), seed=-1)


def test_subset_random_sampler():
    indices = [10, 20, 30, 40]
    sampler = SubsetRandomSampler(indices, generator=np.random.default_rng(0))
    draws = [list(sampler) for _ in range(5)]
    assert all(sorted(d) == indices for d in draws) and len(sampler) == 4
    assert len({tuple(d) for d in draws}) > 1
    assert sorted(tud.SubsetRandomSampler(indices)) == indices


def test_weighted_random_sampler_draws_in_proportion_to_the_weights():
    weights, draws = [1.0, 3.0, 0.0, 6.0], 20000
    ours = list(WeightedRandomSampler(weights, draws, generator=np.random.default_rng(2)))
    theirs = list(tud.WeightedRandomSampler(weights, draws))
    assert len(ours) == len(theirs) == draws
    for indices in (ours, theirs):
        np.testing.assert_allclose(counts(indices, 4) / draws, [0.1, 0.3, 0.0, 0.6], atol=0.02)
    assert counts(ours, 4)[2] == 0


def test_weighted_random_sampler_without_replacement_draws_distinct_indices():
    sampler = WeightedRandomSampler(bp.tensor([1.0, 1.0, 5.0, 0.0, 2.0]), 4, replacement=False,
                                    generator=np.random.default_rng(0))
    for _ in range(20):
        drawn = list(sampler)
        assert len(set(drawn)) == 4 and 3 not in drawn
    # the heavy index comes first most often: it is drawn first with probability 5/9
    first = [next(iter(sampler)) for _ in range(2000)]
    assert abs(first.count(2) / 2000 - 5 / 9) < 0.06


def test_weighted_random_sampler_without_replacement_takes_zero_weights_last_as_torch():
    for sampler in (WeightedRandomSampler([0.0, 1.0, 0.0], 2, replacement=False), tud.WeightedRandomSampler(
            [0.0, 1.0, 0.0], 2, replacement=False)):
        drawn = list(sampler)
        assert drawn[0] == 1 and drawn[1] in (0, 2)


@pytest.mark.parametrize("args", [([[1.0, 2.0]], 2), ([1.0, 2.0], 0), ([1.0, 2.0], True), ([1.0, 2.0], 2, "yes")])
def test_weighted_random_sampler_construction_errors(args):
    same_error(lambda: WeightedRandomSampler(*args), lambda: tud.WeightedRandomSampler(*args))


@pytest.mark.parametrize("weights, num_samples, replacement", [([1.0, -1.0], 2, True), ([0.0, 0.0], 1, True),
                                                                ([1.0, 2.0], 3, False)])
def test_weighted_random_sampler_draw_errors_are_runtime_errors_as_torch(weights, num_samples, replacement):
    with pytest.raises(RuntimeError):
        list(tud.WeightedRandomSampler(weights, num_samples, replacement))
    with pytest.raises(RuntimeError):
        list(WeightedRandomSampler(weights, num_samples, replacement))


def test_a_bp_generator_drives_the_samplers():
    def draw():
        g = bp.Generator().manual_seed(11)
        return (list(RandomSampler(range(20), generator=g)), list(WeightedRandomSampler([1.0, 2.0], 10, generator=g)),
                list(SubsetRandomSampler([4, 5, 6], generator=g)))

    first = draw()
    assert first == draw()
    assert sorted(first[0]) == list(range(20)) and sorted(first[2]) == [4, 5, 6]
    with pytest.raises(TypeError, match="generator"):
        list(RandomSampler(range(3), generator="seed"))


def loader_labels(loader):
    return [y.tolist() for _, y in loader]


def test_loader_with_samplers_as_torch():
    x = np.arange(10, dtype=np.float32)
    ours = TensorDataset(bp.tensor(x), bp.arange(10))
    theirs = tud.TensorDataset(torch.tensor(x), torch.arange(10))
    for kwargs in ({"batch_size": 3, "sampler": [9, 1, 4, 4, 0]},
                   {"batch_sampler": [[1, 2], [7], [3, 3, 3]]},
                   {"batch_sampler": BatchSampler([5, 6, 7, 8], 3, True)},
                   {"batch_size": 4, "drop_last": True}):
        torch_kwargs = {k: (tud.BatchSampler(v.sampler, v.batch_size, v.drop_last) if isinstance(v, BatchSampler) else v)
                        for k, v in kwargs.items()}
        assert loader_labels(DataLoader(ours, **kwargs)) == loader_labels(tud.DataLoader(theirs, **torch_kwargs))
        assert len(DataLoader(ours, **kwargs)) == len(tud.DataLoader(theirs, **torch_kwargs))


def test_a_batch_sampler_over_a_distributed_sampler_is_moved_on_each_epoch():
    ds = TensorDataset(bp.arange(12).float(), bp.arange(12))
    sampler = DistributedSampler(ds, num_replicas=2, rank=0, seed=3)
    loader = DataLoader(ds, batch_sampler=BatchSampler(sampler, 4, False))
    epochs = [sum(loader_labels(loader), []) for _ in range(3)]
    for epoch, seen in enumerate(epochs):
        assert seen == np.random.default_rng([3, epoch]).permutation(12)[0::2].tolist()
    assert sampler.epoch == 2
