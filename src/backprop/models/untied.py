"""A convolution with untied biases: shared kernels, but every output unit has a bias of its own."""
import math

from backprop import creation
from backprop.models.common import conv_output_size
from backprop.nn import Conv2d, Parameter, functional as F, init
from backprop.ops.util import ntuple

__all__ = ["UntiedBiasConv2d"]


class UntiedBiasConv2d(Conv2d):
    """Convolution whose bias is per unit (LeCun 1989's Net-4 and Net-5 feature maps):
    y[n, o, i, j] = b[o, i, j] + sum_{c, a, b} W[o, c, a, b] x_pad[n, c, i s_h + a, j s_w + b].

    The kernel ``weight`` (out_channels, in_channels, kH, kW) is shared over
    positions as in ``Conv2d``; ``bias`` has shape (out_channels, out_H, out_W), so
    the layer is tied to ``input_size`` (H, W) like ``LocallyConnected2d``. Both are
    initialised U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels kH kW.

    >>> import backprop as bp
    >>> layer = UntiedBiasConv2d(1, 2, input_size=16, kernel_size=3, stride=2, padding=1)
    >>> layer.weight.shape, layer.bias.shape, layer(bp.zeros(4, 1, 16, 16)).shape
    (backprop.Size([2, 1, 3, 3]), backprop.Size([2, 8, 8]), backprop.Size([4, 2, 8, 8]))
    """

    def __init__(self, in_channels, out_channels, input_size, kernel_size, stride=1, padding=0, device=None,
                 dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=False,
                         device=device, dtype=dtype)
        self.input_size = ntuple(input_size, 2, "input_size", type(self).__name__)
        self.output_size = tuple(conv_output_size(n, k, s, p) for n, k, s, p in
                                 zip(self.input_size, self.kernel_size, self.stride, self.padding))
        if min(self.output_size) < 1:
            raise ValueError(f"UntiedBiasConv2d: input_size {self.input_size} with padding {self.padding} is "
                             f"smaller than kernel_size {self.kernel_size}")
        self.bias = Parameter(creation.zeros(out_channels, *self.output_size, dtype=self.weight.dtype,
                                             device=self.weight.device))
        bound = 1 / math.sqrt(self.in_channels * math.prod(self.kernel_size))
        init.uniform_(self.bias, -bound, bound)  # as Conv2d.reset_parameters, which also serves this bias

    def forward(self, input):
        expected = (self.in_channels,) + self.input_size
        if input.ndim not in (3, 4) or tuple(input.shape[-3:]) != expected:
            raise ValueError(f"UntiedBiasConv2d expects (N, C, H, W) with (C, H, W)={expected}, "
                             f"got {tuple(input.shape)}")
        return F.conv2d(input, self.weight, None, self.stride, self.padding) + self.bias

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, input_size={self.input_size}, "
                f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}")
