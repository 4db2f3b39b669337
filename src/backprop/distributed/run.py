"""``mpirun -n N backprop train --distributed``: the run of ``train.run.train`` on N ranks.

Every rank builds the same model and data from the config, trains its share
(``DistributedTrainer``; ``batch_size`` is per rank, so the global batch is
N * batch_size), and rank 0 alone writes the checkpoints, the history and
the report. With ``resume``, rank 0 reads the checkpoint and sends it to the
others, so the ranks need not share a file system.
"""
from backprop.distributed.comm import init, local_rank
from backprop.distributed.trainer import DistributedTrainer
from backprop.train import run

__all__ = ["train"]


def train(config, callbacks=(), resume=False, world=None, changes=None, **trainer_options):
    """Train on every rank of the job; returns the test results on rank 0 (with the run's ``world_size`` and per-rank
    ``batch_size``, a resumed run's from its checkpoint) and None on the others.

    ``callbacks`` (e.g. a progress bar) run on rank 0 only; callbacks the config asks for (early stopping) run on
    every rank, on the averaged metrics. ``changes`` and ``trainer_options`` (e.g. ``check_finite=False``) as in
    ``train.run.train``; every rank gets the same.
    """
    world = world or init()
    state = None
    if resume:
        config, state = world.broadcast_object(run.resume_point(config, changes) if world.rank == 0 else None)
    config = {**config, "world_size": world.size}
    device = config.get("device")
    if device and device.startswith("cuda") and ":" not in device and world.size > 1:
        config["device"] = f"cuda:{local_rank()}"  # one GPU per rank on each machine
    trainer, test_loader, info = run.build_trainer(config, callbacks if world.rank == 0 else (),
                                                   trainer_class=DistributedTrainer, world=world, **trainer_options)
    if state is not None:
        trainer.load_state_dict(state)
    trainer.fit()
    if world.rank != 0:
        return None
    return {**run.finish(trainer, test_loader, info), "world_size": world.size, "batch_size": config["batch_size"]}
