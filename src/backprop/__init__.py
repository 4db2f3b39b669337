"""backprop: a deep-learning framework written from scratch on NumPy, with PyTorch's API.

>>> import backprop as bp
>>> x = bp.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x ** 2).sum().backward()
>>> x.grad
tensor([2., 4., 6.])
"""
from backprop import autograd
from backprop.autograd import (
    enable_grad, inference_mode, is_anomaly_check_nan_enabled, is_anomaly_enabled, is_grad_enabled,
    is_inference_mode_enabled, no_grad, set_grad_enabled,
)
from backprop.backend import device
from backprop.creation import (
    arange, as_tensor, eye, from_numpy, full, full_like, get_rng_state, linspace, manual_seed, set_rng_state, ones, ones_like, rand, randint,
    randn, tensor, zeros, zeros_like,
)
from backprop.dtypes import float16, float32, float64, int8, int16, int32, int64, uint8, result_type
from backprop.dtypes import bool_ as bool  # noqa: A001  (torch's name; shadows the builtin only here)
from backprop.ops import manifest as _manifest
from backprop.serialization import load, save
from backprop import nn  # noqa: E402,F401  (after the core it builds on)
from backprop import cuda, data, linalg, optim, sparse  # noqa: E402,F401
from backprop.tensor import Tensor

globals().update({entry.name: entry.function for entry in _manifest.entries() if entry.function_export})

__version__ = "0.1.0"

_LAZY = ("attacks", "classic", "distributed", "explain", "generative", "models", "pretrain", "rl", "train")  # imported on first use: they pull in more than `import backprop` needs


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"backprop.{name}")
    raise AttributeError(f"module 'backprop' has no attribute {name!r}")
