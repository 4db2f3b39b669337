"""Resizing images and signals: interpolate (nearest, linear, bilinear, bicubic, trilinear, lanczos, area).

Every mode is separable: the output is the input resampled along one
spatial axis after the other, and along one axis each output position j is
a fixed weighted sum of a few input positions,

    y[..., j, ...] = sum_t w[j, t] x[..., i[j, t], ...],

a linear map y = M x along that axis with M (out, in) sparse. The taps
i[j, t] and weights w[j, t] follow torch's coordinate conventions:

- nearest:          i = min(floor(j * scale), in - 1), scale = 1 / scale_factor or in / out
                    (computed in float32, as torch does);
- nearest-exact:    i = min(floor((j + 0.5) * scale), in - 1);
- linear family:    source position u = scale (j + 1/2) - 1/2 clamped at 0 (half-pixel centres), or
                    u = j (in - 1) / (out - 1) with align_corners=True; taps floor(u) and floor(u) + 1
                    (clamped to the last input) weighted 1 - (u - floor u) and u - floor u;
- bicubic:          the same u without the clamp, taps floor(u) - 1 ... floor(u) + 2 clamped to the
                    border, Keys' cubic convolution weights with A = -0.75;
- antialias=True:   the inputs within the filter's reach of u = scale (j + 1/2), the filter (triangle,
                    cubic with A = -0.5, or Lanczos-3) stretched by the scale when shrinking, weights
                    normalised to sum to 1 (as PIL resizes);
- area:             the mean over adaptive average pooling's bins.

Forward gathers the taps (one take per tap); backward is the same kind of
gather with the taps of M^T (for every input, the outputs that read it).
"""
import math
import warnings

from backprop import backend, dtypes
from backprop.autograd import Function
from backprop.ops.util import check_tensor
from backprop.tensor import Tensor

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3, "lanczos": 2}
_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "lanczos", "area")
_CUBIC_A = -0.75


def _nearest_taps(np, size, out, scale, exact, shortcut):
    """(out, 1) indices of nearest: floor(j * scale) in float32 as torch (half-pixel with ``exact``).
    ``shortcut``: as torch's 2-d nearest kernel, an output of the input's size (or twice it) copies
    (or doubles) whatever the scale_factor."""
    if shortcut and out == size:
        return np.arange(out)[:, None], None
    if shortcut and out == 2 * size:
        return (np.arange(out) // 2)[:, None], None
    scale = np.float32(1.0 / scale) if scale else np.float32(size) / np.float32(out)
    j = np.arange(out, dtype=np.float32) + (np.float32(0.5) if exact else np.float32(0.0))
    index = np.floor(j * scale).astype(np.int64)
    return np.minimum(index, size - 1)[:, None], None


def _source(np, size, out, scale, align_corners, clamp):
    """Source coordinate u of every output position j (float64)."""
    j = np.arange(out, dtype=np.float64)
    if align_corners:
        return j * ((size - 1) / (out - 1) if out > 1 else 0.0)
    ratio = 1.0 / scale if scale else size / out
    u = ratio * (j + 0.5) - 0.5
    return np.maximum(u, 0.0) if clamp else u


def _linear_taps(np, size, out, scale, align_corners):
    u = _source(np, size, out, scale, align_corners, clamp=True)
    lo = np.minimum(np.floor(u).astype(np.int64), size - 1)
    hi = np.minimum(lo + 1, size - 1)
    frac = u - lo
    return np.stack([lo, hi], 1), np.stack([1.0 - frac, frac], 1)


def _cubic_weights(np, t):
    """Keys' cubic convolution weights of the taps at distances 1 + t, t, 1 - t, 2 - t (A = -0.75)."""
    a = _CUBIC_A

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], 1)


def _cubic_taps(np, size, out, scale, align_corners):
    u = _source(np, size, out, scale, align_corners, clamp=False)
    base = np.floor(u)
    index = np.clip(base.astype(np.int64)[:, None] + np.arange(-1, 3), 0, size - 1)
    return index, _cubic_weights(np, u - base)


