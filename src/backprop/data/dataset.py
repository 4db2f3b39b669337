"""Datasets: indexable collections of samples, as ``torch.utils.data``.

A ``Dataset`` answers ``len(dataset)`` and ``dataset[i]`` (one sample, usually
a tuple such as ``(image, label)``). An array-backed dataset may also define
``__getitems__(indices)`` returning the whole batch at once, already
collated (a tuple of Tensors whose first dimension is ``len(indices)``): the
``DataLoader`` then fetches a mini-batch with one fancy-indexing call instead
of a Python loop over its samples. (torch's hook of the same name returns a
list of samples; here it returns the collated batch.)

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
import math
import operator

import numpy

from backprop import backend
from backprop import creation
from backprop.tensor import Tensor


class Dataset:
    """Base class: subclasses define ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other):
        return ConcatDataset([self, other])


def fetch_batch(dataset, indices, collate_fn=None):
    """The batch of ``dataset`` at ``indices`` (1-D int array).

    From ``__getitems__`` when the dataset has one, else its samples collated.
    """
    if collate_fn is None and hasattr(dataset, "__getitems__"):
        return dataset.__getitems__(indices)
    if collate_fn is None:
        from backprop.data.loader import default_collate as collate_fn
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


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = numpy.asarray(indices, dtype=numpy.int64).reshape(-1)

    def __getitem__(self, index):
        return self.dataset[int(self.indices[operator.index(index)])]

    def __getitems__(self, indices):
        return fetch_batch(self.dataset, self.indices[numpy.asarray(indices)])

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """The samples of several datasets, one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset")
        self.cumulative_sizes = list(numpy.cumsum([len(d) for d in self.datasets]))

    def __getitem__(self, index):
        index = operator.index(index)
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"index out of range for a ConcatDataset of {len(self)} samples")
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]

    def __len__(self):
        return int(self.cumulative_sizes[-1])


def _split_lengths(lengths, n):
    """Integer lengths from ints, or from fractions summing to 1.

    Fractions follow torch: floor(n f_i) each, then one more to each split in
    turn until all n samples are placed.
    """
    lengths = list(lengths)
    if lengths and all(isinstance(x, float) for x in lengths) and math.isclose(sum(lengths), 1.0) \
            and all(0 <= x <= 1 for x in lengths):
        counts = [int(math.floor(n * x)) for x in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        return counts
    if not all(isinstance(x, int) and x >= 0 for x in lengths):
        raise ValueError(f"random_split lengths must be non-negative ints or fractions summing to 1, got {lengths}")
    if sum(lengths) != n:
        raise ValueError(
            f"random_split lengths must sum to the dataset's length {n}, got {lengths} (sum {sum(lengths)})"
        )
    return lengths


def random_split(dataset, lengths, seed=None):
    """Disjoint random ``Subset``s of the given lengths (ints, or fractions summing to 1).

    The permutation comes from ``numpy.random.default_rng(seed)``; with
    ``seed=None`` from backprop's global generator (``bp.manual_seed``).
    """
    counts = _split_lengths(lengths, len(dataset))
    rng = creation.generator() if seed is None else numpy.random.default_rng(seed)
    order = rng.permutation(len(dataset))
    bounds = numpy.cumsum([0] + counts)
    return [Subset(dataset, order[start:stop]) for start, stop in zip(bounds[:-1], bounds[1:])]
