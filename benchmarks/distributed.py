"""Data-parallel training of LeNet-5 on 2 processes against 1, backprop (MPI) vs PyTorch (gloo).

Work: LeNet-5 (backprop: ``models.get("lenet5", (1, 28, 28), 10)``; torch: its
twin with the same layer shapes, ``workloads.build("lenet5", torch)``) trained
by SGD with momentum on 4,096 synthetic 28x28 float32 images with random
labels, global batch B (64 and 256):

  1 process   the plain model (no DDP), batch B, and also batch B/2;
  2 processes DistributedDataParallel, batch B/2 per rank, DistributedSampler;
              backprop under ``mpirun -n 2``, torch as two processes joined by
              ``init_process_group("gloo", "tcp://127.0.0.1:PORT")``.

Every process runs with OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 (and torch with
``set_num_threads(1)``), so 1 process uses 1 core and 2 processes use 2.

A step is: next batch from the DataLoader, zero_grad, forward, cross-entropy,
backward (with the all-reduce), optimiser step. After warm-up steps, timed
blocks of K steps (K from the warm-up, the same on every rank) start after a
barrier; a block's time is the slowest rank's, and the median block counts.
This machine's speed drifts by tens of percent from minute to minute, so 1 and
2 processes are launched one after the other in each of ``--rounds`` rounds,
each round gives its own speed-up, and the rounds are combined by geometric
mean (with the range of the speed-up). Printed per framework and global batch
B: samples/s with 1 and 2 processes, the speed-up, and the all-reduce share of
the 2-process step time, measured two ways:

  reduce   backprop only: ``ddp.reduce_seconds`` / step time, on rank 0 and the
           largest over the ranks. It holds packing the gradients into one flat
           buffer, waiting for the other rank to reach the all-reduce (the
           slower rank's extra compute in that step), the MPI all-reduce, and
           unpacking.
  no_sync  both frameworks: 1 - t(no_sync step) / t(step), the step time that
           synchronising adds, from blocks run under ``ddp.no_sync()``
           (alternating with the synchronised blocks), where each rank only
           accumulates its own gradients.

and a breakdown of the speed-up lost against 2x: to the half batch (1 process
at B/2 vs B), to sharing the machine (2 processes under no_sync vs 1 process at
B/2), and to the gradient synchronisation (no_sync vs synchronised blocks).
Also: the bare all-reduce of the 61,706 gradients, back to back, and the CPU
time / wall time of the blocks without communication (below 90%: another
program took a core, and the figures are not to be trusted).

Run: ``python benchmarks/distributed.py [--batches 64,256] [--rounds 3]
[--repeats 3] [--block 0.4] [--no-torch] [--json]``; it starts its own mpirun
and torch processes (about 1.5 minutes). Part of ``make bench``, not of ``make test``.
"""
import argparse
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = 4096
SHAPE = (1, 28, 28)
CLASSES = 10
WARMUP = 5
THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}


def synthetic_data(seed=0):
    rng = np.random.default_rng(seed)
    images = rng.standard_normal((SAMPLES,) + SHAPE, dtype=np.float32)
    return images, rng.integers(0, CLASSES, SAMPLES).astype(np.int64)


def flat_parameters(model):
    """All the weights of a backprop or torch model, as one float32 vector."""
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])


