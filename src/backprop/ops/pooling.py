"""Pooling: max and average over sliding windows, adaptive average.

Each window is read as a strided slice of the (padded) input per kernel
offset - a loop over the K kernel offsets, each touching every output
position at once, never a loop over output positions.

Max pooling (Weng et al. 1992; Ranzato et al. 2007):
    y[p] = max_k x_pad[p s + k d],   dL/dx[p s + k* d] += dL/dy[p]
(only the winning position k* of each window receives the gradient; ties go
to the first, as in torch).
Average pooling (LeCun et al. 1989's subsampling):
    y[p] = (1 / |window|) sum_k x_pad[p s + k],   dL/dx[p s + k] += dL/dy[p] / |window|.
"""
import itertools
import math

from backprop import backend
from backprop import dtypes
from backprop.autograd import Function
from backprop.ops.join import Pad
from backprop.ops.linalg import matmul
from backprop.ops.selection import where
from backprop.ops.util import check_tensor, ntuple
from backprop.tensor import Tensor

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d"]


def _geometry(input, kernel_size, stride, padding, dilation, ceil_mode, dims, op):
    """Checked (kernel, stride, padding, dilation, out, extra right padding) per spatial dim."""
    check_tensor(input, op)
    if input.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"{op}: expected input of {dims + 2} dims (N, C, *spatial) or {dims + 1} (C, *spatial), "
                         f"got shape {tuple(input.shape)}")
    kernel = ntuple(kernel_size, dims, "kernel_size", op)
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and not stride) else \
        ntuple(stride, dims, "stride", op)
    padding = ntuple(padding, dims, "padding", op)
    dilation = ntuple(dilation, dims, "dilation", op)
    if any(k < 1 for k in kernel) or any(s < 1 for s in stride) or any(d < 1 for d in dilation):
        raise ValueError(f"{op}: kernel_size, stride and dilation must be positive, got kernel_size={kernel}, "
                         f"stride={stride}, dilation={dilation}")
    if any(p < 0 or p > k // 2 for p, k in zip(padding, kernel)):
        raise ValueError(f"{op}: padding should be at most half of the kernel size, got padding={padding} "
                         f"for kernel_size={kernel}")
    size = input.shape[-dims:]
    out, extra = [], []
    for n, k, s, p, d in zip(size, kernel, stride, padding, dilation):
        span = n + 2 * p - d * (k - 1) - 1
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= n + p:  # the last window must start inside the input or left padding
            o -= 1
        if o < 1:
            raise ValueError(f"{op}: input of spatial size {tuple(size)} with padding {padding} is smaller than "
                             f"the (dilated) kernel {tuple(d_ * (k_ - 1) + 1 for k_, d_ in zip(kernel, dilation))}")
        out.append(o)
        extra.append(max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p)))  # ceil_mode windows past the end
    return kernel, stride, padding, dilation, tuple(out), tuple(extra)


def _taps(kernel, stride, dilation, out):
    """For each kernel offset: the index of the strided slice of the last dims it reads."""
    for offset in itertools.product(*[range(k) for k in kernel]):
        yield (Ellipsis,) + tuple(
            slice(k * d, k * d + s * (o - 1) + 1, s) for k, s, d, o in zip(offset, stride, dilation, out)
        )


def _widths(ndim, padding, extra):
    """Padding (before, after) per dim of an ndim input: ``padding`` on both sides of the last dims, plus the
    ``extra`` that ceil_mode's last windows reach past the end."""
    return ((0, 0),) * (ndim - len(padding)) + tuple((p, p + e) for p, e in zip(padding, extra))


def _pad_last(xp, x, padding, extra, value):
    widths = _widths(x.ndim, padding, extra)
    if any(w for pair in widths for w in pair):
        return xp.pad(x, widths, constant_values=value)
    return x


def _crop_last(dx, padding, size):
    return dx[(Ellipsis,) + tuple(slice(p, p + n) for p, n in zip(padding, size))]


def _disjoint(kernel, stride, dilation):
    """True when no two windows share an input position (stride >= dilated kernel in every dim):
    then each kernel offset's slice of the input is written by one window only."""
    return all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))


