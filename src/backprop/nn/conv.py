"""Convolution layers: Conv1d/2d/3d and ConvTranspose1d/2d/3d (torch's parameters, init and padding modes)."""
import math

from backprop import creation
from backprop.nn import init
from backprop.nn.module import Module
from backprop.ops.util import ntuple
from backprop.nn.parameter import Parameter
from backprop.ops import conv as _conv
from backprop.ops import conv_transpose as _conv_transpose
from backprop.ops.join import pad as _pad

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]

_PADDING_MODES = {"zeros": None, "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


class _ConvNd(Module):
    _dims = 0
    _layout = ""  # "(N, C, H, W)"
    transposed = False

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
        self.output_padding = (0,) * n
        shape = (in_channels, out_channels // groups) if self.transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(creation.zeros(*shape, *self.kernel_size, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(creation.zeros(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """W ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) via kaiming_uniform_(a=sqrt(5)), b likewise,
        fan_in = weight.shape[1] * prod(kernel_size) (in_channels / groups; out_channels / groups for a
        transposed convolution, whose weight is (in, out / groups, *kernel)), as torch."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
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
        if self.output_padding != (0,) * self._dims:
            s += f", output_padding={self.output_padding}"
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


class Conv3d(_ConvNd):
    """3-D convolution layer (volumes, video clips):
    y[n, o, t, i, j] = b[o] + sum_{c, a, b, e} W[o, c, a, b, e]
                               x_pad[n, c, t s_d + a d_d, i s_h + b d_h, j s_w + e d_w].

    ``weight`` (out_channels, in_channels / groups, kD, kH, kW), ``bias`` (out_channels,); input
    (N, C, D, H, W) or unbatched (C, D, H, W).

    >>> import backprop as bp
    >>> Conv3d(1, 2, 3, padding=1)(bp.zeros(2, 1, 4, 5, 6)).shape
    backprop.Size([2, 2, 4, 5, 6])
    """

    _dims = 3
    _layout = "(N, C, D, H, W)"


class _ConvTransposeNd(_ConvNd):
    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        name = type(self).__name__
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {name}')
        if isinstance(padding, str):
            raise ValueError(f"{name}: padding must be an int or a tuple of ints, got {padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype)
        self.output_padding = ntuple(output_padding, self._dims, "output_padding", name)

    def _output_padding(self, input, output_size):
        """The output_padding that makes the output ``output_size`` (its last dims: (N, C) may lead)."""
        n, name = self._dims, type(self).__name__
        if output_size is None:
            return self.output_padding
        output_size = tuple(int(s) for s in output_size)
        leading = 2 if input.ndim == n + 2 else 1
        if len(output_size) == n + leading:
            output_size = output_size[leading:]
        if len(output_size) != n:
            raise ValueError(f"{name}: for {input.ndim}D input, output_size must have {n} or {n + leading} "
                             f"elements (got {len(output_size)})")
        smallest = _conv_transpose._output_size(tuple(input.shape[-n:]), self.kernel_size, self.stride, self.padding,
                                                (0,) * n, self.dilation)
        largest = tuple(s + st - 1 for s, st in zip(smallest, self.stride))
        if any(not lo <= s <= hi for s, lo, hi in zip(output_size, smallest, largest)):
            raise ValueError(f"requested an output size of {output_size}, but valid sizes range from "
                             f"{list(smallest)} to {list(largest)} (for an input of {tuple(input.shape[-n:])})")
        return tuple(s - lo for s, lo in zip(output_size, smallest))

    def forward(self, input, output_size=None):
        n = self._dims
        if input.ndim not in (n + 1, n + 2) or input.shape[-n - 1] != self.in_channels:
            raise ValueError(
                f"{type(self).__name__} expects {self._layout} with C={self.in_channels}, got {tuple(input.shape)}"
            )
        output_padding = self._output_padding(input, output_size)
        return _conv_transpose._conv_transpose(input, self.weight, self.bias, self.stride, self.padding,
                                               output_padding, self.groups, self.dilation, n,
                                               type(self).__name__.lower())


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution layer (the input gradient of Conv1d as a layer):
    y[n, o, j] = b[o] + sum_{c, i, k : i s + k d - p = j} x[n, c, i] W[c, o, k].

    ``weight`` (in_channels, out_channels / groups, k), ``bias`` (out_channels,); input (N, C, L) or
    unbatched (C, L); output length (L - 1) s - 2 p + d (k - 1) + output_padding + 1.

    >>> import backprop as bp
    >>> ConvTranspose1d(4, 2, 4, stride=2, padding=1)(bp.zeros(8, 4, 10)).shape
    backprop.Size([8, 2, 20])
    """

    _dims = 1
    _layout = "(N, C, L)"


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution layer (the up-sampling layer of DCGAN's generator):
    y[n, o, i', j'] = b[o] + sum over c, (i, j), (a, b) with i s_h + a d_h - p_h = i' and
    j s_w + b d_w - p_w = j' of x[n, c, i, j] W[c, o, a, b].

    ``weight`` (in_channels, out_channels / groups, kH, kW), ``bias`` (out_channels,); input
    (N, C, H, W) or unbatched (C, H, W); ``forward(input, output_size=None)``: output_size picks
    the output_padding.

    >>> import backprop as bp
    >>> ConvTranspose2d(128, 64, 4, stride=2, padding=1)(bp.zeros(2, 128, 16, 16)).shape
    backprop.Size([2, 64, 32, 32])
    """

    _dims = 2
    _layout = "(N, C, H, W)"


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution layer: weight (in_channels, out_channels / groups, kD, kH, kW),
    input (N, C, D, H, W) or unbatched (C, D, H, W).

    >>> import backprop as bp
    >>> ConvTranspose3d(2, 1, 2, stride=2)(bp.zeros(1, 2, 3, 3, 3)).shape
    backprop.Size([1, 1, 6, 6, 6])
    """

    _dims = 3
    _layout = "(N, C, D, H, W)"
