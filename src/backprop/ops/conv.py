"""Convolutions: im2col + one matrix product, col2im for the input gradient.

A convolution layer (LeCun 1989; LeCun et al. 1998) computes, for output
channel o at position p (batch n, groups of C/g input channels),

    y[n, o, p] = b[o] + sum_{c, k} W[o, c, k] * x_pad[n, c, p * s + k * d]

(s the stride, d the dilation, k running over the kernel positions). im2col
gathers every receptive field once as a column - here a strided *view* of
the padded input (no copy, no Python loop over positions) made contiguous
once - so the whole layer is one matrix product Y = W_mat X_col with
W_mat (O, C*K) and X_col (C*K, N*L), L the number of output positions.

Backward, with G = dL/dY:
    dL/dW_mat = G X_col^T         (one matrix product),
    dL/dX_col = W_mat^T G         (one matrix product),
    dL/dx     = col2im(dL/dX_col): every column added back onto the input
                positions it was read from (a loop over the K kernel
                positions, each adding a whole strided slice),
    dL/db     = sum of G over batch and positions.

For speed the batch is processed a few images at a time (``_chunks``): the
columns of a whole batch are C*K times the input, and a chunk's columns,
product and col2im stay in the CPU's cache instead of streaming through
main memory. When no dL/dW follows (``no_grad``, a frozen weight) no columns
are kept and the forward takes ``_correlate_no_cols``: the same product,
written straight into y's layout (no transposing copy), with the columns
of stride-1 layers copied as whole rows of the padded input.

``locally_connected2d`` uses the same columns with weights that are not
shared between positions (LeCun 1989 Net-3, DeepFace): one small matrix
product per output position, batched into one ``matmul`` call.
"""
import functools
import itertools
import math

from backprop import backend
from backprop.autograd import Function
from backprop.ops.join import Pad, stack
from backprop.ops.linalg import matmul
from backprop.ops.util import check_tensor, ntuple

__all__ = ["conv1d", "conv2d", "conv3d", "locally_connected2d"]


