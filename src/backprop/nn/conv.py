"""Convolution layers: Conv1d, Conv2d (torch's parameters, init and padding modes)."""
import math

from backprop import creation
from backprop.nn import init
from backprop.nn.module import Module
from backprop.ops.util import ntuple
from backprop.nn.parameter import Parameter
from backprop.ops import conv as _conv
from backprop.ops.join import pad as _pad

__all__ = ["Conv1d", "Conv2d"]

_PADDING_MODES = {"zeros": None, "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


class _ConvNd(Module):
    _dims = 0
    _layout = ""  # "(N, C, H, W)"

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        name, n = type(self).__name__, self._dims
        if not isinstance(groups, int) or groups < 1:
            raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must both be "
                             f"divisible by groups ({groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {sorted(_PADDING_MODES)}, got {padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = ntuple(kernel_size, n, "kernel_size", name)
        self.stride = ntuple(stride, n, "stride", name)
        self.dilation = ntuple(dilation, n, "dilation", name)
        if isinstance(padding, str):
            _conv._padding_pairs(padding, self.kernel_size, self.stride, self.dilation, name)  # validates
            self.padding = padding
        else:
            self.padding = ntuple(padding, n, "padding", name)
        self.padding_mode = padding_mode
        self.weight = Parameter(creation.zeros(out_channels, in_channels // groups, *self.kernel_size,
                                               dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(creation.zeros(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """W ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) via kaiming_uniform_(a=sqrt(5)), b likewise,
        fan_in = in_channels / groups * prod(kernel_size), as torch."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_channels // self.groups * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        n = self._dims
        if input.ndim not in (n + 1, n + 2) or input.shape[-n - 1] != self.in_channels:
            raise ValueError(
                f"{type(self).__name__} expects {self._layout} with C={self.in_channels}, got {tuple(input.shape)}"
            )
        padding = self.padding
        if self.padding_mode != "zeros":
            pairs = _conv._padding_pairs(padding, self.kernel_size, self.stride, self.dilation, type(self).__name__)
            widths = [w for pair in reversed(pairs) for w in pair]  # last dim first, as F.pad
            input = _pad(input, widths, mode=_PADDING_MODES[self.padding_mode])
            padding = 0
        return _conv._conv(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups, n,
                           type(self).__name__.lower())

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self._dims:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._dims:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution layer: y[n, o, t] = b[o] + sum_{c, j} W[o, c, j] x_pad[n, c, t s + j d].

    ``weight`` (out_channels, in_channels / groups, k), ``bias`` (out_channels,); input
    (N, C, L) or unbatched (C, L); padding an int, 'valid' or 'same'; padding_mode
    'zeros', 'reflect', 'replicate' or 'circular'.

    >>> import backprop as bp
    >>> Conv1d(2, 4, 3, padding="same")(bp.zeros(8, 2, 10)).shape
    backprop.Size([8, 4, 10])
    """

    _dims = 1
    _layout = "(N, C, L)"


class Conv2d(_ConvNd):
    """2-D convolution layer (LeCun et al. 1989/1998):
    y[n, o, i, j] = b[o] + sum_{c, a, b} W[o, c, a, b] x_pad[n, c, i s_h + a d_h, j s_w + b d_w].

    ``weight`` (out_channels, in_channels / groups, kH, kW), ``bias`` (out_channels,); input
    (N, C, H, W) or unbatched (C, H, W); padding an int, a pair, 'valid' or 'same'.

    >>> import backprop as bp
    >>> Conv2d(1, 6, 5)(bp.zeros(16, 1, 32, 32)).shape
    backprop.Size([16, 6, 28, 28])
    """

    _dims = 2
    _layout = "(N, C, H, W)"
