"""DistributedTrainer: ``train.Trainer``'s loop on every rank of a job, as one run.

Each rank trains its replica (``DistributedDataParallel``) on its shard of
every epoch (``DistributedSampler``, the training loader's batch size per
rank); the metrics of an epoch and of each evaluation are averaged over the
ranks, weighted by their numbers of examples, so every rank sees the same
history and callbacks such as early stopping decide the same on all of them.
Only rank 0 writes the checkpoint and the history (atomically); the
checkpoint holds the random state of every rank, so a resumed run on as many
ranks goes on exactly as the one that stopped. The weights in it, and early
stopping's best weights, are the bare model's (no ``module.`` prefix): the
checkpoint loads, and resumes, as a one-process checkpoint does.

The random generators: every rank starts from the same seed (the same
model, the same shuffles); after the model is built, ranks above 0 reseed
from ([draw, rank]) so their augmentation and dropout differ, while rank 0
keeps the stream a one-process run would have.
"""
import math
import warnings

import numpy

from backprop import creation
from backprop.data.loader import DataLoader
from backprop.distributed.comm import init
from backprop.distributed.ddp import DistributedDataParallel
from backprop.distributed.metrics import average
from backprop.distributed.sampler import DistributedSampler
from backprop.train.checkpoint import save_checkpoint
from backprop.train.trainer import Trainer

__all__ = ["DistributedTrainer"]


def _seed_rank(rank):
    """Give ranks above 0 a generator of their own, derived from the shared one (rank 0 keeps it)."""
    if rank > 0:
        draw = int(creation.generator().integers(2**63 - 1))
        creation.manual_seed(int(numpy.random.SeedSequence([draw, rank]).generate_state(1, numpy.uint64)[0]))


class DistributedTrainer(Trainer):
    """A ``Trainer`` for one rank of a data-parallel job (same arguments, plus ``world`` and ``bucket_cap_mb``).

    The loaders given are the whole data: the training loader is split into the ranks' shards (padded so that
    every rank takes the same number of steps) and the validation loader into shards without padding.
    ``trainer.model`` is the ``DistributedDataParallel`` wrapper; ``trainer.model.module`` the model.
    """

    def __init__(self, model, optimizer, loss_fn, train_loader, val_loader=None, *, world=None, bucket_cap_mb=25,
                 **options):
        self.world = world if world is not None else init()
        super().__init__(model, optimizer, loss_fn, self._shard(train_loader, even=True),
                         self._shard(val_loader, even=False), **options)
        self.model = DistributedDataParallel(self.model, bucket_cap_mb=bucket_cap_mb, world=self.world)
        _seed_rank(self.world.rank)

    def _shard(self, loader, even):
        if loader is None or self.world.size == 1:
            return loader
        if not isinstance(loader, DataLoader) or loader.sampler is not None:
            raise TypeError("DistributedTrainer splits plain DataLoaders (no sampler of their own) into the ranks' "
                            f"shards, got {loader!r}")
        sampler = DistributedSampler(loader.dataset, self.world.size, self.world.rank, shuffle=loader.shuffle,
                                     seed=loader.seed or 0, even=even)
        # the seed kept too, so that the loader's state_dict resumes a one-process run as well
        return DataLoader(loader.dataset, batch_size=loader.batch_size, drop_last=loader.drop_last,
                          collate_fn=loader.collate_fn, sampler=sampler, seed=loader.seed)

    # --- the job's metrics ---------------------------------------------------------------------------------------
    def merge_logs(self, logs, seen):
        """Loss and accuracy averaged over the ranks' examples; an epoch's time is the slowest rank's and its
        throughput the job's (all the ranks' samples per second)."""
        merged = {**logs, **average(self._metrics(logs), weight=seen, world=self.world)}
        if "time" in logs:
            totals = self.world.all_reduce_(numpy.array([float(seen)]))
            slowest = self.world.all_reduce_(numpy.array([logs["time"]]), "max")
            merged["time"] = float(slowest[0])
            merged["samples_per_s"] = float(totals[0] / slowest[0]) if slowest[0] else 0.0
        return merged

    def _metrics(self, logs):
        """{"loss": ..., "accuracy": ...} on every rank alike: a rank whose shard is empty (fewer validation examples
        than ranks) saw no target and has no accuracy, but must pass the same names as the others to ``average``
        (its weight is 0, so its values count for nothing)."""
        classify = self.world.all_reduce_(numpy.array([float("accuracy" in logs)]), "max")[0] > 0
        return {"loss": logs["loss"], **({"accuracy": logs.get("accuracy", math.nan)} if classify else {})}

    # --- checkpoints ------------------------------------------------------------------------------------------------
    def model_state_dict(self):
        return self.model.module.state_dict()

    def load_model_state_dict(self, state):
        self.model.module.load_state_dict(state)

    def state_dict(self):
        state = super().state_dict()
        state["rng_ranks"] = self.world.all_gather_object(creation.get_rng_state())
        return state

    def load_state_dict(self, state):
        super().load_state_dict(state)
        ranks = state.get("rng_ranks") or [state["rng"]]
        if len(ranks) == self.world.size:
            creation.set_rng_state(ranks[self.world.rank])
        else:
            if self.world.rank == 0:
                warnings.warn(f"resuming a run of {len(ranks)} process(es) on {self.world.size}: the shards and the "
                              f"random streams differ from the original run's", stacklevel=2)
            _seed_rank(self.world.rank)

    def save(self, path):
        """Rank 0 writes the checkpoint (every rank must call this: it gathers their random states)."""
        state = self.state_dict()
        if self.world.rank == 0:
            save_checkpoint(state, path)
        return path

    def write_history(self):
        if self.world.rank == 0:
            super().write_history()
