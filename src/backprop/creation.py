"""Factories: tensors filled with constants, ranges and random numbers.

Defaults follow torch: the default float dtype (float32 unless ``set_default_dtype`` says otherwise) unless
the values say otherwise (``full`` with an int fill and ``arange`` with int arguments give int64); the
default device (the CPU unless ``set_default_device`` says otherwise). Random draws come from a
``backprop.Generator``: ``generator=``, or the default one (``backprop.random``).
"""
import numpy

from backprop import backend
from backprop import dtypes
from backprop.autograd import Function
from backprop.ops.util import shape_arg
from backprop.random import (  # noqa: F401  (the seeding functions' old home: backprop.creation.manual_seed ...)
    Generator, default_generator, fork_rng, get_rng_state, initial_seed, manual_seed, numpy_generator, seed,
    set_rng_state,
)
from backprop.tensor import Tensor, _to_array


def generator():
    """The NumPy Generator that backprop's random functions draw from by default (the default Generator's)."""
    return default_generator.numpy()


def _finish(array, dtype, device, requires_grad):
    if dtype is not None:
        array = array.astype(dtypes.as_dtype(dtype).dtype, copy=False)
    device = backend.placed(device)
    if device is not backend.CPU:
        array = backend.to_device(array, device)
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _into(result, out):
    """``out=``: ``result``'s values (and shape, dtype) become ``out``'s; returns ``out`` (or ``result``)."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"out= expected a Tensor, got {type(out).__name__}")
    out._data = result._data
    out._version[0] += 1
    return out


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor (always a copy) from a number, nested list, array or Tensor.

    >>> tensor([1, 2]).dtype, tensor([1.0, 2]).dtype
    (backprop.int64, backprop.float32)
    """
    t = Tensor._make(_to_array(data, dtype, device))
    return t.requires_grad_(True) if requires_grad else t


