"""Arithmetic: + - * / ** and negation, with broadcasting.

Each backward returns the gradient at the broadcast shape of the output; the
engine (``autograd.sum_to``) sums it back to each input's shape.
"""
from backprop import backend
from backprop import dtypes
from backprop.autograd import Function
from backprop.ops.util import operands, to_dtype
from backprop.ops.manifest import export


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


def binary_op(function, a, b, name):
    """Apply a two-input Function after torch's promotion, naming both shapes when they do not broadcast."""
    a, b = operands(a, b)
    try:
        return function.apply(a, b)
    except ValueError as error:
        if "broadcast" in str(error):
            raise ValueError(
                f"{name}: shapes {a.shape} and {b.shape} do not broadcast: aligned from the right, "
                "each pair of dimensions must be equal or one of them 1"
            ) from None
        raise


@export(inplace=True)
def add(input, other, alpha=1):
    return binary_op(Add, input, other if alpha == 1 else other * alpha, "add")


@export(inplace=True)
def sub(input, other, alpha=1):
    return binary_op(Sub, input, other if alpha == 1 else other * alpha, "sub")


@export(inplace=True)
def mul(input, other):
    return binary_op(Mul, input, other, "mul")


@export(inplace=True)
def div(input, other):
    """True division: integer operands give a float32 result, as in torch."""
    a, b = operands(input, other)
    if not dtypes.is_floating(a.dtype):
        a, b = to_dtype(a, dtypes.default_float, a), to_dtype(b, dtypes.default_float, a)
    return binary_op(Div, a, b, "div")


@export(inplace=True)
def neg(input):
    return Neg.apply(input)


@export(inplace=True)
def pow(input, exponent):
    return binary_op(Pow, input, exponent, "pow")