# ------------------------------------------------------------------ one framework's side of a worker
class Backprop:
    """backprop's model, loader and collectives for one rank."""

    name = "backprop"

    def __init__(self, ranks, rank, port):
        sys.path.insert(0, os.path.join(HERE, "..", "src"))  # a checkout without installing
        import backprop as bp
        from backprop import distributed

        self.bp, self.distributed = bp, distributed
        self.world = distributed.init() if ranks > 1 else None
        self.rank = rank if self.world is None else self.world.rank
        if self.world is not None and self.world.size != ranks:
            raise RuntimeError(f"expected {ranks} ranks, mpirun gave {self.world.size}")

    def model(self):
        self.bp.manual_seed(0)
        return self.bp.models.get("lenet5", input_shape=SHAPE, num_classes=CLASSES)

    def wrap(self, model):
        return self.distributed.DistributedDataParallel(model, world=self.world)

    def batches(self, images, labels, ranks, batch):
        from backprop.data import DataLoader, TensorDataset

        dataset = TensorDataset(self.bp.from_numpy(images), self.bp.from_numpy(labels))
        sampler = self.distributed.DistributedSampler(dataset, num_replicas=ranks, rank=self.rank, seed=0)
        loader = DataLoader(dataset, batch_size=batch, sampler=sampler)  # calls sampler.set_epoch
        while True:
            yield from loader

    def optimizer(self, model):
        return self.bp.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def loss(self, logits, labels):
        return self.bp.nn.functional.cross_entropy(logits, labels)

    def reduce_seconds(self, ddp):
        return ddp.reduce_seconds

    def reductions(self, ddp):
        return ddp.reductions

    def barrier(self):
        if self.world is not None:
            self.world.barrier()

    def broadcast_object(self, obj):
        return obj if self.world is None else self.world.broadcast_object(obj, src=0)

    def gather_object(self, obj):
        return [obj] if self.world is None else self.world.all_gather_object(obj)

    def all_reduce_timers(self, size):
        """{label: function doing one all-reduce of ``size`` float32 values} for the lockstep timing."""
        from mpi4py import MPI

        array = np.ones(size, dtype=np.float32)
        comm = self.world.comm
        return {"World.all_reduce_ (mean)": lambda: self.world.all_reduce_(array, "mean"),
                "mpi4py Allreduce (blocking)": lambda: comm.Allreduce(MPI.IN_PLACE, array, op=MPI.SUM)}

    def close(self):
        pass


class Torch:
    """torch's model, loader and collectives for one rank (gloo process group)."""

    name = "torch"

    def __init__(self, ranks, rank, port):
        import torch
        import torch.distributed as dist

        sys.path.insert(0, HERE)
        from workloads import bp, build

        torch.set_num_threads(1)
        self.torch, self.dist, self.build, self.bp = torch, dist, build, bp
        self.rank, self.ranks = rank, ranks
        if ranks > 1:
            import datetime

            dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=ranks,
                                    timeout=datetime.timedelta(seconds=60))  # not 30 minutes if a rank died

    def model(self):
        self.torch.manual_seed(0)
        net = self.build("lenet5", self.torch)[0]
        ours = self.bp.models.get("lenet5", input_shape=SHAPE, num_classes=CLASSES)
        shapes = [[tuple(p.shape) for p in model.parameters()] for model in (net, ours)]
        if shapes[0] != shapes[1]:
            raise AssertionError(f"torch's LeNet-5 twin has parameters {shapes[0]}, backprop's {shapes[1]}")
        return net

    def wrap(self, model):
        return self.torch.nn.parallel.DistributedDataParallel(model)

    def batches(self, images, labels, ranks, batch):
        from torch.utils.data import BatchSampler, DataLoader, DistributedSampler, TensorDataset

        dataset = TensorDataset(self.torch.from_numpy(images), self.torch.from_numpy(labels))
        sampler = DistributedSampler(dataset, num_replicas=ranks, rank=self.rank, seed=0)
        # whole batches indexed at once (as backprop's TensorDataset does), not 128 samples collated one by one
        loader = DataLoader(dataset, sampler=BatchSampler(sampler, batch, drop_last=False), batch_size=None)
        epoch = 0
        while True:
            sampler.set_epoch(epoch)
            yield from loader
            epoch += 1

    def optimizer(self, model):
        return self.torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def loss(self, logits, labels):
        return self.torch.nn.functional.cross_entropy(logits, labels)

    def reduce_seconds(self, ddp):
        return None  # torch's DDP does not time its all-reduces

    def reductions(self, ddp):
        return None

    def barrier(self):
        if self.ranks > 1:
            self.dist.barrier()

    def broadcast_object(self, obj):
        if self.ranks == 1:
            return obj
        box = [obj]
        self.dist.broadcast_object_list(box, src=0)
        return box[0]

    def gather_object(self, obj):
        if self.ranks == 1:
            return [obj]
        out = [None] * self.ranks
        self.dist.all_gather_object(out, obj)
        return out

    def all_reduce_timers(self, size):
        tensor = self.torch.ones(size)
        return {"dist.all_reduce (gloo)": lambda: self.dist.all_reduce(tensor)}

    def close(self):
        if self.ranks > 1:  # without the barrier, gloo sometimes aborts one rank at exit
            self.dist.barrier()  # ("terminate called without an active exception") as the other one leaves
            self.dist.destroy_process_group()


