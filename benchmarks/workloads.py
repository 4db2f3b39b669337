"""Training and inference steps of whole networks, backprop vs PyTorch, in one process.

The workloads of the speed issue (float32, synthetic MNIST-shaped data, one
SGD-with-momentum step: zero_grad, forward, cross-entropy, backward, step):

  mlp128  MLP 784-256-256-10 (ReLU), batch 128
  mlp16   the same MLP, batch 16 (overhead-bound)
  lenet5  LeNet-5 as in backprop's zoo (tanh, average pooling), batch 64
  widecnn conv 1->32 3x3 pad 1, conv 32->64 3x3 pad 1, maxpool 2, fc 12544->128, fc 10; batch 64
  lstm    LSTM 28 steps, 28->128, last hidden -> fc 10; batch 64

Both frameworks run the same architecture from the same initial weights (torch's
initialisation, copied into backprop by ``load_state_dict``) on the same batches;
before timing, one training step is checked to give the same loss and weights.

Printed per workload and mode (train, inference under no_grad): median ms/step
with [min-max] over the repeats, samples/s, the ratio backprop/torch against the
issue's target, and "GEMM-bound": the time the step's matrix products alone
would take at NumPy's measured float32 matmul peak, as a share of the step time
(100% would be a step that does nothing but GEMMs at peak speed).

Peak memory is measured in child processes, one per framework and workload
(peak RSS of a process that trains for ``--memory-steps`` steps; the backprop
child never imports torch), together with the RSS growth between step 100 and
the last step (flat memory: no growth).

Run: ``python benchmarks/workloads.py [--quick] [--only mlp128,lstm] [--json]
[--no-memory] [--repeats N] [--profile WORKLOAD [--profile-mode inference]]``. Not part of ``make test``.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

try:
    import backprop as bp
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
    import backprop as bp

TARGETS = {  # (train, inference) ratio targets of issue 22
    "mlp128": (1.0, 1.0), "mlp16": (1.0, 1.0), "lenet5": (1.1, 1.0), "widecnn": (1.1, 1.0), "lstm": (1.0, 1.0),
}
GEMM_TARGETS = {("mlp128", "train"): 0.60}  # share of the GEMM bound issue 22 asks for
BATCH = {"mlp128": 128, "mlp16": 16, "lenet5": 64, "widecnn": 64, "lstm": 64}
INPUT = {"mlp128": (784,), "mlp16": (784,), "lenet5": (1, 28, 28), "widecnn": (1, 28, 28), "lstm": (28, 28)}


# ------------------------------------------------------------- architectures
def build(name, fw):
    """(module holding every parameter, forward function) in framework ``fw`` (backprop or torch)."""
    nn = fw.nn
    if name in ("mlp128", "mlp16"):
        net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
        return net, net
    if name == "lenet5":  # the zoo's LeNet-5 (backprop.models.lenet5()), spelled out for torch
        net = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10),
        )
        return net, net
    if name == "widecnn":
        net = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(12544, 128), nn.ReLU(), nn.Linear(128, 10),
        )
        return net, net
    if name == "lstm":
        net = nn.ModuleList([nn.LSTM(28, 128, batch_first=True), nn.Linear(128, 10)])
        return net, lambda x: net[1](net[0](x)[0][:, -1])
    raise ValueError(f"unknown workload {name!r}; expected one of {sorted(TARGETS)}")


def gemm_flops(name, train):
    """FLOPs (2 m k n per product) of the step's matrix products, forward and backward.

    Backward of y = x W^T costs two products of the forward's size (dL/dW and
    dL/dx), except that the first layer needs no dL/dx (the data needs no gradient).
    A convolution is the product W (O, C k k) @ columns (C k k, N H W) (im2col).
    """
    b = BATCH[name]
    first_only = []  # (m, k, n) of the first layer, whose dL/dx is not needed
    rest = []
    if name.startswith("mlp"):
        first_only = [(b, 784, 256)]
        rest = [(b, 256, 256), (b, 256, 10)]
    elif name == "lenet5":
        first_only = [(6, 25, b * 28 * 28)]
        rest = [(16, 150, b * 10 * 10), (b, 400, 120), (b, 120, 84), (b, 84, 10)]
    elif name == "widecnn":
        first_only = [(32, 9, b * 28 * 28)]
        rest = [(64, 288, b * 28 * 28), (b, 12544, 128), (b, 128, 10)]
    elif name == "lstm":
        first_only = [(b * 28, 28, 512)]  # the input projection of all 28 steps at once
        rest = [(b, 128, 512)] * 28 + [(b, 128, 10)]  # the recurrent products, the classifier
    flops = sum(2 * m * k * n for m, k, n in first_only + rest)
    if train:
        flops += sum(2 * m * k * n for m, k, n in first_only) + 2 * sum(2 * m * k * n for m, k, n in rest)
    return flops


def gemm_peak(seconds=0.5):
    """NumPy's float32 matmul speed in FLOP/s, best of square products of a few sizes."""
    rng = np.random.default_rng(0)
    best = 0.0
    for size in (256, 512, 1024):
        a = rng.standard_normal((size, size), dtype=np.float32)
        c = rng.standard_normal((size, size), dtype=np.float32)
        a @ c
        loops, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 3:
            a @ c
            loops += 1
        best = max(best, 2 * size ** 3 * loops / (time.perf_counter() - start))
    return best


