#!/usr/bin/env python
"""Per-op overhead of backprop against PyTorch on small tensors, in one process.

On tiny tensors the arithmetic costs almost nothing; what is measured is the
framework's own cost per operation: argument handling, dispatch, wrapping the
result, recording the graph and walking it backwards. Three workloads, run on
the same data by both frameworks:

1. chain   a (16,) float32 leaf that requires grad goes through N elementwise
           ops (cycling: * 0.5, + b, tanh, exp, sigmoid), then .sum().backward();
           reported as microseconds per recorded op (time / (N + 1), the sum
           counted). Two extra rows split it: the same forward while recording
           the graph (no backward), and the same forward under no_grad.
2. mlp     one training step of a 2-layer MLP (batch 16, 32 -> 64 -> 10, tanh),
           log_softmax, negative log-likelihood from indexing the target
           log-probabilities, backward, then plain SGD under no_grad
           (``p -= lr * p.grad; p.grad = None``); ms per step, and us per
           recorded graph op (the forward graph's nodes, counted by walking it).
           The weights are put back (untimed) before every timed loop.
3. infer   the same MLP forward (up to the loss) under no_grad; ms per forward.

Both frameworks start from the same weights (one NumPy array, copied into
each), and the first MLP step and the chain are checked to compute the same
loss / gradients before anything is timed.

Method: warm-up calls, then an iteration count calibrated so that one timed
loop lasts about --target seconds, then --repeats timed loops, backprop's and
torch's alternating (so that drift on a busy machine hits both alike). Reports
the median and min-max over the repeats of the time per iteration. The garbage
collector stays on (as users run) and is emptied before every timed loop.
torch keeps its defaults except ``torch.set_num_threads(2)``, set explicitly
(--torch-threads changes it). The target from the issue, "per-op overhead
within 3x of torch", is judged on the chain fwd+bwd row.

    python benchmarks/overhead.py            # table
    python benchmarks/overhead.py --quick    # fewer, shorter repeats
    python benchmarks/overhead.py --json     # machine-readable
    python benchmarks/overhead.py --profile  # cProfile of backprop's chain instead
"""
import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time

import numpy as np

try:
    import backprop as bp
except ImportError:  # run from a checkout without installing: use src/
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "src"))
    import backprop as bp

try:
    import torch
except ImportError:
    sys.exit("benchmarks/overhead.py needs torch (pip install -e '.[dev]', which pins torch==2.13.0)")

TORCH_THREADS = 2
TARGET_RATIO = 3.0
NOISY_SPREAD = 1.5
BUSY_LOAD = 0.7
TARGET_TEXT = "per-op overhead within 3x of torch"

BATCH, N_IN, N_HIDDEN, N_OUT = 16, 32, 64, 10
LR = 0.01  # small, and the weights are reset before every timed loop: every step does the same work
CHAIN_SIZE = 16
CYCLE = ("mul by 0.5", "add tensor", "tanh", "exp", "sigmoid")


# ------------------------------------------------------------------ timing
def _loop(fn, iters):
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    return time.perf_counter() - start


def _calibrate(fn, target):
    """Iterations for one timed loop of about ``target`` seconds."""
    iters = 1
    while True:
        elapsed = _loop(fn, iters)
        if elapsed >= 0.02 or iters >= 1 << 20:
            return max(1, round(iters * target / elapsed))
        iters *= 2


def measure_pair(fn_bp, fn_torch, repeats, target, warmup, reset=None):
    """Seconds per call of each function: median, min, max over ``repeats`` loops.

    ``reset`` (name -> callable), when given, runs untimed before every loop
    (the MLP puts its initial weights back, so that training does not drift).
    """
    fns = {"backprop": fn_bp, "torch": fn_torch}
    reset = reset or {}
    iters = {}
    for name, fn in fns.items():
        for _ in range(warmup):
            fn()
        if name in reset:
            reset[name]()
        iters[name] = _calibrate(fn, target)
    samples = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():  # alternate the two frameworks
            if name in reset:
                reset[name]()
            gc.collect()
            samples[name].append(_loop(fn, iters[name]) / iters[name])
    return {
        name: {
            "median": statistics.median(s), "min": min(s), "max": max(s),
            "iters": iters[name], "repeats": repeats, "samples": s,
        }
        for name, s in samples.items()
    }