def _area_taps(np, size, out):
    """Adaptive average pooling's bins [floor(j in / out), ceil((j + 1) in / out)), equal weights."""
    starts = [(j * size) // out for j in range(out)]
    ends = [-((-(j + 1) * size) // out) for j in range(out)]
    width = max(e - s for s, e in zip(starts, ends))
    index = np.array([[min(s + t, e - 1) for t in range(width)] for s, e in zip(starts, ends)], dtype=np.int64)
    weights = np.array([[1.0 / (e - s) if s + t < e else 0.0 for t in range(width)] for s, e in zip(starts, ends)])
    return index, weights


def _antialias_taps(np, size, out, scale, align_corners, mode):
    """Anti-aliased resizing (torch's antialias=True, PIL's resampling): output j averages the inputs
    around its centre u = ratio (j + 1/2) under the filter (the triangle 1 - |x| for bilinear, Keys' cubic
    with A = -0.5 for bicubic) stretched by the ratio in/out when shrinking, so that every input is
    counted; the weights are normalised to sum to 1. Lanczos-3: the windowed sinc, sinc(x) sinc(x / 3)."""
    ratio = ((size - 1) / (out - 1) if out > 1 else 0.0) if align_corners else (1.0 / scale if scale else size / out)
    reach = {"bilinear": 1.0, "bicubic": 2.0, "lanczos": 3.0}[mode]  # the filter's half-width
    stretch = max(ratio, 1.0)
    centre = ratio * (np.arange(out) + 0.5)
    lo = np.maximum((centre - reach * stretch + 0.5).astype(np.int64), 0)
    hi = np.minimum((centre + reach * stretch + 0.5).astype(np.int64), size)
    index = lo[:, None] + np.arange(max(int((hi - lo).max()), 1))
    x = np.abs((index - centre[:, None] + 0.5) / stretch)
    if mode == "bilinear":
        weights = np.maximum(1.0 - x, 0.0)
    elif mode == "lanczos":  # sinc(x) sinc(x / 3) inside |x| < 3
        weights = np.where(x < 3, np.sinc(x) * np.sinc(x / 3), 0.0)
    else:
        a = -0.5
        weights = np.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                           np.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, 0.0))
    weights = np.where(index < hi[:, None], weights, 0.0)
    total = weights.sum(1, keepdims=True)
    return np.minimum(index, size - 1), weights / np.where(total == 0, 1.0, total)


def _taps(mode, size, out, scale, align_corners, dims, antialias=False):
    np = backend.numpy  # index tables, a few numbers per output position (not the data)
    if antialias:
        return _antialias_taps(np, size, out, scale, align_corners, mode)
    if mode in ("nearest", "nearest-exact"):
        return _nearest_taps(np, size, out, scale, mode == "nearest-exact", mode == "nearest" and dims == 2)
    if mode == "bicubic":
        return _cubic_taps(np, size, out, scale, align_corners)
    if mode == "area":
        return _area_taps(np, size, out)
    return _linear_taps(np, size, out, scale, align_corners)


def _transpose_taps(np, index, weights, size):
    """The taps of M^T: for every input i, the outputs j that read it and their weights (a table of
    (size, r) with r the most readers of one input; unused places have weight 0)."""
    out, taps = index.shape
    rows = np.repeat(np.arange(out), taps)
    cols = index.ravel()
    vals = np.ones(out * taps) if weights is None else weights.ravel()
    keep = vals != 0
    rows, cols, vals = rows[keep], cols[keep], vals[keep]
    order = np.argsort(cols, kind="stable")
    rows, cols, vals = rows[order], cols[order], vals[order]
    counts = np.bincount(cols, minlength=size)
    rank = np.arange(len(cols)) - (np.cumsum(counts) - counts)[cols]  # place among the readers of its input
    width = max(int(counts.max(initial=0)), 1)
    t_index, t_weights = np.zeros((size, width), dtype=np.int64), np.zeros((size, width))
    t_index[cols, rank], t_weights[cols, rank] = rows, vals
    return t_index, t_weights


def _gather(xp, x, axis, index, weights):
    """sum_t w[j, t] x[..., i[j, t], ...] along ``axis`` (one take per tap)."""
    device = backend.device_of(x)
    index = backend.to_device(index, device)
    shape = [1] * x.ndim
    shape[axis] = index.shape[0]
    y = None
    for t in range(index.shape[1]):
        part = xp.take(x, index[:, t], axis=axis)
        if weights is not None:
            part *= backend.to_device(weights[:, t].astype(x.dtype), device).reshape(shape)
        y = part if y is None else y.__iadd__(part)
    return y


class Resample(Function):
    """y[..., j, ...] = sum_t w[j, t] x[..., i[j, t], ...] along ``axis``, i.e. y = M x there
    (``weights`` None: one tap of weight 1, nearest). dL/dx = M^T dL/dy is the same kind of map with
    the transposed taps (``_transpose_taps``), itself a Resample when the graph is recorded: linear,
    so differentiable to any order."""

    def forward(self, x, *, axis, index, weights, size, torch_name):
        self._name = torch_name  # torch's one node for the whole resize (here one node per axis)
        self.axis, self.index, self.weights, self.size = axis, index, weights, size
        return _gather(backend.array_module(x), x, axis, index, weights)

    def backward(self, grad):
        index, weights = _transpose_taps(backend.numpy, self.index, self.weights, self.size)
        if isinstance(grad, Tensor):  # create_graph: the transposed map as a recorded op
            return Resample.apply(grad, axis=self.axis, index=index, weights=weights, size=self.index.shape[0],
                                  torch_name=self._name)
        return _gather(backend.array_module(grad), grad, self.axis, index, weights)


def _torch_name(mode, dims, antialias):
    """torch's name of the resize's node, e.g. UpsampleBilinear2DBackward0 (UpsampleBilinear2DAaBackward0)."""
    if mode == "area":
        return f"AdaptiveAvgPool{dims}DBackward0" if dims > 1 else "SqueezeBackward1"
    words = {"nearest": "Nearest", "nearest-exact": "NearestExact", "linear": "Linear", "bilinear": "Bilinear",
             "bicubic": "Bicubic", "trilinear": "Trilinear", "lanczos": "Lanczos"}
    return f"Upsample{words[mode]}{dims}D{'Aa' if antialias else ''}Backward0"


def _per_dim(value, dims, what):
    if isinstance(value, (tuple, list)):
        if len(value) != dims:
            raise ValueError(f"interpolate: {what} must have {dims} elements for an input with {dims} spatial "
                             f"dims, got {tuple(value)}")
        return tuple(value)
    return (value,) * dims


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize input (N, C, *spatial) with 1 to 3 spatial dims to ``size`` or by ``scale_factor``, as
    torch.nn.functional.interpolate (modes nearest, nearest-exact, linear (3-d input), bilinear and
    bicubic (4-d), trilinear (5-d), area; taps and weights in the module docstring). ``antialias=True``
    (bilinear, bicubic, and lanczos, which needs it): PIL's filtered resizing (``_antialias_taps``).

    The output size is ``size``, or floor(in * scale_factor); the resampling then uses
    1 / scale_factor as its scale unless ``recompute_scale_factor=True`` (then in / out).

    >>> import backprop as bp
    >>> interpolate(bp.tensor([[[1.0, 2.0]]]), scale_factor=2).tolist()
    [[[1.0, 1.0, 2.0, 2.0]]]
    >>> interpolate(bp.tensor([[[1.0, 2.0]]]), size=3, mode="linear", align_corners=True).tolist()
    [[[1.0, 1.5, 2.0]]]
    """
    op = "interpolate"
    check_tensor(input, op)
    if mode not in _MODES:
        raise NotImplementedError(f"interpolate: mode must be one of {', '.join(_MODES)}, got {mode!r}")
    dims = input.ndim - 2
    if dims not in (1, 2, 3):
        raise ValueError(f"interpolate: expected input of 3, 4 or 5 dims (N, C, *spatial), got shape "
                         f"{tuple(input.shape)}")
    if align_corners is not None and mode not in _DIMS:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and dims == 2):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a "
                         "4-D tensor as input")
    if mode in _DIMS and _DIMS[mode] != dims:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {_DIMS[mode] + 2}D input")
    if mode == "lanczos" and align_corners:
        raise ValueError("Lanczos mode does not support align_corners=True")
    if mode == "lanczos" and not antialias:
        raise ValueError("Lanczos mode requires antialias=True")
    if not dtypes.is_floating(input.dtype):
        raise NotImplementedError(f"interpolate: mode {mode!r} needs a floating point input, got {input.dtype}")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined" if size is not None
                         else "either size or scale_factor should be defined")
    spatial = tuple(input.shape[2:])
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        if isinstance(size, (tuple, list)) and len(size) != dims:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {list(spatial)} and output size of {list(size)}.")
        out = tuple(int(s) for s in _per_dim(size, dims, "size"))
        scales = (None,) * dims
    else:
        factors = tuple(float(f) for f in _per_dim(scale_factor, dims, "scale_factor"))
        out = tuple(math.floor(n * f) for n, f in zip(spatial, factors))
        scales = (None,) * dims if recompute_scale_factor or mode == "area" else factors
    if any(o < 1 for o in out):
        raise RuntimeError(f"interpolate: input and output sizes should be greater than 0, got input "
                           f"{spatial} and output {out}")
    corners = bool(align_corners)
    torch_name = _torch_name(mode, dims, antialias)
    y = input
    for axis, (n, o, scale) in enumerate(zip(spatial, out, scales), start=2):
        if o == n and scale in (None, 1.0) and mode != "bicubic" and not antialias:
            continue  # the identity along this axis
        index, weights = _taps(mode, n, o, scale, corners, dims, antialias)
        y = Resample.apply(y, axis=axis, index=index, weights=weights, size=n, torch_name=torch_name)
    return y if y is not input else input.clone()


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate`` (torch warns, and so does this)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", UserWarning,
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: interpolate(input, size, scale_factor, mode="nearest")."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  UserWarning, stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  UserWarning, stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
