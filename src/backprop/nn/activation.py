"""Activation layers: a = f(z) applied elementwise (or along ``dim`` for the
softmaxes), with torch's constructor arguments and printed form.

``inplace=True`` is accepted where torch accepts it; the result is always a
new tensor (the input is left as it was)."""
import warnings

from backprop import creation
from backprop.autograd import no_grad
from backprop.nn.module import Module
from backprop.nn.parameter import Parameter
from backprop.ops import nn_activation as A

__all__ = ["ReLU", "LeakyReLU", "GELU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Softplus", "ELU", "Step",
           "Arctan", "SiLU", "Mish", "Hardswish", "Hardsigmoid", "SELU", "Hardtanh", "ReLU6", "PReLU", "RReLU",
           "CELU", "GLU", "LogSigmoid", "Softsign", "Tanhshrink", "Softmin", "Softmax2d", "Softshrink",
           "Hardshrink", "Threshold"]


def _inplace(inplace, first=False):
    if not inplace:
        return ""
    return "inplace=True" if first else ", inplace=True"


class ReLU(Module):
    """a = max(0, z). ``inplace`` is accepted for torch compatibility; the result is always a new tensor.

    >>> import backprop as bp
    >>> ReLU()(bp.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return A.relu(input)

    def extra_repr(self):
        return _inplace(self.inplace, first=True)


class LeakyReLU(Module):
    """a = z for z > 0, ``negative_slope`` * z otherwise."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return A.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}{_inplace(self.inplace)}"


class GELU(Module):
    """a = z Phi(z) (``approximate='none'``) or its tanh approximation (``'tanh'``)."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return A.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    """a = 1 / (1 + e^-z)."""

    def forward(self, input):
        return A.sigmoid(input)


class Tanh(Module):
    """a = tanh z."""

    def forward(self, input):
        return A.tanh(input)


def _softmax_dim(dim, ndim):
    """torch's implicit dim for Softmax(dim=None): 0 for 0-, 1- and 3-d inputs, else 1."""
    if dim is not None:
        return dim
    return 0 if ndim in (0, 1, 3) else 1


def _implicit_dim(name, dim, input):
    """``dim``, or torch's implicit choice with its deprecation warning (as F.softmax without dim)."""
    from backprop.nn.functional import _implicit_dim as implicit

    return implicit(name, dim, input) if dim is None else dim


class Softmax(Module):
    """a_i = e^{z_i} / sum_j e^{z_j} along ``dim``.

    >>> import backprop as bp
    >>> Softmax(dim=1)(bp.zeros(2, 4)).sum(1).tolist()
    [1.0, 1.0]
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return A.softmax(input, _implicit_dim("softmax", self.dim, input))

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """a_i = z_i - log sum_j e^{z_j} along ``dim``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return A.log_softmax(input, _implicit_dim("log_softmax", self.dim, input))

    def extra_repr(self):
        return f"dim={self.dim}"


class Softplus(Module):
    """a = log(1 + e^{beta z}) / beta, linear where beta z > ``threshold``."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return A.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class ELU(Module):
    """a = z for z > 0, alpha (e^z - 1) otherwise."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return A.elu(input, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}{_inplace(self.inplace)}"


class Step(Module):
    """Heaviside step a = 1 if z > 0 else 0 (McCulloch-Pitts threshold unit), zero gradient.

    torch has no such module.
    """

    def forward(self, input):
        return A.step(input)


class Arctan(Module):
    """a = arctan z (torch has no such module; its function is ``torch.atan``)."""

    def forward(self, input):
        return A.arctan(input)



