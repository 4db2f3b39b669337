"""The array backend: the one place that imports an array library.

Every op receives raw arrays and asks this module for their namespace,
``xp = array_module(x)``, then calls ``xp.exp``, ``xp.matmul`` ... on it.
On the CPU that namespace is NumPy; on a GPU it is CuPy, whose API is the
same, so no op needs to know where its arrays live (the idea of Chainer's
``backend.py`` and DeZero's ``cuda.py``).

CuPy is optional: it is imported the first time a ``cuda`` device is
asked for, with a clear message when it is missing.
"""
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


CPU = device("cpu")


def _import_cupy():
    global cupy
    if cupy is None:
        try:
            import cupy as _cupy
        except ImportError as error:
            raise RuntimeError(
                "a 'cuda' device needs CuPy, which is not installed: "
                "pip install cupy-cuda12x (or the wheel matching your CUDA)"
            ) from error
        cupy = _cupy
    return cupy


def array_module(array):
    """The namespace (numpy or cupy) whose functions operate on ``array``."""
    if cupy is not None and isinstance(array, cupy.ndarray):
        return cupy
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
