"""Activation layers: a = f(z) applied elementwise (or along ``dim`` for the
softmaxes), with torch's constructor arguments and printed form."""
from backprop.nn.module import Module
from backprop.ops import nn_activation as A

__all__ = ["ReLU", "LeakyReLU", "GELU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Softplus", "ELU", "Step",
           "Arctan"]


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
        return A.softmax(input, _softmax_dim(self.dim, input.ndim))

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """a_i = z_i - log sum_j e^{z_j} along ``dim``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return A.log_softmax(input, _softmax_dim(self.dim, input.ndim))

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

