"""Factories: tensors filled with constants, ranges and random numbers.

Defaults follow torch: float32 unless the values say otherwise (``full`` with
an int fill and ``arange`` with int arguments give int64).
"""
import contextlib

import numpy

from backprop import backend
from backprop import dtypes
from backprop.ops.util import shape_arg
from backprop.tensor import Tensor, _to_array

_generator = numpy.random.default_rng()


def manual_seed(seed):
    """Seed the generator behind rand, randn, randint (and the layers' initialisation)."""
    global _generator
    _generator = numpy.random.default_rng(seed)
    return _generator


def generator():
    """The NumPy Generator that backprop's random functions draw from."""
    return _generator


def get_rng_state():
    """The state of backprop's generator, as a plain dict (JSON-able), like ``torch.get_rng_state``.

    >>> state = get_rng_state()
    >>> a = rand(2)
    >>> set_rng_state(state)
    >>> bool((rand(2) == a).all())
    True
    """
    return _generator.bit_generator.state


def set_rng_state(state):
    """Restore a state that ``get_rng_state`` returned: the following draws repeat."""
    if not isinstance(state, dict) or "bit_generator" not in state:
        raise TypeError(f"set_rng_state() expected the dict get_rng_state() returns, got {type(state).__name__}")
    _generator.bit_generator.state = state


@contextlib.contextmanager
def fork_rng(seed=None):
    """Draws inside the ``with`` block come from a generator of their own (seeded with ``seed``, or a copy of the
    current state); afterwards backprop's generator is the one from before, untouched (like ``torch.random.fork_rng``).

    >>> state = get_rng_state()
    >>> with fork_rng(0):
    ...     a = rand(2)
    >>> with fork_rng(0):
    ...     b = rand(2)
    >>> bool((a == b).all()), get_rng_state() == state
    (True, True)
    """
    global _generator
    saved = _generator
    _generator = numpy.random.default_rng(seed)
    if seed is None:
        _generator.bit_generator.state = saved.bit_generator.state
    try:
        yield _generator
    finally:
        _generator = saved


def _finish(array, dtype, device, requires_grad):
    if dtype is not None:
        array = array.astype(dtypes.as_dtype(dtype), copy=False)
    if device is not None:
        array = backend.to_device(array, device)
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, requires_grad=False, device=None):
    """A new tensor (always a copy) from a number, nested list, array or Tensor.

    >>> tensor([1, 2]).dtype, tensor([1.0, 2]).dtype
    (dtype('int64'), dtype('float32'))
    """
    return Tensor(data, dtype=dtype, requires_grad=requires_grad, device=device)


def from_numpy(array):
    """A tensor sharing memory with a NumPy array (no copy, dtype kept)."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"from_numpy() expected a numpy.ndarray, got {type(array).__name__}")
    dtypes.as_dtype(array.dtype)
    return Tensor._make(array)


def _filled(shape, value, dtype, device, requires_grad):
    dtype = dtypes.as_dtype(dtype) or dtypes.scalar_dtype(value)
    xp = backend.namespace(device or "cpu")
    return _finish(xp.full(shape_arg(shape), value, dtype=dtype), None, None, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _filled(size, 0.0 if dtype is None else 0, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _filled(size, 1.0 if dtype is None else 1, dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    return _filled((size,) if isinstance(size, int) else size, fill_value, dtype, device, requires_grad)


def zeros_like(input, dtype=None, device=None, requires_grad=False):
    return zeros(*input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False):
    return ones(*input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False):
    return full(input.shape, fill_value, dtype or input.dtype, device or input.device, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Uniform on [0, 1) (``generator``: a NumPy Generator to draw from instead of backprop's)."""
    array = (generator or _generator).random(shape_arg(size), dtype=numpy.float64)
    return _finish(array.astype(dtypes.as_dtype(dtype) or dtypes.default_float), None, device, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Standard normal N(0, 1) (``generator``: a NumPy Generator to draw from instead of backprop's)."""
    array = (generator or _generator).standard_normal(shape_arg(size))
    return _finish(array.astype(dtypes.as_dtype(dtype) or dtypes.default_float), None, device, requires_grad)


def randint(low, high=None, size=None, dtype=None, device=None):
    """Integers uniform on [low, high), int64; ``randint(high, size)`` starts at 0."""
    if size is None:
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint() expected a size, e.g. randint(10, (3,))")
    array = _generator.integers(low, high, size=(size,) if isinstance(size, int) else tuple(size))
    return _finish(array.astype(dtypes.as_dtype(dtype) or dtypes.int64), None, device, False)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """start, start + step, ... < end; int64 for int arguments, else float32."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange(): step must be nonzero")
    if dtype is None:
        dtype = dtypes.result_type(start, end, step)
    array = numpy.arange(start, end, step)
    return _finish(array, dtype, device, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from start to end inclusive (float32)."""
    array = numpy.linspace(start, end, steps)
    return _finish(array, dtype or dtypes.default_float, device, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """The identity matrix (n by m)."""
    return _finish(numpy.eye(n, m), dtype or dtypes.default_float, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """A tensor from ``data``, sharing memory when it already is a suitable array or Tensor."""
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    if isinstance(data, numpy.ndarray) and device is None and (dtype is None or numpy.dtype(dtype) == data.dtype):
        return from_numpy(data)
    return Tensor._make(_to_array(data, dtype, device))
