"""DataLoader: a dataset cut into mini-batches, reshuffled every epoch, reproducibly.

One epoch visits every sample once (mini-batch SGD: w <- w - eta dJ/dw,
averaged over each batch). With ``shuffle=True`` the order of epoch e is the
permutation drawn from ``numpy.random.default_rng([seed, e])``: it depends
only on the seed and the epoch number, so a run resumed at an epoch boundary
(``load_state_dict``) sees the same batches as one that never stopped.

>>> import backprop as bp
>>> from backprop.data import TensorDataset
>>> ds = TensorDataset(bp.arange(6).float(), bp.arange(6))
>>> loader = DataLoader(ds, batch_size=4, shuffle=True, seed=0)
>>> len(loader), [tuple(x.shape) for x, y in loader]
(2, [(4,), (2,)])
>>> loader.epoch
1
"""
import math
import numbers

import numpy

from backprop import backend
from backprop import creation
from backprop import dtypes
from backprop.data.dataset import fetch_batch
from backprop.tensor import Tensor


def default_collate(samples):
    """Stack a list of samples into a batch: tuples per field, Tensors and arrays stacked.

    Python ints become int64, Python floats float32, bools bool; arrays and
    Tensors keep their dtype (so float64 arrays stay float64).

    >>> default_collate([(1.0, 2), (3.0, 4)])
    (tensor([1., 3.]), tensor([2, 4]))
    """
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(default_collate(list(field)) for field in zip(*samples, strict=True))
    if isinstance(first, dict):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, Tensor):
        arrays = [s._data for s in samples]
    elif backend.is_array(first) or isinstance(first, numpy.generic):
        arrays = samples
    elif isinstance(first, bool):
        return Tensor._make(numpy.asarray(samples, dtype=dtypes.bool_))
    elif isinstance(first, numbers.Integral):
        return Tensor._make(numpy.asarray(samples, dtype=dtypes.int64))
    elif isinstance(first, numbers.Real):
        return Tensor._make(numpy.asarray(samples, dtype=dtypes.float32))
    else:
        raise TypeError(
            f"default_collate expects Tensors, arrays, numbers, or tuples/lists/dicts of them, "
            f"got {type(first).__name__}"
        )
    xp = backend.array_module(arrays[0])
    return Tensor._make(xp.stack([xp.asarray(a) for a in arrays]))


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"DataLoader {name} must be an int >= {low}, got {value!r}")
    return int(value)


class DataLoader:
    """Mini-batches of ``dataset``: tuples of stacked Tensors, ``len(loader)`` of them per epoch.

    ``seed=None`` with ``shuffle=True`` draws the seed from backprop's global
    generator once, here (so ``bp.manual_seed`` makes it reproducible too).
    ``loader.epoch`` is the epoch the next ``iter(loader)`` runs; each
    ``iter`` starts the next one.

    ``sampler``: the indices to visit instead of 0 .. n-1 or a shuffle of
    them, any iterable of ints with ``len``, e.g. a
    ``distributed.DistributedSampler`` (one rank's share). The loader calls
    its ``set_epoch(e)``, if it has one, before each epoch. It cannot be
    combined with ``shuffle`` (the sampler decides the order).
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None, collate_fn=None,
                 sampler=None):
        if not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            raise TypeError(f"DataLoader expects a dataset with __getitem__ and __len__, got {type(dataset).__name__}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler and shuffle=True cannot be combined (the sampler sets the order)")
        if sampler is not None and not (hasattr(sampler, "__iter__") and hasattr(sampler, "__len__")):
            raise TypeError(f"DataLoader: sampler must be an iterable of indices with __len__, "
                            f"got {type(sampler).__name__}")
        self.sampler = sampler
        self.dataset = dataset
        self.batch_size = _check_int("batch_size", batch_size, 1)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        if seed is None and self.shuffle:
            seed = int(creation.generator().integers(2**63 - 1))
        self.seed = None if seed is None else _check_int("seed", seed, 0)
        self.epoch = 0

    def __len__(self):
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def order(self, epoch):
        """The sample indices of ``epoch`` in the order they are visited."""
        if self.sampler is not None:
            if hasattr(self.sampler, "set_epoch"):
                self.sampler.set_epoch(epoch)
            return numpy.fromiter(self.sampler, dtype=numpy.int64)
        n = len(self.dataset)
        if not self.shuffle:
            return numpy.arange(n)
        return numpy.random.default_rng([self.seed, epoch]).permutation(n)

    def __iter__(self):
        order = self.order(self.epoch)
        self.epoch += 1
        return self._batches(order)

    def _batches(self, order):
        stop = len(self) * self.batch_size if self.drop_last else len(order)
        for start in range(0, stop, self.batch_size):
            yield fetch_batch(self.dataset, order[start:start + self.batch_size], self.collate_fn)

    def set_epoch(self, epoch):
        """Make the next ``iter(loader)`` run ``epoch``."""
        self.epoch = _check_int("epoch", epoch, 0)

    def state_dict(self):
        """``{"seed": ..., "epoch": ...}``: plain values, JSON-able."""
        return {"seed": self.seed, "epoch": self.epoch}

    def load_state_dict(self, state):
        """Continue from a ``state_dict``: the next ``iter`` gives the batches the saved run would have seen."""
        if not isinstance(state, dict) or set(state) != {"seed", "epoch"}:
            got = sorted(state) if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"DataLoader.load_state_dict expects a dict with keys ['epoch', 'seed'], got {got}")
        seed = state["seed"]
        if seed is None and self.shuffle:
            raise ValueError("DataLoader.load_state_dict: a shuffling loader needs an int seed, got None")
        self.seed = None if seed is None else _check_int("seed", seed, 0)
        self.set_epoch(state["epoch"])

    def __repr__(self):
        sampler = "" if self.sampler is None else f", sampler={self.sampler!r}"
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, seed={self.seed}{sampler})")