# ------------------------------------------------------------------ the worker: one rank's timings
def timed_block(fw, step, steps, reduced=None):
    """(seconds, all-reduce seconds or None, CPU seconds of this process) of ``steps`` steps started together
    on every rank."""
    fw.barrier()
    before = reduced() if reduced else None
    cpu, start = time.process_time(), time.perf_counter()
    for _ in range(steps):
        step()
    elapsed = time.perf_counter() - start
    return elapsed, (reduced() - before if reduced else None), time.process_time() - cpu


def measure(fw, ranks, batch, args, images, labels):
    """One rank's timings of training with per-rank batch ``batch``: 1 process plain, 2 with DDP."""
    model = fw.model()
    ddp = fw.wrap(model) if ranks > 1 else None
    net = ddp if ddp is not None else model
    optimizer = fw.optimizer(model)
    data = fw.batches(images, labels, ranks, batch)

    def step():
        x, y = next(data)
        optimizer.zero_grad()
        fw.loss(net(x), y).backward()
        optimizer.step()

    for _ in range(WARMUP):
        step()
    start = time.perf_counter()
    for _ in range(WARMUP):
        step()
    per_step = (time.perf_counter() - start) / WARMUP
    steps = fw.broadcast_object(max(3, round(args.block / per_step)))  # every rank must take as many steps
    result = {"ranks": ranks, "batch_per_rank": batch, "steps_per_block": steps, "sync": [], "reduce": [],
              "no_sync": [], "cpu": []}  # cpu: the process's CPU share in the blocks without all-reduce
    if ranks > 1:  # the replicas are equal after synchronised steps
        replicas = fw.gather_object(flat_parameters(model))
        result["replica_max_diff"] = float(max(np.abs(r - replicas[0]).max() for r in replicas))
    reduced = (lambda: fw.reduce_seconds(ddp)) if ddp is not None and fw.reduce_seconds(ddp) is not None else None
    before = fw.reductions(ddp) if ddp is not None else None
    for _ in range(args.repeats):
        elapsed, reduce, cpu = timed_block(fw, step, steps, reduced)
        result["sync"].append(elapsed)
        result["reduce"].append(reduce)
        if ddp is not None:
            with ddp.no_sync():
                elapsed, _, cpu = timed_block(fw, step, steps)
            result["no_sync"].append(elapsed)
        result["cpu"].append(cpu / elapsed)
    if before is not None:
        result["reductions_per_step"] = (fw.reductions(ddp) - before) / (args.repeats * steps)
    return result


def lockstep_all_reduce(fw, size, calls=300):
    """Seconds per call of back-to-back all-reduces of ``size`` float32 values (all ranks in step)."""
    times = {}
    for label, call in fw.all_reduce_timers(size).items():
        for _ in range(20):
            call()
        fw.barrier()
        start = time.perf_counter()
        for _ in range(calls):
            call()
        times[label] = (time.perf_counter() - start) / calls
    return times


def sleep_seconds(seconds, calls=200):
    """How long ``time.sleep(seconds)`` really takes (World's collectives poll with short sleeps)."""
    start = time.perf_counter()
    for _ in range(calls):
        time.sleep(seconds)
    return (time.perf_counter() - start) / calls