def _lowest(xp, dtype):
    return -xp.inf if dtype.kind == "f" else xp.iinfo(dtype).min


def _winners(xp, xpad, taps):
    """(max, index) over the windows: index[p] = the offset whose value is the window's maximum."""
    # index[p] = the last offset i whose value beat the running maximum (a tied window keeps its
    # first maximiser, as in torch). Offsets grow, so that is max_i(i * beat_i): a multiply and a
    # maximum on small integers, much faster than a masked write (index[beat] = i).
    best = xpad[taps[0]].copy()
    index = xp.zeros(best.shape, dtype=xp.uint8 if len(taps) <= 256 else xp.int32)
    for i, tap in enumerate(taps[1:], 1):
        window = xpad[tap]
        beat = (window > best).view(xp.uint8)
        xp.maximum(index, beat * index.dtype.type(i), out=index)
        xp.maximum(best, window, out=best)
    if xpad.dtype.kind == "f" and xp.isnan(best).any():
        index = _nan_index(xp, xpad, taps)
    return best, index


def _nan_index(xp, xpad, taps):
    """Winner indices where windows hold NaN: the first NaN wins (the maximum is NaN, as in torch)."""
    best, index = xpad[taps[0]].copy(), xp.zeros(xpad[taps[0]].shape, dtype=xp.int32)
    for i, tap in enumerate(taps[1:], 1):
        window = xpad[tap]
        wins = (window > best) | (xp.isnan(window) & ~xp.isnan(best))
        best = xp.where(wins, window, best)
        xp.copyto(index, i, where=wins)
    return index


def _pad_tensor(x, padding, extra):
    """x zero-padded like ``_pad_last``, as a recorded op (the decompositions)."""
    return Pad.apply(x, widths=_widths(x.ndim, padding, extra), mode="constant", value=0.0)


class MaxPoolNd(Function):
    """y[p] = max_k x_pad[p s + k d] over the last len(kernel) dims;
    dL/dx[p s + k* d] += dL/dy[p] at the first maximiser k* of each window."""

    def forward(self, x, *, kernel, stride, padding, dilation, out, extra):
        xp = backend.array_module(x)
        xpad = _pad_last(xp, x, padding, extra, _lowest(xp, x.dtype))
        taps = list(_taps(kernel, stride, dilation, out))
        self.geometry = (xpad.shape, x.shape, kernel, stride, padding, dilation, out)
        if not self.needs_input_grad:  # no backward will follow: the maximum only, no winner indices
            best = xpad[taps[0]].copy()
            for tap in taps[1:]:
                xp.maximum(best, xpad[tap], out=best)
            return best
        best, self.index = _winners(xp, xpad, taps)
        return best

    @staticmethod
    def decompose(x, *, kernel, stride, padding, dilation, out, extra):
        """y[p] = x_pad[p s + k* d], the window's winner k* (found on the values, a constant) picked by ``where``."""
        xp = backend.array_module(x._data)
        taps = list(_taps(kernel, stride, dilation, out))
        _, index = _winners(xp, _pad_last(xp, x._data, padding, extra, _lowest(xp, x.dtype)), taps)
        xpad = _pad_tensor(x, padding, extra)
        picked = [where(Tensor._make(index == i), xpad[tap], 0.0) for i, tap in enumerate(taps)]
        return sum(picked[1:], picked[0])

    def backward(self, grad):
        xp = backend.array_module(grad)
        padded_shape, shape, kernel, stride, padding, dilation, out = self.geometry
        dx = xp.zeros(padded_shape, dtype=grad.dtype)
        disjoint = _disjoint(kernel, stride, dilation)
        for i, tap in enumerate(_taps(kernel, stride, dilation, out)):
            if disjoint:  # each slice is this offset's alone: write dL/dy where it won, 0 elsewhere
                xp.multiply(grad, self.index == i, out=dx[tap])
            else:
                dx[tap] += grad * (self.index == i)
        return _crop_last(dx, padding, shape[-len(kernel):])


