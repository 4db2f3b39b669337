"""Upsampling layers: Upsample (every mode of F.interpolate), UpsamplingNearest2d, UpsamplingBilinear2d."""
from backprop.nn.module import Module
from backprop.ops import upsample as _upsample

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]


class Upsample(Module):
    """Resize (N, C, L), (N, C, H, W) or (N, C, D, H, W) inputs to ``size`` or by ``scale_factor`` with
    F.interpolate's ``mode`` (nearest, nearest-exact, linear, bilinear, bicubic, trilinear, area).

    >>> import backprop as bp
    >>> Upsample(scale_factor=2, mode="bilinear")(bp.zeros(1, 3, 4, 4)).shape
    backprop.Size([1, 3, 8, 8])
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return _upsample.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                                     recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Upsample(size, scale_factor, mode="nearest") for (N, C, H, W) inputs.

    >>> import backprop as bp
    >>> UpsamplingNearest2d(scale_factor=2)(bp.zeros(1, 1, 2, 3)).shape
    backprop.Size([1, 1, 4, 6])
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample(size, scale_factor, mode="bilinear", align_corners=True) for (N, C, H, W) inputs.

    >>> import backprop as bp
    >>> UpsamplingBilinear2d(size=(3, 3))(bp.ones(1, 1, 2, 2)).sum().item()
    9.0
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
