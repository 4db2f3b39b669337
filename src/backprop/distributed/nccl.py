"""All-reduce of GPU arrays through NCCL, as CuPy exposes it (``cupy.cuda.nccl``).

NCCL sums arrays in GPU memory across GPUs without copying them to the host.
Its communicator is set up once per job: rank 0 makes a unique id, MPI
carries it to every rank, and each rank joins with its own GPU (one GPU per
rank: ``--device cuda`` picks ``cuda:local_rank``). Without NCCL in CuPy,
``World`` stages GPU arrays through host memory and MPI instead.
"""
import numpy

__all__ = ["available", "Communicator"]


def _nccl():
    try:
        from cupy.cuda import nccl
    except ImportError:
        return None
    return nccl if getattr(nccl, "available", False) else None


def available():
    """True when CuPy is installed with NCCL."""
    return _nccl() is not None


def supports(dtype):
    """True for the dtypes NCCL sums here (float16/32/64, int32/64); others go through host memory."""
    return numpy.dtype(dtype) in _TYPE_NAMES


_TYPE_NAMES = {numpy.dtype(numpy.float16): "NCCL_FLOAT16", numpy.dtype(numpy.float32): "NCCL_FLOAT32",
               numpy.dtype(numpy.float64): "NCCL_FLOAT64", numpy.dtype(numpy.int32): "NCCL_INT32",
               numpy.dtype(numpy.int64): "NCCL_INT64"}


class Communicator:
    """An NCCL communicator over the ranks of ``world`` (an MPI ``World``), made collectively."""

    def __init__(self, world):
        nccl = _nccl()
        if nccl is None:
            raise RuntimeError("NCCL is not available in this CuPy install")
        unique_id = world.broadcast_object(nccl.get_unique_id() if world.rank == 0 else None, src=0)
        self._nccl = nccl
        self._comm = nccl.NcclCommunicator(world.size, unique_id, world.rank)
        self._types = {dtype: getattr(nccl, name) for dtype, name in _TYPE_NAMES.items()}

    def all_reduce_(self, array):
        """``array`` <- the sum over ranks, in place, on the current stream (waited for before returning)."""
        import cupy

        if array.dtype not in self._types:
            raise TypeError(f"NCCL all_reduce: unsupported dtype {array.dtype}")
        stream = cupy.cuda.get_current_stream()
        self._comm.allReduce(array.data.ptr, array.data.ptr, array.size, self._types[array.dtype],
                             self._nccl.NCCL_SUM, stream.ptr)
        stream.synchronize()
        return array