def _tile_sum(xp, x, kernel, out):
    """Window sums when the windows tile the last dims (stride = kernel, no padding): one dim at a time, that
    dim split into (out, k) (a view) and its k slices added. Same sums as the loop over kernel offsets, with
    fewer and longer passes: the first dims' slices are whole rows."""
    total = x
    first = x.ndim - len(kernel)
    for axis, (k, o) in enumerate(zip(kernel, out), first):
        rows = total[(slice(None),) * axis + (slice(0, o * k),)]
        split = rows.reshape(rows.shape[:axis] + (o, k) + rows.shape[axis + 1:])
        parts = [split[(slice(None),) * (axis + 1) + (j,)] for j in range(k)]
        total = parts[0] + parts[1] if k > 1 else parts[0]
        for part in parts[2:]:
            total += part
    return total


class AvgPoolNd(Function):
    """y[p] = sum_k x_pad[p s + k] / m[p] (m the window size torch divides by);
    dL/dx[p s + k] += dL/dy[p] / m[p]."""

    def forward(self, x, *, kernel, stride, padding, out, extra, divisor):
        xp = backend.array_module(x)
        xpad = _pad_last(xp, x, padding, extra, 0)
        self.divisor = divisor
        self.geometry = (xpad.shape, x.shape, kernel, stride, padding, out)
        if tuple(stride) == tuple(kernel) and xpad is x:  # windows that tile the input (LeNet's 2x2 subsampling)
            return _tile_sum(xp, x, kernel, out) / divisor
        taps = list(_taps(kernel, stride, (1,) * len(kernel), out))
        total = xpad[taps[0]].copy()
        for tap in taps[1:]:
            total += xpad[tap]
        total /= divisor
        return total

    def backward(self, grad):
        xp = backend.array_module(grad)
        padded_shape, shape, kernel, stride, padding, out = self.geometry
        share = grad / self.divisor
        dx = xp.zeros(padded_shape, dtype=grad.dtype)
        disjoint = _disjoint(kernel, stride, (1,) * len(kernel))
        for tap in _taps(kernel, stride, (1,) * len(kernel), out):
            if disjoint:
                dx[tap] = share
            else:
                dx[tap] += share
        return _crop_last(dx, padding, shape[-len(kernel):])

    @staticmethod
    def decompose(x, *, kernel, stride, padding, out, extra, divisor):
        """y[p] = sum_k x_pad[p s + k] / m[p]: a sum of strided slices."""
        xpad = _pad_tensor(x, padding, extra)
        slices = [xpad[tap] for tap in _taps(kernel, stride, (1,) * len(kernel), out)]
        return sum(slices[1:], slices[0]) / divisor


