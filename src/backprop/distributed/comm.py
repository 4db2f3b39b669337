"""The processes of a data-parallel job and the collectives between them, over MPI.

``mpirun -n N python train.py`` starts N copies of a program; each is a
*rank* r = 0 .. N-1 of a *world* of size N. ``init()`` joins the world
through mpi4py (the ``distributed`` extra: ``pip install 'backprop[distributed]'``
brings mpi4py and Open MPI's ``mpirun``); without mpi4py, or started
without ``mpirun``, it is a world of one and every collective returns
its input.

The collectives, as in ``torch.distributed``, act in place on a Tensor (or
an array) that every rank passes:

- ``all_reduce(t)``: t <- sum over ranks of t (or "mean", "max", "min"),
- ``broadcast(t, src=0)``: t <- rank src's t,
- ``barrier()``: wait until every rank is here.

Faults. A collective that one rank never reaches would hang the others for
ever. So every collective here waits with a deadline (``timeout`` seconds,
300 by default, or $BACKPROP_COLLECTIVE_TIMEOUT): past it, the rank prints
which collective stalled and aborts the whole job (``MPI_Abort``). Faster
than that:

- an uncaught exception on any rank aborts the job at once, after its
  traceback is printed;
- a rank that exits (``sys.exit``, the end of its program) tells the others;
  one still waiting in a collective then gives it ``EXIT_GRACE`` seconds to
  finish, and aborts the job if it does not;
- a rank killed by a signal is noticed by ``mpirun``, which ends the job.

Output. ``mpirun`` forwards each rank's stdout and stderr in the pieces the
rank wrote, mixed with the other ranks' and its own notices. Python writes a
``print``'s text and its newline separately, so a line could be cut in two
by another's; in a world of several ranks ``init()`` makes stdout and stderr
line-buffered, so that every line (up to 8 KB) leaves its rank whole, in one
write.

>>> import backprop as bp
>>> from backprop import distributed
>>> world = distributed.init()
>>> t = bp.tensor([1.0, 2.0])
>>> distributed.all_reduce(t, op="mean") is t      # in a world of one the mean of t is t
True
>>> t
tensor([1., 2.])
"""
import atexit
import os
import pickle
import sys
import time
import traceback

import numpy

from backprop import backend
from backprop.tensor import Tensor

