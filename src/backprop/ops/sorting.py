"""Order statistics and counting: sort, argsort, msort, topk, kthvalue, median, nanmedian, mode, quantile,
nanquantile, unique, unique_consecutive, bincount, histc, histogram, searchsorted, bucketize.

The values an order statistic selects are ``take_along`` the input at the chosen indices, so dL/dx is dL/dy
added at those positions (torch's gradient of sort, topk, kthvalue, median and mode along a dim); quantile is
that plus a linear interpolation. The counting ops give integers and are not differentiable, as in torch.
Sorting is stable: ties keep their order (nan sorts as the largest value, as torch).
"""
from fractions import Fraction

from backprop import backend
from backprop import dtypes
from backprop.ops.manifest import export
from backprop.ops.indexing import Gather
from backprop.ops.reduction import Median, Nanmedian, return_type, return_types, write_outs
from backprop.ops.util import check_tensor, dim_index
from backprop.tensor import Tensor

_int64 = dtypes.int64


def take_along(input, index, axis):
    """``input``'s values at ``index`` (an int64 array of input's ndim) along ``axis``; differentiable: dL/dx adds
    dL/dy at those positions. A 0-d input takes a 0-d index."""
    if input.ndim == 0:
        return Gather.apply(input.reshape(1), index=index.reshape(1), axis=0).reshape(())
    return Gather.apply(input, index=index, axis=axis)


def _order(data, axis, descending=False):
    """The stable argsort of ``data`` along ``axis`` (int64; nan last ascending, first descending)."""
    xp = backend.array_module(data)
    if data.ndim == 0:
        return xp.zeros((), dtype=_int64)
    if not descending:
        return xp.argsort(data, axis=axis, kind="stable").astype(_int64, copy=False)
    # descending and stable: the ascending order of the reversed data, reversed (ties then keep their order)
    order = xp.flip(xp.argsort(xp.flip(data, axis), axis=axis, kind="stable"), axis)
    return (data.shape[axis] - 1 - order).astype(_int64, copy=False)


def _axis(input, dim, op):
    check_tensor(input, op)
    return dim_index(dim, input.ndim, op)


@export()
def sort(input, dim=-1, descending=False, *, stable=False, out=None):
    """(values, indices) sorted along ``dim`` (stable whatever ``stable`` says: ties keep their order)."""
    axis = _axis(input, dim, "sort")
    index = _order(input._data, axis, descending)
    result = return_types.sort(take_along(input, index, axis), Tensor._make(index))
    return write_outs(result, out, "sort")


@export()
def argsort(input, dim=-1, descending=False, *, stable=False):
    """The indices that sort ``input`` along ``dim`` (stable)."""
    return Tensor._make(_order(input._data, _axis(input, dim, "argsort"), descending))


@export()
def msort(input, *, out=None):
    """``input`` sorted along its first dim (``sort(input, 0).values``)."""
    return write_outs(sort(input, 0).values, out, "msort")


def _positions(index, axis, chosen):
    """``index`` (a sort order) at position(s) ``chosen`` along ``axis`` (an int, or an array of the kept shape)."""
    xp = backend.array_module(index)
    if index.ndim == 0:
        return index
    if isinstance(chosen, int):
        return xp.take(index, [chosen], axis=axis)
    return xp.take_along_axis(index, chosen, axis)


def _selected(input, index, axis, keepdim, kind):
    """The ``return_types.<kind>`` (values, indices) of ``index`` (kept shape) along ``axis``."""
    values = take_along(input, index, axis)
    if not keepdim and input.ndim:
        values, index = values.squeeze(axis), index.squeeze(axis)
    return getattr(return_types, kind)(values, Tensor._make(index))


