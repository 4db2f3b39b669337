"""DataLoader and the datasets against torch.utils.data: argument checks (error types and messages), batches and
lengths of map-style and iterable datasets, batch_size=None, the dataset combinators, random_split's generator."""
import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import backprop as bp
from backprop.data import (ChainDataset, ConcatDataset, DataLoader, Dataset, IterableDataset, SequentialSampler,
                           StackDataset, Subset, TensorDataset, default_collate, default_convert, random_split)
from tests.data.test_collate import plain


class Samples(Dataset):
    """(x, label, name) samples of NumPy arrays and plain values: the same for both frameworks."""

    def __init__(self, n=10):
        self.n = n

    def __getitem__(self, i):
        if isinstance(i, list):
            return [self[j] for j in i]
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.full(2, i, dtype=np.float32), i, f"s{i}"

    def __len__(self):
        return self.n


def torch_twin(cls, base):
    """The same class on torch's base class (its methods copied, so that torch's ``__add__`` is the one used)."""
    methods = {k: v for k, v in vars(cls).items() if k not in ("__dict__", "__weakref__")}
    return type(f"Torch{cls.__name__}", (base,), methods)


TorchSamples = torch_twin(Samples, tud.Dataset)


class Stream(IterableDataset):
    """0 .. n-1 as (float, int) samples; ``sized`` decides whether it has a len."""

    def __init__(self, n=7):
        self.n = n

    def __iter__(self):
        return iter([(float(i), i) for i in range(self.n)])

    def __len__(self):
        return self.n


TorchStream = torch_twin(Stream, tud.IterableDataset)


def batches(loader):
    return [plain(batch) for batch in loader]


OPTIONS = [
    {"batch_size": 3},
    {"batch_size": 3, "drop_last": True},
    {"batch_size": 20},
    {"batch_size": None},
    {"batch_size": 4, "sampler": [3, 1, 4, 1, 5, 9, 2, 6]},
    {"batch_sampler": [[0, 1], [9], [2, 2, 2]]},
    {"batch_size": 2, "collate_fn": lambda samples: [s[1] for s in samples]},
    {"batch_size": None, "collate_fn": lambda sample: sample[2]},
]


def option_id(options):
    """A test id without object addresses (which differ between xdist workers)."""
    return ",".join(f"{key}={'fn' if callable(value) else value}" for key, value in options.items())


@pytest.mark.parametrize("options", OPTIONS, ids=option_id)
def test_map_style_batches_as_torch(options):
    ours, theirs = DataLoader(Samples(), **options), tud.DataLoader(TorchSamples(), **options)
    assert len(ours) == len(theirs)
    assert batches(ours) == batches(theirs)
    assert len(iter(ours)) == len(ours)


@pytest.mark.parametrize("options", [{"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": None},
                                     {"batch_size": 10}], ids=option_id)
def test_iterable_dataset_batches_as_torch(options):
    ours, theirs = DataLoader(Stream(), **options), tud.DataLoader(TorchStream(), **options)
    assert len(ours) == len(theirs)
    assert batches(ours) == batches(theirs)
    assert batches(ours) == batches(theirs)  # a new stream each epoch


def test_an_iterable_dataset_without_len():
    class Endless(IterableDataset):
        def __iter__(self):
            return iter(range(5))

    loader = DataLoader(Endless(), batch_size=2)
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3], [4]]
    with pytest.raises(TypeError):
        len(loader)


def test_a_sampler_given_as_a_batch_sampler_with_batch_size_none():
    ours = DataLoader(Samples(), sampler=tud.BatchSampler(range(10), 4, False), batch_size=None)
    theirs = tud.DataLoader(TorchSamples(), sampler=tud.BatchSampler(range(10), 4, False), batch_size=None)
    assert batches(ours) == batches(theirs)  # the dataset is indexed by lists


def test_default_collate_functions():
    assert DataLoader(Samples()).collate_fn is default_collate
    assert DataLoader(Samples(), batch_size=None).collate_fn is default_convert
    assert tud.DataLoader(TorchSamples(), batch_size=None).collate_fn is tud.default_convert


def torch_dataset(n=4):
    return tud.TensorDataset(torch.zeros(n, 1))


def our_dataset(n=4):
    return TensorDataset(bp.zeros(n, 1))


BAD = [
    {"batch_sampler": [[0]], "batch_size": 2},
    {"batch_sampler": [[0]], "shuffle": True},
    {"batch_sampler": [[0]], "sampler": [0]},
    {"batch_sampler": [[0]], "drop_last": True},
    {"batch_size": None, "drop_last": True},
    {"sampler": [0, 1], "shuffle": True},
    {"num_workers": -1},
    {"timeout": -1},
    {"prefetch_factor": 2},
    {"num_workers": 1, "prefetch_factor": -1},
    {"persistent_workers": True},
    {"batch_size": 0},
    {"batch_size": -3},
    {"multiprocessing_context": "spawn"},
    {"num_workers": 1, "multiprocessing_context": "no-such-method"},
    {"num_workers": 1, "multiprocessing_context": 3},
]


@pytest.mark.parametrize("options", BAD, ids=option_id)
def test_argument_errors_as_torch(options):
    with pytest.raises(Exception) as theirs:
        tud.DataLoader(torch_dataset(), **options)
    with pytest.raises(type(theirs.value)) as ours:
        DataLoader(our_dataset(), **options)
    if "num_workers" not in options or options["num_workers"] >= 0:
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("options", [{"shuffle": True}, {"sampler": [0]}, {"batch_sampler": [[0]]}], ids=option_id)
def test_iterable_dataset_refuses_order_options_as_torch(options):
    with pytest.raises(ValueError, match="DataLoader with IterableDataset: expected unspecified"):
        tud.DataLoader(TorchStream(), **options)
    with pytest.raises(ValueError, match="DataLoader with IterableDataset: expected unspecified"):
        DataLoader(Stream(), **options)
    assert len(DataLoader(Stream(), shuffle=False)) == 7


