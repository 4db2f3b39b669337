"""``backprop.nn``: modules, layers, activations, losses, initialisation."""
import importlib as _importlib

from backprop.nn import functional, init
from backprop.nn.container import Identity, ModuleList, Sequential
from backprop.nn.linear import Linear
from backprop.nn.module import Module
from backprop.nn.parameter import Parameter

# Layer families add their public names through their __all__.
for _family in ("activation", "loss", "conv", "pooling", "local", "normalization", "dropout", "embedding",
                "recurrent", "attention", "maxout", "flatten", "utils"):
    try:
        _module = _importlib.import_module(f"backprop.nn.{_family}")
    except ModuleNotFoundError as _error:
        if _error.name != f"backprop.nn.{_family}":
            raise
        continue
    globals().update({_name: getattr(_module, _name) for _name in getattr(_module, "__all__", ())})