__all__ = ["init", "is_initialized", "get_rank", "get_world_size", "local_rank", "all_reduce", "broadcast",
           "barrier", "broadcast_object", "all_gather_object", "abort", "World", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = 300.0
EXIT_GRACE = 2.0  # seconds a collective may still take after another rank has exited
SPIN = 2e-4  # seconds a collective is polled without sleeping (a sleep lasts ~0.1 ms however short it is asked)
_EXIT_TAG = 77
OPS = ("sum", "mean", "max", "min")

_world = None


class World:
    """The ranks of one job: ``rank``, ``size`` and the collectives on arrays and Python objects.

    ``comm`` is an ``mpi4py.MPI.Comm``, or None for a world of one without MPI.
    """

    def __init__(self, comm=None, timeout=DEFAULT_TIMEOUT):
        self.comm = comm
        self.rank = 0 if comm is None else comm.Get_rank()
        self.size = 1 if comm is None else comm.Get_size()
        self.timeout = float(timeout)
        self._nccl = None
        # a communicator of its own for the "I am exiting" messages, so that they never meet the program's own
        self._control = comm.Dup() if comm is not None and self.size > 1 else None
        self._exit_requests = []

    def __repr__(self):
        return f"World(rank={self.rank}, size={self.size}, mpi={self.comm is not None}, timeout={self.timeout})"

    # --- waiting with a deadline ------------------------------------------------------------------------
    def _wait(self, request, what):
        """Wait for a non-blocking MPI request; abort the job if it is not done within ``timeout`` seconds."""
        spin_until = time.perf_counter() + SPIN
        while time.perf_counter() < spin_until:  # most collectives end within microseconds: poll without sleeping
            if request.Test():
                return
        deadline = time.monotonic() + self.timeout
        reason = f"did not complete within {self.timeout:g} s: another rank has died, raised, or is not " \
                 f"calling the same collectives"
        pause, gone = 0.0, None
        while not request.Test():
            if gone is None:
                gone = self._exited_rank()
                if gone is not None:
                    deadline = min(deadline, time.monotonic() + EXIT_GRACE)
                    reason = f"cannot complete: rank {gone} has exited without calling it"
            if time.monotonic() > deadline:
                self.abort(1, f"{what} {reason}")
            time.sleep(pause)  # short sleeps: the other rank may need this core
            pause = min(2 * pause or 1e-5, 1e-3)

    def _exited_rank(self):
        """The rank of one that has announced its exit, or None."""
        from mpi4py import MPI

        status = MPI.Status()
        if self._control.Iprobe(source=MPI.ANY_SOURCE, tag=_EXIT_TAG, status=status):
            return status.Get_source()
        return None

    def _announce_exit(self):
        """Tell every other rank that this one is leaving (at interpreter exit)."""
        for rank in range(self.size):
            if rank != self.rank:
                self._exit_requests.append(self._control.isend(self.rank, dest=rank, tag=_EXIT_TAG))

    # --- arrays -------------------------------------------------------------------------------------------
    def all_reduce_(self, array, op="sum"):
        """``array`` <- op over ranks of ``array``, in place (a contiguous NumPy or CuPy array)."""
        if op not in OPS:
            raise ValueError(f"all_reduce: op must be one of {OPS}, got {op!r}")
        _check_contiguous(array, "all_reduce_")
        if array.dtype.kind not in "iufc":  # MPI has no sum, max or min of bools (MPI_ERR_OP, only with 2+ ranks)
            raise TypeError(f"all_reduce needs a numeric array, got {array.dtype} (reduce flags as uint8: "
                            f"op='max' is any, 'min' all)")
        if op == "mean" and array.dtype.kind not in "fc":
            raise TypeError(f"all_reduce(op='mean') needs a floating-point array, got {array.dtype}")
        if self.size == 1:
            return array
        if backend.array_module(array) is not numpy:
            return self._device_all_reduce_(array, op)
        from mpi4py import MPI

        mpi_op = {"sum": MPI.SUM, "mean": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}[op]
        self._wait(self.comm.Iallreduce(MPI.IN_PLACE, array, op=mpi_op), f"all_reduce of {array.size} values")
        if op == "mean":
            array /= self.size
        return array

    def _device_all_reduce_(self, array, op):
        """A GPU array: through NCCL when CuPy has it, else staged through host memory."""
        from backprop.distributed import nccl

        if op in ("sum", "mean") and nccl.available() and nccl.supports(array.dtype):
            if self._nccl is None:
                self._nccl = nccl.Communicator(self)
            self._nccl.all_reduce_(array)
            if op == "mean":
                array /= self.size
            return array
        return _through_host(array, lambda host: self.all_reduce_(host, op))

    def broadcast_(self, array, src=0):
        """``array`` <- rank ``src``'s ``array``, in place (a contiguous NumPy or CuPy array)."""
        self._check_src(src)
        _check_contiguous(array, "broadcast_")
        if self.size == 1:
            return array
        if backend.array_module(array) is not numpy:
            return _through_host(array, lambda host: self.broadcast_(host, src))
        self._wait(self.comm.Ibcast(array, root=src), f"broadcast of {array.size} values from rank {src}")
        return array

    def barrier(self):
        if self.size > 1:
            self._wait(self.comm.Ibarrier(), "barrier")

    # --- Python objects (pickled) -------------------------------------------------------------------------------
    def broadcast_object(self, obj, src=0):
        """Rank ``src``'s ``obj`` on every rank (pickled; e.g. a checkpoint read by rank 0 only)."""
        self._check_src(src)
        if self.size == 1:
            return obj
        payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL) if self.rank == src else b""
        length = numpy.array([len(payload)], dtype=numpy.int64)
        self.broadcast_(length, src)
        buffer = numpy.frombuffer(payload, dtype=numpy.uint8).copy() if self.rank == src \
            else numpy.empty(int(length[0]), dtype=numpy.uint8)
        self.broadcast_(buffer, src)
        return obj if self.rank == src else pickle.loads(buffer.tobytes())

    def all_gather_object(self, obj):
        """``[obj of rank 0, obj of rank 1, ...]`` on every rank."""
        if self.size == 1:
            return [obj]
        payload = numpy.frombuffer(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), dtype=numpy.uint8)
        lengths = numpy.zeros(self.size, dtype=numpy.int64)
        lengths[self.rank] = payload.size
        self.all_reduce_(lengths)
        buffer = numpy.zeros(int(lengths.sum()), dtype=numpy.uint8)
        start = int(lengths[:self.rank].sum())
        buffer[start:start + payload.size] = payload
        self.all_reduce_(buffer)  # each rank fills its own slice, the others are 0: the sum is the concatenation
        ends = numpy.cumsum(lengths)
        return [pickle.loads(buffer[end - n:end].tobytes()) for n, end in zip(lengths, ends)]

    def _check_src(self, src):
        if isinstance(src, bool) or not isinstance(src, (int, numpy.integer)) or not 0 <= src < self.size:
            raise ValueError(f"src must be a rank in [0, {self.size}), got {src!r}")

    # --- faults ----------------------------------------------------------------------------------------------------
    def abort(self, code=1, message=None):
        """Print ``message`` (prefixed with this rank) and end every rank of the job with exit code ``code``."""
        if message:  # the text and its newline in one write (print writes them apart)
            sys.stderr.write(f"backprop.distributed: rank {self.rank} of {self.size}: {message}\n")
            sys.stderr.flush()
        sys.stdout.flush()
        if self.comm is not None and self.size > 1:
            self.comm.Abort(code)
        os._exit(code)


