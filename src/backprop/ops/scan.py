"""Scans along one dimension: cumsum, cumprod, cummax, cummin, logcumsumexp; diff, trapezoid (trapz) and
cumulative_trapezoid, compositions of slices (and cumsum).

y_k depends on x_0 ... x_k (the elements before it along ``dim``), so every
backward is a scan the other way: dL/dx_i collects the dL/dy_k of k >= i.
A 0-d tensor takes dim 0 or -1 and is its own scan.
"""
from backprop import backend
from backprop import dtypes
from backprop.autograd import Function
from backprop.ops.indexing import write_out
from backprop.ops.manifest import export
from backprop.ops.reduction import return_types, write_outs
from backprop.ops.sorting import take_along
from backprop.ops.util import check_tensor, dim_index
from backprop.tensor import Tensor


def _scan(xp, function, x, axis, reverse):
    """``function`` (xp.cumsum, a ufunc's accumulate ...) along ``axis``; ``reverse``: from the last element."""
    if x.ndim == 0:
        return x.copy()
    if reverse:
        return xp.flip(function(xp.flip(x, axis), axis=axis), axis)
    return function(x, axis=axis)


class Cumsum(Function):
    """y_k = sum_{j<=k} x_j along ``axis`` (``reverse``: sum_{j>=k});  dL/dx_i = sum_{k>=i} dL/dy_k, the scan
    the other way."""

    def forward(self, x, axis, reverse=False):
        self.axis, self.reverse = axis, reverse
        return _scan(backend.array_module(x), backend.array_module(x).cumsum, x, axis, reverse)

    def backward(self, grad):
        return Cumsum.call(grad, axis=self.axis, reverse=not self.reverse)


class Cumprod(Function):
    """y_k = prod_{j<=k} x_j;  dL/dx_i = sum_{k>=i} dL/dy_k prod_{j<=k, j!=i} x_j, which is
    (sum_{k>=i} dL/dy_k y_k) / x_i where no x_j is 0, and else prod_{j<i} x_j h_i with
    h_i = dL/dy_i + x_{i+1} h_{i+1} (exact with zeros, as torch)."""

    def forward(self, x, axis):
        self.axis = axis
        y = _scan(backend.array_module(x), backend.array_module(x).cumprod, x, axis, False)
        self.save_for_backward(x, y)
        return y

    @staticmethod
    def decompose(x, axis):
        """The running product as a chain of multiplications (for higher derivatives)."""
        if x.ndim == 0 or x.shape[axis] == 0:
            return x * 1
        from backprop.ops.join import cat

        lead = (slice(None),) * axis
        running = [x[lead + (slice(0, 1),)]]
        for i in range(1, x.shape[axis]):
            running.append(running[-1] * x[lead + (slice(i, i + 1),)])
        return cat(running, axis)

    def backward(self, grad):
        x, y = self.saved_tensors
        xp = backend.array_module(x)
        if x.ndim == 0 or x.size == 0:
            return grad * 1
        if (x != 0).all():
            return Cumsum.call(grad * y, axis=self.axis, reverse=True) / x
        x, grad = xp.moveaxis(x, self.axis, 0), xp.moveaxis(grad, self.axis, 0)
        h = xp.empty_like(grad)
        h[-1] = grad[-1]
        for i in range(len(x) - 2, -1, -1):
            h[i] = grad[i] + x[i + 1] * h[i + 1]
        before = xp.concatenate([xp.ones_like(x[:1]), xp.cumprod(x[:-1], axis=0)])
        return xp.moveaxis(before * h, 0, self.axis)


class LogCumSumExp(Function):
    """y_k = log sum_{j<=k} e^{x_j} (``reverse``: j >= k);  dL/dx_i = sum_{k>=i} dL/dy_k e^{x_i - y_k}, computed
    as torch does without overflow: e^{x_i + reverse logcumsumexp(log |dL/dy| - y)_i}, the positive and the
    negative dL/dy apart."""

    def forward(self, x, axis, reverse=False):
        xp = backend.array_module(x)
        self.axis, self.reverse = axis, reverse
        with backend.errstate():
            y = _scan(xp, xp.logaddexp.accumulate, x, axis, reverse)
        self.save_for_backward(x, y)
        return y

    def backward(self, grad):
        x, y = self.saved_tensors
        xp = backend.array_module(grad)
        if x.ndim == 0:
            return grad
        lowest = float(backend.numpy.finfo(x.dtype).min)  # log 0, kept finite as torch (no inf - inf)
        with backend.errstate():
            log_size = xp.log(xp.abs(grad))
            parts = [LogCumSumExp.call(xp.where(sign * grad > 0, log_size, lowest) - y, axis=self.axis,
                                       reverse=not self.reverse) for sign in (1, -1)]
            return xp.exp(parts[0] + x) - xp.exp(parts[1] + x)


