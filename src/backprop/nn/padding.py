"""Padding layers: the last 1, 2 or 3 dims padded with a constant (zeros), a reflection, the edge values
repeated, or wrapped around; all are ``F.pad`` with a fixed ``padding`` (left, right, top, bottom, front,
back: the last dim first, as torch)."""
from backprop.nn.module import Module
from backprop.ops.join import pad as _pad

__all__ = [
    "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
    "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d",
]


def _widths(padding, dims, name):
    """An int pads every side; else a tuple of 2 * dims widths."""
    if isinstance(padding, int) and not isinstance(padding, bool):
        return (padding,) * (2 * dims)
    widths = tuple(int(p) for p in padding)
    if len(widths) != 2 * dims:
        raise ValueError(f"{name}: expected padding of an int or {2 * dims} ints, got {padding!r}")
    return widths


class _PadNd(Module):
    _dims, _mode = None, None

    def __init__(self, padding):
        super().__init__()
        self.padding = _widths(padding, self._dims, type(self).__name__)

    def forward(self, input):
        return _pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    _mode = "constant"

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return _pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``: (left, right) or an int for both."""

    _dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with ``value``: (left, right, top, bottom) or an int for all four.

    >>> import backprop as bp
    >>> ConstantPad2d(1, 3.5)(bp.zeros(1, 2, 2)).shape
    backprop.Size([1, 4, 4])
    """

    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with ``value``: (left, right, top, bottom, front, back) or an int."""

    _dims = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pad the last dim with zeros."""

    _dims = 1


class ZeroPad2d(_ZeroPadNd):
    """Pad the last two dims with zeros: (left, right, top, bottom) or an int for all four."""

    _dims = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last three dims with zeros."""

    _dims = 3


class _ReflectionPadNd(_PadNd):
    _mode = "reflect"


class _ReplicationPadNd(_PadNd):
    _mode = "replicate"


class _CircularPadNd(_PadNd):
    _mode = "circular"


def _padding_layer(name, base, dims, doc):
    """A padding layer class: ``F.pad(input, padding, base._mode)`` over the last ``dims`` dims."""
    return type(name, (base,), {"_dims": dims, "__doc__": doc, "__module__": __name__})


ReflectionPad1d = _padding_layer("ReflectionPad1d", _ReflectionPadNd, 1,
                                 "Mirror the last dim at its edges: [0 1 2 3] -> [2 1 | 0 1 2 3 | 2 1].")
ReflectionPad2d = _padding_layer("ReflectionPad2d", _ReflectionPadNd, 2,
                                 "Mirror the last two dims at their edges, of a (N, C, H, W) or (C, H, W) input.")
ReflectionPad3d = _padding_layer("ReflectionPad3d", _ReflectionPadNd, 3, "Mirror the last three dims at their edges.")
ReplicationPad1d = _padding_layer("ReplicationPad1d", _ReplicationPadNd, 1,
                                  "Repeat the edge values of the last dim: [0 1 2 3] -> [0 0 | 0 1 2 3 | 3 3].")
ReplicationPad2d = _padding_layer("ReplicationPad2d", _ReplicationPadNd, 2,
                                  "Repeat the edge values of the last two dims.")
ReplicationPad3d = _padding_layer("ReplicationPad3d", _ReplicationPadNd, 3,
                                  "Repeat the edge values of the last three dims.")
CircularPad1d = _padding_layer("CircularPad1d", _CircularPadNd, 1,
                               "Wrap the last dim around: [0 1 2 3] -> [2 3 | 0 1 2 3 | 0 1].")
CircularPad2d = _padding_layer("CircularPad2d", _CircularPadNd, 2, "Wrap the last two dims around (periodic boundary).")
CircularPad3d = _padding_layer("CircularPad3d", _CircularPadNd, 3, "Wrap the last three dims around.")
