"""Data parallelism changes nothing but speed: LeNet-5 after 50 steps, 2 processes with batch B/2 vs 1 with batch B.

Both runs train ``models.get("lenet5", (1, 28, 28), 10)`` by SGD with momentum
on the same 3,200 synthetic images, in the same order (a
``DistributedSampler`` with the same seed deals the one-process order out to
the ranks), from different initial weights on each rank (DDP broadcasts rank
0's). The script prints the largest weight difference after 50 steps, next to
the largest weight, and whether every weight agrees within float32 tolerance
(rtol 1e-5, atol 1e-6). The test of the same claim is
tests/distributed/test_ddp.py (an MLP and a CNN, SGD and Adam).

Run: ``python benchmarks/distributed_equivalence.py [--batch 64] [--steps 50]`` (about 10 s; it starts its own
``mpirun -n 2``).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1"}


def train(out, batch, steps):
    """One rank's run (or the only process's): save rank 0's final weights to ``out``."""
    import backprop as bp
    from backprop import distributed

    world = distributed.init()
    rng = np.random.default_rng(0)
    images = rng.standard_normal((batch * steps, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, len(images))
    data = bp.data.TensorDataset(bp.tensor(images), bp.tensor(labels))
    bp.manual_seed(3 + world.rank)  # different weights on each rank: the start must come from rank 0
    model = bp.models.get("lenet5", input_shape=(1, 28, 28), num_classes=10)
    ddp = distributed.DistributedDataParallel(model)
    optimizer = bp.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loader = bp.data.DataLoader(data, batch_size=batch // world.size,
                                sampler=distributed.DistributedSampler(data, seed=7))
    for inputs, targets in loader:
        loss = bp.nn.functional.cross_entropy(ddp(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if world.rank == 0:
        np.savez(out, **{name: tensor.numpy() for name, tensor in model.state_dict().items()})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64, help="the global batch B (even)")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--rank-run", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rank_run:
        return train(args.rank_run, args.batch, args.steps)
    mpirun = os.path.join(os.path.dirname(sys.executable), "mpirun")
    env = {**os.environ, **MPI_ENV}
    with tempfile.TemporaryDirectory() as directory:
        one, two = os.path.join(directory, "one.npz"), os.path.join(directory, "two.npz")
        common = [__file__, "--batch", str(args.batch), "--steps", str(args.steps), "--rank-run"]
        subprocess.run([sys.executable, *common, one], check=True, env=env)
        subprocess.run([mpirun, "--oversubscribe", "-n", "2", sys.executable, *common, two], check=True, env=env)
        a, b = np.load(one), np.load(two)
        difference = max(float(np.abs(a[k] - b[k]).max()) for k in a)
        largest = max(float(np.abs(a[k]).max()) for k in a)
        close = all(np.allclose(a[k], b[k], rtol=1e-5, atol=1e-6) for k in a)
    print(f"LeNet-5, {args.steps} SGD steps: 1 process with batch {args.batch} vs 2 with {args.batch // 2} each")
    print(f"largest weight difference {difference:.2e} (largest weight {largest:.3f}); "
          f"every weight within rtol 1e-5, atol 1e-6: {close}")


if __name__ == "__main__":
    main()
