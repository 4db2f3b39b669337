"""Selecting elements from two tensors: maximum, minimum, where."""
from backprop import backend
from backprop import dtypes
from backprop.autograd import Function
from backprop.ops.util import check_tensor, operands, to_dtype
from backprop.ops.arithmetic import binary_op
from backprop.ops.indexing import nonzero, write_out
from backprop.ops.manifest import export
from backprop.tensor import Tensor


class Maximum(Function):
    """y = max(a, b) elementwise; the gradient goes to the larger, split in half on ties."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return backend.array_module(a).maximum(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        return _split_ties(grad, a > b, a == b, self.needs_input_grad)


class Minimum(Function):
    """y = min(a, b) elementwise; the gradient goes to the smaller, split in half on ties."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return backend.array_module(a).minimum(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        return _split_ties(grad, a < b, a == b, self.needs_input_grad)


def _split_ties(grad, a_wins, tie, needs):
    xp = backend.array_module(grad)
    half = grad * 0.5
    return (xp.where(tie, half, xp.where(a_wins, grad, 0)) if needs[0] else None), \
        (xp.where(tie, half, xp.where(a_wins, 0, grad)) if needs[1] else None)


class Where(Function):
    """y = a where the condition holds, else b; each gets dL/dy where it was chosen."""

    def forward(self, a, b, condition):
        self.condition = condition
        return backend.array_module(a).where(condition, a, b)

    def backward(self, grad):
        xp = backend.array_module(grad)
        needs_a, needs_b = self.needs_input_grad
        return (
            xp.where(self.condition, grad, 0) if needs_a else None,
            xp.where(self.condition, 0, grad) if needs_b else None,
        )


@export()
def maximum(input, other):
    return binary_op(Maximum, input, other, "maximum")


@export()
def minimum(input, other):
    return binary_op(Minimum, input, other, "minimum")


@export(method=False)
def where(condition, input=None, other=None, *, out=None):
    """Elementwise ``input if condition else other``; the condition is a bool tensor. ``where(condition)``
    alone is ``nonzero(condition, as_tuple=True)``: one tensor of positions per dim."""
    check_tensor(condition, "where")
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if condition.dtype.kind != "b":
        raise TypeError(f"where() expected a bool condition, got {condition.dtype}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):  # two numbers: 0-d tensors of their type
        input = to_dtype(input, dtypes.result_type(input, other), condition)
    a, b = operands(input, other)
    try:
        result = Where.apply(a, b, condition=condition._data)
    except ValueError as error:
        raise ValueError(
            f"where: condition {tuple(condition.shape)}, input {tuple(a.shape)} and other {tuple(b.shape)} do not broadcast"
        ) from error
    return write_out(result, out, "where")


@export(inplace=True)
def masked_fill(input, mask, value):
    """``value`` where ``mask`` is True, ``input``'s values elsewhere (the dtype stays ``input``'s, as torch)."""
    check_tensor(input, "masked_fill")
    if isinstance(value, Tensor):
        value = value.to(input.dtype)
    elif input.dtype.kind == "b":
        value = bool(value)
    elif input.dtype.kind in "iu" and isinstance(value, float):
        value = int(value)
    return where(mask, value, input)
