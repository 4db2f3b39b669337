"""torch's pointwise maths of two tensors (or a tensor and a number), broadcast: atan2, hypot, lerp, xlogy,
copysign, logaddexp, logaddexp2, heaviside, fmax, fmin; addcmul, addcdiv and ldexp, compositions of the arithmetic
ops.

Each op is one Function, its formula and partial derivatives in the docstring; the engine sums each
gradient back to its input's shape.
"""
import math

from backprop import backend
from backprop.autograd import Function
from backprop.ops.arithmetic import binary_op, float_operands, not_broadcastable
from backprop.ops.indexing import write_out
from backprop.ops.manifest import export
from backprop.ops.util import check_tensor, operands, to_dtype
from backprop.tensor import Tensor

_LN2 = math.log(2)


class Atan2(Function):
    """y = atan2(a, b), the angle of the point (b, a) in (-pi, pi];
    dL/da = dL/dy b / (a^2 + b^2),  dL/db = -dL/dy a / (a^2 + b^2) (0 at the origin, as torch)."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return backend.array_module(a).arctan2(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        r2 = a * a + b * b
        scale = grad / backend.array_module(grad).where(r2 == 0, 1, r2)  # at the origin a = b = 0: 0
        return scale * b, -scale * a


class Hypot(Function):
    """y = sqrt(a^2 + b^2) (without overflow);  dL/da = dL/dy a / y,  dL/db = dL/dy b / y."""

    def forward(self, a, b):
        y = backend.array_module(a).hypot(a, b)
        self.save_for_backward(a, b, y)
        return y

    def backward(self, grad):
        a, b, y = self.saved_tensors
        scale = grad / y
        return scale * a, scale * b


class Lerp(Function):
    """y = a + w (b - a) (as torch: b - (b - a)(1 - w) where |w| >= 1/2, exact at w = 1);
    dL/da = dL/dy (1 - w),  dL/db = dL/dy w,  dL/dw = dL/dy (b - a)."""

    def forward(self, a, b, w):
        self.save_for_backward(a, b, w)
        xp = backend.array_module(a)
        d = b - a
        return xp.where(xp.abs(w) < 0.5, a + w * d, b - d * (1 - w))

    def backward(self, grad):
        a, b, w = self.saved_tensors
        return grad * (1 - w), grad * w, (grad * (b - a) if self.needs_input_grad[2] else None)


class Xlogy(Function):
    """y = x ln z, 0 where x = 0 (unless z is nan);
    dL/dx = dL/dy ln z (0 where x = 0 and z <= 0),  dL/dz = dL/dy x / z."""

    def forward(self, x, z):
        self.save_for_backward(x, z)
        xp = backend.array_module(x)
        with backend.errstate():
            return xp.where((x == 0) & ~xp.isnan(z), 0, x * xp.log(z))

    def backward(self, grad):
        x, z = self.saved_tensors
        xp = backend.array_module(grad)
        needs_x, needs_z = self.needs_input_grad
        with backend.errstate():  # ln z at z <= 0 is replaced where x = 0; x / 0 is +-inf or nan, as torch
            grad_x = xp.where((x == 0) & (z <= 0), 0, grad * xp.log(z)) if needs_x else None
            return grad_x, (grad * x / z if needs_z else None)


class Copysign(Function):
    """y = |a| with the sign of b;  dL/da = dL/dy sign(a) sign(y) (0 at a = 0),  dL/db = 0."""

    def forward(self, a, b):
        y = backend.array_module(a).copysign(a, b)
        self.save_for_backward(a, y)
        return y

    def backward(self, grad):
        a, y = self.saved_tensors
        xp = backend.array_module(grad)
        return grad * xp.sign(a) * xp.sign(y), xp.zeros_like(grad)


class Logaddexp(Function):
    """y = ln(e^a + e^b) (without overflow);  dL/da = dL/dy / (1 + e^{b - a}),  dL/db = dL/dy / (1 + e^{a - b}).
    With ``base2``: y = log2(2^a + 2^b), and 2 in place of e in the derivatives."""

    def forward(self, a, b, base2):
        self.save_for_backward(a, b)
        self.scale = _LN2 if base2 else 1  # 2^t = e^{t ln 2}
        xp = backend.array_module(a)
        with backend.errstate():  # inf - inf inside: nan, as torch
            return (xp.logaddexp2 if base2 else xp.logaddexp)(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        xp = backend.array_module(grad)
        return grad / (1 + xp.exp((b - a) * self.scale)), grad / (1 + xp.exp((a - b) * self.scale))


class Heaviside(Function):
    """y = 0 for x < 0, ``values`` at x = 0, 1 for x > 0 (0 at nan, as torch): no derivative, as in torch."""

    def forward(self, x, values):
        return backend.array_module(x).where(x == 0, values, (x > 0).astype(x.dtype))

    def backward(self, grad):
        raise RuntimeError("the derivative of heaviside is not implemented (as in torch)")


class Fmax(Function):
    """y = max(a, b), the number where the other is nan;  dL/da = dL/dy where a >= b or b is nan,
    dL/db = dL/dy elsewhere (ties go to a, as torch)."""

    ufunc = "fmax"

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return getattr(backend.array_module(a), self.ufunc)(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        return _to_a_where(grad, self.a_chosen(a, b) | backend.array_module(grad).isnan(b))

    @staticmethod
    def a_chosen(a, b):
        return a >= b


class Fmin(Fmax):
    """y = min(a, b), the number where the other is nan;  dL/da = dL/dy where a <= b or b is nan,
    dL/db = dL/dy elsewhere (ties go to a, as torch)."""

    ufunc = "fmin"

    @staticmethod
    def a_chosen(a, b):
        return a <= b


def _to_a_where(grad, chosen):
    """The gradient to the first input where ``chosen``, to the second elsewhere."""
    xp = backend.array_module(grad)
    return xp.where(chosen, grad, 0), xp.where(chosen, 0, grad)


def _float_function(cls, name, integers=True, inplace=True, **params):
    """Declare ``name(input, other, *, out=None)``: ``cls`` of the promoted operands (integers as float32, or
    refused as torch refuses them when ``integers`` is False), with its method (and in-place method)."""

    def function(input, other, *, out=None):
        if not isinstance(input, Tensor) and not isinstance(other, Tensor):
            raise TypeError(f"{name}() expected a Tensor, got {type(input).__name__} and {type(other).__name__}")
        a, b = float_operands(input, other) if integers else _floating_operands(input, other, name)
        return write_out(binary_op(cls, a, b, name, **params), out, name)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = cls.__doc__
    return export(name=name, inplace=inplace)(function)


def _floating_operands(input, other, name):
    a, b = operands(input, other)
    if a.dtype.kind != "f":
        raise NotImplementedError(f"{name}() is not implemented for {a.dtype} tensors; convert them with .float()")
    return a, b


atan2 = _float_function(Atan2, "atan2")
arctan2 = export(name="arctan2", inplace=True)(atan2)  # NumPy's name, also torch's
hypot = _float_function(Hypot, "hypot", integers=False)
xlogy = _float_function(Xlogy, "xlogy")
copysign = _float_function(Copysign, "copysign")
logaddexp = _float_function(Logaddexp, "logaddexp", integers=False, inplace=False, base2=False)
logaddexp2 = _float_function(Logaddexp, "logaddexp2", integers=False, inplace=False, base2=True)


@export(inplace=True)
def lerp(input, end, weight, *, out=None):
    """input + weight (end - input); ``weight`` a number or a tensor (broadcast)."""
    check_tensor(input, "lerp")
    check_tensor(end, "lerp")
    if input.dtype.kind != "f":
        raise NotImplementedError(f"lerp() is not implemented for {input.dtype} tensors; convert them with .float()")
    if end.dtype != input.dtype:
        raise RuntimeError(f"lerp() expected end of the dtype of input, {input.dtype}, got {end.dtype}")
    weight = to_dtype(weight, input.dtype, input)  # a number: a constant; a tensor: converted (differentiably)
    try:
        result = Lerp.apply(input, end, weight)
    except ValueError as error:
        if "broadcast" in str(error):
            raise not_broadcastable("lerp", input.shape, end.shape, weight.shape) from None
        raise
    return write_out(result, out, "lerp")


@export(inplace=True)
def heaviside(input, values, *, out=None):
    """The step: 0 where input < 0, ``values`` where input == 0, 1 where input > 0 (same dtypes, as torch)."""
    check_tensor(input, "heaviside")
    check_tensor(values, "heaviside")
    if values.dtype != input.dtype:
        raise RuntimeError(f"heaviside() expected values of the dtype of input, {input.dtype}, got {values.dtype}")
    return write_out(binary_op(Heaviside, input, values, "heaviside"), out, "heaviside")


@export()
def fmax(input, other, *, out=None):
    """Elementwise maximum that ignores nan (nan only where both are nan)."""
    return write_out(binary_op(Fmax, check_tensor(input, "fmax"), other, "fmax"), out, "fmax")


@export()
def fmin(input, other, *, out=None):
    """Elementwise minimum that ignores nan (nan only where both are nan)."""
    return write_out(binary_op(Fmin, check_tensor(input, "fmin"), other, "fmin"), out, "fmin")



# ------------------------------------------------------------- compositions of the arithmetic ops
def _value(value, tensors):
    """``value`` in the result's dtype: a float value of integer tensors rounded toward zero, as torch does."""
    if isinstance(value, float) and all(t.dtype.kind in "biu" for t in tensors):
        return int(value)
    return value


