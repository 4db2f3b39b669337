"""The torch modules that have no backprop counterpart, as namespaces the hook serves (``MODULES``' ``shims:...``).

Only what torch's API requires and what is harmless on one CPU (or CuPy GPU)
process: the flags of ``torch.backends`` (accepted, changing nothing: backprop
uses neither cuDNN nor TF32 nor MPS), ``DataParallel`` as the identity wrapper
(one device), ``torch.jit.script``/``trace`` returning what they are given (the
program runs eagerly, as it would without them), ``torch.testing.assert_close``.
What has no meaning here (``torch.onnx.export``, ``torch.jit.save``) imports and
raises NotImplementedError naming itself when called; so does ``torch.profiler.profile`` (backprop has no
operator profiler), while ``record_function``, a label for a profiler's regions, changes nothing.
"""
import contextlib
import enum
import types
import warnings

import numpy

from backprop import cuda as _cuda
from backprop.backend import device as _device
from backprop.compat.hook import refusal
from backprop.nn.module import Module
from backprop.nn.utils import stateless as _stateless
from backprop.tensor import Tensor


def _namespace(cls):
    """A class body as a namespace of plain values (no type machinery to leak through the proxy)."""
    return types.SimpleNamespace(**{k: getattr(cls, k) for k in vars(cls) if not k.startswith("__")})


@_namespace
class cudnn:  # noqa: N801  (torch.backends.cudnn)
    """backprop's convolutions are im2col and one matrix product: no cuDNN, so its flags change nothing."""

    enabled = True
    benchmark = False
    deterministic = False
    allow_tf32 = True

    @staticmethod
    def is_available():
        return False

    @staticmethod
    def version():
        return None


@_namespace
class mps:  # noqa: N801  (torch.backends.mps: Apple's GPUs)
    @staticmethod
    def is_available():
        return False

    @staticmethod
    def is_built():
        return False


@_namespace
class unavailable:  # noqa: N801  (torch.backends.mkldnn, mkl, openmp)
    enabled = False

    @staticmethod
    def is_available():
        return False


@_namespace
class backends_cuda:  # noqa: N801  (torch.backends.cuda)
    matmul = types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                                   allow_bf16_reduced_precision_reduction=True)

    @staticmethod
    def is_built():
        """True when CUDA can be used (CuPy and a GPU): torch asks whether it was built with CUDA."""
        return _cuda.is_available()


@_namespace
class accelerator:  # noqa: N801  (torch.accelerator: the one GPU kind backprop has is CUDA, through CuPy)
    @staticmethod
    def is_available():
        return _cuda.is_available()

    @staticmethod
    def current_accelerator(check_available=False):
        return _device("cuda") if _cuda.is_available() else None

    @staticmethod
    def device_count():
        return _cuda.device_count()


def _variable(data, requires_grad=False, volatile=False):
    """``torch.autograd.Variable(t)``: since torch 0.4 a Variable is a Tensor; this gives ``t``'s values as a
    new leaf (sharing memory) with ``requires_grad`` set."""
    tensor = data.detach() if isinstance(data, Tensor) else Tensor(data)
    return tensor.requires_grad_(requires_grad)


@_namespace
class autograd:  # noqa: N801  (fallbacks for names torch.autograd has and backprop.autograd lacks)
    Variable = staticmethod(_variable)