# ------------------------------------------------------------------ arguments
def _padding_pairs(padding, kernel, stride, dilation, op):
    """(left, right) zero padding per spatial dim from an int, a tuple, 'valid' or 'same'."""
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{op}: padding='same' is not supported for strided convolutions, got stride={stride}")
            pairs = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pairs.append((total // 2, total - total // 2))  # torch puts the odd extra on the right
            return tuple(pairs)
        raise ValueError(f"{op}: padding must be an int, a tuple, 'valid' or 'same', got {padding!r}")
    pad = ntuple(padding, n, "padding", op)
    if any(p < 0 for p in pad):
        raise ValueError(f"{op}: padding must be non-negative, got {padding!r}")
    return tuple((p, p) for p in pad)


def _out_size(size, kernel, stride, dilation, pairs):
    return tuple(
        (n + left + right - d * (k - 1) - 1) // s + 1
        for n, k, s, d, (left, right) in zip(size, kernel, stride, dilation, pairs)
    )


# ------------------------------------------------------------- im2col/col2im
def _windows(xp, x, kernel, stride, dilation, out):
    """Strided view (C, *kernel, N, *out) of x (N, C, *S): the receptive fields, no copy.

    view[c, k1, k2, n, p1, p2] = x[n, c, p1 * s1 + k1 * d1, p2 * s2 + k2 * d2].
    """
    sn, sc = x.strides[:2]
    spatial = x.strides[2:]
    shape = (x.shape[1],) + tuple(kernel) + (x.shape[0],) + tuple(out)
    strides = (
        (sc,) + tuple(st * d for st, d in zip(spatial, dilation)) + (sn,) + tuple(st * s for st, s in zip(spatial, stride))
    )
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)


def _im2col(xp, x, kernel, stride, dilation, out):
    """The columns as a contiguous (C, *kernel, N, *out) array (reshape to (C*K, N*L)): the one im2col of
    unfold, the convolutions (a chunk of the batch at a time: ``x[part]``) and the transposed ones' backward."""
    return xp.ascontiguousarray(_windows(xp, x, kernel, stride, dilation, out))


def _tap(k, stride, dilation, out):
    """The slice of the padded input that kernel offset k reads at every output position."""
    return slice(k * dilation, k * dilation + stride * (out - 1) + 1, stride)


@functools.lru_cache(maxsize=256)
def _col2im_taps(kernel, stride, dilation, out):
    """(kernel offset, index of the slice of dx it adds into) for every offset, made once per geometry."""
    return [
        (offset, (slice(None), slice(None)) + tuple(_tap(k, s, d, o) for k, s, d, o in
                                                    zip(offset, stride, dilation, out)))
        for offset in itertools.product(*[range(k) for k in kernel])
    ]


def _col2im(xp, cols, padded_shape, kernel, stride, dilation, out):
    """Scatter-add columns (C, *kernel, N, *out) back into a (C, N, *S_padded) array.

    Loops over the K kernel positions only; each adds one whole strided slice.
    """
    c, n = padded_shape[1], padded_shape[0]
    dx = xp.zeros((c, n) + tuple(padded_shape[2:]), dtype=cols.dtype)
    for offset, taps in _col2im_taps(tuple(kernel), tuple(stride), tuple(dilation), tuple(out)):
        dx[taps] += cols[(slice(None),) + offset]
    return dx


def _group_matmul(xp, a, b):
    """(g, m, k) @ (g, k, n) -> (g, m, n), one 2-D product per group: NumPy's stacked matmul
    does not hand transposed operands to BLAS, the 2-D product does."""
    if a.shape[0] == 1:
        return (a[0] @ b[0])[None]
    return xp.stack([a[i] @ b[i] for i in range(a.shape[0])])


def _pad(xp, x, pairs):
    if any(p for pair in pairs for p in pair):
        return xp.pad(x, ((0, 0), (0, 0)) + tuple(pairs))
    return x


def _crop(dx, pairs, size):
    if any(p for pair in pairs for p in pair):
        return dx[(slice(None), slice(None)) + tuple(slice(left, left + n) for (left, _), n in zip(pairs, size))]
    return dx


# -------------------------------------------------------------- convolution
_CHUNK_BYTES = 1 << 20  # about one core's L2 cache


def _chunks(n, per_image_bytes):
    """Slices of the batch whose columns and outputs take about ``_CHUNK_BYTES``.

    Why: the whole batch's columns are C*K times the input (57 MB for a 32->64
    3x3 layer at batch 64), so im2col, the product and col2im would each stream
    them through main memory. A few images at a time stay in cache between the
    three steps; the products are still large enough for BLAS to run at speed.
    """
    size = max(1, min(n, _CHUNK_BYTES // max(per_image_bytes, 1)))
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def _correlate(xp, xpad, w_mat, kernel, stride, dilation, out, bias=None):
    """y[n, o, p] = sum_{c, k} W[o, c, k] xpad[n, c, p s + k d] (+ b[o]) by im2col and one product per
    group, a chunk of the batch at a time. w_mat: (g, O/g, C/g*K). Returns y (N, O, *out), the chunks
    and each chunk's columns (C, *k, n_chunk, *out) for dL/dW."""
    n, (g, o_group, ck_group) = xpad.shape[0], w_mat.shape
    o, positions = g * o_group, math.prod(out)
    y = xp.empty((n, o) + out, dtype=xpad.dtype)
    parts = _chunks(n, xpad.dtype.itemsize * positions * (g * ck_group + o))
    b = None if bias is None else bias.reshape((o,) + (1,) * len(out))
    kept = []
    for part in parts:
        cols = _im2col(xp, xpad[part], kernel, stride, dilation, out)  # (C, *k, n_part, *out)
        y_part = _group_matmul(xp, w_mat, cols.reshape(g, ck_group, -1))  # (g, O/g, n_part*L)
        y[part] = y_part.reshape((o, -1) + out).swapaxes(0, 1)
        if b is not None:
            y[part] += b
        kept.append(cols)
    return y, parts, kept


def _correlate_no_cols(xp, x, w_mat, kernel, stride, dilation, pairs, out, bias=None):
    """The same y as ``_correlate`` when no columns are kept (no dL/dW follows: inference, a frozen weight), with
    the product written straight into y's (N, O, *out) layout: per image, W_mat (g, O/g, C/g*K) @ columns
    (g, C/g*K, L) by one batched ``matmul`` a chunk at a time, no transposing copy of the output.

    The columns come in one of two layouts (each measured faster on its kind of layer, benchmarks/workloads.py):
    - "wide rows" (stride 1, columns larger than the output, C*K > O, as in LeNet's convolutions): position p
      runs over the first output dim times the *padded* size of the others, so that each kernel offset's
      column is one contiguous run of the padded input (copied at memcpy speed, not in runs of the output
      width); the positions past the output's width are computed and dropped when y is cropped, which also
      adds the bias, in one pass. One extra zero slice at the end of the first spatial dim keeps the last
      offsets' runs inside the array.
    - per image (otherwise): the columns of ``_windows`` as (N, C, *k, *out), the bias added in place.
    Returns y (N, O, *out) and the chunks of the batch."""
    n, (g, o_group, ck_group) = x.shape[0], w_mat.shape
    o, dims = g * o_group, len(kernel)
    wide = all(s == 1 for s in stride) and g * ck_group > o
    if wide:
        widths = ((0, 0), (0, 0), (pairs[0][0], pairs[0][1] + 1)) + tuple(pairs[1:])
        xpad = xp.pad(x, widths)
        rows = (out[0],) + xpad.shape[3:]  # the output grid with the padded sizes past the first dim
        positions = math.prod(rows)
        inner = xpad.strides[2:]
        view = xp.lib.stride_tricks.as_strided(
            xpad, shape=xpad.shape[:2] + tuple(kernel) + (positions,),
            strides=xpad.strides[:2] + tuple(st * d for st, d in zip(inner, dilation)) + (inner[-1],))
    else:
        xpad = _pad(xp, x, pairs)
        rows, positions = out, math.prod(out)
        windows = _windows(xp, xpad, kernel, stride, dilation, out)  # (C, *k, N, *out)
        view = windows.transpose((1 + dims, 0) + tuple(range(1, 1 + dims)) + tuple(range(2 + dims, 2 + 2 * dims)))
    y = xp.empty((n, o) + tuple(out), dtype=x.dtype)
    crop = (slice(None), slice(None)) + tuple(slice(0, size) for size in out)
    b = None if bias is None else bias.reshape((o,) + (1,) * dims)
    parts = _chunks(n, x.dtype.itemsize * positions * (g * ck_group + o))
    for part in parts:
        cols = xp.ascontiguousarray(view[part]).reshape(-1, g, ck_group, positions)  # (n_part, g, C/g*K, L)
        if wide:
            y_rows = xp.matmul(w_mat, cols).reshape((-1, o) + rows)
            if b is None:
                y[part] = y_rows[crop]
            else:
                xp.add(y_rows[crop], b, out=y[part])
        else:
            xp.matmul(w_mat, cols, out=y[part].reshape(-1, g, o_group, positions))
            if b is not None:
                y[part] += b
    return y, parts


def _finish(xp, needs, grad, weight, grad_x, grad_w, batched):
    """The gradients a (transposed) convolution returns: grad_x unbatched again, grad_w in the weight's shape,
    grad_b = the sum of grad (N, O, *out) over batch and positions."""
    grad_b = None
    if needs[0] and not batched:
        grad_x = grad_x[0]
    if needs[1]:  # (an empty batch has no chunk: its gradient is zero)
        grad_w = xp.zeros_like(weight) if grad_w is None else grad_w.reshape(weight.shape)
    if len(needs) > 2 and needs[2]:
        grad_b = grad.sum(axis=(0,) + tuple(range(2, grad.ndim)))
    return grad_x, grad_w, grad_b


class ConvNd(Function):
    """y[n, o, p] = b[o] + sum_{c in group(o), k} W[o, c, k] x_pad[n, c, p s + k d]
    for 1, 2 or 3 spatial dims, as Y = W_mat X_col (im2col); backward as in the
    module docstring, one chunk of the batch at a time. ``batched=False``: x is
    (C, *S) and y (O, *out)."""

    def forward(self, x, weight, bias=None, *, stride, pairs, dilation, groups, batched):
        xp = backend.array_module(x)
        # backward reads the weight and the columns; x is saved for the version check only (x changed in place
        # before backward is refused, as torch does: the create_graph path rebuilds the op from x)
        self.save_for_backward(x, weight)
        if not batched:
            x = x[None]
        kernel = weight.shape[2:]
        out = _out_size(x.shape[2:], kernel, stride, dilation, pairs)
        w_mat = weight.reshape(groups, weight.shape[0] // groups, -1)
        padded_shape = x.shape[:2] + tuple(n + left + right for n, (left, right) in zip(x.shape[2:], pairs))
        # the columns (C*K times the input) are kept for dL/dW only: a frozen weight keeps none
        if bool(self.needs_input_grad) and self.needs_input_grad[1]:
            y, self.parts, self.cols = _correlate(xp, _pad(xp, x, pairs), w_mat, kernel, stride, dilation, out,
                                                  bias)
        else:  # inference or a frozen weight: the faster forward that writes y in place and keeps nothing
            (y, self.parts), self.cols = _correlate_no_cols(xp, x, w_mat, kernel, stride, dilation, pairs, out,
                                                            bias), []
        self.geometry = (padded_shape, x.shape[2:], kernel, stride, dilation, pairs, out, groups, batched)
        return y if batched else y[0]

    def backward(self, grad):
        weight = self.saved_tensors[1]
        xp = backend.array_module(grad)
        padded_shape, size, kernel, stride, dilation, pairs, out, g, batched = self.geometry
        needs = self.needs_input_grad
        if not batched:
            grad = grad[None]
        n, o = grad.shape[:2]
        w_mat = weight.reshape(g, o // g, -1)
        grad_w = None
        grad_x = xp.empty((n, padded_shape[1]) + tuple(size), dtype=grad.dtype) if needs[0] else None
        for i, part in enumerate(self.parts):
            grad_mat = xp.ascontiguousarray(grad[part].swapaxes(0, 1)).reshape(g, o // g, -1)  # (g, O/g, n_part*L)
            if needs[1]:
                product = _group_matmul(xp, grad_mat, self.cols[i].reshape(g, w_mat.shape[2], -1).swapaxes(1, 2))
                if grad_w is None:
                    grad_w = product
                else:
                    grad_w += product
            if needs[0]:
                dcols = _group_matmul(xp, w_mat.swapaxes(1, 2), grad_mat)  # (g, C/g*K, n_part*L)
                dcols = dcols.reshape((padded_shape[1],) + tuple(kernel) + (-1,) + out)
                dx = _col2im(xp, dcols, (dcols.shape[1 + len(kernel)],) + padded_shape[1:], kernel, stride,
                             dilation, out)  # (C, n_part, *S_pad)
                grad_x[part] = _crop(dx, pairs, size).swapaxes(0, 1)
        return _finish(xp, needs, grad, weight, grad_x, grad_w, batched)

    @staticmethod
    def decompose(x, weight, bias=None, *, stride, pairs, dilation, groups, batched):
        """im2col written with differentiable ops: the columns (N, g, C/g * K, L) stacked from one strided
        slice of the padded input per kernel offset, then Y = W_mat X_col (one matmul per group) + b."""
        if not batched:
            x = x.unsqueeze(0)
        n, o, kernel = x.shape[0], weight.shape[0], weight.shape[2:]
        out = _out_size(x.shape[2:], kernel, stride, dilation, pairs)
        cols = _columns(x, kernel, stride, dilation, pairs, out)  # (N, C, K, *out)
        cols = cols.reshape(n, groups, -1, math.prod(out))
        y = matmul(weight.reshape(groups, o // groups, -1), cols).reshape((n, o) + out)
        if bias is not None:
            y = y + bias.reshape((o,) + (1,) * len(out))
        return y if batched else y[0]


def _columns(x, kernel, stride, dilation, pairs, out):
    """The receptive fields of x (N, C, *S) as a Tensor (N, C, K, *out), a recorded op (the decompositions)."""
    if any(p for pair in pairs for p in pair):
        x = Pad.apply(x, widths=((0, 0), (0, 0)) + tuple(pairs), mode="constant", value=0.0)
    taps = _col2im_taps(tuple(kernel), tuple(stride), tuple(dilation), tuple(out))
    return stack([x[index] for _, index in taps], 2)


def _check_ranks(input, weight, groups, dims, op, weight_layout, error=ValueError):
    """Checks shared by convolutions and transposed ones; True for a batched input."""
    check_tensor(input, op)
    check_tensor(weight, op)
    if weight.ndim != dims + 2:
        raise error(f"{op}: expected a weight of {dims + 2} dims {weight_layout}, got shape {tuple(weight.shape)}")
    if input.ndim not in (dims + 1, dims + 2):
        raise error(f"{op}: expected input of {dims + 2} dims (N, C, *spatial) or {dims + 1} (C, *spatial), "
                    f"got shape {tuple(input.shape)}")
    if not isinstance(groups, int) or groups < 1:
        raise error(f"{op}: groups must be a positive int, got {groups!r}")
    return input.ndim == dims + 2


def _conv(input, weight, bias, stride, padding, dilation, groups, dims, op):
    batched = _check_ranks(input, weight, groups, dims, op, "(out_channels, in_channels/groups, *kernel)")
    channels = input.shape[1 if batched else 0]
    if weight.shape[0] % groups:
        raise ValueError(f"{op}: out_channels ({weight.shape[0]}) must be divisible by groups ({groups})")
    if channels != weight.shape[1] * groups:
        raise ValueError(
            f"{op}: weight of shape {tuple(weight.shape)} with groups={groups} expects input with "
            f"{weight.shape[1] * groups} channels, got input of shape {tuple(input.shape)}"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"{op}: expected a bias of shape ({weight.shape[0]},), got {tuple(bias.shape)}")
    kernel = weight.shape[2:]
    stride = ntuple(stride, dims, "stride", op)
    dilation = ntuple(dilation, dims, "dilation", op)
    if any(s < 1 for s in stride) or any(d < 1 for d in dilation):
        raise ValueError(f"{op}: stride and dilation must be positive, got stride={stride}, dilation={dilation}")
    pairs = _padding_pairs(padding, kernel, stride, dilation, op)
    size = input.shape[-dims:]
    out = _out_size(size, kernel, stride, dilation, pairs)
    if any(s < 1 for s in out):
        raise ValueError(
            f"{op}: input of spatial size {tuple(size)} padded by {pairs} is smaller than the (dilated) kernel "
            f"{tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))}"
        )
    if input.dtype != weight.dtype:
        input = input.to(weight.dtype)
    if bias is not None and bias.dtype != weight.dtype:
        bias = bias.to(weight.dtype)
    params = dict(stride=stride, pairs=pairs, dilation=dilation, groups=groups, batched=batched)
    if bias is None:
        return ConvNd.apply(input, weight, **params)
    return ConvNd.apply(input, weight, bias, **params)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation) of input (N, C, L) or (C, L) with weight (O, C/groups, k),
    as torch.nn.functional.conv1d: y[n, o, t] = b[o] + sum_{c, j} W[o, c, j] x_pad[n, c, t s + j d].

    ``padding``: an int, a 1-tuple, 'valid' (none) or 'same' (output length = input length, stride 1).

    >>> import backprop as bp
    >>> conv1d(bp.tensor([[[1.0, 2.0, 3.0, 4.0]]]), bp.tensor([[[1.0, -1.0]]])).tolist()
    [[[-1.0, -1.0, -1.0]]]
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) of input (N, C, H, W) or (C, H, W) with weight
    (O, C/groups, kH, kW), as torch.nn.functional.conv2d:
    y[n, o, i, j] = b[o] + sum_{c, a, b} W[o, c, a, b] x_pad[n, c, i s_h + a d_h, j s_w + b d_w].

    ``padding``: an int, a pair, 'valid' (none) or 'same' (output size = input size, stride 1).

    >>> import backprop as bp
    >>> x = bp.arange(16.0).reshape(1, 1, 4, 4)
    >>> conv2d(x, bp.ones(1, 1, 2, 2), stride=2).tolist()
    [[[[10.0, 18.0], [42.0, 50.0]]]]
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution (cross-correlation) of input (N, C, D, H, W) or (C, D, H, W) with weight
    (O, C/groups, kD, kH, kW), as torch.nn.functional.conv3d (volumes, video clips):
    y[n, o, t, i, j] = b[o] + sum_{c, a, b, e} W[o, c, a, b, e]
                               x_pad[n, c, t s_d + a d_d, i s_h + b d_h, j s_w + e d_w].

    >>> import backprop as bp
    >>> conv3d(bp.ones(1, 1, 3, 3, 3), bp.ones(1, 1, 2, 2, 2)).shape
    backprop.Size([1, 1, 2, 2, 2])
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


# ------------------------------------------------------- locally connected
class LocallyConnected2d(Function):
    """y[n, o, i, j] = b[o, i, j] + sum_{c, a, b} W[i, j, o, c, a, b] x_pad[n, c, i s_h + a, j s_w + b]:
    a convolution whose weights differ at every output position (i, j).

    With X_col arranged (L, C*K, N) and W (L, O, C*K): Y = W X_col per position (one batched matmul);
    dL/dW = G X_col^T, dL/dX_col = W^T G, dL/dx = col2im(dL/dX_col), dL/db = sum_n G.
    """

    def forward(self, x, weight, bias=None, *, stride, pairs, batched):
        xp = backend.array_module(x)
        self.save_for_backward(x, weight)  # x for the version check only, as in ConvNd
        if not batched:
            x = x[None]
        oh, ow, o = weight.shape[:3]
        kernel = weight.shape[4:]
        out = (oh, ow)
        xpad = _pad(xp, x, pairs)
        windows = _windows(xp, xpad, kernel, stride, (1, 1), out)  # (C, kh, kw, N, oh, ow)
        n, positions = x.shape[0], oh * ow
        cols = xp.ascontiguousarray(windows.transpose(4, 5, 0, 1, 2, 3)).reshape(positions, weight[0, 0, 0].size, n)  # (L, C*K, N)
        y = xp.matmul(weight.reshape(positions, o, -1), cols)  # (L, O, N)
        y = xp.ascontiguousarray(y.transpose(2, 1, 0)).reshape(n, o, oh, ow)
        if bias is not None:
            y += bias
        self.cols = cols if self.needs_input_grad and self.needs_input_grad[1] else None  # for dL/dW only
        self.geometry = (xpad.shape, x.shape[2:], kernel, stride, pairs, out, batched)
        return y if batched else y[0]

    def backward(self, grad):
        weight = self.saved_tensors[1]
        xp = backend.array_module(grad)
        padded_shape, size, kernel, stride, pairs, out, batched = self.geometry
        needs = self.needs_input_grad
        if not batched:
            grad = grad[None]
        n, o = grad.shape[:2]
        positions = out[0] * out[1]
        grad_mat = xp.ascontiguousarray(grad.reshape(n, o, positions).transpose(2, 1, 0))  # (L, O, N)
        grad_x = grad_w = grad_b = None
        if needs[0]:
            dcols = xp.matmul(weight.reshape(positions, o, -1).swapaxes(1, 2), grad_mat)  # (L, C*K, N)
            dcols = dcols.reshape(out + (padded_shape[1],) + tuple(kernel) + (n,)).transpose(2, 3, 4, 5, 0, 1)
            dx = _col2im(xp, dcols, padded_shape, kernel, stride, (1, 1), out)
            dx = _crop(dx, pairs, size).swapaxes(0, 1)
            grad_x = xp.ascontiguousarray(dx if batched else dx[0])
        if needs[1]:
            grad_w = xp.matmul(grad_mat, self.cols.swapaxes(1, 2)).reshape(weight.shape)
        if len(needs) > 2 and needs[2]:
            grad_b = grad.sum(axis=0)
        return grad_x, grad_w, grad_b

    @staticmethod
    def decompose(x, weight, bias=None, *, stride, pairs, batched):
        """The columns (L, C*K, N) of ``_columns``, then y = W X_col per position (one batched matmul) + b."""
        if not batched:
            x = x.unsqueeze(0)
        oh, ow, o = weight.shape[:3]
        cols = _columns(x, weight.shape[4:], stride, (1, 1), pairs, (oh, ow))  # (N, C, K, oh, ow)
        cols = cols.reshape(x.shape[0], -1, oh * ow).permute(2, 1, 0)
        y = matmul(weight.reshape(oh * ow, o, -1), cols).permute(2, 1, 0).reshape(x.shape[0], o, oh, ow)
        if bias is not None:
            y = y + bias
        return y if batched else y[0]


def locally_connected2d(input, weight, bias=None, stride=1, padding=0):
    """Locally connected layer (unshared convolution) of input (N, C, H, W) or (C, H, W) with
    weight (out_H, out_W, O, C, kH, kW) and bias (O, out_H, out_W):
    y[n, o, i, j] = b[o, i, j] + sum_{c, a, b} W[i, j, o, c, a, b] x_pad[n, c, i s_h + a, j s_w + b].

    >>> import backprop as bp
    >>> w = bp.ones(2, 2, 1, 1, 1, 1) * bp.tensor([1.0, 2.0, 3.0, 4.0]).reshape(2, 2, 1, 1, 1, 1)
    >>> locally_connected2d(bp.ones(1, 1, 2, 2), w).tolist()
    [[[[1.0, 2.0], [3.0, 4.0]]]]
    """
    op = "locally_connected2d"
    check_tensor(input, op)
    check_tensor(weight, op)
    if weight.ndim != 6:
        raise ValueError(f"{op}: expected a weight of shape (out_H, out_W, out_channels, in_channels, kH, kW), "
                         f"got {tuple(weight.shape)}")
    if input.ndim not in (3, 4):
        raise ValueError(f"{op}: expected input (N, C, H, W) or (C, H, W), got shape {tuple(input.shape)}")
    batched = input.ndim == 4
    oh, ow, o, c = weight.shape[:4]
    kernel = weight.shape[4:]
    stride = ntuple(stride, 2, "stride", op)
    if any(s < 1 for s in stride):
        raise ValueError(f"{op}: stride must be positive, got {stride}")
    pairs = _padding_pairs(padding, kernel, stride, (1, 1), op)
    out = _out_size(input.shape[-2:], kernel, stride, (1, 1), pairs)
    if input.shape[-3] != c or out != (oh, ow):
        raise ValueError(
            f"{op}: weight of shape {tuple(weight.shape)} expects input with {c} channels whose output grid is "
            f"({oh}, {ow}), got input of shape {tuple(input.shape)} (output grid {out})"
        )
    if bias is not None and bias.shape != (o, oh, ow):
        raise ValueError(f"{op}: expected a bias of shape {(o, oh, ow)}, got {tuple(bias.shape)}")
    if input.dtype != weight.dtype:
        input = input.to(weight.dtype)
    params = dict(stride=stride, pairs=pairs, batched=batched)
    if bias is None:
        return LocallyConnected2d.apply(input, weight, **params)
    return LocallyConnected2d.apply(input, weight, bias, **params)
