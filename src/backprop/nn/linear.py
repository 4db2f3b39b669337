"""Linear layer: z = W x + b, the lectures' layer of neurons."""
import math

from backprop import creation
from backprop.nn import functional as F
from backprop.nn import init
from backprop.nn.module import Module
from backprop.nn.parameter import Parameter


def dense_parameters_(module, in_features, out_features, bias, device=None, dtype=None):
    """Register ``weight`` (out, in) and ``bias`` (out,) or None on ``module`` and initialise them through the
    module's ``reset_parameters`` (torch's Linear's unless a subclass says otherwise, as LazyLinear does)."""
    module.weight = Parameter(creation.zeros(out_features, in_features, dtype=dtype, device=device))
    if bias:
        module.bias = Parameter(creation.zeros(out_features, dtype=dtype, device=device))
    else:
        module.register_parameter("bias", None)
    module.reset_parameters()


def reset_linear_(weight, bias):
    """torch's default for a dense layer: W and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in = weight.shape[1]
        bound = 1 / math.sqrt(fan_in) if fan_in else 0
        init.uniform_(bias, -bound, bound)


class Linear(Module):
    """y = x W^T + b: ``out_features`` neurons, each a_j = sum_i x_i w_ji + b_j.

    ``weight`` (out_features, in_features) and ``bias`` (out_features,) are
    initialised as torch does: U(-1/sqrt(in), 1/sqrt(in)).

    >>> import backprop as bp
    >>> Linear(784, 10)(bp.zeros(32, 784)).shape
    backprop.Size([32, 10])
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        dense_parameters_(self, in_features, out_features, bias, device, dtype)

    def reset_parameters(self):
        reset_linear_(self.weight, self.bias)

    def forward(self, input):
        if input.shape[-1:] != (self.in_features,):
            raise ValueError(
                f"Linear(in_features={self.in_features}) got input of shape {tuple(input.shape)}: "
                f"expected (*, {self.in_features})"
            )
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """y_k = x1^T W_k x2 + b_k: ``out_features`` bilinear forms of two inputs (*, in1) and (*, in2).

    ``weight`` (out_features, in1_features, in2_features) and ``bias`` (out_features,) ~ U(-1/sqrt(in1),
    1/sqrt(in1)) as in torch.

    >>> import backprop as bp
    >>> Bilinear(3, 4, 5)(bp.randn(2, 3), bp.randn(2, 4)).shape
    backprop.Size([2, 5])
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features
        self.weight = Parameter(creation.zeros(out_features, in1_features, in2_features, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(creation.zeros(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.shape[1]) if self.weight.shape[1] else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
