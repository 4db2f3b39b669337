"""The array backend: the one place that imports an array library.

Every op receives raw arrays and asks this module for their namespace,
``xp = array_module(x)``, then calls ``xp.exp``, ``xp.matmul`` ... on it.
On the CPU that namespace is NumPy; on a GPU it is CuPy, whose API is the
same, so no op needs to know where its arrays live (the idea of Chainer's
``backend.py`` and DeZero's ``cuda.py``).

CuPy is optional: it is imported the first time a ``cuda`` device is
asked for, with a clear message when it is missing.
"""
import os
import sys

import numpy

cupy = None  # set by _import_cupy() once a GPU is asked for


class device:
    """Where a tensor's array lives: ``device("cpu")`` or ``device("cuda:0")``.

    >>> str(device("cuda"))
    'cuda:0'
    >>> device("cpu") == "cpu"
    True
    """

    __slots__ = ("type", "index")

    def __init__(self, spec="cpu", index=None):
        if isinstance(spec, device):
            spec, index = spec.type, spec.index
        elif isinstance(spec, int) and not isinstance(spec, bool) and spec >= 0:  # device(0): the GPU of index 0
            spec, index = "cuda", spec
        if not isinstance(spec, str):
            raise TypeError(f"device expected a string like 'cpu' or 'cuda:0', got {spec!r}")
        kind, _, number = spec.partition(":")
        if kind not in ("cpu", "cuda"):
            raise ValueError(f"device expected 'cpu', 'cuda' or 'cuda:N', got {spec!r}")
        if number:
            if not number.isdigit():
                raise ValueError(f"device index must be a non-negative integer, got {spec!r}")
            index = int(number)
        self.type = kind
        self.index = None if kind == "cpu" else (index or 0)

    def __str__(self):
        return "cpu" if self.type == "cpu" else f"cuda:{self.index}"

    def __repr__(self):
        return f"device(type='{self.type}'" + ("" if self.index is None else f", index={self.index}") + ")"

    def __eq__(self, other):
        if isinstance(other, (str, device)):
            other = device(other)
            return self.type == other.type and self.index == other.index
        return NotImplemented

    def __hash__(self):
        return hash((self.type, self.index))

    def __enter__(self):
        """``with bp.device("cuda"):`` new tensors go to this device inside the block, as torch's."""
        _enclosing_devices.append(_default_device)
        set_default_device(self)
        return self

    def __exit__(self, *exception):
        set_default_device(_enclosing_devices.pop())


CPU = device("cpu")
_default_device = CPU  # where factories put a tensor when no device= is given (set_default_device)
_enclosing_devices = []  # the default devices that ``with device(...)`` blocks replaced, innermost last


def set_default_device(dev):
    """Make ``dev`` (``"cuda"``, ``"cpu"``, a ``device``; None for the CPU) where factories and ``tensor()`` put
    new tensors when no ``device=`` is given, as torch.set_default_device."""
    global _default_device
    _default_device = CPU if dev is None else device(dev)


def get_default_device():
    """The device of new tensors when none is given (the CPU unless ``set_default_device`` changed it)."""
    return _default_device


def placed(dev):
    """``dev`` as a device, the default device when None."""
    return _default_device if dev is None else device(dev)


def _import_cupy():
    global cupy
    if cupy is None:
        try:
            import cupy as _cupy
        except ImportError as error:
            raise RuntimeError(
                "a 'cuda' device needs CuPy, which is not installed: pip install 'backprop[gpu]' "
                "(CuPy for CUDA 12; or the cupy-cudaXXx wheel matching your CUDA)"
            ) from error
        cupy = _cupy
    return cupy


def array_module(array):
    """The namespace (numpy or cupy) whose functions operate on ``array``.

    Any other object that offers the array API's ``__array_namespace__`` gets its own: a backprop
    Tensor gets differentiable ops of the same names (how one backward formula also records its graph).
    """
    if type(array) is numpy.ndarray:
        return numpy
    if cupy is not None and isinstance(array, cupy.ndarray):
        return cupy
    space = getattr(array, "__array_namespace__", None)
    if space is not None and not isinstance(array, numpy.ndarray):
        return space()
    return numpy


