"""Reductions over dimensions: sum, mean, var, std, max, min, argmax, argmin,
prod, logsumexp, nansum, nanmean, amax, amin, aminmax, count_nonzero, norm,
std_mean, var_mean.

``dim`` is None (all dimensions), an int, or (where torch allows) a tuple;
``keepdim=True`` keeps the reduced dimensions with size 1. Each backward
reshapes dL/dy to the kept shape so that it broadcasts over the reduced axes.
"""
import builtins
import types

from backprop import backend
from backprop import dtypes
from backprop.autograd import Function
from backprop.ops.indexing import IndexPut, write_out
from backprop.ops.util import check_tensor, dim_index, dims, floating, keep_shape, require_floating, return_type
from backprop.tensor import Tensor
from backprop.ops.manifest import export


# torch.return_types: an op's (values, indices) result, a named tuple named after the op
return_types = types.SimpleNamespace(**{
    name: return_type(name) for name in
    ["max", "min", "sort", "topk", "kthvalue", "median", "nanmedian", "mode", "cummax", "cummin"]})
return_types.aminmax = return_type("aminmax", ("min", "max"))


def write_outs(result, out, op):
    """``write_out`` (torch's ``out=``) of one result or of a tuple of them (``out=(values, indices)``);
    returns ``out``, a named tuple like ``result``."""
    if out is None or not isinstance(result, tuple):
        return write_out(result, out, op)
    if not isinstance(out, (tuple, list)) or len(out) != len(result):
        raise TypeError(f"{op}(): out= expected a tuple of {len(result)} tensors, got {type(out).__name__}")
    return type(result)(*[write_out(r, o, op) for r, o in zip(result, out)])


class Sum(Function):
    """y = sum_i x_i over ``axes``;  dL/dx_i = dL/dy (broadcast back)."""

    def forward(self, x, axes, keepdim):
        self.shape, self.axes = x.shape, axes
        return x.sum(axis=axes, keepdims=keepdim)

    def backward(self, grad):
        grad = grad.reshape(keep_shape(self.shape, self.axes))
        return backend.array_module(grad).broadcast_to(grad, self.shape)


class Mean(Function):
    """y = (1/N) sum_i x_i over ``axes``;  dL/dx_i = dL/dy / N."""

    def forward(self, x, axes, keepdim):
        self.shape, self.axes = x.shape, axes
        return x.mean(axis=axes, keepdims=keepdim)

    def backward(self, grad):
        count = _count(self.shape, self.axes)
        grad = grad.reshape(keep_shape(self.shape, self.axes)) / builtins.max(count, 1)
        return backend.array_module(grad).broadcast_to(grad, self.shape)


class Var(Function):
    """y = sum_i (x_i - mean)^2 / (N - correction);  dL/dx_i = dL/dy * 2 (x_i - mean) / (N - correction)."""

    def forward(self, x, axes, keepdim, correction):
        centred = x - x.mean(axis=axes, keepdims=True)
        self.save_for_backward(x)
        self.axes = axes
        self.divisor = builtins.max(_count(x.shape, axes) - correction, 0)
        with backend.errstate():
            return (centred * centred).sum(axis=axes, keepdims=keepdim) / self.divisor

    def backward(self, grad):
        (x,) = self.saved_tensors
        grad = grad.reshape(keep_shape(x.shape, self.axes))
        mean = x.mean(axis=self.axes, keepdims=True)
        with backend.errstate():
            if not self.divisor and (self.axes is None or x.ndim == 0):
                # N <= correction over all dims: torch's dL/dy * (nan where x_i = mean, else inf), a constant
                # factor (so the second derivative in x is 0, as torch's)
                return backend.array_module(grad).where(x == mean, grad * float("nan"), grad * float("inf"))
            scale = 2 / self.divisor if self.divisor else float("inf")  # N <= correction: nan, as torch
            return grad * scale * (x - mean)


class MaxAll(Function):
    """y = max (or min) of all elements; dL/dy is shared equally by the elements equal to y."""

    def forward(self, x, largest):
        if x.size == 0:
            raise RuntimeError(f"{'max' if largest else 'min'}() of an empty tensor has no value; give a dim")
        y = x.max() if largest else x.min()
        self.save_for_backward(x, y)
        return y

    def backward(self, grad):
        x, y = self.saved_tensors
        chosen = x == y
        return grad * chosen / chosen.sum()


