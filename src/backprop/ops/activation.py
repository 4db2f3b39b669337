"""Softmax and log-softmax: a vector to a probability vector (or its log).

Fused ops rather than compositions of exp, sum and divide: one node and one
pass instead of five, and the max-subtraction that keeps e^z from
overflowing.
"""
from backprop import backend
from backprop.autograd import Function
from backprop.ops.util import dim_index, require_floating
from backprop.ops.manifest import export


class Softmax(Function):
    """y_i = e^{z_i} / sum_j e^{z_j};  dL/dz = y * (dL/dy - sum_j dL/dy_j y_j)."""

    def forward(self, x, axis):
        xp = backend.array_module(x)
        e = xp.exp(x - (x.max(axis=axis, keepdims=True) if x.size else 0))
        y = e / e.sum(axis=axis, keepdims=True)
        self.axis = axis
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        return y * (grad - (grad * y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    """y_i = z_i - log sum_j e^{z_j};  dL/dz = dL/dy - softmax(z) * sum_j dL/dy_j."""

    def forward(self, x, axis):
        xp = backend.array_module(x)
        shifted = x - (x.max(axis=axis, keepdims=True) if x.size else 0)  # empty: nothing to shift
        y = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        self.axis = axis
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        return grad - backend.array_module(y).exp(y) * grad.sum(axis=self.axis, keepdims=True)


@export()
def softmax(input, dim):
    """softmax(z)_i = e^{z_i} / sum_j e^{z_j} along ``dim``.

    >>> import backprop as bp
    >>> [round(p, 4) for p in bp.softmax(bp.tensor([1.0, 2.0, 3.0]), dim=0).tolist()]
    [0.09, 0.2447, 0.6652]
    """
    require_floating(input, "softmax")
    if input.ndim == 0:
        return Softmax.apply(input.reshape(1), axis=0).reshape(())
    return Softmax.apply(input, axis=dim_index(dim, input.ndim, "softmax"))


@export()
def log_softmax(input, dim):
    """log softmax(z)_i = z_i - log sum_j e^{z_j} along ``dim``, without overflow."""
    require_floating(input, "log_softmax")
    if input.ndim == 0:
        return LogSoftmax.apply(input.reshape(1), axis=0).reshape(())
    return LogSoftmax.apply(input, axis=dim_index(dim, input.ndim, "log_softmax"))
