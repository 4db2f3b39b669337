"""Writing values into positions of a copy: scatter, scatter_add, scatter_reduce, index_add, index_copy,
index_fill, index_put, masked_scatter.

Each is ``y = x`` with some positions replaced or combined with the values of a source. Most are written
with other ops (a placement ``IndexPut`` of the source into zeros, then ``where`` or ``+``), so that their
gradients and second derivatives come from those ops: dL/dx is dL/dy where x's value survives, and the
source gets dL/dy read back at the positions it went to (a source element that lost to a later write of the
same position still gets it, as in torch). The products and extrema of ``scatter_reduce`` have Functions
of their own.
"""
from backprop import backend
from backprop import dtypes
from backprop.autograd import Function
from backprop.ops.indexing import (IndexPut, axis_key, broadcast_shape, check_index, check_range, dim_key,
                                   getitem, write_out)
from backprop.ops.manifest import export
from backprop.ops.selection import masked_fill, where
from backprop.ops.util import check_tensor, dim_index
from backprop.tensor import Tensor


class ScatterProd(Function):
    """y = x with y[p] = x[p] * prod of the s_k sent to p (``include_self=False``: without x[p]).

    dL/dx[p] = dL/dy[p] * prod_k s_k: y[p] with x[p] replaced by 1. dL/ds_k = dL/dy[p] * y[p] / s_k for a
    non-zero s_k; for the one zero s_k at p, y[p] with s_k replaced by 1 (as torch; with two zeros at p
    both get 0, whose own derivative torch does not offer either).
    """

    def forward(self, x, s, key, include_self):
        self.key, self.include_self = key, include_self
        xp = backend.array_module(x)
        self.touched = _touched(key, x.shape, xp)
        out = x.copy()
        if not include_self:
            out[key] = 1
        xp.multiply.at(out, key, s)
        self.save_for_backward(x, s, out)
        return out

    def backward(self, grad):
        x, s, y = self.saved_tensors
        xp = backend.array_module(grad)
        key, include_self = self.key, self.include_self
        s_zero = s == 0
        single = s_zero & (IndexPut.call(xp.where(s_zero, 1, 0), key=key, shape=x.shape)[key] == 1)
        without = ScatterProd.call(x, xp.where(single, 1, s), key=key, include_self=include_self)
        grad_s = xp.where(single, (grad * without)[key], (grad * y)[key] / xp.where(s_zero, 1, s))
        if not include_self:
            return xp.where(self.touched, 0, grad), grad_s
        x_one = xp.where(x == 0, 1, x)
        return grad * ScatterProd.call(x_one, s, key=key, include_self=True) / x_one, grad_s


class ScatterExtremum(Function):
    """y = x with y[p] = max (``largest``; else min) of x[p] and the s_k sent to p (``include_self=False``:
    without x[p]). dL/dy[p] goes to the values equal to y[p], shared evenly among ties; as torch, an x[p]
    equal to y[p] counts as a tie even when it is not included (its share is then lost)."""

    def forward(self, x, s, key, include_self, largest):
        xp = backend.array_module(x)
        self.key, self.include_self = key, include_self
        self.touched = _touched(key, x.shape, xp)
        out = x.copy()
        if not include_self:
            out[key] = _lowest(x.dtype, largest)
        (xp.maximum if largest else xp.minimum).at(out, key, s)
        self.save_for_backward(x, s, out)
        return out

    def backward(self, grad):
        x, s, y = self.saved_tensors
        xp = backend.array_module(grad)
        key = self.key
        touched = self.touched
        s_wins = s == y[key]
        x_wins = x == y
        count = IndexPut.call(xp.where(s_wins, 1, 0), key=key, shape=x.shape) + xp.where(x_wins, 1, 0)
        share = grad / xp.where(count == 0, 1, count)
        grad_s = xp.where(s_wins, share[key], 0)
        grad_x = xp.where(touched, xp.where(x_wins, share, 0), grad) if self.include_self else \
            xp.where(touched, 0, grad)
        return grad_x, grad_s


