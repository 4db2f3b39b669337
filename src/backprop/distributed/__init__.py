"""``backprop.distributed``: data-parallel training on many processes and machines, over MPI.

Each of N processes (ranks), started by ``mpirun -n N``, holds a replica of
the model, reads its own share of each batch (``DistributedSampler``), and
averages the gradients with the others after each backward pass
(``DistributedDataParallel``) before the optimiser's step. mpi4py and Open
MPI come with the ``distributed`` extra: ``pip install 'backprop[distributed]'``.
Without them, or without ``mpirun``, a program runs as a world of one.

See docs/distributed.md; ``mpirun -n 2 backprop train --distributed`` runs it
from the command line.
"""
from backprop.distributed.comm import (DEFAULT_TIMEOUT, World, abort, all_gather_object, all_reduce, barrier,
                                       broadcast, broadcast_object, get_rank, get_world_size, init, is_initialized,
                                       local_rank)
from backprop.distributed.ddp import DistributedDataParallel
from backprop.distributed.metrics import average
from backprop.distributed.sampler import DistributedSampler
from backprop.distributed.trainer import DistributedTrainer

__all__ = ["init", "is_initialized", "get_rank", "get_world_size", "local_rank", "all_reduce", "broadcast", "barrier",
           "broadcast_object", "all_gather_object", "abort", "average", "World", "DEFAULT_TIMEOUT",
           "DistributedDataParallel", "DistributedSampler", "DistributedTrainer"]