@export()
def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    """(values, indices) of the ``k`` largest (``largest=False``: smallest) along ``dim``, in order."""
    axis = _axis(input, dim, "topk")
    size = input.shape[axis] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"topk(): k ({k}) is out of range for dim {dim} of size {size}")
    index = _order(input._data, axis, descending=largest)
    if input.ndim:
        index = backend.array_module(index).take(index, range(k), axis=axis)
    result = return_types.topk(take_along(input, index, axis), Tensor._make(index))
    return write_outs(result, out, "topk")


@export()
def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    """(values, indices) of the k-th smallest element along ``dim`` (k from 1)."""
    axis = _axis(input, dim, "kthvalue")
    size = input.shape[axis] if input.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): k ({k}) is out of range for dim {dim} of size {size}")
    index = _positions(_order(input._data, axis), axis, k - 1)
    return write_outs(_selected(input, index, axis, keepdim, "kthvalue"), out, "kthvalue")


def _median(input, dim, keepdim, ignore_nan, op):
    check_tensor(input, op)
    data = input._data
    xp = backend.array_module(data)
    if dim is None:  # one value; dL/dy is shared by the elements equal to it, as torch
        flat = data.reshape(-1)
        valid = int((~xp.isnan(flat)).sum()) if ignore_nan else flat.size
        if not valid or not ignore_nan and xp.isnan(flat).any():  # nan, as torch (empty: nan too)
            with backend.errstate():  # an integer tensor: nan cast, as torch's (the smallest int64)
                value = xp.asarray(float("nan")).astype(data.dtype)
        else:
            value = xp.sort(flat)[max(valid - 1, 0) // 2]
        return (Nanmedian if ignore_nan else Median).apply(input, value=value.reshape((1,) * data.ndim), axes=None,
                                                           keepdim=False)
    axis = _axis(input, dim, op)
    if input.ndim and data.shape[axis] == 0:
        raise IndexError(f"{op}(): dim {dim} has size 0, so there is no median")
    order = _order(data, axis)
    if data.ndim == 0:
        return _selected(input, order, axis, keepdim, op)
    nan = xp.isnan(data) if data.dtype.kind == "f" else xp.zeros(data.shape, dtype=bool)
    if ignore_nan:  # the lower median of the values that are not nan (sorted first); all nan: the first
        valid = (~nan).sum(axis=axis, keepdims=True)
        index = _positions(order, axis, xp.maximum(valid - 1, 0) // 2)
    else:  # a slice with a nan: its median is nan, at the first nan
        index = _positions(order, axis, (data.shape[axis] - 1) // 2)
        first_nan = xp.expand_dims(xp.argmax(nan, axis=axis), axis).astype(_int64)
        index = xp.where(nan.any(axis=axis, keepdims=True), first_nan, index)
    return _selected(input, index, axis, keepdim, op)


@export()
def median(input, dim=None, keepdim=False, *, out=None):
    """The lower median: of all elements (a tensor; nan if one is nan), or (values, indices) along ``dim``."""
    return write_outs(_median(input, dim, keepdim, False, "median"), out, "median")


@export()
def nanmedian(input, dim=None, keepdim=False, *, out=None):
    """``median`` of the elements that are not nan (nan where all are)."""
    return write_outs(_median(input, dim, keepdim, True, "nanmedian"), out, "nanmedian")


@export()
def mode(input, dim=-1, keepdim=False, *, out=None):
    """(values, indices): the most frequent value along ``dim`` (the smallest of equally frequent ones) and
    the index of its last occurrence, as torch."""
    axis = _axis(input, dim, "mode")
    data = input._data
    xp = backend.array_module(data)
    if data.ndim and data.shape[axis] == 0:
        raise IndexError(f"mode(): dim {dim} has size 0, so there is no mode")
    order = _order(data, axis)
    if data.ndim == 0:
        return write_outs(_selected(input, order, axis, keepdim, "mode"), out, "mode")
    ranked = xp.take_along_axis(data, order, axis)
    n = data.shape[axis]
    positions = xp.arange(n).reshape([n if i == axis else 1 for i in range(data.ndim)])
    starts = xp.ones(data.shape, dtype=bool)  # where a run of equal values starts in sorted order
    later = [slice(None)] * data.ndim
    earlier = list(later)
    later[axis], earlier[axis] = slice(1, None), slice(None, -1)
    starts[tuple(later)] = ranked[tuple(later)] != ranked[tuple(earlier)]
    run_start = xp.maximum.accumulate(xp.where(starts, positions, 0), axis=axis)
    # the first position where a run reaches the greatest length is the end of the smallest most frequent
    # value's run, whose stable order puts its last occurrence there
    end = xp.expand_dims(xp.argmax(positions - run_start, axis=axis), axis)
    index = xp.take_along_axis(order, end, axis)
    return write_outs(_selected(input, index, axis, keepdim, "mode"), out, "mode")


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, op):
    """torch's quantile: sort, then interpolate between the two values around rank q (n - 1)."""
    check_tensor(input, op)
    if input.dtype.kind != "f":
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype, got {input.dtype}")
    xp = backend.array_module(input._data)
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{op}(): interpolation must be one of {', '.join(_INTERPOLATIONS)}, got {interpolation!r}")
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{op}(): q must be a scalar or a 1D tensor, got {q.ndim} dimensions")
        if q.dtype != input.dtype:
            raise RuntimeError(f"{op}(): q tensor must be the same dtype as the input tensor ({input.dtype}), "
                               f"got {q.dtype}")
        scalar, qs = q.ndim == 0, q._data.reshape(-1)
    else:
        scalar, qs = not isinstance(q, (list, tuple)), xp.asarray(q, dtype=input.dtype).reshape(-1)
    if not bool(((qs >= 0) & (qs <= 1)).all()):
        raise RuntimeError(f"{op}(): q values must be in the range [0, 1]")
    if input.numel() == 0:
        raise RuntimeError(f"{op}(): input tensor must be non-empty")
    source = input.reshape(-1) if dim is None else input.reshape(input.shape or (1,))
    axis = 0 if dim is None else dim_index(dim, input.ndim, op)
    data = source._data
    n = data.shape[axis]
    nan = xp.isnan(data)
    kept = data.shape[:axis] + (1,) + data.shape[axis + 1:]
    if ignore_nan:
        last = (~nan).sum(axis=axis, keepdims=True) - 1
        ranks = qs.reshape((-1,) + (1,) * data.ndim) * last.astype(data.dtype)
        ranks = xp.where(last < 0, n - 1, ranks)  # all nan: the last (a nan)
    else:
        ranks = xp.broadcast_to(qs.reshape((-1,) + (1,) * data.ndim) * data.dtype.type(n - 1), (len(qs),) + kept)
        ranks = xp.where(nan.any(axis=axis, keepdims=True), n - 1, ranks)  # a nan: the last (a nan)
    ranks = ranks.astype(data.dtype)
    below = xp.floor(ranks).astype(_int64)
    ordered = sort(source, axis).values.unsqueeze(0).expand(len(qs), *data.shape)

    def at(index):
        return take_along(ordered, index, axis + 1)

    if interpolation in ("lower", "higher", "nearest"):
        rounded = {"lower": xp.floor, "higher": xp.ceil, "nearest": xp.round}[interpolation](ranks)
        result = at(rounded.astype(_int64))
    else:
        low, high = at(below), at(xp.ceil(ranks).astype(_int64))
        weight = (ranks - below).astype(data.dtype) if interpolation == "linear" else xp.full_like(ranks, 0.5)
        weight = Tensor._make(weight)
        from backprop.ops.selection import where

        # torch's lerp: from the nearer end, so that weight 1 gives the high value exactly
        result = where(weight < 0.5, low + weight * (high - low), high - (high - low) * (1 - weight))
    if dim is None:
        result = result.reshape((len(qs),) + ((1,) * input.ndim if keepdim else ()))
    elif not keepdim:
        result = result.squeeze(axis + 1) if input.ndim else result.reshape(len(qs))
    elif not input.ndim:
        result = result.reshape(len(qs))
    return result.squeeze(0) if scalar else result


@export()
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """The q-th quantiles along ``dim`` (all elements when None); q a number or a 1-D tensor (a leading dim of
    the result); ``interpolation``: linear, lower, higher, midpoint, nearest. A nan makes its slice nan."""
    return write_outs(_quantile(input, q, dim, keepdim, interpolation, False, "quantile"), out, "quantile")


@export()
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """``quantile`` of the elements that are not nan (nan where all are)."""
    return write_outs(_quantile(input, q, dim, keepdim, interpolation, True, "nanquantile"), out, "nanquantile")


def _unique_result(values, inverse, counts, return_inverse, return_counts, shape):
    xp = backend.array_module(values)
    result = [Tensor._make(values)]
    if return_inverse:
        result.append(Tensor._make(xp.asarray(inverse, dtype=_int64).reshape(shape)))
    if return_counts:
        result.append(Tensor._make(xp.asarray(counts, dtype=_int64)))
    return result[0] if len(result) == 1 else tuple(result)


@export()
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted), with the inverse indices (input's shape: where each element went) and
    the counts when asked; with ``dim``, the distinct slices along it. Not differentiable."""
    check_tensor(input, "unique")
    data = input._data
    xp = backend.array_module(data)
    if dim is None:
        values, inverse, counts = xp.unique(data.reshape(-1), return_inverse=True, return_counts=True)
        return _unique_result(values, inverse, counts, return_inverse, return_counts, data.shape)
    axis = dim_index(dim, input.ndim, "unique")
    values, inverse, counts = xp.unique(data, return_inverse=True, return_counts=True, axis=axis)
    return _unique_result(values, inverse, counts, return_inverse, return_counts, (data.shape[axis],))


@export()
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Each run of equal consecutive values (slices along ``dim``) kept once, with the inverse indices and the
    run lengths when asked. Not differentiable."""
    check_tensor(input, "unique_consecutive")
    data = input._data
    xp = backend.array_module(data)
    axis = 0 if dim is None else dim_index(dim, input.ndim, "unique_consecutive")
    moved = data.reshape(-1) if dim is None else xp.moveaxis(data, axis, 0)
    n = len(moved)
    changed = (moved[1:] != moved[:-1]).any(axis=tuple(range(1, moved.ndim)))
    starts = xp.concatenate([xp.ones(min(n, 1), dtype=bool), changed])
    values = moved[starts]
    values = values if dim is None else xp.moveaxis(values, 0, axis)
    counts = xp.diff(xp.append(xp.flatnonzero(starts), n))
    inverse = xp.cumsum(starts) - 1
    return _unique_result(values, inverse, counts, return_inverse, return_counts, data.shape if dim is None else (n,))


@export()
def bincount(input, weights=None, minlength=0):
    """counts[i] = the number of times i occurs in the 1-D non-negative integer ``input`` (with ``weights``:
    their sum; float32 weights give float32, others float64, as torch). Not differentiable."""
    check_tensor(input, "bincount")
    if input.ndim != 1 or input.dtype.kind not in "biu":
        raise RuntimeError(f"bincount() expected a 1-D integer tensor, got {input.ndim}-D {input.dtype}")
    data = input._data
    xp = backend.array_module(data)
    if data.size and data.min() < 0:
        raise RuntimeError("bincount() expected the input to hold non-negative values only")
    if weights is None:
        return Tensor._make(xp.bincount(data, minlength=minlength).astype(_int64))
    check_tensor(weights, "bincount")
    if weights.shape != input.shape:
        raise RuntimeError(f"bincount(): weights of shape {tuple(weights.shape)} should have the input's "
                           f"shape {tuple(input.shape)}")
    dtype = dtypes.float32 if weights.dtype == dtypes.float32 else dtypes.float64
    return Tensor._make(xp.bincount(data, weights._data.astype(dtypes.float64), minlength).astype(dtype))


@export()
def histc(input, bins=100, min=0, max=0, *, out=None):
    """Counts of the elements in ``bins`` equal bins over [min, max] (both 0: the data's range), in input's
    floating point dtype; elements outside are not counted. Not differentiable."""
    check_tensor(input, "histc")
    if not dtypes.is_floating(input.dtype):
        raise NotImplementedError(f"histc() is not implemented for {input.dtype}; convert with .float()")
    if bins <= 0:
        raise RuntimeError(f"histc(): bins must be > 0, got {bins}")
    data = input._data.reshape(-1)
    xp = backend.array_module(data)
    low, high = float(min), float(max)
    if low == high and data.size:
        low, high = float(data.min()), float(data.max())
    if low == high:
        low, high = low - 1, high + 1
    if low > high:
        raise RuntimeError(f"histc(): max ({max}) must be larger than min ({min})")
    if not (backend.numpy.isfinite(low) and backend.numpy.isfinite(high)):
        raise RuntimeError(f"histc(): range of [{low}, {high}] is not finite")
    inside = data[(data >= low) & (data <= high)]
    edges = xp.linspace(low, high, bins + 1).astype(data.dtype)
    # torch: the bin from the linear position, corrected by one against the edges themselves
    position = ((inside - data.dtype.type(low)) * data.dtype.type(bins) / data.dtype.type(high - low)).astype(_int64)
    position = xp.clip(position, 0, bins - 1)
    position = xp.where(inside < edges[position], position - 1, position)
    above = (position + 1 < bins) & (inside >= edges[xp.minimum(position + 1, bins)])
    position = xp.where(above, position + 1, position)
    counts = xp.bincount(xp.clip(position, 0, bins - 1), minlength=bins).astype(data.dtype)
    return write_outs(Tensor._make(counts), out, "histc")


def _search(sequence, values, right, side, out_int32, sorter, op):
    """The index where each of ``values`` goes in the sorted last dim of ``sequence`` (after the equal ones
    with ``right``)."""
    check_tensor(sequence, op)
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"{op}(): side can only be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise RuntimeError(f"{op}(): side and right can't be set to opposites, got side of left while right "
                               "was True")
        right = side == "right"
    seq = sequence._data
    xp = backend.array_module(seq)
    scalar = not isinstance(values, Tensor)
    vals = xp.asarray(values) if scalar else values._data
    if sorter is not None:
        seq = xp.take_along_axis(seq, sorter._data, -1)
    side = "right" if right else "left"
    if seq.ndim <= 1:
        found = xp.searchsorted(seq.reshape(-1), vals, side=side)
    else:
        if vals.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(f"{op}(): the leading dims of the boundaries {tuple(seq.shape)} and of the input "
                               f"{tuple(vals.shape)} must be the same")
        rows, width = seq.reshape(-1, seq.shape[-1]), vals.shape[-1]
        found = xp.stack([xp.searchsorted(row, v, side=side) for row, v in zip(rows, vals.reshape(-1, width))])
        found = found.reshape(vals.shape)
    return Tensor._make(xp.asarray(found, dtype=dtypes.int32 if out_int32 else _int64))


@export(method=False)
def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None, out=None, sorter=None):
    """For each value, the index in the sorted last dim of ``sorted_sequence`` where it would go
    (``right``/``side='right'``: after the equal ones); ``sorter``: the indices that sort the sequence."""
    result = _search(sorted_sequence, values, right, side, out_int32, sorter, "searchsorted")
    return write_outs(result, out, "searchsorted")


