"""Conversions that keep the gradient flowing: dtype casts, device moves, copies."""
from backprop import backend
from backprop.autograd import Function
from backprop.ops.manifest import export


class Cast(Function):
    """y = x as another dtype; dL/dx = dL/dy cast back (the engine casts it)."""

    def forward(self, x, dtype):
        return x.astype(dtype)

    def backward(self, grad):
        return grad


class ToDevice(Function):
    """y = x on another device; the gradient moves back to x's device."""

    def forward(self, x, device):
        self.source = backend.device_of(x)
        return backend.to_device(x, device)

    def backward(self, grad):
        return ToDevice.call(grad, device=self.source)


class Clone(Function):
    """y = a copy of x; dL/dx = dL/dy."""

    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        return grad


def cast(x, dtype):
    """``x`` as ``dtype``; a cast to an integer or bool dtype records no graph (``Function.apply``
    records only floating results), as in torch."""
    return Cast.apply(x, dtype=dtype)


def to_device(x, device):
    return ToDevice.apply(x, device=device)


@export()
def clone(input, *, memory_format=None):
    """A copy of ``input`` (row-major: ``memory_format`` is accepted, every layout is torch's contiguous one here),
    differentiable."""
    return Clone.apply(input)
