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
from backprop.backend import (
    device, get_default_device, get_num_interop_threads, get_num_threads, set_default_device, set_num_interop_threads,
    set_num_threads,
)
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
from backprop.ops.distance import pdist  # torch.pdist, as well as F.pdist
from backprop.utilities import (
    are_deterministic_algorithms_enabled, can_cast, get_deterministic_debug_mode, get_float32_matmul_precision,
    is_deterministic_algorithms_warn_only_enabled, is_warn_always_enabled, promote_types, set_deterministic_debug_mode,
    set_float32_matmul_precision, set_flush_denormal, set_warn_always, use_deterministic_algorithms,
)
from backprop import nn  # noqa: E402,F401  (after the core it builds on)
from backprop import accelerator, cuda, data, linalg, optim, random, sparse  # noqa: E402,F401
from backprop.tensor import (
    Size, Tensor, channels_last, channels_last_3d, contiguous_format, get_printoptions, is_complex, is_floating_point,
    is_nonzero, is_storage, is_tensor, layout, legacy_types, memory_format, numel, preserve_format,
    set_default_tensor_type, set_printoptions, sparse_coo, strided,
)

globals().update({entry.name: entry.function for entry in _manifest.entries() if entry.function_export})
globals().update({entry.name + "_": getattr(Tensor, entry.name + "_") for entry in _manifest.entries()
                  if entry.inplace and entry.name in _manifest.TOP_LEVEL_INPLACE})  # torch.sin_(t) ...
globals().update(legacy_types("cpu"))  # FloatTensor, LongTensor ...
vars(cuda).update(legacy_types("cuda"))  # cuda.FloatTensor ...

__version__ = "0.1.0"

_LAZY = ("attacks", "classic", "distributed", "explain", "generative", "models", "pretrain", "rl", "train", "viz")  # imported on first use: they pull in more than `import backprop` needs


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"backprop.{name}")
    raise AttributeError(f"module 'backprop' has no attribute {name!r}")
