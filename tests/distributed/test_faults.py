"""A rank that fails ends the whole job, non-zero and soon (the issue: within 30 s), with the reason on stderr.

Each case is one ``mpirun -n 2`` job in which rank 1 fails after a first collective while rank 0 waits in a second
one. The five jobs run at the same time (each under a hard timeout, so that a hang fails the test instead of
hanging the run). How soon is measured from the moment rank 1 fails (which it writes to a file) to the job's end,
each job waited for in its own thread: neither the start of ten processes on a loaded machine nor the wait for
another job counts.
"""
import concurrent.futures
import time

import pytest

from .mpi import finish_mpi, requires_mpi, start_mpi

SCRIPT = """
import os, signal, sys, time
import numpy as np
from backprop import distributed

mode, failed_at = sys.argv[1:]
world = distributed.init(timeout=2 if mode == "sleep" else 60)
values = np.ones(3)
world.all_reduce_(values)  # both ranks are up
if world.rank == 1:
    with open(failed_at, "w") as file:
        file.write(repr(time.time()))
    if mode == "raise":
        raise ValueError("rank 1 fails on purpose")
    if mode == "exit":
        sys.exit(3)
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "sleep":
        time.sleep(40)
    if mode == "local_rank":
        sys.exit(0)
if mode == "local_rank":
    distributed.local_rank()  # a collective too: rank 0 waits here, with the same deadline
else:
    world.all_reduce_(values)  # rank 0 waits here for a rank that will never come
print(f"rank {world.rank} finished", flush=True)
"""

MODES = ("raise", "exit", "kill", "sleep", "local_rank")
HARD_TIMEOUT = 90  # seconds: past it the job is killed and the test fails


@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    directory = tmp_path_factory.mktemp("faults")
    failed_at = {mode: directory / f"{mode}.failed_at" for mode in MODES}
    started = {mode: start_mpi(SCRIPT, 2, mode, failed_at[mode], directory=directory) for mode in MODES}
    with concurrent.futures.ThreadPoolExecutor(len(MODES)) as pool:
        finished = {mode: pool.submit(_finish, job) for mode, job in started.items()}
    return {mode: _after_failure(future.result(), failed_at[mode]) for mode, future in finished.items()}


def _finish(job):
    """(returncode, stdout, stderr, the time it ended)."""
    code, stdout, stderr, _ = finish_mpi(*job, timeout=HARD_TIMEOUT)
    return code, stdout, stderr, time.time()


def _after_failure(result, failed_at):
    """(returncode, stdout, stderr, seconds from rank 1's failure to the job's end)."""
    code, stdout, stderr, ended = result
    assert failed_at.exists(), f"rank 1 never reached its failure\nstdout:\n{stdout}\nstderr:\n{stderr}"
    return code, stdout, stderr, ended - float(failed_at.read_text())


@requires_mpi
@pytest.mark.parametrize("mode, limit, message", [
    ("raise", 30, "ValueError: rank 1 fails on purpose"),
    ("exit", 30, "rank 1 has exited"),
    ("kill", 30, None),
    ("sleep", 15, "did not complete within 2 s"),
    ("local_rank", 30, "rank 1 has exited"),
])
def test_a_failing_rank_ends_the_job(jobs, mode, limit, message):
    code, stdout, stderr, seconds = jobs[mode]
    assert code != 0, stdout + stderr
    assert seconds < limit, (seconds, stderr)
    assert "rank 0 finished" not in stdout
    if message is not None:
        assert message in stderr, stderr
    if mode == "raise":
        assert "Traceback (most recent call last)" in stderr and "uncaught exception" in stderr
