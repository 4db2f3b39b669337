"""Unfold and Fold: sliding windows to columns (im2col) and back (col2im)."""
from backprop.nn.module import Module
from backprop.ops import fold as _fold

__all__ = ["Unfold", "Fold"]


class Unfold(Module):
    """(N, C, H, W) -> (N, C * prod(kernel_size), L): every sliding window as a column (see F.unfold).

    >>> import backprop as bp
    >>> Unfold(kernel_size=(2, 3))(bp.zeros(2, 5, 3, 4)).shape
    backprop.Size([2, 30, 4])
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input):
        return _fold.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
                f"stride={self.stride}")


class Fold(Module):
    """(N, C * prod(kernel_size), L) -> (N, C, *output_size): columns summed back into images (see F.fold).

    >>> import backprop as bp
    >>> Fold(output_size=(4, 5), kernel_size=(2, 2))(bp.zeros(1, 12, 12)).shape
    backprop.Size([1, 3, 4, 5])
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return _fold.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