def from_numpy(array):
    """A tensor sharing memory with a NumPy array (no copy, dtype kept)."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"from_numpy() expected a numpy.ndarray, got {type(array).__name__}")
    dtypes.as_dtype(array.dtype)
    return Tensor._make(array)


def _filled(shape, value, dtype, device, requires_grad, out=None):
    dtype = dtypes.as_dtype(dtype) or dtypes.scalar_dtype(value)
    device = backend.placed(device)
    xp = backend.namespace(device)
    if xp is numpy:
        array = numpy.full(shape_arg(shape), value, dtype=dtype.dtype)
    else:
        with xp.cuda.Device(device.index):
            array = xp.full(shape_arg(shape), value, dtype=dtype.dtype)
    return _into(_finish(array, None, backend.CPU, requires_grad), out)


def _size(sizes, size):
    """``zeros(2, 3)``, ``zeros((2, 3))`` and ``zeros(size=(2, 3))`` alike: the shape as a tuple."""
    if size is not None:
        if sizes:
            raise TypeError("expected the size either positionally or as size=, not both")
        return shape_arg((size,))
    return shape_arg(sizes)


def zeros(*sizes, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    return _filled(_size(sizes, size), 0.0 if dtype is None else 0, dtype, device, requires_grad, out)


def ones(*sizes, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    return _filled(_size(sizes, size), 1.0 if dtype is None else 1, dtype, device, requires_grad, out)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    return _filled((size,) if isinstance(size, int) else size, fill_value, dtype, device, requires_grad, out)


def empty(*sizes, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None):
    """A tensor of the given size whose values are whatever was in memory (here: zeros)."""
    return _filled(_size(sizes, size), 0.0 if dtype is None else 0, dtype, device, requires_grad, out)


def _like(input, dtype, device):
    return dtype or input.dtype, input.device if device is None else device


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return zeros(*input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return ones(*input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return empty(*input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return full(input.shape, fill_value, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def _floating(dtype, what):
    dtype = dtypes.as_dtype(dtype) or dtypes.default_float
    if not dtype.is_floating_point:
        raise TypeError(f"{what} expects a floating point dtype, got {dtype}")
    return dtype


# ------------------------------------------------------------------ random
def rand(*sizes, size=None, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    """Uniform on [0, 1)."""
    array = numpy_generator(generator).random(_size(sizes, size), dtype=numpy.float64)
    return _into(_finish(array, _floating(dtype, "rand()"), device, requires_grad), out)


def randn(*sizes, size=None, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    """Standard normal N(0, 1)."""
    array = numpy_generator(generator).standard_normal(_size(sizes, size))
    return _into(_finish(array, _floating(dtype, "randn()"), device, requires_grad), out)


def randint(low, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False, pin_memory=False):
    """Integers uniform on [low, high), int64; ``randint(high, size)`` starts at 0."""
    if size is None and high is not None and not isinstance(high, (int, numpy.integer)):
        low, high, size = 0, low, high  # randint(high, size)
    elif high is None:
        low, high = 0, low  # randint(high, size=...)
    if size is None:
        raise TypeError("randint() expected a size, e.g. randint(10, (3,)) or randint(0, 10, (3,))")
    array = numpy_generator(generator).integers(low, high, size=shape_arg((size,)))
    return _into(_finish(array, dtypes.as_dtype(dtype) or dtypes.int64, device, requires_grad), out)


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    dtype, device = _like(input, dtype, device)
    return rand(*input.shape, generator=generator, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    dtype, device = _like(input, dtype, device)
    return randn(*input.shape, generator=generator, dtype=dtype, device=device, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None):
    """Integers uniform on [low, high) in a tensor of ``input``'s shape (its dtype unless given);
    ``randint_like(input, high)`` starts at 0."""
    if high is None:
        low, high = 0, low
    dtype, device = _like(input, dtype, device)
    return randint(low, high, input.shape, generator=generator, dtype=dtype, device=device,
                   requires_grad=requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    """A random permutation of 0 .. n-1 (int64)."""
    array = numpy_generator(generator).permutation(int(n))
    return _into(_finish(array, dtypes.as_dtype(dtype) or dtypes.int64, device, requires_grad), out)


class Sample(Function):
    """y = a draw from a distribution whose parameters are the inputs; dL/dparameter = 0, as torch's
    NormalBackward, BernoulliBackward and PoissonBackward (a draw is not reparameterised)."""

    def forward(self, *parameters, values):
        return values

    def backward(self, grad):
        zero = grad * 0
        return zero if len(self.needs_input_grad) == 1 else (zero,) * len(self.needs_input_grad)


def _sample(values, *parameters):
    """A tensor of ``values`` (an array) drawn with the tensors ``parameters``, recorded as ``Sample``."""
    tensors = [p for p in parameters if isinstance(p, Tensor)]
    if not tensors:
        return Tensor._make(values)
    values = backend.to_device(values, tensors[0].device)
    return Sample.apply(*tensors, values=values)


def _host(x):
    return backend.to_numpy(x._data) if isinstance(x, Tensor) else x


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False):
    """Draws from N(mean, std^2), torch's overloads: ``normal(mean_tensor, std_tensor)`` (shapes broadcast),
    ``normal(mean_tensor, std=1.0)``, ``normal(mean=0.0, std_tensor)``, ``normal(mean, std, size)``."""
    rng = numpy_generator(generator)
    if size is not None or not (isinstance(mean, Tensor) or isinstance(std, Tensor)):
        if size is None:
            raise TypeError("normal() with a float mean and std needs a size, e.g. normal(0.0, 1.0, (2, 3))")
        if isinstance(mean, Tensor) or isinstance(std, Tensor):
            raise TypeError("normal(mean, std, size) takes float mean and std; with tensors, leave out size")
        array = rng.normal(mean, std, size=shape_arg((size,)))
        return _into(_finish(array, _floating(dtype, "normal()"), device, requires_grad), out)
    like = mean if isinstance(mean, Tensor) else std
    if not like.is_floating_point():
        raise TypeError(f"normal expects a floating point mean and std, got {like.dtype}")
    if isinstance(std, Tensor) and bool((std._data < 0).any()):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    shape = numpy.broadcast_shapes(numpy.shape(_host(mean)), numpy.shape(_host(std)))
    values = (rng.standard_normal(shape) * _host(std) + _host(mean)).astype(like.dtype.dtype)
    return _into(_sample(values, mean, std), out)


def bernoulli(input, p=None, *, generator=None, out=None):
    """1 with probability ``input`` (or ``p``) and 0 otherwise, elementwise, in ``input``'s dtype."""
    probability = _host(input) if p is None else _host(p)
    if numpy.any((numpy.asarray(probability) < 0) | (numpy.asarray(probability) > 1)):
        raise RuntimeError("bernoulli expects 0 <= p <= 1")
    draws = numpy_generator(generator).random(input.shape) < probability
    values = draws.astype(input.dtype.dtype)
    return _into(_sample(values, input) if p is None else Tensor._make(backend.to_device(values, input.device)), out)