# ----------------------------------------------------------------- one step
class Runner:
    """One framework's model, optimiser, batches and step functions for a workload."""

    def __init__(self, name, fw, batches, state=None, threads=2):
        self.fw, self.is_torch = fw, fw.__name__ == "torch"
        if self.is_torch:
            fw.set_num_threads(threads)
        fw.manual_seed(0)
        self.module, self.forward = build(name, fw)
        if state is not None:
            self.module.load_state_dict(state)
        self.optimizer = fw.optim.SGD(self.module.parameters(), lr=0.01, momentum=0.9)
        self.batches = [(fw.from_numpy(x), fw.from_numpy(y)) for x, y in batches]
        self.i = 0

    def _next(self):
        self.i = (self.i + 1) % len(self.batches)
        return self.batches[self.i]

    def train_step(self):
        x, y = self._next()
        self.optimizer.zero_grad()
        loss = self.fw.nn.functional.cross_entropy(self.forward(x), y)
        loss.backward()
        self.optimizer.step()
        return loss

    def infer_step(self):
        x, _ = self._next()
        with self.fw.no_grad():
            return self.forward(x)

    def state(self):
        return {k: v.detach().cpu().numpy().copy() for k, v in self.module.state_dict().items()}


def make_batches(name, count=8, seed=0):
    rng = np.random.default_rng(seed)
    shape = (BATCH[name],) + INPUT[name]
    return [(rng.standard_normal(shape, dtype=np.float32), rng.integers(0, 10, BATCH[name]).astype(np.int64))
            for _ in range(count)]


def check_same(ours, theirs, step="train_step"):
    """One training step (the runners' method ``step``) from the same weights on the same batch gives the same
    loss and weights."""
    ours.i = theirs.i = 0
    loss_bp, loss_torch = float(getattr(ours, step)().item()), float(getattr(theirs, step)().item())
    if not np.isclose(loss_bp, loss_torch, rtol=1e-4, atol=1e-5):
        raise AssertionError(f"first-step loss differs: backprop {loss_bp} vs torch {loss_torch}")
    for (key, a), b in zip(ours.state().items(), theirs.state().values()):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5, err_msg=f"weights {key} after one step")


def calibrate(step, target):
    step()
    start = time.perf_counter()
    step()
    once = max(time.perf_counter() - start, 1e-6)
    return max(1, int(target / once))


def time_pair(step_a, step_b, repeats, target):
    """Median, min, max ms per call of two step functions, timed in alternation."""
    import gc

    loops = [calibrate(step_a, target), calibrate(step_b, target)]
    samples = [[], []]
    for _ in range(repeats):
        for k, step in enumerate((step_a, step_b)):
            gc.collect()
            start = time.perf_counter()
            for _ in range(loops[k]):
                step()
            samples[k].append((time.perf_counter() - start) / loops[k] * 1e3)
    return [(statistics.median(s), min(s), max(s)) for s in samples]