def _avg_divisor(xp, size, kernel, stride, padding, out, count_include_pad, divisor_override, dtype):
    """Per-output-position divisor, torch's rule: windows are clipped to the padded input
    (count_include_pad) or to the input itself; a product of one factor per dim."""
    if divisor_override is not None:
        if not divisor_override:
            raise ValueError("avg_pool: divisor_override must be non-zero, got 0")
        return xp.asarray(divisor_override, dtype=dtype)
    if not any(padding) and all((o - 1) * s + k <= n for n, k, s, o in zip(size, kernel, stride, out)):
        return xp.asarray(math.prod(kernel), dtype=dtype)  # every window inside the input: one count for all
    divisor = xp.ones((), dtype=dtype)
    for axis, (n, k, s, p, o) in enumerate(zip(size, kernel, stride, padding, out)):
        start = xp.arange(o) * s - p
        end = xp.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = xp.maximum(start, 0), xp.minimum(end, n)
        counts = (end - start).astype(dtype)
        divisor = divisor[..., None] * counts.reshape((1,) * axis + (o,))
    return divisor


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, dims, op):
    kernel, stride, padding, dilation, out, extra = _geometry(
        input, kernel_size, stride, padding, dilation, ceil_mode, dims, op)
    if return_indices:
        return _max_pool_with_indices(input, kernel, stride, padding, dilation, out, extra)
    return MaxPoolNd.apply(input, kernel=kernel, stride=stride, padding=padding, dilation=dilation, out=out,
                           extra=extra)


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, dims, op):
    kernel, stride, padding, _, out, extra = _geometry(input, kernel_size, stride, padding, 1, ceil_mode, dims, op)
    if not dtypes.is_floating(input.dtype):
        raise TypeError(f"{op}() expected a floating point tensor, got {input.dtype}")
    xp = backend.array_module(input._data)
    divisor = _avg_divisor(xp, input.shape[-dims:], kernel, stride, padding, out, count_include_pad,
                           divisor_override, input.dtype)
    return AvgPoolNd.apply(input, kernel=kernel, stride=stride, padding=padding, out=out, extra=extra,
                           divisor=divisor)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over sliding windows of the last dim of (N, C, L) or (C, L); stride defaults to kernel_size."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1, "max_pool1d")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """y[n, c, i, j] = max_{a, b} x_pad[n, c, i s_h + a d_h, j s_w + b d_w] over (N, C, H, W) or (C, H, W),
    as torch.nn.functional.max_pool2d (padding with -inf; stride defaults to kernel_size).

    >>> import backprop as bp
    >>> max_pool2d(bp.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2, "max_pool2d")


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over sliding windows of the last dim of (N, C, L) or (C, L); stride defaults to kernel_size."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1, "avg_pool1d")


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """y[n, c, i, j] = (1/m) sum_{a, b} x_pad[n, c, i s_h + a, j s_w + b], as
    torch.nn.functional.avg_pool2d (m = kH kW, or the count of real inputs with
    count_include_pad=False, or divisor_override).

    >>> import backprop as bp
    >>> avg_pool2d(bp.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2,
                     "avg_pool2d")


def _bin_matrix(xp, n, o, dtype):
    """(o, n) averaging matrix of adaptive pooling: row i averages x[floor(i n / o) : ceil((i + 1) n / o)]."""
    i = xp.arange(o)
    start = (i * n) // o
    end = -((-(i + 1) * n) // o)
    cols = xp.arange(n)
    inside = (cols[None, :] >= start[:, None]) & (cols[None, :] < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _adaptive_avg_pool(input, output_size, dims, op):
    check_tensor(input, op)
    if input.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"{op}: expected input of {dims + 2} dims (N, C, *spatial) or {dims + 1} (C, *spatial), "
                         f"got shape {tuple(input.shape)}")
    if not dtypes.is_floating(input.dtype):
        raise TypeError(f"{op}() expected a floating point tensor, got {input.dtype}")
    size, out = input.shape[-dims:], _adaptive_output_size(input, output_size, dims, op)
    xp = backend.array_module(input._data)
    # Each bin is a product of one range per dim, so its mean is a mean per dim in turn:
    # y = P_h x P_w^T with P the (out, in) averaging matrices (matmul gives the gradient).
    result = input
    for axis in range(dims):
        n, o = size[axis], out[axis]
        if n == o:
            continue
        p = Tensor._make(_bin_matrix(xp, n, o, input.dtype))
        last = dims - 1 - axis  # how many spatial dims follow this one
        if last == 0:
            result = matmul(result, p.transpose(0, 1))
        else:
            moved = result.transpose(-1 - last, -1)
            result = matmul(moved, p.transpose(0, 1)).transpose(-1 - last, -1)
    return result if result is not input else input * 1.0


def adaptive_avg_pool1d(input, output_size):
    """Mean over output_size adaptive bins of the last dim: bin i covers
    [floor(i L / o), ceil((i + 1) L / o))."""
    return _adaptive_avg_pool(input, output_size, 1, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(input, output_size):
    """Mean over an output_size grid of adaptive bins (rows floor(i H / oh) .. ceil((i + 1) H / oh),
    likewise columns), as torch.nn.functional.adaptive_avg_pool2d; ``None`` keeps that size.

    >>> import backprop as bp
    >>> adaptive_avg_pool2d(bp.arange(16.0).reshape(1, 1, 4, 4), 1).tolist()
    [[[[7.5]]]]
    """
    return _adaptive_avg_pool(input, output_size, 2, "adaptive_avg_pool2d")


# ---------------------------------------------------------------- indices and unpooling, adaptive max, LP pooling
__all__ += ["max_pool1d_with_indices", "max_pool2d_with_indices", "max_unpool1d", "max_unpool2d",
            "adaptive_max_pool1d", "adaptive_max_pool2d", "lp_pool1d", "lp_pool2d"]


def _adaptive_output_size(input, output_size, dims, op):
    """The checked output size of an adaptive pool (``None`` in a tuple keeps the input's size there)."""
    check_tensor(input, op)
    if input.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"{op}: expected input of {dims + 2} dims (N, C, *spatial) or {dims + 1} (C, *spatial), "
                         f"got shape {tuple(input.shape)}")
    size = input.shape[-dims:]
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != dims:
            raise ValueError(f"{op}: output_size must be an int or a tuple of {dims}, got {output_size!r}")
        output_size = tuple(n if o is None else o for o, n in zip(output_size, size))
    out = ntuple(output_size, dims, "output_size", op)
    if any(o < 1 for o in out):
        raise ValueError(f"{op}: output_size must be positive, got {output_size!r}")
    if any(n < 1 for n in size):
        raise ValueError(f"{op}: input of spatial size {tuple(size)} is empty")
    return out


