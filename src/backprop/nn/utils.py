"""Gradient and weight utilities: clipping, max-norm, flat parameter vectors.

Used as ``bp.nn.utils.clip_grad_norm_(model.parameters(), 1.0)``, as in torch.
"""
import math

from backprop import autograd
from backprop import backend
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
        return Tensor(0.0)
    xp = backend.array_module(grads[0]._data)
    if norm_type == math.inf:
        total = max(float(xp.abs(g._data).max()) for g in grads)
    else:
        total = sum(float((xp.abs(g._data.astype("float64")) ** norm_type).sum()) for g in grads) ** (1.0 / norm_type)
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1:
        for g in grads:
            g._data = g._data * g._data.dtype.type(coefficient)
    return Tensor(total, dtype=grads[0].dtype)


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


def max_norm_(module, max_norm, dim=None):
    """Max-norm constraint: if ||w|| > alpha then w <- alpha w / ||w||, per output unit.

    Each output unit's incoming weight vector (a row of a Linear weight, an
    output channel of a Conv weight) is rescaled to norm <= ``max_norm``.
    Applies to every parameter named ``weight`` with 2 or more dimensions
    (call it after ``optimizer.step()``).
    """
    with autograd.no_grad():
        for name, p in module.named_parameters():
            if name.rsplit(".", 1)[-1] != "weight" or p.ndim < 2:
                continue
            data = p._data
            xp = backend.array_module(data)
            norms = xp.sqrt((data.reshape(data.shape[0], -1).astype("float64") ** 2).sum(axis=1))
            scale = xp.minimum(1.0, max_norm / xp.maximum(norms, 1e-12)).astype(data.dtype)
            p.copy_(data * scale.reshape((-1,) + (1,) * (data.ndim - 1)))
    return module