def worker(args):
    fw = {"backprop": Backprop, "torch": Torch}[args.worker](args.ranks, args.rank, args.port)
    images, labels = synthetic_data()
    results = [measure(fw, args.ranks, batch, args, images, labels) for batch in map(int, args.batches.split(","))]
    lockstep = None
    if args.ranks > 1:
        size = sum(int(np.prod(p.shape)) for p in fw.model().parameters())
        lockstep = {"values": size, "seconds": lockstep_all_reduce(fw, size), "sleep_10us": sleep_seconds(1e-5)}
    everyone = fw.gather_object(results)
    fw.close()
    if fw.rank == 0:
        print("RESULT " + json.dumps({"framework": fw.name, "ranks": args.ranks, "per_rank": everyone,
                                      "lockstep": lockstep}), flush=True)


# ------------------------------------------------------------------ the launcher
def busy_cores(seconds=1.0):
    """How many cores other processes keep busy now (from /proc/stat over ``seconds``; else the load average)."""
    def counters():
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        return sum(values), values[3] + values[4]  # total, idle + iowait

    try:
        total, idle = counters()
        time.sleep(seconds)
        total2, idle2 = counters()
    except (OSError, ValueError, IndexError):
        return os.getloadavg()[0]
    return (1 - (idle2 - idle) / max(total2 - total, 1)) * os.cpu_count()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(framework, ranks, batches, args):
    """Run the workers of one framework on ``ranks`` processes; rank 0's RESULT, or raise with their output."""
    env = dict(os.environ, **THREAD_ENV, **MPI_ENV)
    me = [sys.executable, os.path.abspath(__file__), "--worker", framework, "--ranks", str(ranks),
          "--batches", ",".join(map(str, batches)), "--repeats", str(args.repeats), "--block", str(args.block)]
    if framework == "backprop" and ranks > 1:
        mpirun = os.path.join(os.path.dirname(sys.executable), "mpirun")
        commands = [[mpirun, "-n", str(ranks), "--oversubscribe", *me]]
    else:
        port = free_port()
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")
        commands = [me + ["--rank", str(r), "--port", str(port)] for r in range(ranks)]
    processes = [subprocess.Popen(c, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for c in commands]
    outputs = []
    for p in processes:
        try:
            outputs.append(p.communicate(timeout=args.timeout)[0])
        except subprocess.TimeoutExpired:
            for q in processes:
                q.kill()
            outputs.append(p.communicate()[0] + f"\n(killed after {args.timeout} s)")
    text = "\n".join(outputs)
    for line in text.splitlines():
        if line.startswith("RESULT ") and all(p.returncode == 0 for p in processes):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"{framework} on {ranks} process(es) failed:\n{text[-3000:]}")


