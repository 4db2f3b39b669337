"""The manifest of the public ops: one declaration beside each op's function says where its name goes.

    @export(inplace=True)
    def exp(input):
        ...

- ``bp.exp``, a top-level function (``function=False``: a Tensor method only);
- ``Tensor.exp``, a method: the same function, the tensor as its first argument (``method=False``: none,
  as torch has ``bp.cat`` but no ``Tensor.cat``);
- ``Tensor.exp_`` with ``inplace=True``: the result written into the tensor, recorded as torch records
  in-place ops (``Tensor._inplace``).

``backprop/__init__.py`` re-exports the functions, ``ops/__init__.py`` attaches the methods to Tensor
(a method written by hand in tensor.py, for a signature of its own, wins), and the tests' lists of the
API's names are read from here. So adding an op means its file (its Function, its function and this
declaration) and its entry in the tests' op registry.
"""
from dataclasses import dataclass
from typing import Callable

__all__ = ["Entry", "export", "entries", "install_methods", "TOP_LEVEL_INPLACE"]

# torch's in-place functions at the top level (``torch.sin_(t)``): most in-place ops are methods only
# (torch has ``Tensor.add_`` but no ``torch.add_``); tests/test_api.py checks this set against torch
TOP_LEVEL_INPLACE = frozenset("""
    abs acos acosh addmv arccos arccosh arcsin arcsinh arctan arctanh asin asinh atan atanh ceil clamp clamp_max
    clamp_min clip cos cosh deg2rad erf erfc exp exp2 expm1 fix floor frac gcd i0 index_put lcm ldexp log log10 log1p
    log2 logit
    nan_to_num neg negative rad2deg reciprocal relu round rsqrt sigmoid sin sinc sinh sqrt square tan tanh trunc
    xlogy""".split())


@dataclass(frozen=True)
class Entry:
    name: str
    function: Callable
    module: str
    function_export: bool = True  # bp.NAME
    method: bool = True  # Tensor.NAME
    inplace: bool = False  # Tensor.NAME_


_ENTRIES = {}


def export(function=True, method=True, inplace=False, name=None):
    """Declare a public op (see the module docstring); returns the function unchanged."""

    def register(fn):
        key = name or fn.__name__
        if key in _ENTRIES and _ENTRIES[key].function is not fn:
            raise ValueError(f"the op {key!r} is declared twice: in {_ENTRIES[key].module} and {fn.__module__}")
        _ENTRIES[key] = Entry(key, fn, fn.__module__, function, method, inplace)
        return fn

    return register


def entries():
    """Every declared op, in declaration order."""
    return list(_ENTRIES.values())


def install_methods(tensor_class):
    """Attach ``Tensor.NAME`` (and ``NAME_``) for every entry that asks for one and tensor.py lacks."""
    for entry in _ENTRIES.values():
        if entry.method and entry.name not in vars(tensor_class):
            setattr(tensor_class, entry.name, entry.function)
        if entry.inplace and entry.name + "_" not in vars(tensor_class):
            setattr(tensor_class, entry.name + "_", _inplace_method(entry))


def _inplace_method(entry):
    function, label = entry.function, f"{entry.name}_()"

    def method(self, *args, **kwargs):
        return self._inplace(label, lambda t: function(t, *args, **kwargs))

    method.__name__ = method.__qualname__ = entry.name + "_"
    method.__doc__ = f"In-place ``{entry.name}``: the result written into this tensor (recorded in the graph)."
    return method