def test_torchs_other_arguments_are_accepted():
    loader = DataLoader(our_dataset(6), batch_size=2, pin_memory=True, pin_memory_device="cuda", timeout=5,
                        worker_init_fn=print, in_order=False, generator=np.random.default_rng(0))
    assert [tuple(x.shape) for x, in loader] == [(2, 1)] * 3


def test_a_generator_makes_the_shuffle_reproducible():
    def epochs(generator):
        loader = DataLoader(TensorDataset(bp.arange(12)), batch_size=5, shuffle=True, generator=generator)
        return [sum([y.tolist() for y, in loader], []) for _ in range(3)]

    first = epochs(bp.Generator().manual_seed(8))
    assert first == epochs(bp.Generator().manual_seed(8)) and first != epochs(bp.Generator().manual_seed(9))
    assert all(sorted(epoch) == list(range(12)) for epoch in first) and first[0] != first[1] != first[2]
    assert epochs(np.random.default_rng(8)) == epochs(np.random.default_rng(8))  # a NumPy Generator serves too


def test_dataset_addition_and_concat_as_torch():
    ours = Samples(3) + Samples(4)
    theirs = TorchSamples(3) + TorchSamples(4)
    assert isinstance(ours, ConcatDataset) and len(ours) == len(theirs) == 7
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    for i in range(-7, 7):
        assert plain(ours[i]) == plain(theirs[i])
    for index in (-8, 7):
        with pytest.raises(Exception) as expected:
            theirs[index]
        with pytest.raises(type(expected.value)):
            ours[index]
    with pytest.raises(AssertionError):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        ConcatDataset([Stream()])


def test_chain_dataset_as_torch():
    ours, theirs = Stream(2) + Stream(3), TorchStream(2) + TorchStream(3)
    assert isinstance(ours, ChainDataset) and isinstance(theirs, tud.ChainDataset)
    assert list(ours) == list(theirs) and len(ours) == len(theirs) == 5
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        list(ChainDataset([Samples(2)]))


def test_stack_dataset_as_torch():
    x, y = Samples(3), Samples(3)
    assert plain(StackDataset(x, y)[1]) == plain(tud.StackDataset(x, y)[1])
    assert plain(StackDataset(a=x, b=y)[2]) == plain(tud.StackDataset(a=x, b=y)[2])
    assert len(StackDataset(x, y)) == 3
    batch = next(iter(DataLoader(StackDataset(image=x, label=y), batch_size=3)))
    assert set(batch) == {"image", "label"} and batch["image"][0].shape == (3, 2)
    for args, kwargs in (((x,), {"b": y}), ((x, Samples(2)), {}), ((), {})):
        with pytest.raises(ValueError):
            tud.StackDataset(*args, **kwargs)
        with pytest.raises(ValueError):
            StackDataset(*args, **kwargs)


def test_subset_as_torch():
    ours, theirs = Subset(Samples(), [7, 2, 5]), tud.Subset(TorchSamples(), [7, 2, 5])
    assert len(ours) == len(theirs) == 3 and ours.indices == theirs.indices == [7, 2, 5]
    for i in (0, 2, -1):
        assert plain(ours[i]) == plain(theirs[i])
    assert plain(ours[[0, 1]]) == plain(theirs[[0, 1]])
    assert batches(DataLoader(ours, batch_size=2)) == batches(tud.DataLoader(theirs, batch_size=2))


def test_subset_of_a_tensor_dataset_fetches_batches_at_once():
    base = TensorDataset(bp.arange(10).float(), bp.arange(10))
    x, y = next(iter(DataLoader(Subset(base, [9, 0, 4]), batch_size=3)))
    assert y.tolist() == [9, 0, 4] and x.tolist() == [9.0, 0.0, 4.0]


def test_random_split_with_a_generator():
    def split(generator):
        return [part.indices for part in random_split(range(10), [0.3, 0.7], generator=generator)]

    first = split(bp.Generator().manual_seed(0))
    assert first == split(bp.Generator().manual_seed(0)) and first != split(bp.Generator().manual_seed(1))
    assert [len(p) for p in first] == [len(p) for p in tud.random_split(range(10), [0.3, 0.7])] == [3, 7]
    assert all(type(p) is list for p in first)
    assert sorted(sum(first, [])) == list(range(10))
    with pytest.raises(ValueError, match="not both"):
        random_split(range(4), [2, 2], generator=np.random.default_rng(0), seed=1)


def test_random_split_warns_of_an_empty_split_as_torch():
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        tud.random_split(range(2), [1.0, 0.0])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(2), [1.0, 0.0])


def test_named_tuple_samples_collate_into_the_named_tuple():
    Sample = collections.namedtuple("Sample", "x y")

    class Named(Dataset):
        def __getitem__(self, i):
            return Sample(np.ones(2) * i, i)

        def __len__(self):
            return 4

    batch = next(iter(DataLoader(Named(), batch_size=4)))
    assert isinstance(batch, Sample) and batch.y.tolist() == [0, 1, 2, 3] and batch.x.shape == (4, 2)


def test_sequential_sampler_is_the_default_order():
    loader = DataLoader(Samples(5), batch_size=2)
    assert isinstance(loader.batch_sampler.sampler, SequentialSampler)
    assert list(loader.batch_sampler) == [[0, 1], [2, 3], [4]]
