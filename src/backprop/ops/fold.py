"""unfold (im2col) and fold (col2im) as ops of their own, and pixel (un)shuffle.

unfold cuts every sliding window of a batch of images (N, C, H, W) into a
column, (N, C * kh * kw, L) with L the number of windows:

    cols[n, (c, a, b), l] = x_pad[n, c, i s_h + a d_h, j s_w + b d_w],   l = i * out_w + j.

fold is its transpose: every column added back onto the positions it was
read from (positions in several windows receive the sum), cropped by the
padding. Each is the other's backward, so the pair is differentiable to any
order (a convolution is unfold, then one matrix product: see ops/conv.py).

pixel_shuffle (Shi et al. 2016, sub-pixel convolution) rearranges
(*, C r^2, H, W) into (*, C, H r, W r): y[c, h r + i, w r + j] = x[c r^2 + i r + j, h, w];
pixel_unshuffle is its inverse. Both are a reshape, a permutation and a
reshape.
"""
import math

from backprop import backend
from backprop.autograd import Function
from backprop.ops.conv import _col2im, _crop, _im2col, _out_size, _pad
from backprop.ops.util import check_tensor, ntuple
from backprop.tensor import Tensor

__all__ = ["unfold", "fold", "pixel_shuffle", "pixel_unshuffle"]


def _unfold_arrays(xp, x, kernel, dilation, pairs, stride, out):
    cols = _im2col(xp, _pad(xp, x, pairs), kernel, stride, dilation, out)  # (C, kh, kw, N, oh, ow)
    n = x.shape[0]
    return xp.ascontiguousarray(xp.moveaxis(cols, 3, 0)).reshape(n, -1, math.prod(out))


def _fold_arrays(xp, cols, size, kernel, dilation, pairs, stride, out):
    n = cols.shape[0]
    c = cols.shape[1] // math.prod(kernel)
    cols = xp.moveaxis(cols.reshape((n, c) + tuple(kernel) + tuple(out)), 0, 3)  # (C, kh, kw, N, oh, ow)
    padded = tuple(s + a + b for s, (a, b) in zip(size, pairs))
    image = _col2im(xp, cols, (n, c) + padded, kernel, stride, dilation, out)  # (C, N, *padded)
    return xp.ascontiguousarray(_crop(image, pairs, size).swapaxes(0, 1))


class Unfold(Function):
    """cols = im2col(x): (N, C, H, W) -> (N, C*K, L); dL/dx = fold(dL/dcols) (col2im)."""

    def forward(self, x, *, kernel, dilation, pairs, stride, out):
        self._name, self.size = "Im2ColBackward0", x.shape[2:]
        return _unfold_arrays(backend.array_module(x), x, kernel, dilation, pairs, stride, out)

    def backward(self, grad):
        params = dict(size=self.size, kernel=self._params["kernel"], dilation=self._params["dilation"],
                      pairs=self._params["pairs"], stride=self._params["stride"], out=self._params["out"])
        if isinstance(grad, Tensor):  # create_graph: fold as a recorded op
            return Fold.apply(grad, **params)
        return _fold_arrays(backend.array_module(grad), grad, **params)


class Fold(Function):
    """x = col2im(cols): (N, C*K, L) -> (N, C, H, W), overlapping windows summed;
    dL/dcols = unfold(dL/dx) (im2col)."""

    def forward(self, cols, *, size, kernel, dilation, pairs, stride, out):
        self._name = "Col2ImBackward0"
        return _fold_arrays(backend.array_module(cols), cols, size, kernel, dilation, pairs, stride, out)

    def backward(self, grad):
        params = {k: self._params[k] for k in ("kernel", "dilation", "pairs", "stride", "out")}
        if isinstance(grad, Tensor):
            return Unfold.apply(grad, **params)
        return _unfold_arrays(backend.array_module(grad), grad, **params)