def _flat_positions(xp, coordinates, size):
    """Row-major position in the input plane (h W + w in 2-D) of per-dim input coordinates."""
    flat = 0
    for c, n in zip(coordinates, size):
        flat = flat * n + c
    return flat.astype(xp.int64)


def _max_pool_with_indices(input, kernel, stride, padding, dilation, out, extra):
    """(max pooling, torch's indices): each window's winner as a position in its own input plane."""
    xp = backend.array_module(input._data)
    taps = list(_taps(kernel, stride, dilation, out))
    _, winner = _winners(xp, _pad_last(xp, input._data, padding, extra, _lowest(xp, input.dtype)), taps)
    offsets = xp.unravel_index(winner.astype(xp.int64), kernel)  # the winning kernel offset, per dim
    dims = len(kernel)
    coordinates = [xp.arange(o).reshape((o,) + (1,) * (dims - 1 - axis)) * s + k * d - p
                   for axis, (k, s, p, d, o) in enumerate(zip(offsets, stride, padding, dilation, out))]
    indices = _flat_positions(xp, coordinates, input.shape[-dims:])
    output = MaxPoolNd.apply(input, kernel=kernel, stride=stride, padding=padding, dilation=dilation, out=out,
                             extra=extra)
    return output, Tensor._make(indices)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """``max_pool1d(..., return_indices=True)``: (values, int64 positions of the maxima along L)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """``max_pool2d(..., return_indices=True)``: (values, int64 positions h W + w of the maxima)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _max_unpool(input, indices, kernel_size, stride, padding, output_size, dims, op):
    """Each value of ``input`` written at its ``indices`` (positions in the output plane), zeros elsewhere:
    y.flatten(-dims)[..., indices[j]] = x[..., j]; dL/dx[j] = dL/dy at indices[j] (a gather)."""
    from backprop import creation
    from backprop.ops.scatter import scatter

    check_tensor(input, op)
    check_tensor(indices, op)
    if input.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"{op}: expected input of {dims + 2} dims (N, C, *spatial) or {dims + 1} (C, *spatial), "
                         f"got shape {tuple(input.shape)}")
    if tuple(indices.shape) != tuple(input.shape) or indices.dtype != dtypes.int64:
        raise ValueError(f"{op}: expected int64 indices of the input's shape {tuple(input.shape)}, got "
                         f"{indices.dtype} of shape {tuple(indices.shape)}")
    kernel = ntuple(kernel_size, dims, "kernel_size", op)
    stride = kernel if stride is None else ntuple(stride, dims, "stride", op)
    padding = ntuple(padding, dims, "padding", op)
    size = input.shape[-dims:]
    default = tuple((n - 1) * s - 2 * p + k for n, k, s, p in zip(size, kernel, stride, padding))
    if output_size is None:
        out = default
    else:
        out = tuple(int(o) for o in output_size)
        if len(out) == dims + 2:  # (N, C, *spatial) given: its spatial sizes
            out = out[2:]
        if len(out) != dims:
            raise ValueError(f"{op}: output_size must have {dims} elements (or {dims + 2} with N and C), got "
                             f"{tuple(output_size)}")
        for o, d, s in zip(out, default, stride):
            if not d - s < o < d + s:
                raise ValueError(f"{op}: invalid output_size {out} for the default {default}: each size must be "
                                 f"within the default +/- stride (exclusive)")
    plane = 1
    for o in out:
        plane *= o
    data = indices._data
    if data.size and (int(data.min()) < 0 or int(data.max()) >= plane):
        raise RuntimeError(f"{op}: found an invalid max index {int(data.max())} for an output of size {out}")
    lead = tuple(input.shape[:-dims])
    zeros = creation.zeros(*lead, plane, dtype=input.dtype, device=input.device)
    flat = scatter(zeros, len(lead), indices.reshape(*lead, -1), input.reshape(*lead, -1))
    return flat.reshape(*lead, *out)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of ``max_pool1d``: each maximum put back at its index, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1, "max_unpool1d")


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of ``max_pool2d`` (Zeiler & Fergus 2014's switches): each maximum put back at the
    position ``indices`` recorded, zeros elsewhere; the output defaults to (H - 1) s - 2 p + k per dim.

    >>> import backprop as bp
    >>> y, i = max_pool2d(bp.tensor([[[[1.0, 2.0], [4.0, 3.0]]]]), 2, return_indices=True)
    >>> max_unpool2d(y, i, 2).tolist()
    [[[[0.0, 0.0], [4.0, 0.0]]]]
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2, "max_unpool2d")


