"""Differentiable ops, one module per family; each op is a Function subclass
with its forward and backward side by side, plus a lowercase function.

The public functions are declared where they are written (``@export`` of
``backprop.ops.manifest``); importing this package imports every family and
makes each declared op an attribute of it (``ops.exp``), a Tensor method
(``Tensor.exp``, ``Tensor.exp_``) and, through ``backprop/__init__.py``, a
top-level name (``bp.exp``).
"""
import importlib as _importlib
import pkgutil as _pkgutil

from backprop import backend as _backend
from backprop.ops import manifest
from backprop.ops.util import as_operand
from backprop.tensor import Tensor as _Tensor

for _module in sorted(m.name for m in _pkgutil.iter_modules(__path__)):
    _importlib.import_module(f"{__name__}.{_module}")
for _entry in manifest.entries():
    globals()[_entry.name] = _entry.function
manifest.install_methods(_Tensor)

from backprop.ops.conversion import cast, to_device  # noqa: E402  (the engine's own, not public ops)
from backprop.ops.indexing import getitem, overwrite  # noqa: E402


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
