"""Arithmetic: + - * / ** and negation, with broadcasting; division with rounding (//, %, fmod).

Each backward returns the gradient at the broadcast shape of the output; the
engine (``autograd.sum_to``) sums it back to each input's shape.
"""
from backprop import backend
from backprop import dtypes
from backprop.autograd import Function
from backprop.ops.indexing import write_out
from backprop.ops.util import operands, to_dtype
from backprop.ops.manifest import export
from backprop.tensor import Tensor


class Add(Function):
    """y = a + b;  dL/da = dL/dy,  dL/db = dL/dy."""

    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad


class Sub(Function):
    """y = a - b;  dL/da = dL/dy,  dL/db = -dL/dy."""

    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        return grad, (-grad if self.needs_input_grad[1] else None)


class Mul(Function):
    """y = a * b;  dL/da = dL/dy * b,  dL/db = dL/dy * a."""

    def forward(self, a, b):
        if self.needs_input_grad:  # each factor only where the other's gradient needs it
            needs_a, needs_b = self.needs_input_grad
            self.save_for_backward(a if needs_b else None, b if needs_a else None)
        return a * b

    def backward(self, grad):
        a, b = self.saved_tensors
        needs_a, needs_b = self.needs_input_grad
        return (grad * b if needs_a else None), (grad * a if needs_b else None)


class Div(Function):
    """y = a / b;  dL/da = dL/dy / b,  dL/db = -dL/dy * a / b^2."""

    def forward(self, a, b):
        if self.needs_input_grad:  # b always, a only for dL/db
            self.save_for_backward(a if self.needs_input_grad[1] else None, b)
        return a / b

    def backward(self, grad):
        a, b = self.saved_tensors
        needs_a, needs_b = self.needs_input_grad
        with backend.errstate():  # b = 0: +-inf or nan, as torch (silently)
            grad_a = grad / b
            grad_b = -grad_a * a / b if needs_b else None
        return (grad_a if needs_a else None), grad_b


class Neg(Function):
    """y = -x;  dL/dx = -dL/dy."""

    def forward(self, x):
        return -x

    def backward(self, grad):
        return -grad


class Pow(Function):
    """y = a ** b;  dL/da = dL/dy * b a^(b-1),  dL/db = dL/dy * a^b ln a.

    As in PyTorch, dL/da is 0 where b = 0 (even at a = 0), and dL/db is 0
    where a = 0 and b >= 0.
    """

    def forward(self, a, b):
        y = a ** b
        if self.needs_input_grad:  # the output only for dL/db
            self.save_for_backward(a, b, y if self.needs_input_grad[1] else None)
        return y

    def backward(self, grad):
        a, b, y = self.saved_tensors
        xp = backend.array_module(a)
        needs_a, needs_b = self.needs_input_grad
        grad_a = grad_b = None
        with backend.errstate():  # 0 ** -1 and log 0 are computed, then masked
            if needs_a:
                grad_a = grad * xp.where(b == 0, 0, b * a ** (b - 1))
            if needs_b:
                grad_b = grad * xp.where((a == 0) & (b >= 0), 0, y * xp.log(a))
        return grad_a, grad_b


class RoundedDiv(Function):
    """y = trunc(a / b) or floor(a / b) (``mode``), exact for integers;  dL/da = dL/db = 0.

    The quotient is piecewise constant: torch's gradient is zero (also at its jumps).
    """

    def forward(self, a, b, mode):
        xp = backend.array_module(a)
        with backend.errstate():  # x / 0 is +-inf or nan, as in torch
            if mode == "floor":
                return xp.floor_divide(a, b)
            if a.dtype.kind in "iub":  # truncation: the floor, moved up by one where it rounded a negative down
                q = xp.floor_divide(a, b)
                return q + ((q < 0) & (xp.remainder(a, b) != 0)).astype(q.dtype)
            return xp.trunc(a / b)

    def backward(self, grad):
        zeros = backend.array_module(grad).zeros_like(grad)
        return zeros, zeros


class FloorDivide(RoundedDiv):
    """y = floor(a / b) (``a // b``): as in torch, it has no derivative (``div(rounding_mode='floor')`` has zero)."""

    def backward(self, grad):
        raise RuntimeError("the derivative of floor_divide is not implemented (as in torch); "
                           "div(a, b, rounding_mode='floor') has the same values and a zero gradient")


class Remainder(Function):
    """y = a - b floor(a / b), the sign of b (``a % b``);  dL/da = dL/dy,  dL/db = -dL/dy floor(a / b)."""

    ufunc, rounding = "remainder", "floor"

    def forward(self, a, b):
        if self.needs_input_grad and self.needs_input_grad[1]:
            self.save_for_backward(a, b)
        with backend.errstate():
            return getattr(backend.array_module(a), self.ufunc)(a, b)

    def backward(self, grad):
        return grad, (-grad * _quotient(self, self.rounding) if self.needs_input_grad[1] else None)


class Fmod(Remainder):
    """y = a - b trunc(a / b), the sign of a (C's fmod);  dL/da = dL/dy,  dL/db = -dL/dy trunc(a / b)."""

    ufunc, rounding = "fmod", "trunc"