# ------------------------------------------------------------ graph sizes
def count_backprop_ops(root):
    """Nodes of backprop's recorded graph below ``root`` (one per differentiable op)."""
    return len(bp.autograd.topological_order(root.grad_fn))


def count_torch_ops(root):
    """Nodes of torch's autograd graph below ``root``, without the AccumulateGrad leaves."""
    seen, stack = set(), [root.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(next_fn for next_fn, _ in node.next_functions)
    return sum(1 for node in seen if type(node).__name__ != "AccumulateGrad")


# ------------------------------------------------------------- workloads
def chain_forward(x, b, n_ops):
    """N elementwise ops cycling through CYCLE (unrolled: no harness cost per op), then sum."""
    y = x
    for _ in range(n_ops // len(CYCLE)):
        y = y * 0.5
        y = y + b
        y = y.tanh()
        y = y.exp()
        y = y.sigmoid()
    return y.sum()


def chain_setup(lib, x0, b0):
    x = lib.tensor(x0, requires_grad=True)
    b = lib.tensor(b0)
    return x, b


def mlp_data():
    """Inputs, targets and the initial parameters, all from one seeded generator.

    The parameters are one flat float32 NumPy array, sliced into W1, b1, W2, b2
    and copied into each framework, so both start from identical weights.
    """
    rng = np.random.default_rng(0)
    shapes = [(N_IN, N_HIDDEN), (N_HIDDEN,), (N_HIDDEN, N_OUT), (N_OUT,)]
    scales = [N_IN ** -0.5, 0.1, N_HIDDEN ** -0.5, 0.1]
    flat = np.concatenate([rng.standard_normal(int(np.prod(s))) * k for s, k in zip(shapes, scales)])
    flat = flat.astype(np.float32)
    params, offset = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        params.append(flat[offset:offset + size].reshape(shape))
        offset += size
    x = rng.standard_normal((BATCH, N_IN)).astype(np.float32)
    y = rng.integers(0, N_OUT, BATCH).astype(np.int64)
    return params, x, y


class MLP:
    """The same model for either framework (``lib`` is backprop or torch)."""

    def __init__(self, lib, params, x, y):
        self.lib = lib
        self.initial = params
        self.params = [lib.tensor(p, requires_grad=True) for p in params]
        self.x = lib.tensor(x)
        self.y = lib.tensor(y)
        self.rows = lib.arange(BATCH)

    def loss(self):
        w1, b1, w2, b2 = self.params
        h = (self.x @ w1 + b1).tanh()
        logp = (h @ w2 + b2).log_softmax(1)
        return -logp[self.rows, self.y].mean()  # negative log-likelihood

    def step(self):
        loss = self.loss()
        loss.backward()
        with self.lib.no_grad():
            for p in self.params:
                p -= LR * p.grad
                p.grad = None
        return loss

    def reset(self):
        """Back to the initial weights (in place, untimed)."""
        with self.lib.no_grad():
            for p, p0 in zip(self.params, self.initial):
                p.copy_(self.lib.tensor(p0))
                p.grad = None

    def infer(self):
        with self.lib.no_grad():
            return self.loss()


def _numpy(t):
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t, dtype=np.float64)


def check_same_work(n_ops):
    """Both frameworks compute the same values before anything is timed (raises if not)."""
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal(CHAIN_SIZE).astype(np.float32)
    b0 = (0.1 * rng.standard_normal(CHAIN_SIZE)).astype(np.float32)
    results = {}
    for name, lib in (("backprop", bp), ("torch", torch)):
        x, b = chain_setup(lib, x0, b0)
        out = chain_forward(x, b, n_ops)
        out.backward()
        results[name] = (_numpy(out), _numpy(x.grad))
    np.testing.assert_allclose(results["backprop"][0], results["torch"][0], rtol=1e-5, atol=1e-6,
                               err_msg="chain: backprop and torch disagree on the value")
    np.testing.assert_allclose(results["backprop"][1], results["torch"][1], rtol=1e-4, atol=1e-6,
                               err_msg="chain: backprop and torch disagree on the gradient")

    params, x, y = mlp_data()
    models = {"backprop": MLP(bp, params, x, y), "torch": MLP(torch, params, x, y)}
    losses = {name: float(m.step().item()) for name, m in models.items()}
    np.testing.assert_allclose(losses["backprop"], losses["torch"], rtol=1e-5, atol=1e-6,
                               err_msg="mlp: backprop and torch disagree on the first step's loss")
    for p_bp, p_t in zip(models["backprop"].params, models["torch"].params):
        np.testing.assert_allclose(_numpy(p_bp), _numpy(p_t), rtol=1e-4, atol=1e-6,
                                   err_msg="mlp: parameters differ after the first SGD step")
    return {
        "chain_value": {k: float(v[0]) for k, v in results.items()},
        "mlp_first_loss": losses,
        "max_abs_param_diff_after_step": max(
            float(np.max(np.abs(_numpy(a) - _numpy(b))))
            for a, b in zip(models["backprop"].params, models["torch"].params)
        ),
    }


# ------------------------------------------------------------------- main
def run(args):
    load_at_start = list(os.getloadavg())
    torch.set_num_threads(args.torch_threads)
    n_ops = args.chain_ops
    checks = check_same_work(n_ops)
    timing = dict(repeats=args.repeats, target=args.target, warmup=args.warmup)
    rows = []

    def add_row(key, label, unit, scale, result, ops=None):
        row = {"key": key, "label": label, "unit": unit}
        for name in ("backprop", "torch"):
            r = result[name]
            row[name] = {k: (v * scale if k in ("median", "min", "max") else v) for k, v in r.items()}
            row[name]["samples"] = [v * scale for v in r["samples"]]
        if ops is not None:
            row["ops"] = ops
        row["ratio"] = row["backprop"]["median"] / row["torch"]["median"]
        row["ratio_min"] = row["backprop"]["min"] / row["torch"]["min"]
        rows.append(row)

    # 1. the chain: forward + backward, and its two halves
    rng = np.random.default_rng(2)
    x0 = rng.standard_normal(CHAIN_SIZE).astype(np.float32)
    b0 = (0.1 * rng.standard_normal(CHAIN_SIZE)).astype(np.float32)
    chains = {name: chain_setup(lib, x0, b0) for name, lib in (("backprop", bp), ("torch", torch))}
    chain_ops = {
        "backprop": count_backprop_ops(chain_forward(*chains["backprop"], n_ops)),
        "torch": count_torch_ops(chain_forward(*chains["torch"], n_ops)),
    }
    assert chain_ops["backprop"] == chain_ops["torch"] == n_ops + 1, chain_ops

    def chain_step(x, b):
        def step():
            x.grad = None
            chain_forward(x, b, n_ops).backward()
        return step

    def chain_record(x, b):
        return lambda: chain_forward(x, b, n_ops)

    def chain_nograd(lib, x, b):
        def forward():
            with lib.no_grad():
                chain_forward(x, b, n_ops)
        return forward

    per_op = 1e6 / (n_ops + 1)
    add_row("chain_fwd_bwd", f"chain fwd+bwd ({n_ops} ops + sum)", "us/op", per_op,
            measure_pair(chain_step(*chains["backprop"]), chain_step(*chains["torch"]), **timing),
            ops=chain_ops)
    add_row("chain_fwd_record", "  of which: forward, recording", "us/op", per_op,
            measure_pair(chain_record(*chains["backprop"]), chain_record(*chains["torch"]), **timing),
            ops=chain_ops)
    add_row("chain_fwd_nograd", "  same forward under no_grad", "us/op", per_op,
            measure_pair(chain_nograd(bp, *chains["backprop"]), chain_nograd(torch, *chains["torch"]), **timing),
            ops=chain_ops)

    # 2. and 3. the MLP
    params, x, y = mlp_data()
    models = {"backprop": MLP(bp, params, x, y), "torch": MLP(torch, params, x, y)}
    mlp_ops = {
        "backprop": count_backprop_ops(models["backprop"].loss()),
        "torch": count_torch_ops(models["torch"].loss()),
    }
    resets = {name: m.reset for name, m in models.items()}
    step = measure_pair(models["backprop"].step, models["torch"].step, reset=resets, **timing)
    add_row("mlp_step", f"MLP train step ({BATCH}x{N_IN}->{N_HIDDEN}->{N_OUT})", "ms/step", 1e3, step)
    per_op_step = {
        name: {k: step[name][k] * 1e6 / mlp_ops[name] for k in ("median", "min", "max")}
        | {"iters": step[name]["iters"], "repeats": step[name]["repeats"],
           "samples": [v * 1e6 / mlp_ops[name] for v in step[name]["samples"]]}
        for name in step
    }
    rows.append({
        "key": "mlp_step_per_op", "label": "  step / recorded graph ops", "unit": "us/op", "ops": mlp_ops,
        **per_op_step, "ratio": per_op_step["backprop"]["median"] / per_op_step["torch"]["median"],
        "ratio_min": per_op_step["backprop"]["min"] / per_op_step["torch"]["min"],
    })
    add_row("mlp_infer", "MLP forward, no_grad (inference)", "ms/fwd", 1e3,
            measure_pair(models["backprop"].infer, models["torch"].infer, **timing))

    headline = rows[0]
    return {
        "target": {
            "text": TARGET_TEXT, "max_ratio": TARGET_RATIO, "measured_by": headline["key"],
            "ratio": headline["ratio"], "met": headline["ratio"] <= TARGET_RATIO,
        },
        "results": rows,
        "checks": checks,
        "settings": {
            "chain": {"ops": n_ops, "size": CHAIN_SIZE, "dtype": "float32", "cycle": list(CYCLE)},
            "mlp": {"batch": BATCH, "layers": [N_IN, N_HIDDEN, N_OUT], "hidden": "tanh", "lr": LR,
                    "loss": "-log_softmax(logits)[arange(B), y].mean()", "ops": mlp_ops},
            "repeats": args.repeats, "target_seconds_per_repeat": args.target, "warmup_calls": args.warmup,
            "torch_threads": torch.get_num_threads(), "torch_interop_threads": torch.get_num_interop_threads(),
            "torch_threads_note": f"torch defaults, except torch.set_num_threads({args.torch_threads}) called explicitly",
        },
        "environment": {
            "python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__,
            "backprop": getattr(bp, "__version__", "?"), "platform": platform.platform(),
            "cpu_count": os.cpu_count(), "quick": args.quick,
            "load_average_at_start": load_at_start, "load_average_at_end": list(os.getloadavg()),
        },
    }


def _fmt(x):
    return f"{x:.3g}" if x < 10 else f"{x:.1f}" if x < 1000 else f"{x:.0f}"


def print_table(report):
    env, settings = report["environment"], report["settings"]
    print(f"backprop {env['backprop']} vs torch {env['torch']}  (python {env['python']}, numpy {env['numpy']}, "
          f"{env['cpu_count']} CPUs)")
    print(f"torch: {settings['torch_threads_note']} -> {settings['torch_threads']} intra-op threads, "
          f"{settings['torch_interop_threads']} inter-op")
    print(f"timing: {settings['repeats']} repeats of a loop of ~{settings['target_seconds_per_repeat']}s each, "
          f"backprop and torch alternating, after {settings['warmup_calls']} warm-up calls")
    load = env["load_average_at_start"][0]
    if load > BUSY_LOAD:
        print(f"WARNING: 1-minute load average {load:.2f} at start: other processes share the CPUs. torch's "
              "OpenMP threads stall badly on an oversubscribed machine (ms per op); rerun on an idle machine.")
    chain, checks = settings["chain"], report["checks"]
    print(f"chain: ({chain['size']},) {chain['dtype']} leaf through {chain['ops']} ops cycling "
          f"[{', '.join(chain['cycle'])}], then .sum().backward()")
    print(f"check: same first-step MLP loss (backprop {checks['mlp_first_loss']['backprop']:.6f}, "
          f"torch {checks['mlp_first_loss']['torch']:.6f}), same chain value and gradient: OK")
    print()
    header = (f"{'benchmark':<42} {'unit':<8} {'backprop median [min-max]':>26} {'torch median [min-max]':>26} "
              f"{'ratio':>7} {'(mins)':>7}")
    print(header)
    print("-" * len(header))
    noisy = False
    for row in report["results"]:
        cells = []
        for name in ("backprop", "torch"):
            r = row[name]
            mark = "*" if r["max"] > NOISY_SPREAD * r["min"] else " "
            noisy = noisy or mark == "*"
            cells.append(f"{_fmt(r['median'])} [{_fmt(r['min'])}-{_fmt(r['max'])}]{mark}")
        label = row["label"]
        if "ops" in row and row["key"].startswith("mlp"):
            ops = row["ops"]
            label += f" ({ops['backprop']}/{ops['torch']})"
        print(f"{label:<42} {row['unit']:<8} {cells[0]:>26} {cells[1]:>26} {row['ratio']:>6.2f}x "
              f"{row['ratio_min']:>6.2f}x")
    print()
    print("ratio = backprop median / torch median; (mins) = backprop min / torch min.")
    print("MLP per-op: step time / ops recorded in the forward graph (backprop/torch counts in brackets);")
    print("  the step also runs backward and the SGD update, so it is not comparable with the chain's per-op.")
    if noisy:
        print(f"* max > {NOISY_SPREAD:g}x min over the repeats: the machine was noisy, rerun or trust the mins.")
    print()
    target = report["target"]
    verdict = "MET" if target["met"] else "NOT MET"
    print(f"target (from the issue): {target['text']}")
    print(f"  chain fwd+bwd per-op ratio = {target['ratio']:.2f}x -> {verdict} (needs <= {target['max_ratio']:g}x)")


def profile_chain(n_ops, steps=300, top=25):
    """cProfile of backprop's chain fwd+bwd, sorted by own time (the profiler inflates
    Python-level costs; read the shares, not the absolute times)."""
    import cProfile
    import pstats

    rng = np.random.default_rng(2)
    x, b = chain_setup(bp, rng.standard_normal(CHAIN_SIZE).astype(np.float32),
                       (0.1 * rng.standard_normal(CHAIN_SIZE)).astype(np.float32))

    def step():
        x.grad = None
        chain_forward(x, b, n_ops).backward()

    for _ in range(10):
        step()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        step()
    profiler.disable()
    print(f"cProfile: backprop chain fwd+bwd ({n_ops} ops + sum) x {steps}, top {top} by own time")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead of a table")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats (a smoke run)")
    parser.add_argument("--repeats", type=int, help="timed loops per measurement (default 7; --quick 3)")
    parser.add_argument("--target", type=float, help="seconds per timed loop (default 0.2; --quick 0.05)")
    parser.add_argument("--warmup", type=int, help="untimed calls first (default 5; --quick 2)")
    parser.add_argument("--profile", action="store_true",
                        help="instead of timing, cProfile backprop's chain fwd+bwd and print its hot spots")
    parser.add_argument("--torch-threads", type=int, default=TORCH_THREADS,
                        help=f"passed to torch.set_num_threads (default {TORCH_THREADS}: the machine's 2 cores)")
    parser.add_argument("--chain-ops", type=int, default=100,
                        help=f"ops in the chain, a multiple of {len(CYCLE)} (default 100)")
    args = parser.parse_args(argv)
    if args.chain_ops <= 0 or args.chain_ops % len(CYCLE):
        parser.error(f"--chain-ops must be a positive multiple of {len(CYCLE)}")
    args.repeats = args.repeats or (3 if args.quick else 7)
    args.target = args.target or (0.05 if args.quick else 0.2)
    args.warmup = args.warmup if args.warmup is not None else (2 if args.quick else 5)

    if args.profile:
        profile_chain(args.chain_ops)
        return
    report = run(args)
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
    else:
        print_table(report)


if __name__ == "__main__":
    main()