@export(method=False)
def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """For each element, the index of its bucket among the 1-D sorted ``boundaries``: i with
    boundaries[i-1] < x <= boundaries[i] (``right``: boundaries[i-1] <= x < boundaries[i])."""
    check_tensor(boundaries, "bucketize")
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize(): boundaries must be 1-D, got {boundaries.ndim} dimensions")
    return write_outs(_search(boundaries, input, right, None, out_int32, None, "bucketize"), out, "bucketize")


return_types.histogram = return_type("histogram", ("hist", "bin_edges"))


def _linear_edges(xp, low, high, bins, dtype):
    """``bins + 1`` equally spaced edges from low to high in ``dtype``, as torch's linspace: the first half
    low + i * step, the second high - (bins - i) * step, step = (high - low) / bins in ``dtype``, each edge
    rounded once (torch's CPU kernel fuses the multiply and the add)."""
    low, high = dtype.type(low), dtype.type(high)
    step = (high - low) / dtype.type(bins)
    i = xp.arange(bins + 1)
    first = i < (bins + 1) // 2
    if dtype.itemsize < 8:  # float64 holds each exact product and sum of float32 numbers: one rounding at the end
        wide = xp.where(first, float(low) + float(step) * i, float(high) - float(step) * (bins - i))
        return wide.astype(dtype)
    # float64: the fused result, computed exactly with fractions and rounded once (there are only bins + 1)
    exact = [Fraction(low) + Fraction(step) * k if k < (bins + 1) // 2 else Fraction(high) - Fraction(step) * (bins - k)
             for k in range(bins + 1)]
    return xp.asarray([float(value) for value in exact], dtype=dtype)