class MaxDim(Function):
    """values along ``dim`` at ``indices``; dL/dx is dL/dy at the chosen index, 0 elsewhere."""

    def forward(self, x, indices, axis, keepdim):
        xp = backend.array_module(x)
        self.shape, self.axis = x.shape, axis
        self.indices = xp.expand_dims(indices, axis)
        values = xp.take_along_axis(x, self.indices, axis)
        return values if keepdim else values.squeeze(axis)

    def backward(self, grad):
        xp = backend.array_module(self.indices)
        key = tuple(self.indices if i == self.axis else
                    xp.arange(n).reshape((1,) * i + (n,) + (1,) * (len(self.shape) - i - 1))
                    for i, n in enumerate(self.shape))
        return IndexPut.call(grad.reshape(self.indices.shape), key=key, shape=self.shape, unique=True)


class Prod(Function):
    """y = prod_i x_i;  dL/dx_i = dL/dy * prod_{j != i} x_j (exact where some x_j = 0)."""

    def forward(self, x, axis, keepdim):
        self.save_for_backward(x)
        self.axis = axis
        return x.prod(axis=axis, keepdims=keepdim)

    @staticmethod
    def decompose(x, axis, keepdim):
        """The product as a chain of multiplications (exact where some x_j = 0)."""
        if axis is None:
            x, axis = x.reshape(-1), 0
        if x.shape[axis] == 0:
            return x.sum(axis, keepdim) * 0 + 1
        lead = (slice(None),) * axis
        result = x[lead + (slice(0, 1),)]
        for i in range(1, x.shape[axis]):
            result = result * x[lead + (slice(i, i + 1),)]
        return result if keepdim else result.squeeze(axis)

    def backward(self, grad):
        (x,) = self.saved_tensors
        xp = backend.array_module(x)
        axis, shape = self.axis, x.shape
        if axis is None:
            x, axis = x.reshape(-1), 0
        grad = grad.reshape(keep_shape(x.shape, (axis,)))
        if x.size == 0:  # nothing to differentiate (and no first element to take)
            return xp.zeros(shape, dtype=grad.dtype)
        return (grad * _product_of_others(xp, x, axis)).reshape(shape)


def _product_of_others(xp, x, axis):
    """prod_{j != i} x_j along ``axis``: exclusive cumulative products from both ends."""
    ones = xp.ones_like(xp.take(x, [0], axis=axis))
    before = xp.concatenate([ones, xp.cumprod(x, axis=axis)], axis=axis)
    flipped = xp.flip(x, axis=axis)
    after = xp.flip(xp.concatenate([ones, xp.cumprod(flipped, axis=axis)], axis=axis), axis=axis)
    n = x.shape[axis]
    take = lambda a, start: xp.take(a, xp.arange(start, start + n), axis=axis)  # noqa: E731
    return take(before, 0) * take(after, 1)


class LogSumExp(Function):
    """y = log sum_i e^{x_i} = m + log sum_i e^{x_i - m} (m = max x);  dL/dx_i = dL/dy * e^{x_i - y}."""

    def forward(self, x, axes, keepdim):
        xp = backend.array_module(x)
        self.save_for_backward(x)
        self.axes = axes
        if x.size == 0:
            with backend.errstate(divide="ignore"):
                y = xp.log(xp.exp(x).sum(axis=axes, keepdims=True))
        else:
            top = x.max(axis=axes, keepdims=True)
            top = xp.where(xp.isfinite(top), top, 0)
            with backend.errstate(divide="ignore"):
                y = xp.log(xp.exp(x - top).sum(axis=axes, keepdims=True)) + top
        self.kept = y.shape
        y = y if keepdim else y.reshape(_reduced(x.shape, axes))
        self.save_for_backward(x, y)
        return y

    def backward(self, grad):
        x, y = self.saved_tensors
        xp = backend.array_module(x)
        return grad.reshape(self.kept) * xp.exp(x - y.reshape(self.kept))


def _count(shape, axes):
    count = 1
    for i, size in enumerate(shape):
        if axes is None or i in axes:
            count *= size
    return count


def _empty_reduction(shape, axes):
    """True when some reduced dim (all of them for None) has size 0: a max or min has no value there."""
    return 0 in (shape if axes is None else [shape[a] for a in axes])


def _reduced(shape, axes):
    return tuple(s for i, s in enumerate(shape) if axes is not None and i not in axes)


