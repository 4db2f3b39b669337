"""PixelShuffle and PixelUnshuffle: channels to space and back (sub-pixel convolution, Shi et al. 2016)."""
from backprop.nn.module import Module
from backprop.ops import fold as _fold

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(Module):
    """(*, C r^2, H, W) -> (*, C, H r, W r): y[c, h r + i, w r + j] = x[c r^2 + i r + j, h, w].

    >>> import backprop as bp
    >>> PixelShuffle(3)(bp.zeros(1, 9, 4, 4)).shape
    backprop.Size([1, 1, 12, 12])
    """

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return _fold.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of PixelShuffle.

    >>> import backprop as bp
    >>> PixelUnshuffle(2)(bp.zeros(1, 1, 4, 4)).shape
    backprop.Size([1, 4, 2, 2])
    """

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return _fold.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"
