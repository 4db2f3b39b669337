"""backprop.distributed.comm: a world of one without mpi4py, the collectives on 3 ranks against NumPy, the errors."""
import inspect
import io
import json
import sys

import numpy as np
import pytest

import backprop as bp
from backprop import distributed
from backprop.distributed import comm
from tests.distributed.mpi import requires_mpi, run_mpi

N = 3


def values(rank):
    """Rank ``rank``'s input to the reductions: signs and offsets chosen so that max and min pick different ranks."""
    return ((np.arange(6, dtype=np.float32) - 2.5) * (-1.0) ** rank * (rank + 1) + rank).astype(np.float32)


# ------------------------------------------------------------------------------------------ a world of one
@pytest.fixture
def no_mpi4py(monkeypatch):
    """``from mpi4py import MPI`` raises ImportError, and no world has been joined yet (both restored after)."""
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    monkeypatch.setitem(sys.modules, "mpi4py.MPI", None)
    monkeypatch.setattr(comm, "_world", None)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)


def test_world_of_one_without_mpi4py(no_mpi4py):
    assert comm._mpi_comm() is None  # its `from mpi4py import MPI` fails
    hook = sys.excepthook
    world = distributed.init()
    assert world.comm is None and (world.rank, world.size) == (0, 1)
    assert distributed.init() is world and distributed.is_initialized()
    assert sys.excepthook is hook  # one rank: an exception is just an exception
    assert (distributed.get_rank(), distributed.get_world_size(), distributed.local_rank()) == (0, 1, 0)
    for op in comm.OPS:
        t = bp.tensor([1.5, -2.0, 3.0])
        assert distributed.all_reduce(t, op=op) is t
        np.testing.assert_array_equal(t.numpy(), np.array([1.5, -2.0, 3.0], np.float32))
    t = bp.tensor([4.0, 5.0])
    assert distributed.broadcast(t, src=0) is t
    np.testing.assert_array_equal(t.numpy(), np.array([4.0, 5.0], np.float32))
    obj = {"a": [1, 2], "b": "x"}
    assert distributed.broadcast_object(obj) == obj
    assert distributed.all_gather_object(obj) == [obj]
    distributed.barrier()


def test_init_timeout_must_be_positive(no_mpi4py):
    for bad in (0, -1.0):
        with pytest.raises(ValueError, match="timeout"):
            distributed.init(timeout=bad)


# ----------------------------------------------------------------------------------------- errors (one process)
def test_bad_arguments_raise_clear_errors(no_mpi4py):
    world = comm.World(None)
    with pytest.raises(ValueError, match="op must be one of"):
        world.all_reduce_(np.ones(3, np.float32), op="prod")
    with pytest.raises(TypeError, match="floating-point"):
        world.all_reduce_(np.ones(3, np.int64), op="mean")
    strided = np.ones(8, np.float32)[::2]  # MPI refuses it on several processes, NCCL would misread it
    with pytest.raises(ValueError, match=r"all_reduce_ needs a contiguous array.*shape \(4,\) with strides \(8,\)"):
        world.all_reduce_(strided)
    with pytest.raises(ValueError, match=r"broadcast_ needs a contiguous array"):
        world.broadcast_(strided)
    world.all_reduce_(np.asfortranarray(np.ones((3, 4), np.float32)))  # contiguous in column order: fine
    for op in comm.OPS:  # refused on one process too, as MPI refuses it on several
        with pytest.raises(TypeError, match="numeric array, got bool"):
            world.all_reduce_(np.ones(3, bool), op=op)
    for src in (1, -1, True, 0.0, "0"):
        with pytest.raises(ValueError, match="src must be a rank in"):
            world.broadcast_(np.ones(3, np.float32), src=src)
    with pytest.raises(ValueError, match="src must be a rank in"):
        world.broadcast_object({"a": 1}, src=2)
    with pytest.raises(TypeError, match="Tensor or an array"):
        distributed.all_reduce([1.0, 2.0])