def _adaptive_rows(xp, n, o):
    """(o, w) input positions of adaptive bin i, floor(i n / o) .. ceil((i + 1) n / o) - 1, w the widest
    bin's size; shorter bins repeat their last position (a repeat does not change a maximum)."""
    i = xp.arange(o)
    start, end = (i * n) // o, -((-(i + 1) * n) // o)
    width = int((end - start).max())
    return xp.minimum(start[:, None] + xp.arange(width)[None, :], end[:, None] - 1)


def _adaptive_max_pool(input, output_size, return_indices, dims, op):
    out = _adaptive_output_size(input, output_size, dims, op)
    xp = backend.array_module(input._data)
    lead, size = input.ndim - dims, input.shape[-dims:]
    rows = [_adaptive_rows(xp, n, o) for n, o in zip(size, out)]
    # Gather each bin's positions dim by dim: (..., H, W) -> (..., oh, wh, W) -> (..., oh, wh, ow, ww);
    # then the bins' widths last and one max over them (its gradient goes to the first maximiser).
    windows = input
    for axis, r in enumerate(rows):
        windows = windows[(Ellipsis, Tensor._make(r)) + (slice(None),) * (dims - 1 - axis)]
    order = list(range(lead)) + [lead + 2 * a for a in range(dims)] + [lead + 2 * a + 1 for a in range(dims)]
    widths = tuple(r.shape[1] for r in rows)
    windows = windows.permute(*order).reshape(*input.shape[:lead], *out, -1)
    values, arg = windows.max(dim=-1)
    if not return_indices:
        return values
    picked = xp.unravel_index(arg._data, widths)
    coordinates = [r[xp.arange(o).reshape((o,) + (1,) * (dims - 1 - axis)), k]
                   for axis, (r, o, k) in enumerate(zip(rows, out, picked))]
    return values, Tensor._make(_flat_positions(xp, coordinates, size))


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max over ``output_size`` adaptive bins of the last dim (bin i covers [floor(i L / o), ceil((i + 1) L / o)))."""
    return _adaptive_max_pool(input, output_size, return_indices, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over an ``output_size`` grid of adaptive bins, as adaptive_avg_pool2d's bins; ``None`` keeps a size.

    >>> import backprop as bp
    >>> adaptive_max_pool2d(bp.arange(16.0).reshape(1, 1, 4, 4), 1).tolist()
    [[[[15.0]]]]
    """
    return _adaptive_max_pool(input, output_size, return_indices, 2, "adaptive_max_pool2d")


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """``adaptive_max_pool1d(..., return_indices=True)``: (values, int64 positions of the maxima)."""
    return _adaptive_max_pool(input, output_size, True, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """``adaptive_max_pool2d(..., return_indices=True)``: (values, int64 positions h W + w of the maxima)."""
    return _adaptive_max_pool(input, output_size, True, 2, "adaptive_max_pool2d")


__all__ += ["adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices"]


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, dims, op):
    """(sum over the window of x^p)^(1/p), torch's way: p-th powers average-pooled (no padding), times the
    window size. (With ceil_mode a last, clipped window is divided by its clipped size first, as torch.)"""
    kernel = ntuple(kernel_size, dims, "kernel_size", op)
    window = 1
    for k in kernel:
        window *= k
    pooled = _avg_pool(input ** norm_type, kernel, stride, 0, ceil_mode, True, None, dims, op)
    return (pooled * float(window)) ** (1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over the last dim: (sum_window x^p)^(1/p) (p = 1: sum pooling; large p: max)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1, "lp_pool1d")


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over windows of the last two dims: y = (sum_window x^p)^(1/p)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2, "lp_pool2d")


