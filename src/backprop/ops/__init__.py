"""Differentiable ops, one module per family; each op is a Function subclass
with its forward and backward side by side, plus a lowercase function.
"""
from backprop import backend as _backend
from backprop.ops import activation, arithmetic, conversion, elementwise, indexing, join, linalg, reduction
from backprop.ops import selection, shape
from backprop.ops.activation import log_softmax, softmax
from backprop.ops.arithmetic import add, div, mul, neg, pow, sub
from backprop.ops.conversion import cast, clone, to_device
from backprop.ops.elementwise import abs, clamp, cos, exp, log, relu, sigmoid, sin, sqrt, tanh
from backprop.ops.indexing import gather, getitem, overwrite
from backprop.ops.join import cat, chunk, pad, split, stack
from backprop.ops.linalg import matmul
from backprop.ops.reduction import argmax, argmin, logsumexp, max, mean, min, prod, std, sum, var
from backprop.ops.selection import maximum, minimum, where
from backprop.ops.shape import expand, flatten, permute, reshape, squeeze, transpose, unsqueeze, view
from backprop.ops.util import as_operand
from backprop.tensor import Tensor as _Tensor


def compare(a, b, name):
    """``a < b`` and the other comparisons: a bool tensor, not differentiable."""
    return _elementwise_constant(a, b, name)


def logical(a, b, name):
    """``a & b``, ``a | b``, ``a ^ b`` of bool (or integer) tensors: not differentiable."""
    return _elementwise_constant(a, b, name)


def _elementwise_constant(a, b, name):
    like = a if isinstance(a, _Tensor) else b
    a, b = as_operand(a, like), as_operand(b, like)
    xp = _backend.array_module(like._data)
    result = getattr(xp, name)(a._data if isinstance(a, _Tensor) else a, b._data if isinstance(b, _Tensor) else b)
    return _Tensor._make(xp.asarray(result))
