"""Transposed convolutions: one matrix product, then col2im.

A transposed convolution (Zeiler et al. 2010's "deconvolution"; the
up-sampling layer of DCGAN, Radford et al. 2016) is the linear map whose
matrix is the transpose of a convolution's: every input position i spreads
its value, weighted by the kernel, over the output positions the convolution
would have read it from,

    y[n, o, j] = b[o] + sum_{c, i, k : i s + k d - p = j} x[n, c, i] W[c, o, k]

(s the stride, d the dilation, p the padding, c running over the input
channels of o's group). It is the input gradient of conv(., W): forward is
exactly the convolution's backward path,

    cols = X_rows W_mat     (one matrix product per group: (N*L_in, C_in/g) by (C_in/g, K*C_out/g)),
    y    = col2im(cols)     (each input's K*C_out values added onto the output positions of its window),

and backward is the convolution's forward path (im2col of the output
gradient G, then products):

    dL/dx     = conv(G, W)   = W_mat G_col,
    dL/dW_mat = X_mat G_col^T,
    dL/db     = sum of G over batch and positions.

Output length per dim: (L_in - 1) s - 2 p + d (k - 1) + output_padding + 1;
``output_padding`` (< stride or < dilation) picks one of the several output
sizes a strided convolution maps onto the same input size.

Second derivatives go through ``decompose``: the same map written with
differentiable ops (zeros inserted between the inputs, padding, and a
convolution with the flipped kernel).
"""
import math

from backprop import backend, creation
from backprop.autograd import Function
from backprop.ops.conv import ConvNd, _check_ranks, _chunks, _col2im_taps, _finish, _group_matmul, _im2col
from backprop.ops.join import Pad, stack
from backprop.ops.util import ntuple