class DataParallel(Module):
    """``torch.nn.DataParallel`` on one device: ``forward`` is the wrapped module's; ``.module`` holds it, and the
    state dict's keys start with ``module.`` as torch's."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel expects an nn.Module, got {type(module).__name__}")
        self.module = module
        self.device_ids, self.output_device, self.dim = device_ids, output_device, dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


@_namespace
class nn:  # noqa: N801  (fallbacks for names torch.nn has and backprop.nn lacks)
    DataParallel = DataParallel


@_namespace
class parallel:  # noqa: N801  (torch.nn.parallel)
    DataParallel = DataParallel
    DistributedDataParallel = refusal(
        "torch.nn.parallel.DistributedDataParallel",
        "torch.distributed is not backprop's: run with mpirun and wrap with backprop.distributed."
        "DistributedDataParallel, see docs/distributed.md")


def _unchanged(obj=None, *args, **kwargs):
    return obj


def _decorator(fn=None, **kwargs):
    """torch.jit.ignore/unused/export: a decorator, with or without arguments, that changes nothing."""
    return fn if callable(fn) else (lambda f: f)


@_namespace
class jit:  # noqa: N801  (torch.jit: the program runs eagerly, as without TorchScript)
    script = staticmethod(_unchanged)
    trace = staticmethod(_unchanged)
    trace_module = staticmethod(_unchanged)
    ignore = staticmethod(_decorator)
    unused = staticmethod(_decorator)
    export = staticmethod(_decorator)

    @staticmethod
    def is_scripting():
        return False

    @staticmethod
    def is_tracing():
        return False

    save = refusal("torch.jit.save", "TorchScript has no meaning here: save the model's state_dict() "
                                     "with torch.save")
    load = refusal("torch.jit.load", "TorchScript has no meaning here: load a state_dict with torch.load")


class record_function(contextlib.ContextDecorator):  # noqa: N801  (torch's name)
    """``torch.profiler.record_function(name)``: a label for a region, used as a context manager or decorator.
    It only names the region for a running profiler; backprop has none, so it changes nothing, as torch's
    does when no profiler runs."""

    def __init__(self, name, args=None):
        if not isinstance(name, str):
            raise TypeError(f"record_function expects a str name, got {type(name).__name__}")
        self.name, self.args = name, args

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _profiler(module):
    """torch.profiler or torch.autograd.profiler: ``profile`` refused, ``record_function`` changing nothing."""
    hint = "backprop has no operator profiler: time the program with time.perf_counter or python -m cProfile"
    return types.SimpleNamespace(profile=refusal(f"{module}.profile", hint), record_function=record_function,
                                 ProfilerActivity=_ACTIVITIES)


_ACTIVITIES = enum.Enum("ProfilerActivity", ["CPU", "CUDA"])
profiler = _profiler("torch.profiler")
autograd_profiler = _profiler("torch.autograd.profiler")


@_namespace
class onnx:  # noqa: N801  (torch.onnx)
    export = refusal("torch.onnx.export", "backprop does not write ONNX graphs")


# torch.testing.assert_close's default tolerances by dtype (rtol, atol), as torch documents them
_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
               "float64": (1e-7, 1e-7)}


def _array(value):
    if isinstance(value, Tensor):
        return value.detach().cpu().numpy()
    return numpy.asarray(value)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """``torch.testing.assert_close``: |actual - expected| <= atol + rtol |expected| elementwise, same shape
    (and dtype, unless ``check_dtype=False``); tolerances default by dtype as torch's; sequences and
    mappings compared item by item. Raises AssertionError saying where and by how much they differ."""
    if (rtol is None) != (atol is None):
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted, "
                         f"but got no {'rtol' if rtol is None else 'atol'}.")
    if isinstance(actual, dict) and isinstance(expected, dict):
        if set(actual) != set(expected):
            raise AssertionError(f"The keys of the mappings do not match: {sorted(map(str, actual))} != "
                                 f"{sorted(map(str, expected))}")
        for key in actual:
            assert_close(actual[key], expected[key], rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_dtype=check_dtype, msg=msg)
        return
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        if len(actual) != len(expected):
            raise AssertionError(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}")
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=check_dtype, msg=msg)
        return
    a, e = _array(actual), _array(expected)
    if a.shape != e.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}.")
    if check_dtype and a.dtype != e.dtype:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match: {a.dtype} != {e.dtype}.")
    if rtol is None:
        rtol, atol = _TOLERANCES.get(numpy.result_type(a, e).name, (0.0, 0.0))
    a64, e64 = a.astype(numpy.float64), e.astype(numpy.float64)
    close = numpy.isclose(a64, e64, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if not close.all():
        bad = int((~close).sum())
        difference = numpy.abs(a64 - e64)
        worst = numpy.unravel_index(numpy.nanargmax(numpy.where(close, 0, difference)), a.shape) if a.ndim else ()
        raise AssertionError(msg or f"Tensor-likes are not close!\n\nMismatched elements: {bad} / {a.size} "
                                    f"({100 * bad / max(a.size, 1):.1f}%)\nGreatest absolute difference: "
                                    f"{float(difference[worst])} at index {tuple(map(int, worst))} "
                                    f"(up to {atol} allowed)")


@_namespace
class testing:  # noqa: N801  (torch.testing)
    assert_close = staticmethod(assert_close)


@_namespace
class func:  # noqa: N801  (torch.func)
    """``torch.func.functional_call``: a module run with other tensors in place of its parameters and buffers.
    torch.func's transforms (grad, vmap, jacrev ...) are not provided: they raise the clear error."""

    functional_call = staticmethod(_stateless._functional_call)


def _warn_use_reentrant(use_reentrant):
    if use_reentrant is None:  # torch 2.13 warns so (it plans to make the argument required)
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
                      "use_reentrant=False is recommended.", stacklevel=3)


def _checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default", debug=False,
                preserve_rng_state=True, early_stop=True, **kwargs):
    """``torch.utils.checkpoint.checkpoint``: ``function(*args, **kwargs)``. torch keeps only the inputs and runs
    the forward again during backward, trading time for memory; backprop keeps the activations, so values and
    gradients are the same and no memory is saved."""
    _warn_use_reentrant(use_reentrant)
    return function(*args, **kwargs)


def _checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """``torch.utils.checkpoint.checkpoint_sequential``: the modules one after the other (see ``checkpoint``)."""
    _warn_use_reentrant(use_reentrant)
    for function in (functions.children() if isinstance(functions, Module) else functions):
        input = function(input)
    return input


@_namespace
class checkpoint:  # noqa: N801  (torch.utils.checkpoint)
    checkpoint = staticmethod(_checkpoint)
    checkpoint_sequential = staticmethod(_checkpoint_sequential)
