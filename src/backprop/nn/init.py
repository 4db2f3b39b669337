"""Weight initialisation, in place, with torch's fan computations (torch.nn.init).

For a weight of shape (out, in, k1, k2, ...): fan_in = in * k1 * k2 ...,
fan_out = out * k1 * k2 .... Xavier/Glorot keeps the variance of activations
and gradients alike across layers: std = gain * sqrt(2 / (fan_in + fan_out)).
Kaiming/He does it for ReLU layers: std = gain / sqrt(fan), gain = sqrt(2).
A uniform distribution on [-b, b] has std b / sqrt(3).

Every random initialiser takes ``generator=`` (a ``backprop.Generator``);
the default generator (``bp.manual_seed``) otherwise. The values cannot be
torch's (another random algorithm); the distributions are.
"""
import functools
import math
import warnings

from backprop import autograd
from backprop import backend
from backprop.random import numpy_generator
from backprop.tensor import Tensor

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity, param=None):
    """The gain that keeps a nonlinearity's output variance: 1 for linear layers and sigmoid, 5/3 tanh,
    sqrt(2) relu, sqrt(2 / (1 + slope^2)) leaky_relu (slope ``param``, default 0.01), 3/4 selu."""
    if nonlinearity in _LINEAR or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive = 1
    for size in tensor.shape[2:]:
        receptive *= size
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, values):
    """Copy the NumPy array ``values`` into ``tensor`` (its dtype and device), outside the graph."""
    with autograd.no_grad():
        tensor.copy_(backend.to_device(values.astype(tensor.dtype), tensor.device))
    return tensor


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with U(a, b)."""
    return _fill(tensor, numpy_generator(generator).uniform(a, b, size=tuple(tensor.shape)))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with N(mean, std^2)."""
    return _fill(tensor, numpy_generator(generator).normal(mean, std, size=tuple(tensor.shape)))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std^2) truncated to [a, b] (``a``, ``b`` absolute bounds, not in stds), by the inverse
    of the normal CDF Phi applied to U(Phi(a'), Phi(b')), a' = (a - mean) / std."""
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values may "
                      "be incorrect.", stacklevel=2)
    def cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    low, high = cdf((a - mean) / std), cdf((b - mean) / std)
    # Phi^-1(p) = sqrt(2) erfinv(2p - 1)
    uniform = Tensor._make(numpy_generator(generator).uniform(2 * low - 1, 2 * high - 1, size=tuple(tensor.shape)))
    values = (uniform.erfinv()._data * (std * math.sqrt(2.0)) + mean).clip(a, b)
    return _fill(tensor, values)


def constant_(tensor, val):
    """Fill with ``val``."""
    with autograd.no_grad():
        return tensor.fill_(val)


def ones_(tensor):
    return constant_(tensor, 1.0)


def zeros_(tensor):
    with autograd.no_grad():
        return tensor.zero_()


def eye_(tensor):
    """Fill a 2-d tensor with the identity (ones on the diagonal): a linear layer that passes its inputs on."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    xp = backend.numpy
    return _fill(tensor, xp.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    """Fill a 3-, 4- or 5-d convolution weight with the Dirac delta: each output channel (of each of the
    ``groups``) copies the input channel of its index, unchanged (an identity convolution)."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    out_channels = tensor.shape[0]
    if out_channels % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = out_channels // groups
    values = backend.numpy.zeros(tuple(tensor.shape))
    centre = tuple(size // 2 for size in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(per_group, tensor.shape[1])):
            values[(g * per_group + d, d) + centre] = 1
    return _fill(tensor, values)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _empty(tensor):
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-b, b) with b = gain * sqrt(3 / fan) (He et al. 2015); ``a`` the leaky_relu slope for the gain."""
    if _empty(tensor):
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _calculate_correct_fan(tensor, mode))
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std^2) with std = gain / sqrt(fan)."""
    if _empty(tensor):
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor, gain=1, generator=None):
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al. 2013): the Q of the QR decomposition of a
    standard normal matrix (rows = the first axis, the others flattened), with the signs of R's diagonal
    folded in so that it is uniformly distributed."""
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    columns = tensor.numel() // rows
    xp = backend.numpy
    flat = numpy_generator(generator).normal(0.0, 1.0, size=(rows, columns))
    if rows < columns:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    q = q * xp.sign(xp.diag(r))
    if rows < columns:
        q = q.T
    return _fill(tensor, (q * gain).reshape(tuple(tensor.shape)))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """A 2-d tensor drawn from N(0, std^2), then in each column a fraction ``sparsity`` of the rows (rounded
    up) set to zero, chosen at random (Martens 2010)."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, columns = tensor.shape
    zeros = int(math.ceil(sparsity * rows))
    rng = numpy_generator(generator)
    values = rng.normal(0.0, std, size=(rows, columns))
    for column in range(columns):
        values[rng.permutation(rows)[:zeros], column] = 0
    return _fill(tensor, values)


def _deprecated(new):
    """torch's old names without the underscore: they warn and call the new one."""
    old = new.__name__[:-1]

    @functools.wraps(new)
    def call(*args, **kwargs):
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{new.__name__}`.",
                      FutureWarning, stacklevel=2)
        return new(*args, **kwargs)

    call.__name__ = call.__qualname__ = old
    call.__doc__ = f"Deprecated: ``{new.__name__}``."
    return call


# uniform, normal, constant, eye, dirac, xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal,
# orthogonal, sparse
for _new in (uniform_, normal_, constant_, eye_, dirac_, xavier_uniform_, xavier_normal_, kaiming_uniform_,
             kaiming_normal_, orthogonal_, sparse_):
    globals()[_new.__name__[:-1]] = _deprecated(_new)
del _new
