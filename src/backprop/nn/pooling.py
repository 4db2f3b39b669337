"""Pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (and their 1-D forms)."""
from backprop.nn.module import Module
from backprop.ops.util import ntuple
from backprop.ops import pooling as _pooling

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d"]


class _MaxPoolNd(Module):
    _function = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.padding, self.dilation = kernel_size, padding, dilation
        self.stride = kernel_size if stride is None else stride
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return type(self)._function(input, self.kernel_size, self.stride, self.padding, self.dilation,
                                    self.ceil_mode, return_indices=self.return_indices)

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


# ---------------------------------------------------------------- unpooling, adaptive max, LP pooling
__all__ += ["MaxUnpool1d", "MaxUnpool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "LPPool1d", "LPPool2d"]


class _MaxUnpoolNd(Module):
    _dims, _function = None, None

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = ntuple(kernel_size, self._dims, "kernel_size", name)
        self.stride = self.kernel_size if stride is None else ntuple(stride, self._dims, "stride", name)
        self.padding = ntuple(padding, self._dims, "padding", name)

    def forward(self, input, indices, output_size=None):
        return type(self)._function(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """The partial inverse of MaxPool1d: maxima put back at the indices MaxPool1d(return_indices=True) gave."""

    _dims, _function = 1, staticmethod(_pooling.max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    """The partial inverse of MaxPool2d: each maximum put back at its recorded position, zeros elsewhere
    (pass ``output_size`` where the pooling dropped rows or columns).

    >>> import backprop as bp
    >>> y, indices = MaxPool2d(2, return_indices=True)(bp.randn(1, 3, 4, 4))
    >>> MaxUnpool2d(2)(y, indices).shape
    backprop.Size([1, 3, 4, 4])
    """

    _dims, _function = 2, staticmethod(_pooling.max_unpool2d)


class _AdaptiveMaxPoolNd(Module):
    _function = None

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):
        return type(self)._function(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max over ``output_size`` adaptive bins of the last dim; see ``adaptive_max_pool1d``."""

    _function = staticmethod(_pooling.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max over an ``output_size`` grid of adaptive bins, whatever the input's H and W.

    >>> import backprop as bp
    >>> AdaptiveMaxPool2d((2, 3))(bp.randn(2, 4, 7, 9)).shape
    backprop.Size([2, 4, 2, 3])
    """

    _function = staticmethod(_pooling.adaptive_max_pool2d)


class _LPPoolNd(Module):
    _function = None

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def forward(self, input):
        return type(self)._function(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """Power-average pooling over the last dim: y = (sum_window x^p)^(1/p); see ``lp_pool1d``."""

    _function = staticmethod(_pooling.lp_pool1d)


class LPPool2d(_LPPoolNd):
    """Power-average pooling over windows of the last two dims: y = (sum_window x^p)^(1/p)."""

    _function = staticmethod(_pooling.lp_pool2d)


class LPPool3d(_LPPoolNd):
    """Power-average pooling over windows of the last three dims."""

    _function = staticmethod(_pooling.lp_pool3d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max over an ``output_size`` grid of adaptive bins of (N, C, D, H, W) or (C, D, H, W)."""

    _function = staticmethod(_pooling.adaptive_max_pool3d)


class MaxUnpool3d(_MaxUnpoolNd):
    """The partial inverse of MaxPool3d: maxima put back at the indices MaxPool3d(return_indices=True) gave."""

    _dims, _function = 3, staticmethod(_pooling.max_unpool3d)


__all__ += ["LPPool3d", "AdaptiveMaxPool3d", "MaxUnpool3d"]


class AdaptiveAvgPool3d(Module):
    """Mean over an ``output_size`` grid of adaptive bins of (N, C, D, H, W) or (C, D, H, W)
    (``AdaptiveAvgPool3d(1)`` is global average pooling of volumes). See ``adaptive_avg_pool3d``."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return _pooling.adaptive_avg_pool3d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


__all__ += ["AdaptiveAvgPool3d"]


# ------------------------------------------------------------- 3-d pooling
__all__ += ["MaxPool3d", "AvgPool3d"]


class MaxPool3d(_MaxPoolNd):
    """Max over sliding windows of (N, C, D, H, W) or (C, D, H, W); see ``max_pool3d``.

    >>> import backprop as bp
    >>> MaxPool3d(2)(bp.zeros(1, 3, 4, 6, 8)).shape
    backprop.Size([1, 3, 2, 3, 4])
    """

    _function = staticmethod(_pooling.max_pool3d)


class AvgPool3d(AvgPool2d):
    """Mean over sliding windows of (N, C, D, H, W) or (C, D, H, W); see ``avg_pool3d``.

    >>> import backprop as bp
    >>> AvgPool3d(2)(bp.zeros(1, 3, 4, 6, 8)).shape
    backprop.Size([1, 3, 2, 3, 4])
    """

    def forward(self, input):
        return _pooling.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                                   self.count_include_pad, self.divisor_override)