def _quotient(fn, mode):
    """The rounded quotient of ``fn``'s saved a and b, a constant factor of a gradient formula (its own
    derivative is 0): computed on the arrays, not recorded with create_graph=True."""
    a, b = fn.saved_tensors
    if isinstance(a, Tensor):
        return Tensor._make(RoundedDiv().forward(a._data, b._data, mode=mode))
    return RoundedDiv().forward(a, b, mode=mode)


def binary_op(function, a, b, name, **params):
    """Apply a two-input Function after torch's promotion, naming both shapes when they do not broadcast."""
    a, b = operands(a, b)
    try:
        return function.apply(a, b, **params)
    except ValueError as error:
        if "broadcast" in str(error):
            raise not_broadcastable(name, a.shape, b.shape) from None
        raise


class BroadcastError(ValueError, RuntimeError):
    """Operands whose shapes do not broadcast: torch raises RuntimeError, backprop raised ValueError before."""


def not_broadcastable(name, *shapes):
    """The error for operands whose shapes do not broadcast."""
    return BroadcastError(f"{name}: shapes {' and '.join(str(tuple(s)) for s in shapes)} do not broadcast: aligned "
                      "from the right, each pair of dimensions must be equal or one of them 1")


def float_operands(input, other):
    """``operands``, then integer and bool ones as float32 (torch's true division, atan2, ...)."""
    a, b = operands(input, other)
    if not dtypes.is_floating(a.dtype):
        a, b = to_dtype(a, dtypes.default_float, a), to_dtype(b, dtypes.default_float, a)
    return a, b


def _divisible(input, other, name):
    """``operands`` of an integer-valued division: bools refused, integer division by zero refused (torch's
    ZeroDivisionError, a RuntimeError)."""
    a, b = operands(input, other)
    kind = a.dtype.kind
    if kind == "b":
        raise NotImplementedError(f"{name}() is not implemented for bool tensors; convert them with .long()")
    if kind in "iu" and bool((b._data == 0).any()):
        raise RuntimeError(f"{name}(): integer division by zero (ZeroDivisionError)")
    return a, b


@export(inplace=True)
def add(input, other, alpha=1, *, out=None):
    return write_out(binary_op(Add, input, other if alpha == 1 else other * alpha, "add"), out, "add")


@export(inplace=True)
def sub(input, other, alpha=1, *, out=None):
    return write_out(binary_op(Sub, input, other if alpha == 1 else other * alpha, "sub"), out, "sub")


@export(inplace=True)
def mul(input, other, *, out=None):
    return write_out(binary_op(Mul, input, other, "mul"), out, "mul")


@export(inplace=True)
def div(input, other, *, rounding_mode=None, out=None):
    """a / b. True division (``rounding_mode=None``): integer operands give a float32 result, as in torch;
    ``'trunc'`` rounds the quotient toward zero, ``'floor'`` down (``a // b``), in the operands' dtype."""
    if rounding_mode is None:
        result = binary_op(Div, *float_operands(input, other), "div")
    elif rounding_mode in ("trunc", "floor"):
        result = binary_op(RoundedDiv, *_divisible(input, other, "div"), "div", mode=rounding_mode)
    else:
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor', got {rounding_mode!r}")
    return write_out(result, out, "div")


@export(inplace=True)
def floor_divide(input, other, *, out=None):
    """floor(a / b) (``a // b``), in the operands' dtype; no derivative, as in torch."""
    result = binary_op(FloorDivide, *_divisible(input, other, "floor_divide"), "floor_divide", mode="floor")
    return write_out(result, out, "floor_divide")


@export(inplace=True)
def remainder(input, other, *, out=None):
    """a % b = a - b floor(a / b): the result has the sign of b, as Python's %."""
    return write_out(binary_op(Remainder, *_divisible(input, other, "remainder"), "remainder"), out, "remainder")


@export(inplace=True)
def fmod(input, other, *, out=None):
    """a - b trunc(a / b): the result has the sign of a, as C's fmod."""
    return write_out(binary_op(Fmod, *_divisible(input, other, "fmod"), "fmod"), out, "fmod")


@export(inplace=True)
def neg(input, *, out=None):
    return write_out(Neg.apply(input), out, "neg")


@export(inplace=True)
def pow(input, exponent, *, out=None):
    return write_out(binary_op(Pow, input, exponent, "pow"), out, "pow")


@export(inplace=True)
def float_power(input, exponent, *, out=None):
    """input ** exponent computed in float64 (both operands converted first), as torch."""
    a, b = operands(input, exponent)
    a, b = to_dtype(a, dtypes.float64, a), to_dtype(b, dtypes.float64, a)
    return write_out(binary_op(Pow, a, b, "float_power"), out, "float_power")


# torch's other names
multiply = export(name="multiply", inplace=True)(mul)
subtract = export(name="subtract", inplace=True)(sub)
divide = export(name="divide", inplace=True)(div)
negative = export(name="negative", inplace=True)(neg)


@export(inplace=True)
def true_divide(input, other, *, out=None):
    """a / b, true division (``div`` without a rounding mode)."""
    return div(input, other, out=out)