# ------------------------------------------------------------------- memory
def _rss_mb(field="VmRSS"):
    """Resident memory now (VmRSS) or at its peak (VmHWM) in MB. Not getrusage's ru_maxrss: Linux keeps
    that across exec, so a child started from a parent that had torch loaded would report the parent's peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def memory_child(name, framework, steps):
    """Train ``steps`` steps in this process; print peak RSS and RSS growth as JSON."""
    if framework == "torch":
        import torch as fw
    else:
        fw = bp
    runner = Runner(name, fw, make_batches(name))
    settle = min(100, steps // 2)
    for _ in range(settle):
        runner.train_step()
    early = _rss_mb()
    chunks, done = [], settle
    while done < steps:
        size = min(10, steps - done)
        start = time.perf_counter()
        for _ in range(size):
            runner.train_step()
        chunks.append((time.perf_counter() - start) / size * 1e3)
        done += size
    late = _rss_mb()
    peak = _rss_mb("VmHWM")
    print(json.dumps({"peak_rss_mb": peak, "rss_early_mb": early, "rss_late_mb": late, "settle": settle,
                      "train_ms": statistics.median(chunks)}))


def memory(name, framework, steps):
    command = [sys.executable, os.path.abspath(__file__), "--memory-child", name, framework, str(steps)]
    env = dict(os.environ)
    if framework == "torch":  # torch's process as a torch user has it: glibc's default allocator settings
        env["BACKPROP_TUNE_MALLOC"] = "0"
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode:
        raise RuntimeError(f"memory child {name}/{framework} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------- main
def run_workload(name, args, peak):
    import torch

    batches = make_batches(name)
    theirs = Runner(name, torch, batches, threads=args.torch_threads)
    ours = Runner(name, bp, batches, state=theirs.state())
    check_same(ours, theirs)
    row = {"workload": name, "batch": BATCH[name]}
    for mode, train in (("train", True), ("inference", False)):
        steps = (ours.train_step, theirs.train_step) if train else (ours.infer_step, theirs.infer_step)
        (b, t) = time_pair(*steps, args.repeats, args.target)
        bound_ms = gemm_flops(name, train) / peak * 1e3
        row[mode] = {
            "backprop_ms": b[0], "backprop_range": b[1:], "torch_ms": t[0], "torch_range": t[1:],
            "ratio": b[0] / t[0], "target": TARGETS[name][0 if train else 1],
            "samples_per_s": BATCH[name] / b[0] * 1e3, "torch_samples_per_s": BATCH[name] / t[0] * 1e3,
            "gemm_bound_ms": bound_ms, "gemm_share_backprop": bound_ms / b[0], "gemm_share_torch": bound_ms / t[0],
        }
    if args.memory_steps:
        row["memory"] = {fw: memory(name, fw, args.memory_steps) for fw in ("backprop", "torch")}
        row["memory"]["ratio"] = row["memory"]["backprop"]["peak_rss_mb"] / row["memory"]["torch"]["peak_rss_mb"]
        row["memory"]["train_ratio"] = row["memory"]["backprop"]["train_ms"] / row["memory"]["torch"]["train_ms"]
    return row


def print_table(rows, meta):
    print(f"backprop {meta['backprop']} vs torch {meta['torch']} ({meta['torch_threads']} threads), "
          f"NumPy {meta['numpy']}, {meta['cpus']} CPUs, float32 matmul peak {meta['gemm_peak_gflops']:.0f} GFLOP/s")
    print(f"median of {meta['repeats']} repeats; ratio = backprop / torch; GEMM-bound = share of the step that "
          "its matrix products would take at peak\n")
    head = (f"{'workload':9s} {'mode':9s} {'backprop ms':>18s} {'torch ms':>18s} {'ratio':>6s} {'target':>7s} "
            f"{'samples/s':>10s} {'GEMM-bound':>13s}")
    print(head)
    for row in rows:
        for mode in ("train", "inference"):
            r = row[mode]
            share_target = GEMM_TARGETS.get((row["workload"], mode))
            fast_enough = share_target is None or r["gemm_share_backprop"] >= share_target
            verdict = "ok" if r["ratio"] <= r["target"] and fast_enough else "MISS"
            print(f"{row['workload']:9s} {mode:9s} "
                  f"{r['backprop_ms']:7.3f} [{r['backprop_range'][0]:.2f}-{r['backprop_range'][1]:.2f}] "
                  f"{r['torch_ms']:7.3f} [{r['torch_range'][0]:.2f}-{r['torch_range'][1]:.2f}] "
                  f"{r['ratio']:5.2f}x {r['target']:5.1f}x {r['samples_per_s']:10.0f} "
                  f"{r['gemm_share_backprop']:5.0%} / {r['gemm_share_torch']:4.0%} {verdict}"
                  + (f" (GEMM-bound target {share_target:.0%})" if share_target else ""))
    if any("memory" in row for row in rows):
        print(f"\nseparate training processes ({meta['memory_steps']} steps each): peak RSS (target ratio <= 1.2x), "
              "RSS growth from step 100 to the end, and the median train step when each framework has its "
              "process to itself (backprop with its allocator settings, torch with glibc's defaults):")
        print(f"{'workload':9s} {'backprop MB':>12s} {'torch MB':>9s} {'ratio':>6s} {'growth bp/torch MB':>19s} "
              f"{'train ms bp/torch':>20s} {'ratio':>6s}")
        for row in rows:
            m = row.get("memory")
            if m:
                grow = [m[f]["rss_late_mb"] - m[f]["rss_early_mb"] for f in ("backprop", "torch")]
                print(f"{row['workload']:9s} {m['backprop']['peak_rss_mb']:12.0f} {m['torch']['peak_rss_mb']:9.0f} "
                      f"{m['ratio']:5.2f}x {grow[0]:9.1f} / {grow[1]:<7.1f} "
                      f"{m['backprop']['train_ms']:9.3f} / {m['torch']['train_ms']:<8.3f} {m['train_ratio']:5.2f}x")


def profile(name, steps=200, mode="train"):
    """cProfile of backprop's training step (mode "train") or inference step under no_grad ("inference") on one
    workload, top 25 by total time."""
    import cProfile
    import pstats

    runner = Runner(name, bp, make_batches(name))
    step = runner.train_step if mode == "train" else runner.infer_step
    for _ in range(5):
        step()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        step()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(TARGETS), help="comma-separated workloads")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--target", type=float, default=0.3, help="seconds per timed loop")
    parser.add_argument("--torch-threads", type=int, default=2)
    parser.add_argument("--memory-steps", type=int, default=1000, help="0 skips the memory measurement")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--quick", action="store_true", help="3 repeats of 0.1 s, 200 memory steps")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--profile", metavar="WORKLOAD")
    parser.add_argument("--profile-mode", choices=("train", "inference"), default="train",
                        help="the step --profile runs: training (default) or inference under no_grad")
    parser.add_argument("--memory-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        name, framework, steps = args.memory_child
        return memory_child(name, framework, int(steps))
    if args.profile:
        return profile(args.profile, mode=args.profile_mode)
    if args.quick:
        args.repeats, args.target, args.memory_steps = 3, 0.1, min(args.memory_steps, 200)
    if args.no_memory:
        args.memory_steps = 0
    import torch

    torch.set_num_threads(args.torch_threads)
    peak = gemm_peak()
    meta = {
        "backprop": bp.__version__, "torch": torch.__version__, "numpy": np.__version__,
        "python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
        "torch_threads": args.torch_threads, "repeats": args.repeats, "memory_steps": args.memory_steps,
        "gemm_peak_gflops": peak / 1e9, "load_average": os.getloadavg()[0],
    }
    rows = [run_workload(name, args, peak) for name in args.only.split(",")]
    if args.json:
        print(json.dumps({"meta": meta, "rows": rows}, indent=2))
    else:
        if meta["load_average"] > 0.7:
            print(f"warning: load average {meta['load_average']:.2f} at the start; figures may be noisy\n")
        print_table(rows, meta)


if __name__ == "__main__":
    main()
