"""NumPy's names as differentiable ops on Tensors: the ``xp`` of a recorded backward formula.

An op's backward is written once, on arrays, with operators and
``xp = backend.array_module(grad)``. When the gradient's own graph is recorded
(``create_graph=True``) the engine hands the formula Tensors instead, and
``backend.array_module`` returns this module (``Tensor.__array_namespace__``):
the same names, each a recorded op, so the formula builds the graph of the
gradient. Only the names backward formulas use are here; arguments may mix
Tensors with arrays and numbers (constants). Functions whose derivative is
zero almost everywhere (``sign``, comparisons, ``isnan``) return constants.
"""
import builtins

from backprop import backend
from backprop import ops  # this package, still being imported: its names are looked up at call time
from backprop.tensor import Tensor

__all__ = ["abs", "broadcast_to", "concatenate", "cos", "exp", "expand_dims", "isfinite", "isnan", "log", "log1p",
           "matmul", "maximum", "minimum", "reshape", "sign", "sin", "split", "sqrt", "squeeze", "stack", "sum",
           "swapaxes", "tanh", "transpose", "where", "zeros_like", "ones_like"]


def _tensor(x, like=None):
    if isinstance(x, Tensor):
        return x
    xp = backend.array_module(like._data) if like is not None else backend.numpy
    return Tensor._make(xp.asarray(x))


def _raw(x):
    return x._data if isinstance(x, Tensor) else x


def exp(x):
    return ops.exp(_tensor(x))


def log(x):
    return ops.log(_tensor(x))


def log1p(x):
    return ops.log(1 + _tensor(x))


def sqrt(x):
    return ops.sqrt(_tensor(x))


def sin(x):
    return ops.sin(_tensor(x))


def cos(x):
    return ops.cos(_tensor(x))


def tanh(x):
    return ops.tanh(_tensor(x))


def abs(x):
    return ops.abs(_tensor(x))


def sign(x):
    """sign(x), a constant: its derivative is 0 wherever it exists."""
    return Tensor._make(backend.array_module(_raw(x)).sign(_raw(x)))


def isnan(x):
    return Tensor._make(backend.array_module(_raw(x)).isnan(_raw(x)))


def isfinite(x):
    return Tensor._make(backend.array_module(_raw(x)).isfinite(_raw(x)))


def where(condition, a, b):
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):  # two constants: a constant
        return Tensor._make(backend.array_module(_raw(condition)).where(_raw(condition), a, b))
    like = next(v for v in (a, b) if isinstance(v, Tensor))
    return ops.where(_tensor(condition, like), a, b)


def maximum(a, b):
    return ops.maximum(a, b)


def minimum(a, b):
    return ops.minimum(a, b)


def matmul(a, b):
    return ops.matmul(a, b)


def sum(x, axis=None, keepdims=False, dtype=None):
    return ops.sum(_tensor(x), axis, keepdims, dtype=dtype)


def reshape(x, shape):
    return ops.reshape(_tensor(x), shape)


def transpose(x, axes=None):
    x = _tensor(x)
    return ops.permute(x, *(range(x.ndim - 1, -1, -1) if axes is None else axes))


def swapaxes(x, axis1, axis2):
    return ops.transpose(_tensor(x), axis1, axis2)


def broadcast_to(x, shape):
    return ops.expand(_tensor(x), *shape)


def expand_dims(x, axis):
    return ops.unsqueeze(_tensor(x), axis)


def squeeze(x, axis=None):
    return ops.squeeze(_tensor(x), axis)


def concatenate(arrays, axis=0):
    like = next(a for a in arrays if isinstance(a, Tensor))
    return ops.cat([_tensor(a, like) for a in arrays], axis)


def stack(arrays, axis=0):
    like = next(a for a in arrays if isinstance(a, Tensor))
    return ops.stack([_tensor(a, like) for a in arrays], axis)


def split(x, indices, axis=0):
    """NumPy's split at ``indices`` (the positions where pieces start), as a list of views."""
    x = _tensor(x)
    bounds = [0] + list(indices) + [x.shape[axis]]
    lead = (builtins.slice(None),) * (axis % x.ndim)
    return [x[lead + (builtins.slice(start, end),)] for start, end in zip(bounds[:-1], bounds[1:])]


def zeros_like(x, dtype=None):
    data = _raw(x)
    return Tensor._make(backend.array_module(data).zeros_like(data, dtype=dtype))


def ones_like(x, dtype=None):
    data = _raw(x)
    return Tensor._make(backend.array_module(data).ones_like(data, dtype=dtype))