def summarise(one, two, global_batch):
    """Figures of one framework at one global batch, from the 1-process and 2-process results."""
    def block(per_rank):  # [seconds of each block] per rank -> per block: the slowest rank's seconds
        return [max(blocks) for blocks in zip(*per_rank)]

    solo = next(r for r in one["per_rank"][0] if r["batch_per_rank"] == global_batch)
    solo_half = next(r for r in one["per_rank"][0] if r["batch_per_rank"] == global_batch // 2)
    ranks = [next(r for r in rank if r["batch_per_rank"] == global_batch // 2) for rank in two["per_rank"]]
    steps = ranks[0]["steps_per_block"]
    t1 = statistics.median(solo["sync"]) / solo["steps_per_block"]
    t1_half = statistics.median(solo_half["sync"]) / solo_half["steps_per_block"]
    t2 = statistics.median(block([r["sync"] for r in ranks])) / steps
    t2_free = statistics.median(block([r["no_sync"] for r in ranks])) / steps
    row = {
        "global_batch": global_batch, "step_ms_1": t1 * 1e3, "step_ms_1_half": t1_half * 1e3,
        "step_ms_2": t2 * 1e3, "step_ms_2_no_sync": t2_free * 1e3,
        "samples_per_s_1": global_batch / t1, "samples_per_s_2": global_batch / t2,
        "speedup": t1 / t2, "no_sync_share": 1 - t2_free / t2,
        "replica_max_diff": ranks[0].get("replica_max_diff"),
        "reductions_per_step": ranks[0].get("reductions_per_step"),
        # below 1: a process waited for a core in a block with no communication (other load on the machine)
        "cpu_share_min": min(statistics.median(r["cpu"]) for r in [solo, solo_half, *ranks]),
        # the speed-up lost against 2x, as factors whose product is speedup / 2
        "half_batch_factor": t1 / (2 * t1_half), "sharing_factor": t1_half / t2_free, "sync_factor": t2_free / t2,
    }
    if ranks[0]["reduce"][0] is not None:
        shares = [statistics.median(red / sec for red, sec in zip(r["reduce"], r["sync"])) for r in ranks]
        row["reduce_share_rank0"], row["reduce_share_max"] = shares[0], max(shares)
        row["reduce_ms_rank0"] = statistics.median(r for r in ranks[0]["reduce"]) / steps * 1e3
    return row


def combine(rows):
    """One row from the rows of several rounds: the geometric mean of the times, rates and factors (so that
    ``speedup`` is still t1 / t2 and the product of its factors), the median of the shares, ``speedup_range``."""
    def mean(key):
        values = [r[key] for r in rows]
        return statistics.median(values) if "share" in key else statistics.geometric_mean(values)

    row = {key: mean(key) if isinstance(value, float) and key != "replica_max_diff" else value
           for key, value in rows[0].items()}
    row["speedup_range"] = [min(r["speedup"] for r in rows), max(r["speedup"] for r in rows)]
    row["cpu_share_min"] = min(r["cpu_share_min"] for r in rows)
    if row["replica_max_diff"] is not None:
        row["replica_max_diff"] = max(r["replica_max_diff"] for r in rows)
    return row


def print_table(rows, lockstep, meta, torch_error):
    print(f"LeNet-5, {SAMPLES} synthetic 1x28x28 images, SGD momentum; {meta['cpus']} cores; every process "
          f"1 thread (OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1, torch.set_num_threads(1)); {meta['rounds']} rounds "
          f"of launches, each {meta['repeats']} timed blocks of ~{meta['block']} s (median); "
          f"geometric mean over the rounds\n")
    print(f"{'framework':9s} {'B':>4s} {'1 proc samples/s':>16s} {'2 proc samples/s':>16s} "
          f"{'speed-up [rounds]':>19s} {'all-reduce share: reduce r0 / max':>34s} {'no_sync':>8s}")
    for fw, fw_rows in rows.items():
        for r in fw_rows:
            reduce = (f"{r['reduce_share_rank0']:.0%} / {r['reduce_share_max']:.0%}"
                      if "reduce_share_rank0" in r else "(not timed)")
            low, high = r["speedup_range"]
            print(f"{fw:9s} {r['global_batch']:4d} {r['samples_per_s_1']:16.0f} {r['samples_per_s_2']:16.0f} "
                  f"{r['speedup']:6.2f}x [{low:.2f}-{high:.2f}] {reduce:>34s} {r['no_sync_share']:8.0%}")
    if "torch" in rows:
        print("\nspeed-up 2 vs 1, backprop next to torch:  " + ",  ".join(
            f"B={b['global_batch']}: {b['speedup']:.2f}x vs {t['speedup']:.2f}x "
            f"(2-proc throughput backprop/torch {b['samples_per_s_2'] / t['samples_per_s_2']:.2f}x)"
            for b, t in zip(rows["backprop"], rows["torch"])))
    elif torch_error:
        print(f"\ntorch gloo could not run here: {torch_error}")
    print("\nstep ms: 1 proc at B, at B/2; 2 procs (B/2 each) under no_sync, synchronised; "
          "speed-up lost to: half batch x sharing the machine x synchronising")
    for fw, fw_rows in rows.items():
        for r in fw_rows:
            factors = (r["half_batch_factor"], r["sharing_factor"], r["sync_factor"])
            print(f"{fw:9s} {r['global_batch']:4d} {r['step_ms_1']:7.2f} {r['step_ms_1_half']:7.2f} "
                  f"{r['step_ms_2_no_sync']:7.2f} {r['step_ms_2']:7.2f}   2 x "
                  + " x ".join(f"{f:.2f}" for f in factors) + f" = {2 * np.prod(factors):.2f}x")
    shares = {fw: min(r["cpu_share_min"] for r in fw_rows) for fw, fw_rows in rows.items()}
    print("CPU time / wall time of the blocks without communication, lowest: "
          + ", ".join(f"{fw} {share:.0%}" for fw, share in shares.items())
          + ("  <- below 90%: other processes took the cores; rerun on a quiet machine"
             if min(shares.values()) < 0.9 else ""))
    print("\nall-reduce of the gradients alone, back to back, in lockstep:")
    for fw, lock in lockstep.items():
        for label, seconds in lock["seconds"].items():
            print(f"  {fw:9s} {label:28s} {lock['values']} float32: {seconds * 1e3:.3f} ms")
    print(f"  (time.sleep(1e-5), with which World's collectives wait, takes "
          f"{lockstep['backprop']['sleep_10us'] * 1e6:.0f} µs here)")
    bp_rows = rows["backprop"]
    print("\nbackprop: all-reduces per step " + ", ".join(f"{r['reductions_per_step']:g}" for r in bp_rows)
          + "; ms in ddp.reduce_seconds per step (rank 0) "
          + ", ".join(f"{r['reduce_ms_rank0']:.2f}" for r in bp_rows)
          + "; replicas' largest weight difference after warm-up "
          + ", ".join(f"{r['replica_max_diff']:g}" for r in bp_rows))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="64,256", help="global batch sizes, even")
    parser.add_argument("--rounds", type=int, default=3, help="launches of 1 and 2 processes, alternating")
    parser.add_argument("--repeats", type=int, default=3, help="timed blocks per measurement and launch")
    parser.add_argument("--block", type=float, default=0.4, help="seconds per timed block")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--timeout", type=float, default=300, help="seconds before a launch is killed")
    parser.add_argument("--worker", choices=["backprop", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--ranks", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--rank", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)
    batches = [int(b) for b in args.batches.split(",")]
    if any(b % 2 for b in batches):
        parser.error("--batches: global batch sizes must be even (split over 2 processes)")
    singles = sorted(set(batches) | {b // 2 for b in batches})
    meta = {"python": platform.python_version(), "numpy": np.__version__, "cpus": os.cpu_count(),
            "rounds": args.rounds, "repeats": args.repeats, "block": args.block, "busy_cores": busy_cores()}
    frameworks = ["backprop"] if args.no_torch else ["backprop", "torch"]
    rounds, locksteps, torch_error = {fw: [] for fw in frameworks}, {fw: [] for fw in frameworks}, None
    for _ in range(args.rounds):  # the machine's speed drifts: 1 and 2 processes are compared within a round
        for fw in [fw for fw in frameworks if fw in rounds]:
            try:
                one = launch(fw, 1, singles, args)
                two = launch(fw, 2, [b // 2 for b in batches], args)
            except RuntimeError as error:
                if fw == "backprop":
                    raise
                torch_error = str(error).strip().splitlines()[-1]
                del rounds[fw]
                continue
            rounds[fw].append([summarise(one, two, b) for b in batches])
            locksteps[fw].append(two["lockstep"])
    rows = {fw: [combine([r[i] for r in fw_rounds]) for i in range(len(batches))] for fw, fw_rounds in rounds.items()}
    lockstep = {fw: {"values": locksteps[fw][0]["values"],
                     "seconds": {label: statistics.median(lock["seconds"][label] for lock in locksteps[fw])
                                 for label in locksteps[fw][0]["seconds"]},
                     "sleep_10us": statistics.median(lock["sleep_10us"] for lock in locksteps[fw])}
                for fw in rows}
    if args.json:
        print(json.dumps({"meta": meta, "rows": rows, "lockstep": lockstep, "torch_error": torch_error}, indent=2))
        return
    if meta["busy_cores"] > 0.2:
        print(f"warning: other processes kept {meta['busy_cores']:.1f} cores busy at the start; figures may be noisy\n")
    print_table(rows, lockstep, meta, torch_error)


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        main()
