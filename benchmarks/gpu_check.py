"""``make gpu-check``: backprop on a CUDA GPU, the CUDA tests and then the workloads against torch CUDA.

The steps, each under a time limit, the whole check within 8 minutes on an H100:

1. Find the GPU: ``nvidia-smi``, else CuPy's device count. Without one it prints one line,
   ``gpu-check: no CUDA GPU on this machine ...``, and exits 0, having installed nothing.
2. CuPy: if this Python lacks it, ``pip install`` the ``gpu`` extra's requirement (read from
   pyproject.toml) into this Python's environment (``.venv`` under ``make gpu-check`` once
   ``make test`` made it), from the wheels in ``./.whl`` when that folder holds any (a machine
   without internet); at most 150 s. If that fails, a ``python3`` on the PATH that has CuPy runs
   steps 3 and 4 with ``PYTHONPATH=src`` (a GPU machine's image may bring CuPy and torch CUDA).
   If none has it: one line saying so, exit 3.
3. The CUDA tests: every test file that skips itself without CuPy (``pytest.importorskip`` of
   cupy), ``pytest -x``, at most 120 s.
4. The workloads of benchmarks/workloads.py (its models and Runner) on the GPU at batch 128 and 512,
   training step and inference under no_grad, backprop against torch CUDA from the same weights
   on the same batches (one training step checked to agree first); medians of a few timed loops,
   each loop ended by a synchronize; float32 on both sides (torch's TF32 off, CuPy's default). The
   table gives ms per step and the ratio backprop/torch against the issue's target (<= 2x); where
   torch CUDA is missing it gives backprop's own timings and says so. A workload that fails is one
   FAILED row with its error, the others still run; rows stop when the time is up.

Everything printed also goes to ``$OUT/gpu_check.txt`` when ``OUT`` is set (the table alone to
``$OUT/gpu_workloads.txt`` and ``.json``).

Exit status: 0 every step passed, or there is no GPU (nothing to check); 1 a CUDA test failed or
none ran, a workload failed or its first training step disagreed with torch, or a step ran out of
its time; 3 a GPU is there but no Python with CuPy could be had.

Run: ``make gpu-check``, or ``python benchmarks/gpu_check.py [--budget SECONDS]``;
``--workloads-only [--device cpu] [--batches 2]`` runs step 4 alone (the tests run it on the CPU), and
``--device cpu`` has step 4 run on the CPU in the whole check too.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
try:
    import numpy as np

    import backprop as bp
    # the speed issue's architectures and their runner (workloads imports backprop from src/ if need be)
    from workloads import INPUT, Runner, check_same
except ImportError:  # a Python without backprop's needs can still look for a GPU and for a Python that has them
    np = bp = None
    Runner = object  # (Side below is then never used)

NO_GPU, FAILED, NO_CUPY = 0, 1, 3
WORKLOADS = {"MLP": "mlp128", "LeNet-5": "lenet5", "wide CNN": "widecnn", "LSTM": "lstm"}  # label: builder name
TARGET = 2.0  # the GPU target: at most 2x torch CUDA eager
PIP_SECONDS, TESTS_SECONDS = 150, 120


class Log:
    """print, and keep every line for $OUT/gpu_check.txt."""

    def __init__(self):
        self.lines = []

    def __call__(self, text=""):
        print(text, flush=True)
        self.lines.append(text)

    def save(self, name="gpu_check.txt"):
        out = os.environ.get("OUT")
        if out:
            with open(os.path.join(out, name), "w") as file:
                file.write("\n".join(self.lines) + "\n")


# ------------------------------------------------------------------- step 1
def find_gpu():
    """A line naming the first GPU (name, memory, driver), or None where there is none."""
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            done = subprocess.run([smi, "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
                                  capture_output=True, text=True, timeout=30)
            if done.returncode == 0 and done.stdout.strip():
                return done.stdout.strip().splitlines()[0]
        except subprocess.TimeoutExpired:
            pass
    if bp is not None and bp.cuda.is_available():  # no nvidia-smi, but this Python's CuPy sees a GPU
        return bp.cuda.get_device_name()
    return None


# ------------------------------------------------------------------- step 2
def child_env():
    """The environment of steps 3 and 4: backprop imported from this checkout's src/."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(ROOT, "src")] + [p for p in [env.get("PYTHONPATH")] if p])
    env["PYTHONUNBUFFERED"] = "1"
    return env