__all__ = ["conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]


def _full_size(size, kernel, stride, dilation):
    """Length of col2im's output before padding is cut off: (L_in - 1) s + d (k - 1) + 1."""
    return tuple((n - 1) * s + d * (k - 1) + 1 for n, k, s, d in zip(size, kernel, stride, dilation))


def _weight_matrix(xp, weight, g):
    """The weight (C_in, C_out/g, *k) as g matrices (C_in/g, K*C_out/g), kernel offset before channel."""
    c_in, c_out_group = weight.shape[:2]
    w = weight.reshape(g, c_in // g, c_out_group, -1).swapaxes(2, 3)
    return xp.ascontiguousarray(w).reshape(g, c_in // g, -1)


def _output_size(size, kernel, stride, padding, output_padding, dilation):
    return tuple(f - 2 * p + q for f, p, q in zip(_full_size(size, kernel, stride, dilation), padding, output_padding))


def _channels_last(xp, a):
    """(n, C, *S) -> a contiguous (n, *S, C) copy."""
    return xp.ascontiguousarray(xp.moveaxis(a, 1, -1))


def _per_group(xp, a, b, g):
    """[a_i @ b_i] for the g groups: a (M, g, m) taken per group, b (g, m, n); returns (M, g, n)."""
    if g == 1:
        return (a[:, 0] @ b[0])[:, None]
    return xp.stack([a[:, i] @ b[i] for i in range(g)], 1)


class ConvTransposeNd(Function):
    """y[n, o, j] = b[o] + sum_{c in group(o), i, k : i s + k d - p = j} x[n, c, i] W[c, o, k],
    for 1, 2 or 3 spatial dims: col2im(X_mat W_mat) cropped by the padding; backward by im2col of
    the output gradient (module docstring). ``batched=False``: x is (C_in, *S) and y (C_out, *out).

    Forward lays a chunk of the batch out channels last, (n, *S, C): each of col2im's additions then
    runs over rows of C contiguous numbers (channels first, over short image lines read with a stride).
    Backward stays channels first, where the gradient needs no transposing before its im2col."""

    def forward(self, x, weight, bias=None, *, stride, padding, output_padding, dilation, groups, batched):
        xp = backend.array_module(x)
        self._name = "ConvolutionBackward0"  # torch's node for every convolution, transposed or not
        self.save_for_backward(x, weight)
        if not batched:
            x = x[None]
        n, c_in, size = x.shape[0], x.shape[1], tuple(x.shape[2:])
        kernel = tuple(weight.shape[2:])
        g, c_out = groups, weight.shape[1] * groups
        out = _output_size(size, kernel, stride, padding, output_padding, dilation)
        # col2im writes the full length; the output is the part [p, p + out) of it (which may run past it)
        buffer = tuple(max(f, p + o) for f, p, o in zip(_full_size(size, kernel, stride, dilation), padding, out))
        crop = (slice(None),) + tuple(slice(p, p + o) for p, o in zip(padding, out))
        w_mat = _weight_matrix(xp, weight, g)  # (g, C_in/g, K*C_out/g)
        taps = [(offset, index[2:]) for offset, index in _col2im_taps(kernel, tuple(stride), tuple(dilation), size)]
        k = math.prod(kernel)
        y = xp.empty((n, c_out) + out, dtype=x.dtype)
        parts = _chunks(n, x.dtype.itemsize * (math.prod(size) * (c_in + k * c_out) + c_out * math.prod(buffer)))
        for part in parts:
            rows = _channels_last(xp, x[part]).reshape(-1, g, c_in // g)  # (n*L_in, g, C_in/g)
            m = part.stop - part.start
            cols = _per_group(xp, rows, w_mat, g).reshape((m,) + size + (g, k, c_out // g)).swapaxes(-3, -2)
            cols = cols.reshape((m,) + size + kernel + (c_out,))  # (n, *S, *k, C_out)
            full = xp.zeros((m,) + buffer + (c_out,), dtype=x.dtype)
            for offset, index in taps:
                full[(slice(None),) + index + (slice(None),)] += cols[(slice(None),) * (1 + len(size)) + offset]
            y[part] = xp.moveaxis(full[crop], -1, 1)
            if bias is not None:  # while the chunk is in cache
                y[part] += bias.reshape((c_out,) + (1,) * len(out))
        self.geometry = (size, kernel, stride, padding, dilation, out, buffer, g, batched)
        return y if batched else y[0]

    def backward(self, grad):
        x, weight = self.saved_tensors
        xp = backend.array_module(grad)
        size, kernel, stride, padding, dilation, out, buffer, g, batched = self.geometry
        needs = self.needs_input_grad
        if not batched:
            grad, x = grad[None], x[None]
        n, c_out = grad.shape[:2]
        c_in = x.shape[1]
        if buffer == out:  # no padding: the gradient is already laid out as col2im's output
            grad_full = grad
        else:
            grad_full = xp.zeros((n, c_out) + buffer, dtype=grad.dtype)
            grad_full[(slice(None), slice(None)) + tuple(slice(p, p + o) for p, o in zip(padding, out))] = grad
        w_mat = weight.reshape(g, c_in // g, -1)  # (g, C_in/g, C_out/g*K)
        positions = math.prod(size)
        grad_x = xp.empty((n, c_in) + tuple(size), dtype=grad.dtype) if needs[0] else None
        grad_w = None
        for part in _chunks(n, grad.dtype.itemsize * positions * (c_out * math.prod(kernel) + c_in)):
            cols = _im2col(xp, grad_full[part], kernel, stride, dilation, size).reshape(g, w_mat.shape[2], -1)
            if needs[0]:
                grad_x[part] = _group_matmul(xp, w_mat, cols).reshape((c_in, -1) + tuple(size)).swapaxes(0, 1)
            if needs[1]:
                x_mat = xp.ascontiguousarray(x[part].swapaxes(0, 1)).reshape(g, c_in // g, -1)
                product = _group_matmul(xp, x_mat, cols.swapaxes(1, 2))  # (g, C_in/g, C_out/g*K)
                grad_w = product if grad_w is None else grad_w + product
        return _finish(xp, needs, grad, weight, grad_x, grad_w, batched)

    @staticmethod
    def decompose(x, weight, bias=None, *, stride, padding, output_padding, dilation, groups, batched):
        """s - 1 zeros inserted between neighbouring inputs, d (k - 1) - p zeros added on each side
        (output_padding more on the right; a negative count cuts), then a stride-1 convolution with the
        kernel flipped and its in/out channels swapped within each group."""
        if not batched:
            x = x.unsqueeze(0)
        kernel, dims = weight.shape[2:], len(stride)
        for axis, s in enumerate(stride, start=2):
            if s > 1:
                length = x.shape[axis]
                zeros = creation.zeros(x.shape, dtype=x.dtype, device=x.device)
                x = stack([x] + [zeros] * (s - 1), axis + 1)  # (..., L, s, ...): each input then s - 1 zeros
                x = x.reshape(x.shape[:axis] + (length * s,) + x.shape[axis + 2:])
                x = x.narrow(axis, 0, (length - 1) * s + 1)
        widths = [(d * (k - 1) - p, d * (k - 1) - p + q) for k, d, p, q in zip(kernel, dilation, padding,
                                                                                  output_padding)]
        grow = [(max(a, 0), max(b, 0)) for a, b in widths]
        if any(a or b for a, b in grow):
            x = Pad.apply(x, widths=((0, 0), (0, 0)) + tuple(grow), mode="constant", value=0.0)
        if any(a < 0 or b < 0 for a, b in widths):
            x = x[(slice(None), slice(None)) + tuple(slice(-min(a, 0), x.shape[i + 2] + min(b, 0))
                                                     for i, (a, b) in enumerate(widths))]
        c_in, c_out_group = weight.shape[:2]
        w = weight.reshape((groups, c_in // groups, c_out_group) + tuple(kernel)).transpose(1, 2)
        w = w.reshape((c_out_group * groups, c_in // groups) + tuple(kernel)).flip(tuple(range(2, 2 + dims)))
        params = dict(stride=(1,) * dims, pairs=((0, 0),) * dims, dilation=dilation, groups=groups, batched=True)
        y = ConvNd.apply(x, w, **params) if bias is None else ConvNd.apply(x, w, bias, **params)
        return y if batched else y[0]


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, dims, op):
    batched = _check_ranks(input, weight, groups, dims, op, "(in_channels, out_channels/groups, *kernel)",
                           RuntimeError)
    channels = input.shape[1 if batched else 0]
    if weight.shape[0] % groups:
        raise RuntimeError(f"{op}: the weight's in_channels ({weight.shape[0]}) must be divisible by groups ({groups})")
    if channels != weight.shape[0]:
        raise RuntimeError(f"{op}: weight of shape {tuple(weight.shape)} expects input with {weight.shape[0]} "
                           f"channels, got input of shape {tuple(input.shape)}")
    c_out = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise RuntimeError(f"{op}: expected a bias of shape ({c_out},), got {tuple(bias.shape)}")
    kernel = tuple(weight.shape[2:])
    stride = ntuple(stride, dims, "stride", op)
    padding = ntuple(padding, dims, "padding", op)
    output_padding = ntuple(output_padding, dims, "output_padding", op)
    dilation = ntuple(dilation, dims, "dilation", op)
    if any(s < 1 for s in stride) or any(d < 1 for d in dilation):
        raise RuntimeError(f"{op}: stride and dilation must be positive, got stride={stride}, dilation={dilation}")
    if any(p < 0 for p in padding) or any(q < 0 for q in output_padding):
        raise RuntimeError(f"{op}: padding and output_padding must be non-negative, got padding={padding}, "
                           f"output_padding={output_padding}")
    if any(q >= s and q >= d for q, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(f"{op}: output_padding must be smaller than either stride or dilation, got "
                           f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    size = tuple(input.shape[-dims:])
    out = _output_size(size, kernel, stride, padding, output_padding, dilation)
    if any(o < 1 for o in out):
        raise RuntimeError(f"{op}: input of spatial size {size} gives an output of size {out}, which is too small "
                           f"(kernel {kernel}, stride {stride}, padding {padding}, dilation {dilation})")
    if input.dtype != weight.dtype:
        input = input.to(weight.dtype)
    if bias is not None and bias.dtype != weight.dtype:
        bias = bias.to(weight.dtype)
    params = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation, groups=groups,
                  batched=batched)
    if bias is None:
        return ConvTransposeNd.apply(input, weight, **params)
    return ConvTransposeNd.apply(input, weight, bias, **params)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution of input (N, C_in, L) or (C_in, L) with weight (C_in, C_out/groups, k),
    as torch.nn.functional.conv_transpose1d:
    y[n, o, j] = b[o] + sum_{c, i, k : i s + k d - p = j} x[n, c, i] W[c, o, k].

    >>> import backprop as bp
    >>> conv_transpose1d(bp.tensor([[[1.0, 2.0]]]), bp.tensor([[[1.0, 10.0]]]), stride=2).tolist()
    [[[1.0, 10.0, 2.0, 20.0]]]
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                           "conv_transpose1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution of input (N, C_in, H, W) or (C_in, H, W) with weight
    (C_in, C_out/groups, kH, kW), as torch.nn.functional.conv_transpose2d: the input gradient of
    conv2d with the same weight, stride, padding, dilation and groups.

    >>> import backprop as bp
    >>> conv_transpose2d(bp.ones(1, 1, 2, 2), bp.ones(1, 1, 2, 2), stride=2).shape
    backprop.Size([1, 1, 4, 4])
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                           "conv_transpose2d")


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution of input (N, C_in, D, H, W) or (C_in, D, H, W) with weight
    (C_in, C_out/groups, kD, kH, kW), as torch.nn.functional.conv_transpose3d."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                           "conv_transpose3d")