@export()
def sum(input, dim=None, keepdim=False, *, dtype=None, out=None, axis=None, keepdims=None):
    """sum_i x_i over ``dim``; bool and integer tensors sum to int64, as in torch (``axis``/``keepdims``:
    NumPy's names, which torch accepts too)."""
    check_tensor(input, "sum")
    dim, keepdim = (dim if axis is None else axis), (keepdim if keepdims is None else keepdims)
    input = _accumulated(input, dtype)
    return write_out(Sum.apply(input, axes=dims(dim, input.ndim, "sum"), keepdim=keepdim), out, "sum")


def _accumulated(input, dtype):
    """``input`` in the dtype a sum accumulates in: ``dtype`` when given, int64 for bool and integers (torch)."""
    if dtype is not None:
        return input.to(dtype)
    if input.dtype.kind in "biu":
        return input.to(dtypes.int64)
    return input


@export()
def mean(input, dim=None, keepdim=False, *, dtype=None, out=None, axis=None, keepdims=None):
    """(1/N) sum_i x_i over ``dim``; needs a floating point tensor (or a dtype=)."""
    check_tensor(input, "mean")
    dim, keepdim = (dim if axis is None else axis), (keepdim if keepdims is None else keepdims)
    if dtype is not None:
        input = input.to(dtype)
    require_floating(input, "mean")
    return write_out(Mean.apply(input, axes=dims(dim, input.ndim, "mean"), keepdim=keepdim), out, "mean")


def _not_nan(input):
    return Tensor._make(~backend.array_module(input._data).isnan(input._data))


@export()
def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """sum_i x_i over ``dim`` with nan counted as 0 (no gradient reaches a nan)."""
    check_tensor(input, "nansum")
    if input.dtype.kind == "f":
        from backprop.ops.selection import masked_fill

        input = masked_fill(input, ~_not_nan(input), 0)
    return sum(input, dim, keepdim, dtype=dtype, out=out)


@export()
def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """The mean of the elements that are not nan over ``dim`` (nan where all are)."""
    check_tensor(input, "nanmean")
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind != "f":
        raise RuntimeError(f"nanmean(): expected input to have floating point dtype but got {input.dtype}")
    count = sum(_not_nan(input), dim, keepdim)
    return write_out(nansum(input, dim, keepdim) / count, out, "nanmean")


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


@export()
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance, unbiased (divides by N - 1) unless ``unbiased=False`` or ``correction=0``."""
    require_floating(input, "var")
    if isinstance(dim, bool):  # var(x, False): torch's old positional unbiased
        dim, unbiased = None, dim
    return Var.apply(
        input, axes=dims(dim, input.ndim, "var"), keepdim=keepdim, correction=_correction(unbiased, correction)
    )


@export()
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation sqrt(var), unbiased by default."""
    from backprop.ops.elementwise import sqrt

    return sqrt(var(input, dim, unbiased, keepdim, correction=correction))


@export(method=False)
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over ``dim``: a tuple, as torch (unbiased unless ``correction=0``)."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


@export(method=False)
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over ``dim``: a tuple, as torch (unbiased unless ``correction=0``)."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