def has_cupy(python):
    """True when ``python`` imports CuPy and backprop (from src/) and CuPy sees a GPU."""
    code = "import cupy, backprop; assert cupy.cuda.runtime.getDeviceCount() > 0"
    try:
        return subprocess.run([python, "-c", code], env=child_env(), capture_output=True, timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def gpu_requirement():
    """The ``gpu`` extra's requirement in pyproject.toml, e.g. 'cupy-cuda12x>=13'."""
    with open(os.path.join(ROOT, "pyproject.toml")) as file:
        text = file.read()
    try:
        import tomllib
    except ImportError:  # Python 3.10: the extra's one line
        return re.search(r'^gpu = \["([^"]+)"\]', text, re.M).group(1)
    return tomllib.loads(text)["project"]["optional-dependencies"]["gpu"][0]


def install_cupy(log):
    """pip install the gpu extra's CuPy into this Python's environment; '' when done, else pip's last line."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--retries", "1",
               "--timeout", "15", gpu_requirement()]
    wheels = os.path.join(ROOT, ".whl")
    if os.path.isdir(wheels) and os.listdir(wheels):
        command[4:4] = ["--no-index", "--find-links", wheels]
    log(f"installing CuPy: {' '.join(command[1:])} (at most {PIP_SECONDS} s)")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=PIP_SECONDS)
    except subprocess.TimeoutExpired:
        return f"pip ran past {PIP_SECONDS} s"
    if done.returncode:
        lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        return lines[-1].strip() if lines else f"pip exited {done.returncode}"
    return ""


def python_with_cupy(log):
    """The Python that runs steps 3 and 4, or None (having printed the one line why)."""
    if has_cupy(sys.executable):
        return sys.executable
    why = install_cupy(log)
    if not why and has_cupy(sys.executable):
        return sys.executable
    why = why or "installed, but it does not see the GPU"
    other = shutil.which("python3")
    if other and os.path.realpath(other) != os.path.realpath(sys.executable) and has_cupy(other):
        log(f"CuPy could not be installed here ({why}); {other} has it and runs the rest")
        return other
    log(f"gpu-check: a GPU is here but CuPy could not be installed ({why}); "
        f"install it (pip install 'backprop[gpu]', or its wheel into .whl/) and run again")
    return None


# ------------------------------------------------------------------- step 3
def cuda_test_files():
    """The test files that skip themselves without CuPy: the CUDA tests."""
    marks = ('importorskip("cupy")', "importorskip('cupy')")
    found = []
    for folder, _, names in os.walk(os.path.join(ROOT, "tests")):
        for name in sorted(names):
            if name.startswith("test_") and name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path) as file:
                    if any(mark in file.read() for mark in marks):
                        found.append(os.path.relpath(path, ROOT))
    return sorted(found)


def stream(command, seconds, log):
    """Run ``command`` (in the checkout, backprop from src/), logging its output as it comes; its exit status, or
    None when it ran past ``seconds`` and was stopped."""
    process = subprocess.Popen(command, cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    stopped = []
    timer = threading.Timer(seconds, lambda: (stopped.append(True), process.kill()))
    timer.start()
    for line in process.stdout:
        log("  " + line.rstrip())
    process.wait()
    timer.cancel()
    return None if stopped else process.returncode


def run_cuda_tests(python, log):
    """pytest -x on the CUDA test files; True when they passed."""
    files = cuda_test_files()
    log(f"CUDA tests ({len(files)} files, at most {TESTS_SECONDS} s): {' '.join(files)}")
    code = stream([python, "-m", "pytest", "-x", "-q", "-rs", "-p", "no:cacheprovider", *files], TESTS_SECONDS, log)
    if code == 0:
        log("CUDA tests: passed")
    elif code is None:
        log(f"CUDA tests: FAILED, ran past {TESTS_SECONDS} s")
    elif code == 5:  # pytest's "no tests ran": every file skipped itself, on a machine that has a GPU
        log("CUDA tests: FAILED, none ran (every file skipped: the reasons are above)")
    else:
        log(f"CUDA tests: FAILED (pytest exit {code})")
    return code == 0


# ------------------------------------------------------------------- step 4
class Side(Runner):
    """workloads.Runner (one framework's model, optimiser, batches and steps) with all of it on ``device``."""

    def __init__(self, fw, name, device, batches, state=None):
        super().__init__(name, fw, batches, state=state, threads=1)
        self.module.to(device)  # the parameters keep their identity: the optimiser still holds them
        self.batches = [(x.to(device), y.to(device)) for x, y in self.batches]
        on_gpu = str(device).startswith("cuda")
        self.synchronize = fw.cuda.synchronize if on_gpu else (lambda: None)


def first_step_differs(ours, theirs):
    """'' when one training step from the same weights on the same batch gives torch's loss and weights, else
    what differs."""
    try:
        check_same(ours, theirs)
    except AssertionError as difference:
        return " ".join(str(difference).split())[:300]
    return ""


def ms_per_step(side, step, repeats, seconds):
    """Median ms per step over ``repeats`` loops of about ``seconds`` each, every loop ended by a synchronize."""
    step()
    side.synchronize()
    start = time.perf_counter()
    step()
    side.synchronize()
    loops = max(1, int(seconds / max(time.perf_counter() - start, 1e-6)))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            step()
        side.synchronize()
        samples.append((time.perf_counter() - start) / loops * 1e3)
    return statistics.median(samples)


def torch_for(device):
    """torch, when it can run on ``device`` (torch CUDA for a GPU), else None."""
    try:
        import torch
    except ImportError:
        return None
    if str(device).startswith("cuda"):
        if not torch.cuda.is_available():
            return None
        torch.backends.cuda.matmul.allow_tf32 = False  # float32 products, as CuPy's default
        torch.backends.cudnn.allow_tf32 = False
    return torch


def time_workload(label, name, batch, device, torch, repeats, seconds, log):
    """The rows of one workload at one batch size: training and inference."""
    rng = np.random.default_rng(0)
    data = [(rng.standard_normal((batch,) + INPUT[name], dtype=np.float32),
             rng.integers(0, 10, batch).astype(np.int64)) for _ in range(4)]
    theirs = Side(torch, name, device, data) if torch else None
    ours = Side(bp, name, device, data, state=theirs.state() if theirs else None)
    differs = first_step_differs(ours, theirs) if theirs else ""
    rows = []
    for mode, step in (("train", "train_step"), ("inference", "infer_step")):
        row = {"workload": label, "batch": batch, "mode": mode, "differs": differs,
               "backprop_ms": ms_per_step(ours, getattr(ours, step), repeats, seconds)}
        if theirs:
            row["torch_ms"] = ms_per_step(theirs, getattr(theirs, step), repeats, seconds)
            row["ratio"] = row["backprop_ms"] / row["torch_ms"]
        rows.append(row)
        log(format_row(row))
    return rows


def run_workloads(device="cuda", batch_sizes=(128, 512), repeats=5, seconds=0.2, deadline=None, log=print):
    """Time every workload at every batch size in training and inference; one row (dict) per workload, batch and
    mode, each with backprop's ms per step and, where torch runs on ``device``, torch's and the ratio; a workload
    that fails gives one row with its error instead."""
    torch = torch_for(device)
    rows = []
    for label, name in WORKLOADS.items():
        for batch in batch_sizes:
            if deadline is not None and time.time() > deadline:
                rows.append({"workload": label, "batch": batch, "error": "not timed, out of time"})
                log(f"{label} batch {batch}: not timed, out of time")
                continue
            try:
                rows += time_workload(label, name, batch, device, torch, repeats, seconds, log)
            except Exception as error:  # noqa: BLE001  (an op that fails on the GPU: the other rows still come)
                rows.append({"workload": label, "batch": batch, "error": f"{type(error).__name__}: {error}"})
                log(f"{label:9s} {batch:5d} FAILED: {rows[-1]['error']}"[:400])
    return rows


def format_row(row):
    text = f"{row['workload']:9s} {row['batch']:5d} {row['mode']:9s} {row['backprop_ms']:11.3f}"
    if "torch_ms" in row:
        verdict = "ok" if row["ratio"] <= TARGET else "MISS"
        text += f" {row['torch_ms']:9.3f} {row['ratio']:6.2f}x {verdict}"
    else:
        text += f" {row['batch'] / row['backprop_ms'] * 1e3:10.0f}"
    return text + (f"  DIFFERS: {row['differs']}" if row["differs"] else "")


def workloads_main(args):
    """Step 4 in its own process: the table, written to $OUT/gpu_workloads.txt and .json too."""
    log = Log()
    torch = torch_for(args.device)
    where = bp.cuda.get_device_name() if args.device.startswith("cuda") else "the CPU"
    log(f"workloads on {where}: backprop {bp.__version__}, NumPy {np.__version__}"
        + (f", CuPy {bp.backend.namespace('cuda').__version__}" if args.device.startswith("cuda") else ""))
    if torch:
        log(f"against torch {torch.__version__} on {args.device}, float32 (TF32 off); ratio = backprop / torch, "
            f"target <= {TARGET:.0f}x; median of {args.repeats} loops of about {args.seconds} s")
        log(f"{'workload':9s} {'batch':>5s} {'mode':9s} {'backprop ms':>11s} {'torch ms':>9s} {'ratio':>7s}")
    else:
        log(f"torch on {args.device} is not available here: backprop's own timings only")
        log(f"{'workload':9s} {'batch':>5s} {'mode':9s} {'backprop ms':>11s} {'samples/s':>10s}")
    batches = tuple(int(b) for b in args.batches.split(","))
    rows = run_workloads(args.device, batches, args.repeats, args.seconds, args.deadline, log)
    log.save("gpu_workloads.txt")
    out = os.environ.get("OUT")
    if out:
        with open(os.path.join(out, "gpu_workloads.json"), "w") as file:
            json.dump(rows, file, indent=1)
    return FAILED if any(row.get("differs") or "error" in row for row in rows) else 0


# --------------------------------------------------------------------- main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=450, help="seconds for the whole check (default 450)")
    parser.add_argument("--workloads-only", action="store_true", help="step 4 alone, in this Python")
    parser.add_argument("--device", default="cuda", help="step 4's device (cpu to try it without a GPU)")
    parser.add_argument("--batches", default="128,512")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.2, help="length of one timed loop")
    parser.add_argument("--deadline", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.workloads_only:
        return workloads_main(args)
    start = time.time()
    log = Log()
    gpu = find_gpu()
    if gpu is None:
        log("gpu-check: no CUDA GPU on this machine (no nvidia-smi, and no CuPy that sees one); nothing to check")
        log.save()
        return NO_GPU
    log(f"gpu-check on {gpu}")
    python = python_with_cupy(log)
    if python is None:
        log.save()
        return NO_CUPY
    passed = run_cuda_tests(python, log)
    left = args.budget - (time.time() - start)
    log(f"workloads (about {left:.0f} s left of the {args.budget:.0f} s budget):")
    # no new row in the last 30 s; the child is stopped 10 s after the budget
    command = [python, os.path.abspath(__file__), "--workloads-only", "--device", args.device, "--batches",
               args.batches, "--repeats", str(args.repeats), "--seconds", str(args.seconds),
               "--deadline", str(start + args.budget - 30)]
    code = stream(command, max(left, 0) + 10, log)
    if code:
        log(f"workloads: FAILED (exit {code})")
    elif code is None:
        log("workloads: ran past the budget")
    passed = passed and code == 0
    log(f"gpu-check: {'passed' if passed else 'FAILED'} in {time.time() - start:.0f} s")
    log.save()
    return 0 if passed else FAILED


if __name__ == "__main__":
    sys.exit(main())