__all__ += ["max_unpool3d", "adaptive_max_pool3d", "lp_pool3d"]


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of ``max_pool3d``: each maximum put back at its index (d H W + h W + w)."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3, "max_unpool3d")


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max over an ``output_size`` grid of adaptive bins of the last three dims."""
    return _adaptive_max_pool(input, output_size, return_indices, 3, "adaptive_max_pool3d")


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over windows of the last three dims: y = (sum_window x^p)^(1/p)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3, "lp_pool3d")


# ------------------------------------------------------------- 3-d pooling (volumes; the N-d ops above)
__all__ += ["max_pool3d", "avg_pool3d"]


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over sliding windows of the last three dims of (N, C, D, H, W) or (C, D, H, W), as
    torch.nn.functional.max_pool3d (stride defaults to kernel_size).

    >>> import backprop as bp
    >>> max_pool3d(bp.arange(8.0).reshape(1, 1, 2, 2, 2), 2).flatten().tolist()
    [7.0]
    """
    result = _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3, "max_pool3d")
    _torch_node_name(result[0] if return_indices else result, "MaxPool3DWithIndicesBackward0")
    return result


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over sliding windows of the last three dims of (N, C, D, H, W) or (C, D, H, W), as
    torch.nn.functional.avg_pool3d.

    >>> import backprop as bp
    >>> avg_pool3d(bp.arange(8.0).reshape(1, 1, 2, 2, 2), 2).flatten().tolist()
    [3.5]
    """
    result = _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 3,
                       "avg_pool3d")
    return _torch_node_name(result, "AvgPool3DBackward0")


# ------------------------------------------------------------- 3-d adaptive average pooling
__all__ += ["adaptive_avg_pool3d"]


def adaptive_avg_pool3d(input, output_size):
    """Mean over an ``output_size`` grid of adaptive bins of the last three dims (bins as
    adaptive_avg_pool2d's, per dim); ``None`` keeps that size.

    >>> import backprop as bp
    >>> adaptive_avg_pool3d(bp.arange(8.0).reshape(1, 1, 2, 2, 2), 1).flatten().tolist()
    [3.5]
    """
    return _adaptive_avg_pool(input, output_size, 3, "adaptive_avg_pool3d")


def _torch_node_name(result, name):
    """Name the pooling node as torch names its 3-d one (the N-d node is named for 1-d and 2-d)."""
    if result.grad_fn is not None and type(result.grad_fn).__name__ in ("MaxPoolNd", "AvgPoolNd"):
        result.grad_fn._name = name
    return result