def _axis(input, dim, op):
    check_tensor(input, op)
    return dim_index(dim, input.ndim, op)


def _accumulating(input, dtype):
    """``input`` cast to ``dtype``, or bool and integers to int64 (torch's cumsum and cumprod)."""
    if dtype is not None:
        return input.to(dtype)
    return input.to(dtypes.int64) if input.dtype.kind in "biu" else input


@export(inplace=True)
def cumsum(input, dim, *, dtype=None, out=None):
    """y_k = sum_{j<=k} x_j along ``dim``; bool and integers give int64, as torch."""
    axis = _axis(input, dim, "cumsum")
    return write_outs(Cumsum.apply(_accumulating(input, dtype), axis=axis), out, "cumsum")


@export(inplace=True)
def cumprod(input, dim, *, dtype=None, out=None):
    """y_k = prod_{j<=k} x_j along ``dim``; bool and integers give int64, as torch; exact gradients with zeros."""
    axis = _axis(input, dim, "cumprod")
    return write_outs(Cumprod.apply(_accumulating(input, dtype), axis=axis), out, "cumprod")


@export()
def logcumsumexp(input, dim, *, out=None):
    """y_k = log sum_{j<=k} e^{x_j} along ``dim``, without overflow; floating point tensors only, as torch."""
    axis = _axis(input, dim, "logcumsumexp")
    if not dtypes.is_floating(input.dtype):
        raise NotImplementedError(f"logcumsumexp() is not implemented for {input.dtype}; convert with .float()")
    return write_outs(LogCumSumExp.apply(input, axis=axis), out, "logcumsumexp")


def _running_extremum(input, dim, largest, op):
    """torch's cummax/cummin: values and the index of the latest extremum so far (a tie takes the later
    index; a nan, once met, stays the extremum at its index)."""
    axis = _axis(input, dim, op)
    data = input._data
    xp = backend.array_module(data)
    moved = xp.moveaxis(data.reshape(data.shape or (1,)), axis, 0)
    if moved.dtype.kind == "b":
        moved = moved.astype(xp.int8)
    n = len(moved)
    positions = xp.arange(n).reshape((n,) + (1,) * (moved.ndim - 1))
    hit = moved == moved
    if n:
        best = (xp.fmax if largest else xp.fmin).accumulate(moved, axis=0)
        if moved.dtype.kind == "f":  # a nan, once met, stays the extremum; each later nan takes its place
            best = xp.where(xp.logical_or.accumulate(xp.isnan(moved), axis=0), float("nan"), best)
        hit = (moved == best) | (moved != moved)  # a tie takes the later index (torch's >=)
    index = xp.maximum.accumulate(xp.where(hit, positions, 0), axis=0) if n else xp.zeros(moved.shape, dtypes.int64)
    index = xp.moveaxis(index.astype(dtypes.int64), 0, axis).reshape(data.shape)
    return getattr(return_types, op)(take_along(input, index, axis), Tensor._make(index))


@export()
def cummax(input, dim, *, out=None):
    """(values, indices): the running maximum along ``dim`` and where it was; dL/dx collects dL/dy at those
    indices, as torch."""
    return write_outs(_running_extremum(input, dim, True, "cummax"), out, "cummax")


@export()
def cummin(input, dim, *, out=None):
    """(values, indices): the running minimum along ``dim`` and where it was (see ``cummax``)."""
    return write_outs(_running_extremum(input, dim, False, "cummin"), out, "cummin")