def _through_host(array, collective):
    """Run ``collective`` (in place, on a NumPy array) on a copy of the GPU array ``array`` in host memory; copy the
    result back into ``array``."""
    host = numpy.ascontiguousarray(backend.to_numpy(array))
    collective(host)
    array[...] = backend.array_module(array).asarray(host)
    return array


def _check_contiguous(array, what):
    """MPI refuses a strided array (BufferError) and NCCL would read the memory under it as if it were contiguous;
    on one process, nothing would be noticed: refused here on any number of ranks."""
    if not (array.flags.c_contiguous or array.flags.f_contiguous):
        raise ValueError(f"World.{what} needs a contiguous array (distributed.{what[:-1]} copies one), got shape "
                         f"{tuple(array.shape)} with strides {array.strides}")


def _mpi_comm():
    """MPI.COMM_WORLD, or None when mpi4py is not installed."""
    try:
        from mpi4py import MPI
    except ImportError:
        return None
    return MPI.COMM_WORLD


def init(timeout=None):
    """Join the job's world (once; later calls return the same World) and return it.

    ``timeout``: seconds a collective may wait for the other ranks before the
    job is aborted (default $BACKPROP_COLLECTIVE_TIMEOUT or 300). With more
    than one rank, an uncaught exception on any rank aborts the job.
    """
    global _world
    if timeout is None:
        timeout = float(os.environ.get("BACKPROP_COLLECTIVE_TIMEOUT", DEFAULT_TIMEOUT))
    if not timeout > 0:
        raise ValueError(f"init: timeout must be a number of seconds > 0, got {timeout!r}")
    if _world is not None:
        _world.timeout = float(timeout)
        return _world
    _world = World(_mpi_comm(), timeout)
    if _world.size > 1:
        _write_whole_lines(sys.stdout, sys.stderr)
        _abort_on_uncaught_exception(_world)
        atexit.register(_world._announce_exit)  # runs before mpi4py's MPI_Finalize (registered earlier)
    return _world


def _write_whole_lines(*streams):
    """Line-buffer text streams: a line and its newline reach the file in one write, never cut by another
    process's output (``python -u`` or PYTHONUNBUFFERED would otherwise write them apart)."""
    for stream in streams:
        if hasattr(stream, "reconfigure"):  # a TextIOWrapper; a replacement (pytest's capture) is left alone
            stream.reconfigure(line_buffering=True, write_through=False)


def _abort_on_uncaught_exception(world):
    previous = sys.excepthook

    def hook(kind, value, trace):
        if issubclass(kind, KeyboardInterrupt):
            return previous(kind, value, trace)
        text = "".join(traceback.format_exception(kind, value, trace))
        world.abort(1, f"uncaught exception, aborting the job:\n{text}")

    sys.excepthook = hook


def is_initialized():
    return _world is not None


def _get():
    return _world if _world is not None else init()


def get_rank():
    """This process's rank, 0 .. world size - 1 (0 outside an MPI job)."""
    return _get().rank


def get_world_size():
    """The number of ranks (1 outside an MPI job)."""
    return _get().size


def local_rank():
    """This rank's index among the ranks on the same machine (to pick its GPU: cuda:local_rank): the number of
    lower ranks whose machine has this rank's name.

    A collective (the names are gathered): every rank must call it; it waits with the deadline of the others.
    """
    world = _get()
    if world.comm is None or world.size == 1:
        return 0
    from mpi4py import MPI

    machines = world.all_gather_object(MPI.Get_processor_name())
    return machines[:world.rank].count(machines[world.rank])


def _array(value, what):
    if isinstance(value, Tensor):
        return value._data
    if backend.is_array(value):
        return value
    raise TypeError(f"{what} expects a Tensor or an array, got {type(value).__name__}")


def _in_place(value, what, collective):
    array = _array(value, what)
    if not array.flags.c_contiguous:
        work = backend.array_module(array).ascontiguousarray(array)
        collective(work)
        array[...] = work
    else:
        collective(array)
    return value


def all_reduce(tensor, op="sum"):
    """``tensor`` <- ``op`` ("sum", "mean", "max" or "min") over the ranks' ``tensor``, in place; returns it."""
    world = _get()
    return _in_place(tensor, "all_reduce", lambda array: world.all_reduce_(array, op))


def broadcast(tensor, src=0):
    """``tensor`` <- rank ``src``'s ``tensor``, in place on every rank; returns it."""
    world = _get()
    return _in_place(tensor, "broadcast", lambda array: world.broadcast_(array, src))


def barrier():
    """Return when every rank has called ``barrier()``."""
    _get().barrier()


def broadcast_object(obj, src=0):
    """Rank ``src``'s Python object, on every rank."""
    return _get().broadcast_object(obj, src)


def all_gather_object(obj):
    """The list of every rank's ``obj``, in rank order, on every rank."""
    return _get().all_gather_object(obj)


def abort(code=1, message=None):
    """End the whole job with exit code ``code`` after printing ``message``."""
    _get().abort(code, message)