def _touched(key, shape, xp):
    """A bool array of ``shape``: True at the positions ``key`` names."""
    mask = xp.zeros(shape, dtype=bool)
    mask[key] = True
    return mask


def _lowest(dtype, largest):
    """The identity of max (``largest``) or min in ``dtype``: -inf/+inf, or the integer extremes."""
    if dtype.kind == "f":
        return -backend.numpy.inf if largest else backend.numpy.inf
    if dtype.kind == "b":
        return not largest
    info = backend.numpy.iinfo(dtype)
    return info.min if largest else info.max


def _placed(source, key, shape, unique=False):
    """zeros(shape) with ``source`` placed at ``key`` (added where a position repeats, unless ``unique``)."""
    return IndexPut.apply(source, key=key, shape=shape, unique=unique)


def _check_scatter(input, dim, index, src, op):
    """torch's checks of scatter's arguments; returns (axis, the key of index's positions, src cut to index's
    shape or the value)."""
    check_tensor(input, op)
    check_index(index, op)
    axis = dim_index(dim, input.ndim, op)
    ndim = max(input.ndim, 1)
    if max(index.ndim, 1) != ndim:
        raise RuntimeError(f"{op}(): index has {index.ndim} dimensions but self has {input.ndim}")
    shape = input.shape or (1,)
    index_shape = index.shape or (1,)
    for d, (n_index, n_input) in enumerate(zip(index_shape, shape)):
        if d != axis and n_index > n_input:
            raise RuntimeError(f"{op}(): expected index {tuple(index.shape)} to be smaller than self {tuple(input.shape)} "
                               f"apart from dimension {dim}")
    if isinstance(src, Tensor):
        if max(src.ndim, 1) != ndim or any(n_index > n for n_index, n in zip(index_shape, src.shape or (1,))):
            raise RuntimeError(f"{op}(): expected index {tuple(index.shape)} to be smaller than src {tuple(src.shape)}")
        if src.dtype != input.dtype:
            raise RuntimeError(f"{op}(): expected self and src to have the same dtype, got {input.dtype} "
                               f"and {src.dtype}")
        src = src.reshape(index_shape) if src.ndim == 0 else src
        if src.shape != index_shape:
            src = getitem(src, tuple(slice(0, n) for n in index_shape))
    check_range(index._data, shape[axis], op)
    return axis, axis_key(index._data.reshape(index_shape), axis), src


def _as_shape(result, input):
    """A 0-d input's result (computed as one element) back to 0-d."""
    return result.reshape(()) if input.ndim == 0 and result.ndim else result


def _one_d(input):
    return input.reshape(1) if input.ndim == 0 else input


def _fill(input, mask, value):
    """``value`` (a number or Tensor) where ``mask`` (a bool array), ``input`` elsewhere, in input's dtype."""
    return masked_fill(input, Tensor._make(mask), value)