@export()
def histogram(input, bins, *, range=None, weight=None, density=False, out=None):
    """(hist, bin_edges): the number (or summed ``weight``) of input's elements in each bin [e_i, e_i+1) (the last
    bin closed), ``bins`` equal bins over ``range`` (the data's range by default) or the edges given as a 1-D
    tensor; ``density``: hist / (total * bin width). Not differentiable."""
    check_tensor(input, "histogram")
    if not dtypes.is_floating(input.dtype):
        raise NotImplementedError(f"histogram() is not implemented for {input.dtype}; convert with .float()")
    data = input._data.reshape(-1)
    xp = backend.array_module(data)
    if isinstance(bins, Tensor):
        if range is not None:
            raise TypeError("histogram(): range can't be given with bin edges as a tensor")
        if bins.ndim != 1 or bins.shape[0] < 1:
            raise RuntimeError(f"histogram(): bins must be a 1-D tensor of at least 1 edge, got shape {bins.shape}")
        edges = bins._data.astype(data.dtype)
    else:
        if bins <= 0:
            raise RuntimeError(f"histogram(): bins must be > 0, got {bins}")
        if range is not None:
            low, high = float(range[0]), float(range[1])
        else:
            low, high = (float(data.min()), float(data.max())) if data.size else (0.0, 1.0)
        if not (backend.numpy.isfinite(low) and backend.numpy.isfinite(high)):
            raise RuntimeError(f"histogram(): range of [{low}, {high}] is not finite")
        if low > high:
            raise RuntimeError(f"histogram(): max ({high}) must be larger than min ({low})")
        if low == high:
            low, high = low - 0.5, high + 0.5
        edges = _linear_edges(xp, low, high, bins, data.dtype)
    count = edges.shape[0] - 1
    inside = (data >= edges[0]) & (data <= edges[-1])
    position = xp.minimum(xp.searchsorted(edges, data[inside], side="right") - 1, max(count - 1, 0))
    if weight is not None:
        check_tensor(weight, "histogram")
        if weight.shape != input.shape:
            raise RuntimeError(f"histogram(): weight of shape {tuple(weight.shape)} should have the input's "
                               f"shape {tuple(input.shape)}")
        weights = weight._data.reshape(-1)[inside].astype(xp.float64)
    else:
        weights = None
    hist = xp.bincount(position, weights, minlength=count)[:count].astype(data.dtype)
    if density:
        hist = hist / (hist.sum() * xp.diff(edges))
    return write_outs(return_types.histogram(Tensor._make(xp.asarray(hist, dtype=data.dtype)), Tensor._make(edges)), out,
                      "histogram")
