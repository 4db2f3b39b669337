"""Samplers: the order in which a DataLoader visits a dataset (``torch.utils.data``'s samplers).

A sampler is an iterable of dataset indices (a ``BatchSampler``: of lists of
them) with ``len``. The random ones draw from ``generator`` (a
``bp.Generator`` or a NumPy ``Generator``) or, without one,
from backprop's global generator (``bp.manual_seed``), a fresh draw each
time they are iterated, as torch's. ``RandomSampler(..., seed=s)`` (beyond
torch) instead visits epoch e in an order that depends only on s and e,
``numpy.random.default_rng([s, e])``: what a shuffling ``DataLoader`` uses,
so that a seeded loader gives the same epochs every time and a resumed run
the batches it would have seen; the loader moves it on with ``set_epoch``.

>>> list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False))
[[0, 1, 2], [3, 4, 5], [6]]
>>> sampler = RandomSampler(range(5), seed=0)
>>> sorted(sampler) == [0, 1, 2, 3, 4], list(sampler) == list(sampler)
(True, True)
"""
import itertools
import numbers

import numpy

from backprop.checks import check_int
from backprop.random import numpy_generator

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler"]


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")
    return int(value)


def _bool(name, value, error):
    if not isinstance(value, bool):
        raise error(f"{name} should be a boolean value, but got {name}={value}")
    return value


class Sampler:
    """Base class: subclasses define ``__iter__`` (the indices) and usually ``__len__``."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the indices (a permutation, or ``num_samples`` of them: whole permutations and part of
    one more); with ``replacement=True``, ``num_samples`` indices drawn uniformly with repeats.

    ``seed`` (beyond torch): epoch e's order is drawn from ``numpy.random.default_rng([seed, e])``, e set by
    ``set_epoch`` (a DataLoader calls it before each epoch), instead of from ``generator``.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None, *, seed=None):
        self.data_source = data_source
        self.replacement = _bool("replacement", replacement, TypeError)
        self._num_samples = num_samples
        self.generator = generator
        self.seed = None if seed is None else check_int("RandomSampler seed", seed, at_least=0)
        self.epoch = 0
        _positive_int("num_samples", self.num_samples)

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def set_epoch(self, epoch):
        """Draw epoch ``epoch``'s order (with ``seed``; without, it changes nothing)."""
        self.epoch = int(epoch)

    def __iter__(self):
        n, count = len(self.data_source), self.num_samples
        rng = numpy.random.default_rng([self.seed, self.epoch]) if self.seed is not None \
            else numpy_generator(self.generator)
        if self.replacement:
            return iter(rng.integers(n, size=count).tolist())
        whole, rest = divmod(count, n)
        parts = [rng.permutation(n) for _ in range(whole)] + ([rng.permutation(n)[:rest]] if rest else [])
        return iter(numpy.concatenate(parts).tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order, a new one each time."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in numpy_generator(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices 0 .. len(weights) - 1, index i drawn with probability weights[i] / sum(weights)
    (with repeats unless ``replacement=False``): torch.multinomial's draw."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        self.num_samples = _positive_int("num_samples", num_samples)
        self.replacement = _bool("replacement", replacement, ValueError)
        weights = numpy.asarray(weights, dtype=numpy.float64)
        if weights.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(weights.shape)}")
        self.weights = weights
        self.generator = generator

    def __iter__(self):
        w, rng = self.weights, numpy_generator(self.generator)
        if not numpy.all(numpy.isfinite(w)) or (w < 0).any():
            raise RuntimeError("invalid multinomial distribution: weights must be finite and >= 0")
        if w.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if self.replacement:
            return iter(rng.choice(len(w), size=self.num_samples, p=w / w.sum()).tolist())
        if self.num_samples > len(w):
            raise RuntimeError(f"cannot sample n_sample > prob_dist.size(-1) samples without replacement "
                               f"({self.num_samples} > {len(w)})")
        # the order of w_i / E_i, E_i ~ Exp(1), largest first, draws without replacement in proportion to w (torch's
        # way); the indices of weight 0 come after all others, in a random order
        keys = w / rng.exponential(size=len(w))
        order = numpy.lexsort((rng.random(len(w)), -keys))
        return iter(order[:self.num_samples].tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """The indices of ``sampler`` in lists of ``batch_size`` (the last one shorter, or dropped with ``drop_last``)."""

    def __init__(self, sampler, batch_size, drop_last):
        self.sampler = sampler
        self.batch_size = _positive_int("batch_size", batch_size)
        self.drop_last = _bool("drop_last", drop_last, ValueError)

    def __iter__(self):
        indices = iter(self.sampler)
        while batch := list(itertools.islice(indices, self.batch_size)):
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
