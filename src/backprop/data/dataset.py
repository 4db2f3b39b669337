"""Datasets: indexable collections of samples, as ``torch.utils.data``.

A ``Dataset`` answers ``len(dataset)`` and ``dataset[i]`` (one sample, usually
a tuple such as ``(image, label)``); an ``IterableDataset`` is a stream of
samples (``iter(dataset)``). A dataset may also define
``__getitems__(indices)``: either torch's hook, the list of the samples at
``indices`` (the ``DataLoader`` collates them), or backprop's fast path, the
whole batch already collated (a tuple of Tensors whose first dimension is
``len(indices)``): the ``DataLoader`` then fetches a mini-batch with one
fancy-indexing call instead of a Python loop over its samples (with the
default ``collate_fn``).

>>> import backprop as bp
>>> ds = TensorDataset(bp.arange(10).float().reshape(5, 2), bp.arange(5))
>>> x, y = ds[1]
>>> x, y
(tensor([2., 3.]), tensor(1))
>>> train, test = random_split(ds, [0.6, 0.4], seed=0)
>>> len(train), len(test)
(3, 2)
"""
import bisect
import itertools
import math
import operator
import warnings

import numpy

from backprop import backend
from backprop.random import numpy_generator
from backprop.tensor import Tensor


class Dataset:
    """Base class: subclasses define ``__getitem__`` and usually ``__len__`` (the default samplers need it);
    ``a + b`` is their ``ConcatDataset``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Base class of a stream of samples: subclasses define ``__iter__`` (``__len__`` is optional); ``a + b`` is
    their ``ChainDataset``. In a DataLoader with workers every worker iterates its own copy:
    ``get_worker_info()`` tells it which share to yield."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other):
        return ChainDataset([self, other])


def fetch_batch(dataset, indices, collate_fn=None):
    """The batch of ``dataset`` at ``indices`` (ints).

    With the default collation, from ``__getitems__`` when the dataset has one (collated here when it returns
    the list of samples, torch's way), else its samples collated by ``collate_fn``.
    """
    from backprop.data.collate import default_collate

    collate_fn = default_collate if collate_fn is None else collate_fn
    if collate_fn is default_collate and callable(getattr(dataset, "__getitems__", None)):
        batch = dataset.__getitems__(indices)
        return collate_fn(batch) if isinstance(batch, list) else batch
    return collate_fn([dataset[int(i)] for i in indices])


def _rows(tensor, index):
    """``tensor[index]`` along the first dimension; a plain wrap (no graph) unless it requires grad."""
    if tensor.requires_grad:
        return tensor[index]
    data = tensor._data
    if not isinstance(index, int):
        index = backend.array_module(data).asarray(index)
    return Tensor._make(data[index])


class TensorDataset(Dataset):
    """Samples are the rows of tensors that share their first dimension: ``ds[i] = (t[i] for t in tensors)``."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for position, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset expects Tensors, got {type(t).__name__} at position {position}")
            if t.ndim == 0:
                raise ValueError(
                    f"TensorDataset needs tensors with a first dimension, got a 0-d tensor at position {position}"
                )
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) != 1:
            raise ValueError(f"TensorDataset needs tensors of the same first dimension, got sizes {tuple(sizes)}")
        self.tensors = tensors

    def __getitem__(self, index):
        index = operator.index(index)
        return tuple(_rows(t, index) for t in self.tensors)

    def __getitems__(self, indices):
        return tuple(_rows(t, indices) for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class StackDataset(Dataset):
    """Several datasets of one length side by side: sample i is ``(d[i] for d in args)`` or ``{k: d[i]}``."""

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like "
                             "input/output, but both types are given.")
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        self.datasets = args or kwargs
        parts = list(args or kwargs.values())
        self._length = len(parts[0])
        if any(len(d) != self._length for d in parts):
            raise ValueError(f"Size mismatch between datasets: lengths {[len(d) for d in parts]}")

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {key: d[index] for key, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self):
        return self._length


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order (``indices`` kept as given)."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices):
        """The underlying dataset's ``__getitems__`` at the mapped indices, else the list of samples (torch's)."""
        mapped = [self.indices[int(i)] for i in indices]
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__(mapped)
        return [self.dataset[i] for i in mapped]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """The samples of several datasets, one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = numpy.cumsum([len(d) for d in self.datasets]).tolist()

    def __getitem__(self, index):
        index = operator.index(index)
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index += len(self)
        if index >= len(self):
            raise IndexError(f"index {index} is out of range for a ConcatDataset of {len(self)} samples")
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]

    def __len__(self):
        return self.cumulative_sizes[-1]


class ChainDataset(IterableDataset):
    """Several IterableDatasets, one stream after the other."""

    def __init__(self, datasets):
        self.datasets = datasets

    def _parts(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield d

    def __iter__(self):
        return itertools.chain.from_iterable(self._parts())

    def __len__(self):
        return sum(len(d) for d in self._parts())


def _split_lengths(lengths, n):
    """Integer lengths from ints, or from fractions summing to 1.

    Fractions follow torch: floor(n f_i) each, then one more to each split in
    turn until all n samples are placed.
    """
    lengths = list(lengths)
    if lengths and math.isclose(sum(lengths), 1.0) and sum(lengths) <= 1 and all(
            isinstance(x, (int, float)) and 0 <= x <= 1 for x in lengths):
        counts = [int(math.floor(n * x)) for x in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.",
                              stacklevel=3)
        return counts
    if not all(isinstance(x, int) and x >= 0 for x in lengths):
        raise ValueError(f"random_split lengths must be non-negative ints or fractions summing to 1, got {lengths}")
    if sum(lengths) != n:
        raise ValueError(
            f"random_split lengths must sum to the dataset's length {n}, got {lengths} (sum {sum(lengths)})"
        )
    return lengths


def random_split(dataset, lengths, generator=None, *, seed=None):
    """Disjoint random ``Subset``s of the given lengths (ints, or fractions summing to 1).

    The permutation is drawn from ``generator`` (a ``bp.Generator`` or a NumPy Generator), from
    ``numpy.random.default_rng(seed)``, or else from backprop's global generator (``bp.manual_seed``).
    """
    if generator is not None and seed is not None:
        raise ValueError("random_split takes a generator or a seed, not both")
    counts = _split_lengths(lengths, len(dataset))
    rng = numpy.random.default_rng(seed) if seed is not None else numpy_generator(generator)
    order = rng.permutation(sum(counts)).tolist()
    bounds = list(itertools.accumulate(counts, initial=0))
    return [Subset(dataset, order[start:stop]) for start, stop in zip(bounds[:-1], bounds[1:])]