def _window_args(kernel_size, dilation, padding, stride, op):
    kernel = ntuple(kernel_size, 2, "kernel_size", op)
    dilation = ntuple(dilation, 2, "dilation", op)
    padding = ntuple(padding, 2, "padding", op)
    stride = ntuple(stride, 2, "stride", op)
    if any(v < 1 for v in kernel + dilation + stride) or any(p < 0 for p in padding):
        raise RuntimeError(f"{op}: kernel_size, dilation and stride must be positive and padding non-negative, got "
                           f"kernel_size={kernel}, dilation={dilation}, padding={padding}, stride={stride}")
    return kernel, dilation, tuple((p, p) for p in padding), stride


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding windows of input (N, C, H, W) or (C, H, W) as columns (N, C*kh*kw, L) (or (C*kh*kw, L)),
    as torch.nn.functional.unfold: cols[n, (c, a, b), l] = x_pad[n, c, i s_h + a d_h, j s_w + b d_w].

    >>> import backprop as bp
    >>> unfold(bp.arange(9.0).reshape(1, 1, 3, 3), 2).tolist()
    [[[0.0, 1.0, 3.0, 4.0], [1.0, 2.0, 4.0, 5.0], [3.0, 4.0, 6.0, 7.0], [4.0, 5.0, 7.0, 8.0]]]
    """
    op = "unfold"
    check_tensor(input, op)
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{op}: expected input of 4 dims (N, C, H, W) or 3 (C, H, W), got shape "
                           f"{tuple(input.shape)}")
    kernel, dilation, pairs, stride = _window_args(kernel_size, dilation, padding, stride, op)
    batched = input.ndim == 4
    x = input if batched else input.unsqueeze(0)
    out = _out_size(x.shape[2:], kernel, stride, dilation, pairs)
    if any(o < 1 for o in out):
        raise RuntimeError(f"{op}: input of spatial size {tuple(x.shape[2:])} padded by {padding} is smaller than "
                           f"the (dilated) kernel {tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))}")
    cols = Unfold.apply(x, kernel=kernel, dilation=dilation, pairs=pairs, stride=stride, out=out)
    return cols if batched else cols[0]


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Columns (N, C*kh*kw, L) or (C*kh*kw, L) added back into images (N, C, *output_size), as
    torch.nn.functional.fold: the transpose of unfold (overlapping windows are summed).

    >>> import backprop as bp
    >>> fold(bp.ones(1, 4, 4), (3, 3), 2).tolist()
    [[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]]
    """
    op = "fold"
    check_tensor(input, op)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"{op}: expected input of 3 dims (N, C*kh*kw, L) or 2 (C*kh*kw, L), got shape "
                           f"{tuple(input.shape)}")
    size = ntuple(output_size, 2, "output_size", op)
    kernel, dilation, pairs, stride = _window_args(kernel_size, dilation, padding, stride, op)
    batched = input.ndim == 3
    cols = input if batched else input.unsqueeze(0)
    k = math.prod(kernel)
    out = _out_size(size, kernel, stride, dilation, pairs)
    if cols.shape[1] % k:
        raise RuntimeError(f"{op}: expected size of input's dimension 1 to be divisible by the product of "
                           f"kernel_size {kernel}, got input of shape {tuple(input.shape)}")
    if any(o < 1 for o in out) or cols.shape[2] != math.prod(out):
        raise RuntimeError(f"{op}: output_size {size} with kernel_size {kernel}, dilation {dilation}, padding "
                           f"{tuple(p for p, _ in pairs)} and stride {stride} has {max(math.prod(out), 0)} blocks, "
                           f"got input of shape {tuple(input.shape)} ({cols.shape[2]} blocks)")
    image = Fold.apply(cols, size=size, kernel=kernel, dilation=dilation, pairs=pairs, stride=stride, out=out)
    return image if batched else image[0]


def _shuffle_check(input, factor, op, what):
    check_tensor(input, op)
    if input.ndim < 3:
        raise RuntimeError(f"{op} expects input to have at least 3 dimensions, but got input with {input.ndim} "
                           f"dimension(s)")
    if not isinstance(factor, int) or factor < 1:
        raise RuntimeError(f"{op} expects a positive int {what}, got {factor!r}")


def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r): y[c, h r + i, w r + j] = x[c r^2 + i r + j, h, w]
    (r = upscale_factor), as torch.nn.functional.pixel_shuffle.

    >>> import backprop as bp
    >>> pixel_shuffle(bp.arange(4.0).reshape(4, 1, 1), 2).tolist()
    [[[0.0, 1.0], [2.0, 3.0]]]
    """
    op = "pixel_shuffle"
    r = upscale_factor
    _shuffle_check(input, r, op, "upscale_factor")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"{op} expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    k = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)  # (*, C, H, r, W, r)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of pixel_shuffle, as
    torch.nn.functional.pixel_unshuffle.

    >>> import backprop as bp
    >>> pixel_unshuffle(bp.arange(4.0).reshape(1, 2, 2), 2).flatten().tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    op = "pixel_unshuffle"
    r = downscale_factor
    _shuffle_check(input, r, op, "downscale_factor")
    *lead, c, h, w = input.shape
    for name, n, axis in (("height", h, -2), ("width", w, -1)):
        if n % r:
            raise RuntimeError(f"{op} expects {name} to be divisible by downscale_factor, but input.size({axis})={n} "
                               f"is not divisible by {r}")
    k = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)  # (*, C, r, r, H, W)
    return x.reshape(*lead, c * r * r, h // r, w // r)