@export(inplace=True)
def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 * tensor2 (broadcast); a composition, so its gradients are the products'."""
    for t in (input, tensor1, tensor2):
        check_tensor(t, "addcmul")
    value = _value(value, (input, tensor1, tensor2))
    product = tensor1 * tensor2
    return write_out(input + (product if value == 1 else value * product), out, "addcmul")


@export(inplace=True)
def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 / tensor2 (broadcast); integer tensor1 and tensor2 refused, as torch."""
    for t in (input, tensor1, tensor2):
        check_tensor(t, "addcdiv")
    if tensor1.dtype.kind in "biu" and tensor2.dtype.kind in "biu":
        raise RuntimeError("addcdiv(): integer division of tensor1 by tensor2 is not supported; "
                           f"got {tensor1.dtype} and {tensor2.dtype} (use addcmul with the reciprocal)")
    value = _value(value, (input, tensor1, tensor2))
    quotient = tensor1 / tensor2
    return write_out(input + (quotient if value == 1 else value * quotient), out, "addcdiv")


@export(inplace=True)
def ldexp(input, other, *, out=None):
    """input * 2^other: 2.0 ** other in floating point (float32 for integer exponents), as torch."""
    check_tensor(input, "ldexp")
    check_tensor(other, "ldexp")
    return write_out(input * 2.0 ** other, out, "ldexp")
