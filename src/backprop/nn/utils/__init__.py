"""Gradient and weight utilities: clipping, max-norm, flat parameter vectors; eval mode for a block; a model's device.

Used as ``bp.nn.utils.clip_grad_norm_(model.parameters(), 1.0)``, as in torch. The package also holds, as
torch's: ``weight_norm`` / ``spectral_norm`` (forward pre-hooks), ``parametrize`` and ``parametrizations``
(weight_norm, spectral_norm, orthogonal), ``prune``, ``fusion`` (batch norm folded into a layer),
``stateless.functional_call`` and ``rnn`` (packed sequences).
"""
import contextlib
import inspect
import math
import warnings

from backprop import autograd
from backprop import backend
from backprop.creation import tensor
from backprop.tensor import Tensor

__all__ = []  # reached as backprop.nn.utils.<name>, as torch.nn.utils


def _params(parameters):
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of the norms of ``tensors`` (the norm over all their elements together, for a p-norm), as
    torch: a 0-d tensor of the first tensor's dtype, ``tensor(0.)`` for none. ``norm_type``: p, ``inf`` (the
    largest absolute value) or ``-inf``. ``error_if_nonfinite``: a NaN or infinite norm raises RuntimeError.
    ``foreach`` is accepted (torch's fused kernels; one loop here)."""
    tensors = _params(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return tensor(0.0)
    xp = backend.array_module(tensors[0]._data)
    norms = [_vector_norm(xp, t._data.astype("float64").reshape(-1), norm_type) for t in tensors]
    total = _vector_norm(xp, xp.asarray(norms, dtype="float64"), norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    return tensor(total, dtype=tensors[0].dtype, device=tensors[0].device)


def _vector_norm(xp, values, p):
    """||values||_p as a float (p = inf: max |x|; -inf: min |x|; 0: the count of non-zeros)."""
    if values.size == 0:
        return 0.0
    magnitudes = xp.abs(values)
    if p == math.inf:
        return float(magnitudes.max())
    if p == -math.inf:
        return float(magnitudes.min())
    if p == 0:
        return float((magnitudes != 0).sum())
    return float((magnitudes ** p).sum()) ** (1.0 / p)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale every gradient by min(1, max_norm / (total_norm + 1e-6)) in place, as torch (a NaN total norm
    makes the gradients NaN, as there)."""
    grads = [p.grad for p in _params(parameters) if p.grad is not None]
    if not grads:
        return
    total = float(total_norm.item() if isinstance(total_norm, Tensor) else total_norm)
    coefficient = min(max_norm / (total + 1e-6), 1.0) if not math.isnan(total) else math.nan
    for g in grads:
        g._data = g._data * g._data.dtype.type(coefficient)
        g._version[0] += 1


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Gradient clipping: if ||g|| > v then g <- g v / ||g||, with ||g|| over all gradients together.

    Returns the total norm before clipping (a 0-d tensor), as torch.

    >>> import backprop as bp
    >>> w = bp.nn.Parameter(bp.zeros(2)); w.grad = bp.tensor([3.0, 4.0])
    >>> clip_grad_norm_([w], max_norm=1.0), w.grad
    (tensor(5.), tensor([0.6000, 0.8000]))
    """
    parameters = _params(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated name of ``clip_grad_norm_`` (warns, as torch)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for p in _params(parameters):
        if p.grad is not None:
            p.grad._data = backend.array_module(p.grad._data).clip(p.grad._data, -clip_value, clip_value)
            p.grad._version[0] += 1


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    from backprop.ops import cat

    return cat([p.reshape(-1) for p in _params(parameters)])


def vector_to_parameters(vec, parameters):
    """Put consecutive slices of ``vec`` into the parameters' data (no graph), as torch: elements of ``vec``
    beyond the parameters' total are ignored."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    start = 0
    for p in _params(parameters):
        n = p.numel()
        p.data = vec._data[start:start + n].reshape(p.shape)
        start += n


def _units(module):
    """(weight, number of leading axes that index the units) of every layer whose units max-norm constrains."""
    from backprop.nn.conv import _ConvNd
    from backprop.nn.linear import Linear
    from backprop.nn.local import LocallyConnected2d
    from backprop.nn.maxout import Maxout

    for layer in module.modules():
        weight = getattr(layer, "weight", None)
        if weight is None:
            continue
        if isinstance(layer, (Linear, Maxout, _ConvNd)):
            yield weight, 1  # (out, in) or (out, in / groups, *kernel): one unit a row
        elif isinstance(layer, LocallyConnected2d):
            yield weight, 3  # (out_H, out_W, out_channels, in_channels, kH, kW): one unit per position and channel


def max_norm_(module, max_norm):
    """Max-norm constraint: if ||w|| > alpha then w <- alpha w / ||w||, per unit (neuron), in place.

    w is one unit's incoming weight vector: a row of a Linear (or Maxout)
    weight, an output channel of a Conv weight, one (i, j, o) filter of a
    LocallyConnected2d weight (the norm over its last three axes). Biases and
    other layers are left alone. Call it after ``optimizer.step()`` (or attach
    ``bp.optim.MaxNorm``). Returns the module.

    >>> import backprop as bp
    >>> layer = bp.nn.Linear(2, 2)
    >>> layer.weight.data[...] = [[3.0, 4.0], [0.3, 0.4]]
    >>> max_norm_(layer, 1.0).weight.detach()
    tensor([[0.6000, 0.8000],
            [0.3000, 0.4000]])
    """
    from backprop.nn.module import Module

    if not isinstance(module, Module):
        raise TypeError(f"max_norm_ expects a Module, got {type(module).__name__}")
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float)) or not max_norm > 0:
        raise ValueError(f"max_norm_: max_norm must be a positive number, got {max_norm!r}")
    for weight, leading in _units(module):
        data = weight._data
        xp = backend.array_module(data)
        axes = tuple(range(leading, data.ndim))
        norms = xp.sqrt(xp.square(data).sum(axis=axes, keepdims=True))
        if (norms > max_norm).any():
            data *= max_norm / xp.maximum(norms, max_norm)  # 1 where ||w|| <= alpha, alpha / ||w|| elsewhere
            weight._version[0] += 1
    return module


@contextlib.contextmanager
def evaluating(model):
    """Eval mode (dropout off, batch norm on running statistics) and no graph; the mode is restored after."""
    was_training = model.training
    model.eval()
    try:
        with autograd.no_grad():
            yield model
    finally:
        model.train(was_training)


def device_of(model):
    """The device of ``model``'s first parameter, where its inputs must go; None for a model without any.

    >>> import backprop as bp
    >>> device_of(bp.nn.Linear(2, 2)), device_of(bp.nn.ReLU())
    (device(type='cpu'), None)
    """
    return next((p.device for p in model.parameters()), None)


from backprop.nn.utils.spectral_norm import remove_spectral_norm, spectral_norm  # noqa: E402  (they import nn)
from backprop.nn.utils.weight_norm import remove_weight_norm, weight_norm  # noqa: E402
from backprop.nn.utils import fusion, parametrizations, parametrize, prune, stateless  # noqa: E402
from backprop.nn.utils.fusion import (  # noqa: E402
    fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights,
)
from backprop.nn.utils.memory_format import (  # noqa: E402
    convert_conv2d_weight_memory_format, convert_conv3d_weight_memory_format,
)


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` with its parameters and buffers left uninitialised (new empty memory),
    as torch's: for a module whose initialisation is about to be overwritten (e.g. by a checkpoint)."""
    from backprop.nn.module import Module

    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    device = kwargs.pop("device", "cpu")
    return module_cls(*args, **kwargs).to_empty(device=device)
