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
from backprop.backend import device, get_default_device, get_num_threads, set_default_device, set_num_threads
from backprop.creation import (
    arange, as_tensor, asarray, bernoulli, complex, empty, empty_like, eye, from_numpy, full, full_like, linspace, logspace,
    meshgrid, multinomial, normal, ones, ones_like, poisson, rand, rand_like, randint, randint_like, randn,
    randn_like, randperm, tensor, tril_indices, triu_indices, zeros, zeros_like,
)
from backprop.dtypes import (
    DType as dtype, finfo, float16, float32, float64, get_default_dtype, iinfo, int8, int16, int32, int64, result_type,
    set_default_dtype, uint8,
)
from backprop.dtypes import bool_ as bool  # noqa: A001  (torch's names; they shadow the builtins only here)
from backprop.dtypes import float32 as float, float64 as double, float16 as half  # noqa: A001
from backprop.dtypes import int64 as long, int32 as int, int16 as short  # noqa: A001
from backprop.ops import manifest as _manifest
from backprop.random import (
    Generator, default_generator, fork_rng, get_rng_state, initial_seed, manual_seed, seed, set_rng_state,
)
from backprop.serialization import load, save
from backprop import nn  # noqa: E402,F401  (after the core it builds on)
from backprop import accelerator, cuda, data, linalg, optim, random, sparse  # noqa: E402,F401
from backprop.tensor import (
    Size, Tensor, channels_last, channels_last_3d, contiguous_format, get_printoptions, layout, legacy_types,
    memory_format, preserve_format, set_printoptions, strided,
)
from backprop.tensor import _legacy_type_of_name

globals().update({entry.name: entry.function for entry in _manifest.entries() if entry.function_export})
globals().update(legacy_types("cpu"))  # FloatTensor, LongTensor ...
vars(cuda).update(legacy_types("cuda"))  # cuda.FloatTensor ...

__version__ = "0.1.0"

_LAZY = ("attacks", "classic", "distributed", "explain", "generative", "models", "pretrain", "rl", "train")  # imported on first use: they pull in more than `import backprop` needs


def is_tensor(obj):
    """True when ``obj`` is a backprop Tensor (or a Parameter)."""
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def is_complex(input):
    return input.is_complex()


def is_nonzero(input):
    """The truth of a one-element tensor (RuntimeError for any other, as torch)."""
    if input.numel() != 1:
        raise RuntimeError(f"Boolean value of Tensor with {'no values' if input.numel() == 0 else 'more than one value'}"
                           " is ambiguous")
    return input.__bool__()


def is_storage(obj):
    return False


def set_default_tensor_type(t):
    """torch's older way of setting the default float dtype: ``bp.DoubleTensor`` or 'torch.DoubleTensor'."""
    set_default_dtype(getattr(t, "dtype", None) or _legacy_type_of_name(t)[0])


_interop_threads = [1]


def get_num_interop_threads():
    """Threads between ops: backprop runs one op at a time (1 unless set)."""
    return _interop_threads[0]


def set_num_interop_threads(n):
    """Accepted, as torch's; backprop runs one op at a time, so nothing changes but the number reported."""
    _interop_threads[0] = n


def numel(input):
    return input.numel()


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"backprop.{name}")
    raise AttributeError(f"module 'backprop' has no attribute {name!r}")
