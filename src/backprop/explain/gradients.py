"""Gradient heat maps: how much the class score y_c moves when one input x_j moves.

The lecture's relevance of input j for example i is the partial derivative
d y_c / d x_ij (or its square). Near x the network is, to first order, the
linear model y_c(x + d) ~ y_c(x) + sum_j (d y_c / d x_j) d_j, so the gradient
is the weight the network gives each input there; for a linear model
y = W x + b it is exactly the weight row w_c, the same for every example.

- ``saliency``: S_j = d y_c / d x_j (squared: S_j^2).
- ``gradient_x_input``: G_j = x_j d y_c / d x_j, the gradient times the
  input; for a linear model without bias the G_j add up to y_c.
- ``integrated_gradients`` (Sundararajan et al. 2017): the gradient averaged
  on the straight path from a baseline x' (an "absent" input, zero by default)
  to x, times x - x':
      IG_j = (x_j - x'_j) * integral_0^1 d y_c / d x_j (x' + a (x - x')) da,
  which adds up to y_c(x) - y_c(x') (completeness: the fundamental theorem of
  calculus along the path). The integral is a midpoint Riemann sum over
  ``steps`` points a_k = (k - 1/2) / steps.

Image maps (N, C, H, W) are summed over the channels to (N, H, W) unless
``keep_channels=True``.
"""
import numbers

import numpy

from backprop import backend
from backprop import creation
from backprop.explain._common import as_input, check_targets, input_gradient, to_map
from backprop.nn.utils import evaluating
from backprop.tensor import Tensor

__all__ = ["saliency", "gradient_x_input", "integrated_gradients"]

# Integrated gradients runs its path points in passes of at most this many input values (a few MB of float32).
_VALUES_PER_PASS = 1 << 20


def saliency(model, x, target=None, *, squared=False, keep_channels=False):
    """The lecture's heat map S_ij = d y_c / d x_ij of each example i (or its square with ``squared=True``).

    For a linear model it is the weight row w_c:

    >>> import backprop as bp
    >>> model = bp.nn.Linear(3, 2)
    >>> maps = saliency(model, bp.randn(4, 3), target=1)
    >>> bool(numpy.allclose(maps, model.weight.detach().numpy()[1]))
    True
    """
    gradient = input_gradient(model, x, target)
    return to_map(gradient ** 2 if squared else gradient, keep_channels)


def gradient_x_input(model, x, target=None, *, keep_channels=False):
    """G_ij = x_ij d y_c / d x_ij: the gradient weighted by the input it multiplies.

    For a linear model without bias, y_c = sum_j w_cj x_j = sum_j G_j:

    >>> import backprop as bp
    >>> model, x = bp.nn.Linear(3, 2, bias=False), bp.randn(4, 3)
    >>> maps = gradient_x_input(model, x, target=0)
    >>> bool(numpy.allclose(maps.sum(axis=1), model(x)[:, 0].detach().numpy(), atol=1e-6))
    True
    """
    gradient = input_gradient(model, x, target)
    return to_map(backend.to_numpy(as_input(x)._data) * gradient, keep_channels)


def integrated_gradients(model, x, target=None, *, baseline=None, steps=50, keep_channels=False):
    """IG_j = (x_j - x'_j) * (1/m) sum_{k=1}^{m} d y_c / d x_j (x' + a_k (x - x')), a_k = (k - 1/2)/m, m = ``steps``.

    ``baseline`` x' is zero by default, or an array (Tensor) broadcastable to x's
    shape (e.g. one image (C, H, W) for all). ``target=None`` explains the class
    predicted for x. The maps add up to y_c(x) - y_c(x') up to the Riemann sum's
    error, which shrinks as ``steps`` grows:

    >>> import backprop as bp
    >>> model = bp.nn.Sequential(bp.nn.Linear(3, 8), bp.nn.Tanh(), bp.nn.Linear(8, 2)).double()
    >>> x = bp.randn(4, 3).double()
    >>> maps = integrated_gradients(model, x, target=1, steps=100)
    >>> y = model(x)[:, 1] - model(bp.zeros(4, 3).double())[:, 1]
    >>> bool(numpy.allclose(maps.sum(axis=1), y.detach().numpy(), atol=1e-4))
    True
    """
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"steps must be a positive int (points of the Riemann sum), got {steps!r}")
    x = as_input(x)._data
    xp = backend.array_module(x)
    baseline = _baseline(baseline, x)
    with evaluating(model):
        targets = check_targets(target, model(Tensor._make(x))._data)
    alphas = xp.asarray((numpy.arange(steps) + 0.5) / steps, dtype=x.dtype)
    path_sum = _path_gradient_sum(model, baseline, x - baseline, alphas, targets)
    return to_map(backend.to_numpy(x - baseline) * path_sum / steps, keep_channels)


def _baseline(baseline, x):
    """The baseline x' as an array of x's shape, dtype and device (zeros when None)."""
    xp = backend.array_module(x)
    if baseline is None:
        return xp.zeros_like(x)
    array = creation.as_tensor(baseline, dtype=x.dtype, device=backend.device_of(x))._data
    try:
        return xp.broadcast_to(array, x.shape)
    except ValueError:
        raise ValueError(f"baseline of shape {tuple(array.shape)} does not broadcast to the input's "
                         f"shape {tuple(x.shape)}") from None


def _path_gradient_sum(model, start, delta, alphas, targets):
    """sum_k d y_c / d x at start + a_k delta for every example (NumPy, start's shape), the points of
    several steps and examples stacked into one batch per forward pass (at most _VALUES_PER_PASS values)."""
    n, shape = start.shape[0], start.shape[1:]
    size = max(1, int(numpy.prod(shape)))
    examples_per_pass = max(1, min(n, _VALUES_PER_PASS // size))
    steps_per_pass = max(1, _VALUES_PER_PASS // (examples_per_pass * size))
    total = numpy.zeros(start.shape, dtype=start.dtype)
    for first in range(0, n, examples_per_pass):
        part = slice(first, first + examples_per_pass)
        for k in range(0, len(alphas), steps_per_pass):
            a = alphas[k:k + steps_per_pass].reshape(-1, *([1] * start.ndim))
            points = (start[part] + a * delta[part]).reshape(-1, *shape)  # step-major: (steps, examples) rows
            gradient = input_gradient(model, points, numpy.tile(targets[part], len(a)))
            total[part] += gradient.reshape(len(a), -1, *shape).sum(axis=0)
    return total
