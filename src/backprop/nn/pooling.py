"""Pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (and their 1-D forms)."""
from backprop.nn.module import Module
from backprop.ops.util import ntuple
from backprop.ops import pooling as _pooling

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d"]


class _MaxPoolNd(Module):
    _function = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        if return_indices:
            raise NotImplementedError(f"{type(self).__name__}: return_indices=True is not supported")
        self.kernel_size, self.padding, self.dilation = kernel_size, padding, dilation
        self.stride = kernel_size if stride is None else stride
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return type(self)._function(input, self.kernel_size, self.stride, self.padding, self.dilation,
                                    self.ceil_mode)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max over sliding windows of (N, C, L) or (C, L); see ``max_pool1d``."""

    _function = staticmethod(_pooling.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """y[n, c, i, j] = max over the window at (i s_h, j s_w) of (N, C, H, W) or (C, H, W);
    stride defaults to kernel_size. See ``max_pool2d``.

    >>> import backprop as bp
    >>> MaxPool2d(2)(bp.zeros(1, 3, 28, 28)).shape
    backprop.Size([1, 3, 14, 14])
    """

    _function = staticmethod(_pooling.max_pool2d)


class AvgPool1d(Module):
    """Mean over sliding windows of (N, C, L) or (C, L); see ``avg_pool1d``."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = ntuple(kernel_size, 1, "kernel_size", "AvgPool1d")
        self.stride = self.kernel_size if stride is None else ntuple(stride, 1, "stride", "AvgPool1d")
        self.padding = ntuple(padding, 1, "padding", "AvgPool1d")
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return _pooling.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                                   self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """y[n, c, i, j] = mean over the window at (i s_h, j s_w) of (N, C, H, W) or (C, H, W);
    stride defaults to kernel_size. See ``avg_pool2d``.

    >>> import backprop as bp
    >>> AvgPool2d(2)(bp.zeros(1, 6, 28, 28)).shape
    backprop.Size([1, 6, 14, 14])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return _pooling.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                                   self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool1d(Module):
    """Mean over ``output_size`` adaptive bins of the last dim; see ``adaptive_avg_pool1d``."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return _pooling.adaptive_avg_pool1d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(Module):
    """Mean over an ``output_size`` grid of adaptive bins, whatever the input's H and W
    (``AdaptiveAvgPool2d(1)`` is global average pooling). See ``adaptive_avg_pool2d``.

    >>> import backprop as bp
    >>> AdaptiveAvgPool2d((1, 1))(bp.zeros(2, 512, 7, 7)).shape
    backprop.Size([2, 512, 1, 1])
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return _pooling.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
