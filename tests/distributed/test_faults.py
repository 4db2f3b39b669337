"""A rank that fails ends the whole job, non-zero and soon (the issue: within 30 s), with the reason on stderr.

Each case is one ``mpirun -n 2`` job in which rank 1 fails after a first collective while rank 0 waits in a second
one. The five jobs run at the same time (each under a hard timeout, so that a hang fails the test instead of
hanging the run).
"""
import pytest

from .mpi import finish_mpi, requires_mpi, start_mpi

SCRIPT = """
import os, signal, sys, time
import numpy as np
from backprop import distributed

mode = sys.argv[1]
world = distributed.init(timeout=2 if mode == "sleep" else 60)
values = np.ones(3)
world.all_reduce_(values)  # both ranks are up
if world.rank == 1:
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
    started = {mode: start_mpi(SCRIPT, 2, mode, directory=directory) for mode in MODES}
    return {mode: finish_mpi(*job, timeout=HARD_TIMEOUT) for mode, job in started.items()}


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
