"""Gradient and weight utilities: clipping, max-norm, flat parameter vectors; eval mode for a block; a model's device.

Used as ``bp.nn.utils.clip_grad_norm_(model.parameters(), 1.0)``, as in torch.
"""
import contextlib
import math

from backprop import autograd
from backprop import backend
from backprop.creation import tensor
from backprop.tensor import Tensor

__all__ = []  # reached as backprop.nn.utils.<name>, as torch.nn.utils


def _params(parameters):
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0):
    """Gradient clipping: if ||g|| > v then g <- g v / ||g||, with ||g|| over all gradients together.

    Returns the total norm before clipping (a 0-d tensor), as torch.
    """
    grads = [p.grad for p in _params(parameters) if p.grad is not None]
    if not grads:
        return tensor(0.0)
    xp = backend.array_module(grads[0]._data)
    if norm_type == math.inf:
        total = max(float(xp.abs(g._data).max()) for g in grads)
    else:
        total = sum(float((xp.abs(g._data.astype("float64")) ** norm_type).sum()) for g in grads) ** (1.0 / norm_type)
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1:
        for g in grads:
            g._data = g._data * g._data.dtype.type(coefficient)
    return tensor(total, dtype=grads[0].dtype, device=grads[0].device)


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient element to [-clip_value, clip_value]."""
    for p in _params(parameters):
        if p.grad is not None:
            p.grad._data = backend.array_module(p.grad._data).clip(p.grad._data, -clip_value, clip_value)


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    from backprop.ops import cat

    return cat([p.reshape(-1) for p in _params(parameters)])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of ``vec`` into the parameters (in place, no graph)."""
    start = 0
    with autograd.no_grad():
        for p in _params(parameters):
            n = p.numel()
            p.copy_(vec._data[start:start + n].reshape(p.shape))
            start += n
    if start != vec.numel():
        raise ValueError(f"vector_to_parameters: vector has {vec.numel()} elements, the parameters {start}")


def _units(module):
    """(weight, number of leading axes that index the units) of every layer whose units max-norm constrains."""
    from backprop.nn.conv import _ConvNd
    from backprop.nn.linear import Linear
    from backprop.nn.local import LocallyConnected2d
    from backprop.nn.maxout import Maxout

    for layer in module.modules():
        weight = getattr(layer, "weight", None)
        if weight is None:
            continue
        if isinstance(layer, (Linear, Maxout, _ConvNd)):
            yield weight, 1  # (out, in) or (out, in / groups, *kernel): one unit a row
        elif isinstance(layer, LocallyConnected2d):
            yield weight, 3  # (out_H, out_W, out_channels, in_channels, kH, kW): one unit per position and channel


def max_norm_(module, max_norm):
    """Max-norm constraint: if ||w|| > alpha then w <- alpha w / ||w||, per unit (neuron), in place.

    w is one unit's incoming weight vector: a row of a Linear (or Maxout)
    weight, an output channel of a Conv weight, one (i, j, o) filter of a
    LocallyConnected2d weight (the norm over its last three axes). Biases and
    other layers are left alone. Call it after ``optimizer.step()`` (or attach
    ``bp.optim.MaxNorm``). Returns the module.

    >>> import backprop as bp
    >>> layer = bp.nn.Linear(2, 2)
    >>> layer.weight.data[...] = [[3.0, 4.0], [0.3, 0.4]]
    >>> max_norm_(layer, 1.0).weight.detach()
    tensor([[0.6000, 0.8000],
            [0.3000, 0.4000]])
    """
    from backprop.nn.module import Module

    if not isinstance(module, Module):
        raise TypeError(f"max_norm_ expects a Module, got {type(module).__name__}")
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float)) or not max_norm > 0:
        raise ValueError(f"max_norm_: max_norm must be a positive number, got {max_norm!r}")
    for weight, leading in _units(module):
        data = weight._data
        xp = backend.array_module(data)
        axes = tuple(range(leading, data.ndim))
        norms = xp.sqrt(xp.square(data).sum(axis=axes, keepdims=True))
        if (norms > max_norm).any():
            data *= max_norm / xp.maximum(norms, max_norm)  # 1 where ||w|| <= alpha, alpha / ||w|| elsewhere
            weight._version[0] += 1
    return module


@contextlib.contextmanager
def evaluating(model):
    """Eval mode (dropout off, batch norm on running statistics) and no graph; the mode is restored after."""
    was_training = model.training
    model.eval()
    try:
        with autograd.no_grad():
            yield model
    finally:
        model.train(was_training)


def device_of(model):
    """The device of ``model``'s first parameter, where its inputs must go; None for a model without any.

    >>> import backprop as bp
    >>> device_of(bp.nn.Linear(2, 2)), device_of(bp.nn.ReLU())
    (device(type='cpu'), None)
    """
    return next((p.device for p in model.parameters()), None)
