"""DistributedSampler: each rank's share of a dataset, a new shuffle every epoch (torch's DistributedSampler).

Epoch e visits the dataset in the order P_e = permutation of 0 .. n-1 drawn
from ``numpy.random.default_rng([seed, e])``, the same order a shuffling
``DataLoader`` with that seed uses. Rank r of N takes every N-th index from
position r: P_e[r], P_e[r + N], P_e[r + 2N], ... So the k-th batches of B/N
samples on the N ranks hold together exactly the k-th batch of B samples of
one process: N ranks with batch B/N do the work of one with batch B.

Every rank must take the same number of steps (the gradients are averaged
at each one), so when N does not divide n the order is padded with its own
first indices (``drop_last=False``, those samples are seen twice in the
epoch) or cut to a multiple of N (``drop_last=True``, the last few are not
seen this epoch). ``even=False`` does neither: the shards then differ in
size by at most one, for evaluation, where each rank counts its own
examples and nothing is seen twice.

>>> sampler = DistributedSampler(range(10), num_replicas=3, rank=1, shuffle=False)
>>> list(sampler), len(sampler)
([1, 4, 7, 0], 4)
>>> list(DistributedSampler(range(10), num_replicas=3, rank=1, shuffle=False, drop_last=True))
[1, 4, 7]
>>> list(DistributedSampler(range(10), num_replicas=3, rank=2, shuffle=False, even=False))
[2, 5, 8]
"""
import math

import numpy

from backprop.checks import check_int

__all__ = ["DistributedSampler"]


class DistributedSampler:
    """The indices of ``dataset`` that rank ``rank`` of ``num_replicas`` visits in the current epoch.

    ``num_replicas`` and ``rank`` default to the job's world (``distributed.init()``).
    Pass it to ``DataLoader(dataset, batch_size, sampler=...)``; the loader
    calls ``set_epoch`` before each epoch, so a resumed run shuffles as the
    original did.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False, even=True):
        if not hasattr(dataset, "__len__"):
            raise TypeError(f"DistributedSampler expects a dataset with __len__, got {type(dataset).__name__}")
        if num_replicas is None or rank is None:
            from backprop.distributed.comm import init

            world = init()
            num_replicas = world.size if num_replicas is None else num_replicas
            rank = world.rank if rank is None else rank
        self.num_replicas = check_int("DistributedSampler: num_replicas", num_replicas, at_least=1)
        self.rank = check_int("DistributedSampler: rank", rank, at_least=0)
        if self.rank >= self.num_replicas:
            raise ValueError(f"DistributedSampler: rank must be in [0, {self.num_replicas}), got {rank}")
        self.dataset, self.shuffle = dataset, bool(shuffle)
        self.seed = check_int("DistributedSampler: seed", seed, at_least=0)
        self.drop_last, self.even = bool(drop_last), bool(even)
        self.epoch = 0

    def __len__(self):
        n, replicas = len(self.dataset), self.num_replicas
        if not self.even:
            return len(range(self.rank, n, replicas))
        return n // replicas if self.drop_last else math.ceil(n / replicas)

    def set_epoch(self, epoch):
        """Shuffle for ``epoch`` (the DataLoader calls this; by hand only without one)."""
        self.epoch = check_int("DistributedSampler: epoch", epoch, at_least=0)

    def order(self):
        """The whole epoch's order P_e, padded or cut to ``num_replicas * len(self)``."""
        n = len(self.dataset)
        order = numpy.random.default_rng([self.seed, self.epoch]).permutation(n) if self.shuffle else numpy.arange(n)
        if not self.even:
            return order
        total = self.num_replicas * len(self)
        if total > n:  # pad with the order's own start, repeated as often as needed (n may be < num_replicas)
            order = numpy.resize(order, total)
        return order[:total]

    def __iter__(self):
        return iter(self.order()[self.rank::self.num_replicas].tolist())

    def __repr__(self):
        return (f"DistributedSampler({len(self.dataset)} samples, rank {self.rank} of {self.num_replicas}, "
                f"shuffle={self.shuffle}, seed={self.seed}, drop_last={self.drop_last}, even={self.even})")