def is_array(obj):
    """True for an array of any backend (numpy.ndarray or cupy.ndarray)."""
    if isinstance(obj, numpy.ndarray):
        return True
    if cupy is None and type(obj).__module__.partition(".")[0] == "cupy":
        _import_cupy()
    return cupy is not None and isinstance(obj, cupy.ndarray)


def device_of(array):
    """The ``device`` an array lives on."""
    if cupy is not None and isinstance(array, cupy.ndarray):
        return device("cuda", array.device.id)
    return CPU


def namespace(dev):
    """The array namespace for a device (numpy for the CPU, cupy for CUDA)."""
    return numpy if device(dev).type == "cpu" else _import_cupy()


def to_device(array, dev):
    """Move ``array`` to ``dev``; no copy when it is already there."""
    dev = device(dev)
    if dev.type == "cpu":
        if cupy is not None and isinstance(array, cupy.ndarray):
            return cupy.asnumpy(array)
        return array
    xp = _import_cupy()
    with xp.cuda.Device(dev.index):
        return xp.asarray(array)


def to_numpy(array):
    """A NumPy array with the values of ``array`` (a copy only off the CPU)."""
    if cupy is not None and isinstance(array, cupy.ndarray):
        return cupy.asnumpy(array)
    return numpy.asarray(array)


def errstate(**what):
    """Silence NumPy's floating-point warnings (CuPy raises none) for a block.

    Used where an overflow or a log(0) is expected and handled, as in a
    numerically stable sigmoid.
    """
    return numpy.errstate(**(what or {"all": "ignore"}))


# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def tune_allocator(mmap_threshold=32 << 20, trim_threshold=256 << 20):
    """Keep freed arrays' memory in the process instead of returning it to the OS.

    Why: every op makes fresh arrays, and a training step frees them again. With
    glibc's default settings an array of a few hundred kB or more is handed back
    to the kernel when freed (``munmap``, or trimming the top of the heap), so the
    next step's array of the same size starts as untouched pages and pays one
    page fault (and the zeroing of a 4 kB page) per 4 kB: for an MLP step that is
    more time than its matrix products. Raising the mmap and trim thresholds lets
    malloc reuse the freed memory, as PyTorch's caching allocators do on GPUs.
    The cost: up to ``trim_threshold`` bytes of freed memory stay in the process.

    Called once when backprop is imported, on Linux with glibc only; set the
    environment variable ``BACKPROP_TUNE_MALLOC=0`` to keep the defaults. Returns
    True when the thresholds were set. It changes the whole process, so any other
    library in it (NumPy, PyTorch) allocates the same way.
    """
    if not sys.platform.startswith("linux") or os.environ.get("BACKPROP_TUNE_MALLOC", "1") == "0":
        return False
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, mmap_threshold)) and bool(
            libc.mallopt(_M_TRIM_THRESHOLD, trim_threshold))
    except (OSError, AttributeError):  # not glibc (musl, ...): keep the allocator as it is
        return False


tune_allocator()


def _threadpoolctl():
    try:
        import threadpoolctl
    except ImportError as error:
        raise RuntimeError("set_num_threads/get_num_threads need threadpoolctl, which is not installed: "
                           "pip install threadpoolctl (it comes with 'backprop[train]')") from error
    return threadpoolctl


def set_num_threads(n):
    """How many threads NumPy's BLAS (matrix products, convolutions) may use, as torch.set_num_threads
    (through threadpoolctl; the rest of NumPy runs on one thread)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads expects a positive integer, got {n!r}")
    _threadpoolctl().threadpool_limits(limits=n, user_api="blas")


def get_num_threads():
    """How many threads NumPy's BLAS uses (the CPUs' count when no BLAS library is loaded)."""
    counts = [pool["num_threads"] for pool in _threadpoolctl().threadpool_info() if pool["user_api"] == "blas"]
    return max(counts) if counts else (os.cpu_count() or 1)


_interop_threads = [1]


def get_num_interop_threads():
    """Threads between ops: backprop runs one op at a time (1 unless set)."""
    return _interop_threads[0]


def set_num_interop_threads(n):
    """Accepted, as torch's; backprop runs one op at a time, so nothing changes but the number reported."""
    _interop_threads[0] = n
