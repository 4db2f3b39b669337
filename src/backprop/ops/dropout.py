"""Dropout (Srivastava et al. 2014): in training, each unit is kept with probability 1 - p and zeroed otherwise.

Two conventions give the same expected activation at test time:
- inverted dropout (torch's and the default): y = m z / (1 - p) in training,
  m ~ Bernoulli(1 - p), and y = z at test, so E[y_train] = z = y_test and the
  trained net runs unchanged;
- the lectures' (and the original paper's) form, ``scale_at_test=True``:
  y = m z in training and y = (1 - p) z at test ("use all units and multiply
  the outgoing weights by 1/2" for p = 1/2).
"""
from backprop import backend
from backprop import creation
from backprop.autograd import Function
from backprop.ops.util import require_floating
from backprop.tensor import Tensor

__all__ = ["dropout", "channel_dropout"]


class Dropout(Function):
    """y = z * mask (mask = m / (1 - p) or m, 0 where dropped);  dL/dz = dL/dy * mask: only kept units get gradient."""

    def forward(self, x, mask):
        self.mask = mask
        return x * mask

    def backward(self, grad):
        return grad * self.mask


def _check_p(p, op):
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, got {p!r}")


def dropout(input, p=0.5, training=True, inplace=False, *, scale_at_test=False):
    """Zero each element with probability ``p`` (in training); see the module docstring for the two scalings.

    ``inplace`` is accepted for torch compatibility; the result is always a
    new tensor. The mask is drawn from ``backprop.creation.generator()``
    (seed it with ``bp.manual_seed``).

    >>> import backprop as bp
    >>> dropout(bp.ones(4), p=0.5, training=False).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    require_floating(input, "dropout")
    _check_p(p, "dropout()")
    if not training:
        return input * (1.0 - p) if scale_at_test and p else input
    if p == 0:
        return input
    return _masked(input, p, input.shape, scale_at_test)


def channel_dropout(input, p, training, spatial, op):
    """Dropout1d/2d/3d (Tompson et al. 2015): zero whole channels, each with probability ``p``; the mask has
    shape (N, C, 1, ...) (or (C, 1, ...) for an unbatched input of ``spatial`` + 1 dims), so that neighbouring,
    correlated activations of one feature map are dropped together."""
    require_floating(input, op)
    _check_p(p, f"{op}()")
    if input.ndim < 2:
        raise ValueError(f"{op}(): expected an input with a channel dimension, got shape {tuple(input.shape)}")
    if not training or p == 0:
        return input
    unbatched = input.ndim == spatial + 1 and spatial != 2  # torch reads a 3-d input to dropout2d as (N, C, L)
    kept = input.shape[:1] if unbatched else input.shape[:2]
    return _masked(input, p, tuple(kept) + (1,) * (input.ndim - len(kept)), False)


def _masked(input, p, mask_shape, scale_at_test):
    keep = creation.generator().random(mask_shape) >= p
    mask = keep.astype(input._data.dtype)
    if not scale_at_test:
        mask = mask / (1 - p) if p < 1 else mask
    mask = backend.to_device(mask.astype(input._data.dtype, copy=False), input.device)
    return Dropout.apply(input, mask=mask)


# ---------------------------------------------------------------- alpha dropout (self-normalising networks)
__all__ += ["alpha_dropout", "feature_alpha_dropout"]

_SELU_SATURATION = 1.7580993408473766  # -alpha' = scale * alpha of SELU: the value SELU tends to at -infinity


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout (Klambauer et al. 2017) for SELU networks: in training each unit is set, with probability
    p, to SELU's negative saturation -alpha' instead of 0, then y = a x' + b with
    a = ((1 - p)(1 + p alpha'^2))^(-1/2), b = -a alpha' p, so that a unit of mean 0 and variance 1 keeps them.
    Identity in evaluation. (``inplace`` is accepted; the result is a new tensor.)"""
    return _alpha_dropout(input, p, training, False, "alpha_dropout")


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels: one draw per (example, channel) of (N, C, *)."""
    return _alpha_dropout(input, p, training, True, "feature_alpha_dropout")


def _alpha_dropout(input, p, training, feature, op):
    require_floating(input, op)
    _check_p(p, f"{op}()")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2) if feature else tuple(input.shape)
    dtype = input._data.dtype
    keep = (creation.generator().random(shape) >= p).astype(dtype)
    a = 1.0 / ((_SELU_SATURATION ** 2 * p + 1) * (1 - p)) ** 0.5
    # kept units: a x + a alpha' p; dropped: a (-alpha') + a alpha' p
    shift = ((keep - 1) * (_SELU_SATURATION * a) + _SELU_SATURATION * a * p).astype(dtype)
    device = input.device
    scaled = Dropout.apply(input, mask=backend.to_device((keep * a).astype(dtype), device))
    return scaled + Tensor._make(backend.to_device(shift, device))
