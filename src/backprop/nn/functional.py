"""``backprop.nn.functional`` (import as F): the functional form of every layer,
activation and loss. The ops themselves live in ``backprop.ops``; this module
gathers their names in one place, as torch.nn.functional does.
"""
import importlib as _importlib

from backprop.ops.activation import log_softmax, softmax
from backprop.ops.elementwise import relu, sigmoid, tanh
from backprop.ops.join import pad
from backprop.ops.linalg import linear

# Families still being built add their public names through their __all__ (see nn/__init__.py).
for _family in ("nn_activation", "loss", "conv", "pooling", "normalization", "dropout", "embedding", "recurrent",
                "attention"):
    try:
        _module = _importlib.import_module(f"backprop.ops.{_family}")
    except ModuleNotFoundError as _error:
        if _error.name != f"backprop.ops.{_family}":
            raise
        continue
    globals().update({_name: getattr(_module, _name) for _name in getattr(_module, "__all__", ())})
