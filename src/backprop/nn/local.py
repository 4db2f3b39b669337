"""LocallyConnected2d: a convolution whose weights are not shared between output positions."""
import math

from backprop import creation
from backprop.nn import init
from backprop.nn.module import Module
from backprop.ops.util import ntuple
from backprop.nn.parameter import Parameter
from backprop.ops import conv as _conv

__all__ = ["LocallyConnected2d"]


class LocallyConnected2d(Module):
    """Unshared convolution (LeCun 1989's Net-3; Taigman et al. 2014's DeepFace):
    y[n, o, i, j] = b[o, i, j] + sum_{c, a, b} W[i, j, o, c, a, b] x_pad[n, c, i s_h + a, j s_w + b].

    Every output position (i, j) has its own filter bank, so the layer is tied to
    ``input_size`` (H, W). ``weight`` (out_H, out_W, out_channels, in_channels, kH, kW)
    and ``bias`` (out_channels, out_H, out_W) are initialised U(-1/sqrt(fan_in),
    1/sqrt(fan_in)), fan_in = in_channels kH kW, the bound a Conv2d of the same
    receptive field gets.

    >>> import backprop as bp
    >>> layer = LocallyConnected2d(1, 12, input_size=16, kernel_size=5, stride=2, padding=2)
    >>> layer.weight.shape, layer(bp.zeros(4, 1, 16, 16)).shape
    (backprop.Size([8, 8, 12, 1, 5, 5]), backprop.Size([4, 12, 8, 8]))
    """

    def __init__(self, in_channels, out_channels, input_size, kernel_size, stride=1, padding=0, bias=True,
                 device=None, dtype=None):
        super().__init__()
        name = "LocallyConnected2d"
        self.in_channels, self.out_channels = in_channels, out_channels
        self.input_size = ntuple(input_size, 2, "input_size", name)
        self.kernel_size = ntuple(kernel_size, 2, "kernel_size", name)
        self.stride = ntuple(stride, 2, "stride", name)
        self.padding = ntuple(padding, 2, "padding", name)
        pairs = _conv._padding_pairs(self.padding, self.kernel_size, self.stride, (1, 1), name)
        self.output_size = _conv._out_size(self.input_size, self.kernel_size, self.stride, (1, 1), pairs)
        if any(s < 1 for s in self.output_size):
            raise ValueError(f"{name}: input_size {self.input_size} with padding {self.padding} is smaller than "
                             f"kernel_size {self.kernel_size}")
        oh, ow = self.output_size
        self.weight = Parameter(creation.zeros(oh, ow, out_channels, in_channels, *self.kernel_size,
                                               dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(creation.zeros(out_channels, oh, ow, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        fan_in = self.in_channels * math.prod(self.kernel_size)
        bound = 1 / math.sqrt(fan_in) if fan_in else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        expected = (self.in_channels,) + self.input_size
        if input.ndim not in (3, 4) or tuple(input.shape[-3:]) != expected:
            raise ValueError(f"LocallyConnected2d expects (N, C, H, W) with (C, H, W)={expected}, "
                             f"got {tuple(input.shape)}")
        return _conv.locally_connected2d(input, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, input_size={self.input_size}, "
                f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"bias={self.bias is not None}")