# ------------------------------------------------------------------------------------------------- 3 ranks
SCRIPT = """
import json, sys
import numpy as np
import backprop as bp
from backprop import distributed
""" + inspect.getsource(values) + """
world = distributed.init()
r = world.rank
out = {"rank": r, "size": world.size, "get": [distributed.get_rank(), distributed.get_world_size()],
       "local_rank": distributed.local_rank()}
for op in ("sum", "mean", "max", "min"):
    t = bp.tensor(values(r))
    out[op] = distributed.all_reduce(t, op=op) is t, t.numpy().tolist(), t.dtype.name
ints = np.arange(4, dtype=np.int64) * (r + 1)
world.all_reduce_(ints)
out["int_sum"] = ints.tolist(), ints.dtype.name

t = bp.tensor(np.arange(12, dtype=np.float32).reshape(3, 4) * (r + 1)).T   # a transposed view: not C-contiguous
out["non_contiguous_before"] = bool(t._data.flags.c_contiguous)
distributed.all_reduce(t)
out["non_contiguous"] = t.numpy().tolist(), list(t.shape)

t = bp.full((2, 3), float(r) + 0.5)
distributed.broadcast(t, src=1)
out["broadcast"] = t.numpy().tolist()
a = np.full(5, r, dtype=np.int32)
world.broadcast_(a, src=2)
out["broadcast_int"] = a.tolist()

out["broadcast_object"] = distributed.broadcast_object({"from": r, "list": list(range(r + 3))}, src=1)
out["gathered"] = distributed.all_gather_object({"rank": r, "payload": "x" * (100 * r)})
distributed.barrier()
print("RESULT " + json.dumps(out), flush=True)
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    directory = tmp_path_factory.mktemp("comm")
    code, stdout, stderr, _ = run_mpi(SCRIPT, N, directory=directory, timeout=60)
    assert code == 0, stderr
    lines = [json.loads(line[len("RESULT "):]) for line in stdout.splitlines() if line.startswith("RESULT ")]
    assert sorted(out["rank"] for out in lines) == list(range(N)), stdout + stderr
    return sorted(lines, key=lambda out: out["rank"])


@requires_mpi
def test_ranks_and_sizes(results):
    for r, out in enumerate(results):
        assert out["size"] == N and out["get"] == [r, N]
        assert out["local_rank"] == r  # all on this machine


@requires_mpi
@pytest.mark.parametrize("op", ["sum", "mean", "max", "min"])
def test_all_reduce_against_numpy(results, op):
    stacked = np.stack([values(r) for r in range(N)])
    expected = {"sum": stacked.sum(0), "mean": stacked.sum(0) / N, "max": stacked.max(0), "min": stacked.min(0)}[op]
    for out in results:
        same, got, dtype = out[op]
        assert same and dtype == "float32"
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=0)


@requires_mpi
def test_all_reduce_integers_and_non_contiguous(results):
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    for out in results:
        assert out["int_sum"] == [(np.arange(4) * sum(r + 1 for r in range(N))).tolist(), "int64"]
        assert out["non_contiguous_before"] is False
        got, shape = out["non_contiguous"]
        assert shape == [4, 3]
        np.testing.assert_array_equal(got, (base * sum(r + 1 for r in range(N))).T)


@requires_mpi
def test_broadcast_from_a_rank_other_than_0(results):
    for out in results:
        assert out["broadcast"] == np.full((2, 3), 1.5).tolist()
        assert out["broadcast_int"] == [2] * 5
        assert out["broadcast_object"] == {"from": 1, "list": [0, 1, 2, 3]}


@requires_mpi
def test_all_gather_object(results):
    expected = [{"rank": r, "payload": "x" * (100 * r)} for r in range(N)]
    for out in results:
        assert out["gathered"] == expected


# --------------------------------------------------------------------------------------------------- output
class _Writes(io.RawIOBase):
    """A file that keeps each write it receives, as the write system calls mpirun would forward one by one."""

    def __init__(self):
        self.writes = []

    def writable(self):
        return True

    def write(self, data):
        self.writes.append(bytes(data))
        return len(data)


def test_a_line_leaves_its_rank_in_one_write():
    """As under ``python -u`` (PYTHONUNBUFFERED, which mpirun jobs use), print writes a line and its newline apart;
    after init's _write_whole_lines, each line is one write, and so cannot be cut by another process's output."""
    raw = _Writes()
    stream = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    print("backprop: error: first", file=stream)
    assert raw.writes == [b"backprop: error: first", b"\n"]  # the case that was cut
    raw.writes.clear()
    comm._write_whole_lines(stream)
    print("backprop: error: second", file=stream)
    stream.write("two ")
    stream.write("pieces\nthen a line\n")
    assert raw.writes == [b"backprop: error: second\n", b"two pieces\nthen a line\n"]