@export()
def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the variables in the rows of ``input`` (observations in columns), as ``numpy.cov``.

    With weights w = fweights * aweights: mean m = sum_i w_i x_i / sum_i w_i and
    C = (X - m) diag(w) (X - m)^T / (sum w - correction * sum(w * aweights) / sum w)
    (the denominator is N - correction without weights).
    """
    check_tensor(input, "cov")
    if input.ndim > 2:
        raise ValueError(f"cov(): expected input to have two or fewer dimensions but got an input with {input.ndim} "
                         "dimensions")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    if not dtypes.is_floating(x.dtype):
        x = x.to(dtypes.get_default_dtype())
    observations = x.shape[1]
    weights = None
    for name, w in (("fweights", fweights), ("aweights", aweights)):
        if w is None:
            continue
        if w.ndim > 1 or w.shape[0] != observations:
            raise ValueError(f"cov(): expected {name} to be a 1-d tensor of {observations} weights, got shape "
                             f"{tuple(w.shape)}")
        weights = w if weights is None else weights * w
    if weights is None:
        average = x.mean(1, keepdim=True)
        norm = observations - correction
    else:
        weights = weights.to(x.dtype)
        total = weights.sum()
        average = (x * weights).sum(1, keepdim=True) / total
        if correction == 0:
            norm = total
        elif aweights is None:
            norm = total - correction
        else:
            norm = total - correction * (weights * aweights).sum() / total
    if float(norm) <= 0:
        import warnings

        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                      "observations.", stacklevel=2)
        norm = 0
    centred = x - average
    product = (centred if weights is None else centred * weights) @ centred.mT
    with backend.errstate(divide="ignore", invalid="ignore"):
        result = product / norm
    return result.squeeze()


@export()
def corrcoef(input):
    """Pearson correlation coefficients of the rows of ``input``: C_ij / sqrt(C_ii C_jj), C = cov(input),
    clipped to [-1, 1]."""
    from backprop.ops.elementwise import sqrt

    c = cov(input)
    if c.ndim == 0:
        return c / c
    stddev = sqrt(c.diagonal())
    return (c / stddev[:, None] / stddev[None, :]).clamp(-1, 1)


def _extremum(input, dim, keepdim, largest):
    name = "max" if largest else "min"
    result = return_types.max if largest else return_types.min
    check_tensor(input, name)
    if isinstance(dim, Tensor):  # max(a, b) is maximum(a, b)
        from backprop.ops import selection

        return (selection.maximum if largest else selection.minimum)(input, dim)
    if dim is None:
        return MaxAll.apply(input, largest=largest)
    axis = dim_index(dim, input.ndim, name)
    if input.shape and input.shape[axis] == 0:
        raise IndexError(f"{name}(): dim {dim} has size 0, so it has no {name}imum")
    indices = _arg(input, axis, largest)
    if input.ndim == 0:
        return result(input, Tensor._make(indices))
    values = MaxDim.apply(input, indices=indices, axis=axis, keepdim=keepdim)
    if keepdim:
        indices = backend.array_module(indices).expand_dims(indices, axis)
    return result(values, Tensor._make(indices))


def _arg(input, axis, largest):
    data = input._data
    if data.ndim == 0:
        return backend.array_module(data).zeros((), dtype=dtypes.int64)
    index = data.argmax(axis=axis) if largest else data.argmin(axis=axis)
    return index.astype(dtypes.int64, copy=False)


@export()
def max(input, dim=None, keepdim=False, *, out=None):
    """The largest element; with ``dim``, a (values, indices) pair; ``max(a, b)`` is ``maximum``."""
    return write_outs(_extremum(input, dim, keepdim, largest=True), out, "max")


@export()
def min(input, dim=None, keepdim=False, *, out=None):
    """The smallest element; with ``dim``, a (values, indices) pair; ``min(a, b)`` is ``minimum``."""
    return write_outs(_extremum(input, dim, keepdim, largest=False), out, "min")


class Amax(Function):
    """y = max_i x_i over ``axes`` (given as ``value``, kept dims); dL/dx_i = dL/dy / (number of ties) where
    x_i = y, else 0: torch's even split among ties (a nan y sends nan, as torch's amax)."""

    nan_ties = False  # True: a nan y is the value of the nan elements, which share dL/dy (torch's median)

    def forward(self, x, value, axes, keepdim):
        self.kept, self.axes = value.shape, axes
        y = value if keepdim else value.reshape(_reduced(x.shape, axes))
        self.save_for_backward(x, y)
        return y

    def backward(self, grad):
        x, y = self.saved_tensors
        xp = backend.array_module(x)
        y, grad = y.reshape(self.kept), grad.reshape(self.kept)
        chosen = x == y
        if self.nan_ties:
            chosen = chosen | (xp.isnan(x) & xp.isnan(y))
        with backend.errstate():
            return grad * chosen / chosen.sum(axis=self.axes, keepdims=True)


class Amin(Amax):
    """y = min_i x_i over ``axes``; dL/dy shared equally by the elements equal to y (as ``Amax``)."""


class Median(Amax):
    """y = the median of all elements; dL/dy shared equally by the elements equal to y (nan: by the nans)."""

    nan_ties = True


class Nanmedian(Median):
    """y = the median of the elements that are not nan; dL/dy shared by the elements equal to y."""


def _amax(input, dim, keepdim, largest, op):
    check_tensor(input, op)
    axes = dims(dim, input.ndim, op)
    data = input._data
    if _empty_reduction(data.shape, axes):
        raise IndexError(f"{op}(): the reduced dims of a tensor of shape {tuple(input.shape)} are empty, "
                         "so there is no value to give")
    value = data.max(axis=axes, keepdims=True) if largest else data.min(axis=axes, keepdims=True)
    return (Amax if largest else Amin).apply(input, value=value, axes=axes, keepdim=keepdim)


@export()
def amax(input, dim=(), keepdim=False, *, out=None):
    """max_i x_i over ``dim`` (every dim by default); the gradient is shared equally among ties, as torch."""
    return write_out(_amax(input, dim, keepdim, True, "amax"), out, "amax")


@export()
def amin(input, dim=(), keepdim=False, *, out=None):
    """min_i x_i over ``dim`` (every dim by default); the gradient is shared equally among ties, as torch."""
    return write_out(_amax(input, dim, keepdim, False, "amin"), out, "amin")


@export()
def aminmax(input, *, dim=None, keepdim=False, out=None):
    """(min, max) over ``dim`` (every dim when None): ``torch.return_types.aminmax(min, max)``."""
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"aminmax(): dim must be an int or None, got {type(dim).__name__}")
    result = return_types.aminmax(*(_amax(input, dim, keepdim, largest, "aminmax") for largest in (False, True)))
    return write_outs(result, out, "aminmax")


@export()
def count_nonzero(input, dim=None):
    """The number of elements that are not zero over ``dim`` (an int, a tuple, or None: all), as int64."""
    check_tensor(input, "count_nonzero")
    axes = dims(dim, input.ndim, "count_nonzero")
    return Tensor._make(backend.array_module(input._data).asarray(
        (input._data != 0).sum(axis=axes), dtype=dtypes.int64))


def _argextremum(input, dim, keepdim, largest):
    name = "argmax" if largest else "argmin"
    check_tensor(input, name)
    if dim is None:
        index = _arg(Tensor._make(input._data.reshape(-1)), 0, largest)
        if keepdim:
            index = index.reshape((1,) * input.ndim)
        return Tensor._make(index)
    axis = dim_index(dim, input.ndim, name)
    index = _arg(input, axis, largest)
    if keepdim and input.ndim:
        index = backend.array_module(index).expand_dims(index, axis)
    return Tensor._make(index)


@export()
def argmax(input, dim=None, keepdim=False):
    """Index of the largest element (of the flattened tensor when dim is None)."""
    return _argextremum(input, dim, keepdim, largest=True)


@export()
def argmin(input, dim=None, keepdim=False):
    """Index of the smallest element (of the flattened tensor when dim is None)."""
    return _argextremum(input, dim, keepdim, largest=False)


@export()
def prod(input, dim=None, keepdim=False):
    """prod_i x_i over one dim or all; integer tensors give int64, as in torch."""
    check_tensor(input, "prod")
    if input.dtype.kind in "biu":
        input = input.to(dtypes.int64)
    axis = dim_index(dim, input.ndim, "prod") if dim is not None and input.ndim else None
    return Prod.apply(input, axis=axis, keepdim=keepdim)


@export()
def logsumexp(input, dim, keepdim=False):
    """log sum_i e^{x_i} over ``dim``, computed without overflow (integers give float32, as torch)."""
    input = floating(input, "logsumexp")
    return LogSumExp.apply(input, axes=dims(dim, input.ndim, "logsumexp"), keepdim=keepdim)


def _truth(input, dim, keepdim, name):
    check_tensor(input, name)
    xp = backend.array_module(input._data)
    axes = dims(dim, input.ndim, name)
    result = getattr(input._data.astype(bool), name)(axis=axes, keepdims=keepdim)
    # torch: a uint8 tensor answers in uint8, every other dtype in bool
    return Tensor._make(xp.asarray(result, dtype=dtypes.uint8 if input.dtype == dtypes.uint8 else dtypes.bool_))


@export()
def all(input, dim=None, keepdim=False):
    """True where every element along ``dim`` (all of them when None) is non-zero; not differentiable."""
    return _truth(input, dim, keepdim, "all")


@export()
def any(input, dim=None, keepdim=False):
    """True where some element along ``dim`` (any of them when None) is non-zero; not differentiable."""
    return _truth(input, dim, keepdim, "any")


@export()
def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """torch.norm: the vector p-norm over ``dim`` (all elements when None) for a number p (``'fro'``: p = 2; inf,
    -inf and 0 as ``linalg.vector_norm``); ``'nuc'`` and the other matrix norms: ``linalg.matrix_norm``."""
    from backprop.ops.norm import matrix_norm, vector_norm

    check_tensor(input, "norm")
    if isinstance(dim, int) and not isinstance(dim, bool):
        dim = (dim,)
    if isinstance(p, str) and not (p == "fro" and (dim is None or len(dim) <= 2)):
        return matrix_norm(input, p, tuple(range(input.ndim)) if dim is None else dim, keepdim, dtype=dtype, out=out)
    order = 2 if p is None or isinstance(p, str) else p
    return vector_norm(input, order, dim, keepdim, dtype=dtype, out=out)