@export(inplace=True)
def scatter(input, dim, index, src=None, *, value=None, reduce=None, out=None):
    """y = input with y[index[i][j]][j] = src[i][j] (dim 0; likewise for other dims), or ``value`` there;
    ``reduce="add"``/``"multiply"`` combines instead of replacing. A position named twice gets one of its
    values (which one is unspecified, as in torch); every src element gets dL/dy read at its position."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter() missing the values to write: src (a Tensor) or value (a number)")
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError(f"scatter(): reduce argument must be either add or multiply, got {reduce!r}")
        if not isinstance(src, Tensor):
            src = Tensor._make(backend.array_module(input._data).full(index.shape, src, dtype=input.dtype))
        return scatter_reduce(input, dim, index, src, "sum" if reduce == "add" else "prod", out=out)
    axis, key, src = _check_scatter(input, dim, index, src, "scatter")
    xp = backend.array_module(input._data)
    shape = input.shape or (1,)
    mask = _touched(key, shape, xp)
    if isinstance(src, Tensor):
        result = where(Tensor._make(mask), _placed(src, key, shape, unique=True), _one_d(input))
    else:
        result = _fill(_one_d(input), mask, src)
    return write_out(_as_shape(result, input), out, "scatter")


@export(inplace=True)
def scatter_add(input, dim, index, src, *, out=None):
    """y = input with src[i][j] added at y[index[i][j]][j] (dim 0); a repeated position collects every value.
    dL/dinput = dL/dy, dL/dsrc[i][j] = dL/dy[index[i][j]][j]."""
    axis, key, src = _check_scatter(input, dim, index, src, "scatter_add")
    result = _one_d(input) + _placed(src, key, input.shape or (1,))
    return write_out(_as_shape(result, input), out, "scatter_add")


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


@export(inplace=True)
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True, out=None):
    """y = input with y[p] = reduce(input[p] (if ``include_self``), the src values sent to p), reduce one of
    sum, prod, mean, amax, amin; positions no index names keep input's value. Integer means round down."""
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # torch's forward takes these too
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"scatter_reduce(): reduce argument must be one of {', '.join(_REDUCTIONS)}, "
                           f"got {reduce!r}")
    axis, key, src = _check_scatter(input, dim, index, src, "scatter_reduce")
    check_tensor(src, "scatter_reduce")
    shape = input.shape or (1,)
    x = _one_d(input)
    xp = backend.array_module(input._data)
    mask = Tensor._make(_touched(key, shape, xp))
    if reduce == "sum":
        placed = _placed(src, key, shape)
        result = x + placed if include_self else where(mask, placed, x)
    elif reduce == "mean":
        total = _placed(src, key, shape)
        count = IndexPut.call(xp.ones(src.shape, dtype=input.dtype), key=key, shape=shape)
        if include_self:
            total, count = total + x, count + 1
        count = xp.where(count == 0, 1, count).astype(input.dtype)
        if dtypes.is_floating(input.dtype):
            mean = total / Tensor._make(count)
        else:
            mean = Tensor._make(total._data // count)
        result = where(mask, mean, x)
    elif reduce == "prod":
        result = ScatterProd.apply(x, src, key=key, include_self=include_self)
    else:
        result = ScatterExtremum.apply(x, src, key=key, include_self=include_self, largest=reduce == "amax")
    return write_out(_as_shape(result, input), out, "scatter_reduce")


def _check_index_op(input, dim, index, source, op):
    """(axis, key) of the index_* ops: ``index`` 1-D int64 naming slices of ``input`` along ``dim``; ``source``
    (a Tensor or None) holds one slice per index."""
    check_tensor(input, op)
    check_index(index, op)
    if index.ndim > 1:
        raise IndexError(f"{op}(): index must be a vector (0-d or 1-d), got {index.ndim} dimensions")
    axis = dim_index(dim, input.ndim, op)
    size = input.shape[axis] if input.ndim else 1
    check_range(index._data, size, op)
    positions = index._data.reshape(-1)
    if source is not None:
        check_tensor(source, op)
        expected = list(input.shape or (1,))
        expected[axis] = positions.size
        if list(source.shape or (1,)) != expected and not (source.ndim == 0 and positions.size == 1):
            raise RuntimeError(f"{op}(): source {tuple(source.shape)} must have the shape of self {tuple(input.shape)} with "
                               f"dimension {dim} of size {positions.size} (the number of indices)")
        if source.dtype != input.dtype:
            raise RuntimeError(f"{op}(): self ({input.dtype}) and source ({source.dtype}) must have the same "
                               "dtype")
    return axis, dim_key(axis, positions)


@export(inplace=True)
def index_add(input, dim, index, source, *, alpha=1, out=None):
    """y = input with alpha * source[i] added to the slice index[i] along ``dim`` (repeated indices add up).
    dL/dinput = dL/dy, dL/dsource[i] = alpha * dL/dy at slice index[i]."""
    axis, key = _check_index_op(input, dim, index, source, "index_add")
    x = _one_d(input)
    source = source.reshape(_source_shape(x, axis, key)) if source.ndim == 0 else source
    if alpha != 1:
        source = source * alpha
    return write_out(_as_shape(x + _placed(source, key, x.shape), input), out, "index_add")


def _source_shape(x, axis, key):
    shape = list(x.shape)
    shape[axis] = key[axis].size
    return tuple(shape)


@export(inplace=True)
def index_copy(input, dim, index, source, *, out=None):
    """y = input with its slice index[i] along ``dim`` replaced by source[i]. dL/dinput is dL/dy with those
    slices zeroed, dL/dsource[i] = dL/dy at slice index[i]."""
    axis, key = _check_index_op(input, dim, index, source, "index_copy")
    x = _one_d(input)
    source = source.reshape(_source_shape(x, axis, key)) if source.ndim == 0 else source
    mask = _touched(key, x.shape, backend.array_module(x._data))
    result = where(Tensor._make(mask), _placed(source, key, x.shape, unique=True), x)
    return write_out(_as_shape(result, input), out, "index_copy")


@export(inplace=True)
def index_fill(input, dim, index, value):
    """y = input with the slices index[i] along ``dim`` set to ``value`` (a number or a 0-d Tensor, which gets
    the sum of dL/dy over those slices)."""
    axis, key = _check_index_op(input, dim, index, None, "index_fill")
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"index_fill(): only a 0-d value tensor is supported, got {value.ndim} dimensions")
    x = _one_d(input)
    return _as_shape(_fill(x, _touched(key, x.shape, backend.array_module(x._data)), value), input)


