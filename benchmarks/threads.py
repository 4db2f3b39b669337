"""``backprop train`` on a quiet machine and with one core kept busy by another process, under each thread policy.

    .venv/bin/python benchmarks/threads.py                    # 5 repeats of `backprop train --epochs 2`
    .venv/bin/python benchmarks/threads.py --epochs 30 --repeats 1 --policies openblas,follow   # make demo's job

Each run is a fresh process doing what ``backprop train --epochs 2 --progress none`` does (the default digits
CNN), timed from its start to its exit. The busy core: a separate ``python -c "while True: pass"`` pinned to the
last allowed core. The policies:

    openblas   NumPy's OpenBLAS as it comes: one thread per core, spinning ~0.1 s after each product
    env1       OPENBLAS_NUM_THREADS=1: one thread
    nospin     OPENBLAS_THREAD_TIMEOUT=4: one thread per core, asleep at once after each product
    follow     backprop.threads.configure(): the threads follow the load (the command's default)

The runs are interleaved (repeat by repeat: quiet then busy, each policy in turn) so that a change of the
machine's own load (other users) falls on every policy alike; medians are printed, with each policy's
quiet/busy ratio (the share of the quiet machine's throughput kept under load).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

POLICIES = {
    "openblas": {},
    "env1": {"OPENBLAS_NUM_THREADS": "1"},
    "nospin": {"OPENBLAS_THREAD_TIMEOUT": "4"},
    "follow": {},
}

CHILD = """
import json, sys
from backprop import threads
from backprop.cli import main
policy, out, epochs, report = sys.argv[1:5]
if policy == "follow":
    threads.configure()
code = main(["train", "--epochs", epochs, "--out", out, "--progress", "none"])
follower = threads.follower()
with open(report, "w") as file:
    json.dump({"code": code, "choices": follower.choices if follower else None}, file)
"""


def spinner():
    """A process that keeps the last allowed core busy."""
    cores = sorted(os.sched_getaffinity(0))
    return subprocess.Popen([sys.executable, "-c", "while True: pass"],
                            preexec_fn=lambda: os.sched_setaffinity(0, {cores[-1]}))


def run(policy, epochs, folder):
    env = {name: value for name, value in os.environ.items()
           if name not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_THREAD_TIMEOUT")}
    env.update(POLICIES[policy])
    out, report = os.path.join(folder, "run"), os.path.join(folder, "report.json")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", CHILD, policy, out, str(epochs), report], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    with open(report) as file:
        result = json.load(file)
    if result["code"] != 0:
        raise SystemExit(f"{policy}: backprop train exited {result['code']}")
    subprocess.run(["rm", "-rf", out], check=True)
    return seconds, result["choices"]


def threads_used(choices):
    """'threads 2', 'threads 2->1' etc.: the thread counts the follower chose, in order, without repeats, and the
    median of the cores it saw other processes use."""
    if not choices:
        return ""
    counts = [str(choices[0][2])]
    for _, _, threads in choices[1:]:
        if str(threads) != counts[-1]:
            counts.append(str(threads))
    others = statistics.median(others for _, others, _ in choices)
    return f"  threads {'->'.join(counts[:6])}{'...' if len(counts) > 6 else ''} (others used {others:.2f} cores)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--policies", default=",".join(POLICIES))
    parser.add_argument("--loads", default="quiet,busy", help="quiet, busy or both (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="also print the raw times as JSON")
    args = parser.parse_args()
    policies, loads = args.policies.split(","), args.loads.split(",")
    if set(loads) - {"quiet", "busy"}:
        parser.error(f"--loads: quiet, busy or both, got {args.loads!r}")
    unknown = set(policies) - set(POLICIES)
    if unknown:
        parser.error(f"unknown policies {sorted(unknown)}; known: {list(POLICIES)}")
    print(f"{len(os.sched_getaffinity(0))} allowed cores; backprop train --epochs {args.epochs}, "
          f"{args.repeats} repeats, interleaved", flush=True)
    times = {(policy, load): [] for policy in policies for load in loads}
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(args.repeats):
            for load in loads:
                busy = spinner() if load == "busy" else None
                try:
                    for policy in policies:
                        loadavg = open("/proc/loadavg").read().split()[0]
                        seconds, choices = run(policy, args.epochs, folder)
                        times[policy, load].append(seconds)
                        print(f"  repeat {repeat + 1} {load:5} {policy:8} {seconds:6.2f} s  (load average "
                              f"{loadavg} before){threads_used(choices)}",
                              flush=True)
                finally:
                    if busy is not None:
                        busy.kill()
                        busy.wait()
    ratio = "  busy/quiet throughput" if loads == ["quiet", "busy"] else ""
    print(f"\npolicy   {''.join(f'{load:>8} s' for load in loads)}{ratio}")
    for policy in policies:
        medians = [statistics.median(times[policy, load]) for load in loads]
        ratio = f"  {medians[0] / medians[1]:6.0%}" if loads == ["quiet", "busy"] else ""
        print(f"{policy:8} {''.join(f'{median:8.2f}  ' for median in medians)}{ratio}")
    if args.json:
        print(json.dumps({f"{policy} {load}": values for (policy, load), values in times.items()}))


if __name__ == "__main__":
    main()
