"""What every explanation method shares: the input as a leaf Tensor, the explained class, eval mode.

The explained output is the class score y_c (the logit, before the softmax)
of the target class c of each example; ``target=None`` explains the class the
model predicts.
"""
import contextlib

import numpy

from backprop import autograd, backend
from backprop.nn.utils import evaluating
from backprop.tensor import Tensor

__all__ = ["as_input", "check_targets", "class_scores", "frozen", "input_gradient", "to_map"]


def as_input(x):
    """``x`` (a Tensor or an array, with a batch axis first) as a fresh float leaf Tensor that records gradients."""
    data = x._data if isinstance(x, Tensor) else numpy.asarray(x)
    if data.ndim < 2:
        raise ValueError(f"expected a batch of inputs (N, ...) with a batch axis first, got shape {tuple(data.shape)}")
    if data.dtype.kind != "f":
        data = data.astype(numpy.float32)
    return Tensor._make(data.copy(), requires_grad=True)


def check_targets(target, output):
    """The explained class of each example as an int64 array (N,): ``None`` is the predicted class,
    an int is the same class for all, a sequence gives one per example.

    >>> check_targets(None, numpy.array([[0.0, 2.0], [3.0, 1.0]])).tolist()
    [1, 0]
    >>> check_targets(1, numpy.zeros((3, 4))).tolist()
    [1, 1, 1]
    """
    if output.ndim != 2:
        raise ValueError(f"expected the model to output class scores (N, K), got shape {tuple(output.shape)}")
    n, k = output.shape
    if target is None:
        return numpy.asarray(backend.to_numpy(output)).argmax(axis=1).astype(numpy.int64)
    if isinstance(target, Tensor):
        target = target.numpy()
    array = numpy.asarray(target)
    if array.dtype.kind not in "iu":
        raise TypeError(f"target must be an int class index (or a sequence of them), got {target!r}")
    array = numpy.broadcast_to(array.astype(numpy.int64), (n,)) if array.ndim == 0 else array.astype(numpy.int64)
    if array.shape != (n,):
        raise ValueError(f"expected one target per example, shape ({n},), got shape {tuple(array.shape)}")
    if array.size and (array.min() < 0 or array.max() >= k):  # an empty batch has nothing to check
        raise ValueError(f"target classes must lie in [0, {k}), got {array.tolist()}")
    return numpy.ascontiguousarray(array)


def class_scores(output, targets):
    """The Tensor (N,) of y_{i, c_i}: each example's score of its explained class (differentiable)."""
    xp = backend.array_module(output._data)
    mask = xp.zeros(output.shape, dtype=output._data.dtype)
    mask[xp.arange(output.shape[0]), xp.asarray(targets)] = 1
    return (output * Tensor._make(mask)).sum(dim=1)


@contextlib.contextmanager
def frozen(model):
    """Eval mode with a graph for the input only: the parameters are frozen (requires_grad False), so a
    backward pass leaves their ``.grad`` alone (explaining or attacking a model between a training step's
    backward and its update changes nothing); mode and flags restored after."""
    parameters = list(model.parameters())
    flags = [p.requires_grad for p in parameters]
    with evaluating(model), autograd.enable_grad():
        try:
            for p in parameters:
                p.requires_grad_(False)
            yield model
        finally:
            for p, flag in zip(parameters, flags):
                p.requires_grad_(flag)


def input_gradient(model, x, target=None):
    """d y_c / d x: the gradient of each example's class score with respect to its input (a NumPy array of
    x's shape)."""
    x = as_input(x)
    with frozen(model):
        output = model(x)
        class_scores(output, check_targets(target, output._data)).sum().backward()
    return backend.to_numpy(x.grad._data)


def to_map(array, keep_channels=False):
    """A per-input attribution as a map of the input's spatial shape: for images (N, C, H, W) the channel
    axis is summed (attributions add up), giving (N, H, W); other shapes are returned as they are.

    >>> to_map(numpy.ones((2, 3, 4, 5))).shape, to_map(numpy.ones((2, 7))).shape
    ((2, 4, 5), (2, 7))
    """
    array = numpy.asarray(backend.to_numpy(array))
    if array.ndim == 4 and not keep_channels:
        return array.sum(axis=1)
    return array