def poisson(input, generator=None):
    """Draws from Poisson(rate = ``input``), elementwise, in ``input``'s dtype."""
    if bool((input._data < 0).any()):
        raise RuntimeError("poisson expects all rates >= 0")
    values = numpy_generator(generator).poisson(_host(input)).astype(input.dtype.dtype)
    return _sample(values, input)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """For each row of ``input`` (non-negative weights, not necessarily summing to 1), ``num_samples`` indices
    drawn with probabilities proportional to the weights (int64; without replacement, no index twice)."""
    weights = backend.to_numpy(input._data).astype(numpy.float64)
    if input.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got {input.ndim}")
    if weights.shape[-1] == 0 or not numpy.isfinite(weights).all() or (weights < 0).any():
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0 (or is "
                           "empty)")
    rows = weights.reshape(-1, weights.shape[-1])
    if (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError(f"multinomial: cannot sample n_sample ({num_samples}) > prob_dist.size(-1) "
                           f"({rows.shape[1]}) samples without replacement")
    if not replacement and num_samples > (rows > 0).sum(axis=1).min():
        raise RuntimeError("multinomial: invalid multinomial distribution (with replacement=False, not enough "
                           "non-negative category to sample)")
    rng = numpy_generator(generator)
    drawn = numpy.stack([rng.choice(len(row), size=num_samples, replace=replacement, p=row / row.sum())
                         for row in rows]).astype(numpy.int64)
    drawn = drawn.reshape(weights.shape[:-1] + (num_samples,))
    return _into(Tensor._make(backend.to_device(drawn, input.device)), out)


def draw(kind, shape, dtype, generator, *parameters):
    """The values of the in-place random fills (``Tensor.normal_`` ...): an array of ``shape`` on the host,
    from the distribution ``kind`` with ``parameters`` (numbers)."""
    rng = numpy_generator(generator)
    if kind == "random":
        low, high = parameters
        if high is None:
            high = 2 ** (numpy.finfo(dtype.dtype).nmant + 1) if dtype.is_floating_point else (
                2 if dtype == dtypes.bool_ else int(numpy.iinfo(dtype.dtype).max) + 1)
        return rng.integers(low, high, size=shape)
    if kind == "geometric":
        return rng.geometric(*parameters, size=shape)
    if kind == "log_normal":
        mean, std = parameters
        return rng.lognormal(mean, std, size=shape)
    if kind == "cauchy":
        median, sigma = parameters
        return median + sigma * rng.standard_cauchy(size=shape)
    if kind == "exponential":
        (rate,) = parameters
        return rng.exponential(1.0 / rate, size=shape)
    raise ValueError(f"unknown distribution {kind!r}")


# ------------------------------------------------------------ ranges, grids
def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """start, start + step, ... < end; int64 for int arguments, else the default float dtype."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange(): step must be nonzero")
    if dtype is None:
        dtype = dtypes.result_type(start, end, step)
    array = numpy.arange(start, end, step)
    return _into(_finish(array, dtype, device, requires_grad), out)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from start to end inclusive (the default float dtype)."""
    array = numpy.linspace(start, end, steps)
    return _into(_finish(array, dtype or dtypes.default_float, device, requires_grad), out)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """``base`` to the powers of ``linspace(start, end, steps)``."""
    array = numpy.power(float(base), numpy.linspace(start, end, steps))
    return _into(_finish(array, dtype or dtypes.default_float, device, requires_grad), out)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The identity matrix (n by m)."""
    return _into(_finish(numpy.eye(n, m), dtype or dtypes.default_float, device, requires_grad), out)


def _triangle_indices(which, row, col, offset, dtype, device):
    rows, cols = which(row, offset, col)
    array = numpy.stack([rows, cols]) if row and col else numpy.zeros((2, 0), dtype=numpy.int64)
    return _finish(array, dtypes.as_dtype(dtype) or dtypes.int64, device, False)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (row, column) indices of the lower triangle of a row x col matrix, a 2 x N tensor, row by row."""
    return _triangle_indices(numpy.tril_indices, row, col, offset, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (row, column) indices of the upper triangle of a row x col matrix, a 2 x N tensor, row by row."""
    return _triangle_indices(numpy.triu_indices, row, col, offset, dtype, device)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids of 1-d tensors: with ``indexing='ij'`` (the default) the i-th grid varies along
    dimension i; with ``'xy'`` the first two dimensions are swapped (NumPy's). Differentiable (views)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in (None, "ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    for t in tensors:
        if not isinstance(t, Tensor) or t.ndim > 1:
            raise RuntimeError("meshgrid expects all tensors to be 0-d or 1-d")
    swap = indexing == "xy" and len(tensors) >= 2
    order = list(tensors)
    if swap:
        order[0], order[1] = order[1], order[0]
    shape = tuple(t.numel() for t in order)
    grids = []
    for i, t in enumerate(order):
        view = [1] * len(order)
        view[i] = -1
        grids.append(t.reshape(*view).expand(*shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def complex(real, imag, *, out=None):
    """Refused: backprop has no complex dtype."""
    raise NotImplementedError("torch.complex is not provided by backprop: it has no complex dtypes")


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """``obj`` as a tensor: shares memory with a Tensor or a NumPy array when dtype and device allow it (always with
    ``copy=False``, which raises where a copy is needed), copies with ``copy=True``."""
    if copy:
        t = tensor(obj, dtype=dtype, device=device)
    else:
        t = as_tensor(obj, dtype=dtype, device=device)
        shared = t is obj or (isinstance(obj, numpy.ndarray) and t._data is obj)
        if copy is False and not shared and (isinstance(obj, Tensor) or backend.is_array(obj)):
            raise ValueError("asarray(copy=False): the dtype or device asked for needs a copy")
    return t.requires_grad_(True) if requires_grad else t


def as_tensor(data, dtype=None, device=None):
    """A tensor from ``data``, sharing memory when it already is a suitable array or Tensor."""
    if isinstance(data, Tensor) and (dtype is None or dtypes.as_dtype(dtype) == data.dtype) and (
            device is None or backend.device(device) == data.device):
        return data
    if isinstance(data, numpy.ndarray) and device is None and (dtype is None or numpy.dtype(dtype) == data.dtype):
        return from_numpy(data)
    return Tensor._make(_to_array(data, dtype, device))