@export(inplace=True)
def index_put(input, indices, values, accumulate=False):
    """y = input with y[indices] = values (``indices`` a tuple of int64 or bool tensors, as ``x[indices]``
    reads; values broadcast), or ``+= values`` with ``accumulate`` (repeated positions add up)."""
    check_tensor(input, "index_put")
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): indices must be a tuple of Tensors, got {type(indices).__name__}")
    key = []
    for i in indices:
        if i is None:
            key.append(slice(None))
        else:
            key.append(check_index(i, "index_put", allow_bool=True)._data)
    key = tuple(key)
    check_tensor(values, "index_put")
    if values.dtype != input.dtype:
        raise RuntimeError(f"index_put(): values ({values.dtype}) must have the dtype of self ({input.dtype})")
    xp = backend.array_module(input._data)
    try:
        region = xp.broadcast_to(xp.zeros((), dtype=bool), input.shape)[key].shape
    except IndexError as error:
        raise IndexError(f"index_put(): indices do not fit a tensor of shape {tuple(input.shape)}: {error}") from None
    try:
        values = values.expand(*region) if values.shape != region else values
    except ValueError:
        raise RuntimeError(f"index_put(): values of shape {tuple(values.shape)} cannot be broadcast to the indexed "
                           f"shape {region}") from None
    if accumulate:
        return input + _placed(values, key, input.shape)
    mask = _touched(key, input.shape, xp)
    return where(Tensor._make(mask), _placed(values, key, input.shape, unique=True), input)


@export(inplace=True)
def masked_scatter(input, mask, source):
    """y = input with the positions where ``mask`` (bool, broadcast) is True filled, in order, by the first
    elements of ``source``; dL/dsource holds dL/dy at those positions (in order), 0 for the unused rest."""
    check_tensor(input, "masked_scatter")
    check_tensor(mask, "masked_scatter")
    check_tensor(source, "masked_scatter")
    if mask.dtype.kind != "b":
        raise RuntimeError(f"masked_scatter(): expected a bool mask, got {mask.dtype}")
    if source.dtype != input.dtype:
        raise RuntimeError(f"masked_scatter(): expected source ({source.dtype}) to have the dtype of self "
                           f"({input.dtype})")
    shape = broadcast_shape(input.shape, mask.shape, "masked_scatter")
    xp = backend.array_module(mask._data)
    key = xp.broadcast_to(mask._data, shape)
    count = int(key.sum())
    if count > source.numel():
        raise RuntimeError(f"masked_scatter(): the mask selects {count} elements but source has only "
                           f"{source.numel()}")
    values = getitem(source.reshape(-1), slice(0, count))
    x = input.expand(*shape) if input.shape != shape else input
    return where(Tensor._make(key), _placed(values, key, shape, unique=True), x)