class _InplaceOnly(Module):
    """An activation whose only argument is torch's ``inplace`` (accepted; the result is a new tensor)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return _inplace(self.inplace, first=True)


class SiLU(_InplaceOnly):
    """a = z sigmoid(z) (the swish).

    >>> import backprop as bp
    >>> round(SiLU()(bp.tensor([1.0])).item(), 4)
    0.7311
    """

    def forward(self, input):
        return A.silu(input)


class Mish(_InplaceOnly):
    """a = z tanh(softplus(z))."""

    def forward(self, input):
        return A.mish(input)


class Hardswish(_InplaceOnly):
    """a = z relu6(z + 3) / 6."""

    def forward(self, input):
        return A.hardswish(input)

    def extra_repr(self):
        return ""  # torch prints no arguments for it


class Hardsigmoid(_InplaceOnly):
    """a = relu6(z + 3) / 6."""

    def forward(self, input):
        return A.hardsigmoid(input)

    def extra_repr(self):
        return ""  # torch prints no arguments for it


class SELU(_InplaceOnly):
    """a = scale * ELU(z, alpha), the self-normalising constants of Klambauer et al. (2017)."""

    def forward(self, input):
        return A.selu(input)


class Hardtanh(Module):
    """a = clamp(z, min_val, max_val). ``min_value``/``max_value`` are torch's deprecated names.

    >>> import backprop as bp
    >>> Hardtanh(-2.0, 2.0)(bp.tensor([-3.0, 1.0, 3.0])).tolist()
    [-2.0, 1.0, 2.0]
    """

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None):
        super().__init__()
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated and renamed to `min_val`", FutureWarning,
                          stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and renamed to `max_val`", FutureWarning,
                          stacklevel=2)
            max_val = max_value
        if max_val <= min_val:  # (an AssertionError, as torch's)
            raise AssertionError(f"Hardtanh: max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return A.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace(self.inplace)}"


class ReLU6(Hardtanh):
    """a = min(max(0, z), 6)."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return _inplace(self.inplace, first=True)


class PReLU(Module):
    """a = z for z > 0, w z otherwise, with a learnt slope w: one for all channels (``num_parameters=1``)
    or one per channel (dim 1 of the input), each starting at ``init``.

    >>> PReLU(3).weight.tolist()
    [0.25, 0.25, 0.25]
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(creation.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        with no_grad():
            self.weight.fill_(self.init)

    def forward(self, input):
        return A.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """a = z for z > 0, r z otherwise: r ~ U(lower, upper) per element in training, (lower + upper) / 2
    in evaluation."""

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        return A.rrelu(input, self.lower, self.upper, self.training)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}{_inplace(self.inplace)}"


class CELU(Module):
    """a = max(0, z) + min(0, alpha (e^{z / alpha} - 1))."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return A.celu(input, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}{_inplace(self.inplace)}"


class GLU(Module):
    """a = first half * sigmoid(second half), the input halved along ``dim``."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return A.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSigmoid(Module):
    """a = log sigmoid(z) = -softplus(-z)."""

    def forward(self, input):
        return A.logsigmoid(input)


class Softsign(Module):
    """a = z / (1 + |z|)."""

    def forward(self, input):
        return A.softsign(input)


class Tanhshrink(Module):
    """a = z - tanh(z)."""

    def forward(self, input):
        return A.tanhshrink(input)


class Softmin(Module):
    """a_i = e^{-z_i} / sum_j e^{-z_j} along ``dim``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return A.softmin(input, _implicit_dim("softmin", self.dim, input))

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels at every position of (N, C, H, W) or (C, H, W) inputs (dim -3)."""

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D instead")
        return A.softmax(input, -3)


class _Shrink(Module):
    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def extra_repr(self):
        return f"{self.lambd}"


class Softshrink(_Shrink):
    """a = z - lambd above lambd, z + lambd below -lambd, 0 between."""

    def forward(self, input):
        return A.softshrink(input, self.lambd)


class Hardshrink(_Shrink):
    """a = z where |z| > lambd, 0 elsewhere."""

    def forward(self, input):
        return A.hardshrink(input, self.lambd)


class Threshold(Module):
    """a = z where z > threshold, else ``value``."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return A.threshold(input, self.threshold, self.value)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}{_inplace(self.inplace)}"
