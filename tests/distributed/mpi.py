"""Launch a Python script on N MPI ranks from a test: ``run_mpi``, and the ``requires_mpi`` mark.

The script runs under ``mpirun --oversubscribe -n N sys.executable script args...`` (the ``mpirun`` next to
``sys.executable``, i.e. the one of the ``distributed`` extra), with one BLAS thread per rank, and within a hard
``timeout``: a job that hangs is killed and reported as a failure, never left to hang the test run.
"""
import importlib
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest

MPIRUN = os.path.join(os.path.dirname(sys.executable), "mpirun")


def _have_mpi4py():
    try:
        importlib.import_module("mpi4py")  # only whether it imports: MPI itself is not initialised here
    except ImportError:
        return False
    return True


requires_mpi = pytest.mark.skipif(not (_have_mpi4py() and os.access(MPIRUN, os.X_OK)),
                                  reason="needs mpi4py and mpirun next to sys.executable (the distributed extra)")


def environment():
    """The environment of an ``mpirun`` child: root allowed, one BLAS/OpenMP thread per rank."""
    return {**os.environ, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


def _script_path(script, directory):
    if isinstance(script, pathlib.Path) or (isinstance(script, str) and "\n" not in script and script.endswith(".py")
                                            and os.path.exists(script)):
        return str(script)
    path = pathlib.Path(tempfile.mkdtemp(dir=directory)) / "script.py"
    path.write_text(textwrap.dedent(script))
    return str(path)


def start_mpi(script, n, *args, directory=None):
    """Start ``script`` (its text, or a path to a .py file) on ``n`` ranks; returns (Popen, start time).

    Text is written to a new folder under ``directory`` (a test's ``tmp_path``; default: the system's temp dir).
    """
    path = _script_path(script, directory)
    command = [MPIRUN, "--oversubscribe", "-n", str(n), sys.executable, path, *map(str, args)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(),
                               start_new_session=True)  # its own process group: a hung job is killed whole
    return process, time.monotonic()


def finish_mpi(process, started, timeout):
    """Wait for a job from ``start_mpi``: (returncode, stdout, stderr, seconds); fail the test past ``timeout``.

    A rank's lines arrive whole (``distributed.init`` line-buffers its output), in any order with the other ranks'
    and mpirun's: read them as lines (``splitlines``), never by position in the text.
    """
    try:
        stdout, stderr = process.communicate(timeout=max(0.0, started + timeout - time.monotonic()))
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"mpirun did not finish within {timeout} s (killed)\nstdout:\n{stdout}\nstderr:\n{stderr}")
    return process.returncode, _without_nul(stdout), _without_nul(stderr), time.monotonic() - started


def _without_nul(text):
    """mpirun's own notices (MPI_ABORT was invoked ...) end with a NUL character after their last newline: a rank's
    line forwarded after one would start with it. Removed, so that every line reads as its process wrote it."""
    return text.replace("\0", "")


def run_mpi(script, n, *args, timeout=60, directory=None):
    """Run ``script`` on ``n`` ranks with ``args``: (returncode, stdout, stderr, seconds)."""
    return finish_mpi(*start_mpi(script, n, *args, directory=directory), timeout)