# ------------------------------------------------------------- differences and the trapezoidal rule
def _neighbours(x, axis):
    """(x[..., 1:, ...], x[..., :-1, ...]) along ``axis``: the right and left elements of each pair."""
    length = x.shape[axis] - 1
    return x.narrow(axis, 1, length), x.narrow(axis, 0, length)


@export()
def diff(input, n=1, dim=-1, prepend=None, append=None, *, out=None):
    """The n-th forward difference along ``dim``: x[i + 1] - x[i], applied n times (bools: x[i + 1] != x[i]);
    ``prepend`` and ``append`` are joined to input along ``dim`` first. A composition of slices."""
    check_tensor(input, "diff")
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"diff expects n to be non-negative, got {n}")
    axis = dim_index(dim, input.ndim, "diff")
    parts = [t for t in (prepend, input, append) if t is not None]
    if len(parts) > 1:
        for t in parts:
            if check_tensor(t, "diff").ndim != input.ndim:
                raise RuntimeError(f"diff expects prepend or append to be the same dimension as input "
                                   f"({input.ndim}), got {t.ndim}")
            if any(a != b for d, (a, b) in enumerate(zip(t.shape, input.shape)) if d != axis):
                raise RuntimeError(f"diff expects the shape of prepend or append, {tuple(t.shape)}, to match the "
                                   f"input's {tuple(input.shape)} except along dim {dim}")
        from backprop.ops.join import cat  # join sits beside scan; imported when first needed
        input = cat(parts, axis)
    for _ in range(n):
        if input.shape[axis] == 0:
            break
        right, left = _neighbours(input, axis)
        input = right != left if input.dtype.kind == "b" else right - left
    return write_out(input, out, "diff")


def _spacing(y, x, dx, dim, op):
    """The widths of the trapezoids: x[i + 1] - x[i] along ``axis`` (a 1-d x along y's ``axis``), or ``dx``."""
    if x is None:
        return 1 if dx is None else dx
    if dx is not None:
        raise RuntimeError(f"{op}(): give either x or dx, not both")
    if not isinstance(x, Tensor):  # torch: a number for x is a spacing too
        return x
    axis = dim_index(dim, y.ndim, op)
    if x.ndim == 1 and y.ndim != 1:
        if x.shape[0] != y.shape[axis]:
            raise RuntimeError(f"{op}(): there must be one x ({x.shape[0]}) for each y ({y.shape[axis]}) "
                               f"along dim {axis}")
        widths = diff(x)
        return widths.reshape([-1 if d == axis else 1 for d in range(y.ndim)])
    return diff(x, dim=dim)


@export(method=False)
def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The integral of y along ``dim`` by the trapezoidal rule: sum_i (x[i+1] - x[i]) (y[i] + y[i+1]) / 2, with
    the points ``x`` or a constant spacing ``dx`` (1 by default)."""
    axis = _axis(y, dim, "trapezoid")
    if y.ndim == 0:
        raise IndexError("trapezoid(): expected y of at least one dimension, got a 0-d tensor")
    widths = _spacing(y, x, dx, dim, "trapezoid")
    if isinstance(widths, Tensor):
        right, left = _neighbours(y, axis)
        return (widths * (right + left)).sum(axis) / 2
    if y.shape[axis] == 0:  # no trapezoids: zeros, without a graph (as torch)
        return (y.sum(axis) * 0.0).detach()
    return (y.sum(axis) - (y.select(axis, 0) + y.select(axis, -1)) * 0.5) * widths


@export(method=False)
def trapz(y, x=None, *, dx=None, dim=-1):
    """trapezoid's older name: ``trapz(y, x, dim=-1)`` or ``trapz(y, dx=1, dim=-1)``."""
    return trapezoid(y, x, dx=dx, dim=dim)


@export(method=False)
def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running integrals of the trapezoidal rule along ``dim``: one fewer than y along it."""
    axis = _axis(y, dim, "cumulative_trapezoid")
    if y.ndim == 0:
        raise IndexError("cumulative_trapezoid(): expected y of at least one dimension, got a 0-d tensor")
    widths = _spacing(y, x, dx, dim, "cumulative_trapezoid")
    right, left = _neighbours(y, axis) if y.shape[axis] else (y, y)
    if isinstance(widths, Tensor):
        return cumsum(widths * (left + right), axis) / 2
    return cumsum(widths / 2 * (left + right), axis)
