"""Matrix products."""
from backprop import backend
from backprop.autograd import Function
from backprop.ops.util import check_tensor, operands


class MatMul(Function):
    """Y = A B (batched over leading dimensions, as ``numpy.matmul``);
    dL/dA = dL/dY B^T,  dL/dB = A^T dL/dY.

    A 1-D A is a row vector (1, k) and a 1-D B a column vector (k, 1), the
    added dimension removed from the result, as in torch.matmul.
    """

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a @ b

    def backward(self, grad):
        a, b = self.saved_tensors
        xp = backend.array_module(grad)
        needs_a, needs_b = self.needs_input_grad
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if b.ndim == 1:  # bring dL/dY to the shape of A2 @ B2
            grad = grad[..., None]
        if a.ndim == 1:
            grad = grad[..., None, :]
        grad_a = grad_b = None
        if needs_a:
            grad_a = xp.matmul(grad, xp.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                grad_a = grad_a[..., 0, :]
        if needs_b:
            grad_b = xp.matmul(xp.swapaxes(a2, -1, -2), grad)
            if b.ndim == 1:
                grad_b = grad_b[..., 0]
        return grad_a, grad_b


def matmul(input, other):
    """Matrix product with torch.matmul's rules for 1-D and batched operands.

    >>> import backprop as bp
    >>> w = bp.tensor([[1.0, -2.0], [-1.0, 1.0]])
    >>> (w @ bp.tensor([1.0, -1.0]) + bp.tensor([1.0, 0.0])).tolist()
    [4.0, -2.0]
    """
    check_tensor(input if hasattr(input, "_data") else other, "matmul")
    a, b = operands(input, other)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes {a.shape} and {b.shape}")
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied: "
            f"the last dimension of the first ({inner_a}) must equal the "
            f"{'first' if b.ndim == 1 else 'second-to-last'} dimension of the second ({inner_b})"
        )
    try:
        return MatMul.apply(a, b)
    except ValueError as error:
        raise ValueError(
            f"matmul: the batch dimensions of shapes {a.shape} and {b.shape} do not broadcast"
        ) from error


class Linear(Function):
    """y = x W^T + b (x of shape (*, in), W (out, in), b (out,));
    dL/dx = dL/dy W,  dL/dW = dL/dy^T x (summed over the batch),  dL/db = sum dL/dy."""

    def forward(self, x, weight, bias=None):
        self.save_for_backward(x, weight)
        y = x @ weight.T
        if bias is not None:
            y = y + bias
        return y

    def backward(self, grad):
        x, weight = self.saved_tensors
        needs = self.needs_input_grad
        grad_x = grad @ weight if needs[0] else None
        grad_weight = grad_bias = None
        if needs[1]:
            flat_grad = grad.reshape(-1, grad.shape[-1])
            grad_weight = flat_grad.T @ x.reshape(-1, x.shape[-1])
        if len(needs) > 2 and needs[2]:
            grad_bias = grad.reshape(-1, grad.shape[-1]).sum(axis=0)
        return grad_x, grad_weight, grad_bias


def linear(input, weight, bias=None):
    """y = x W^T + b in one node (torch.nn.functional.linear)."""
    check_tensor(input, "linear")
    if input.dtype != weight.dtype:
        input = input.to(weight.dtype)
    if input.shape[-1:] != weight.shape[-1:]:
        raise ValueError(
            f"linear: input of shape {input.shape} does not match weight of shape {weight.shape}: "
            f"expected (*, {weight.shape[-1]})"
        )
    if bias is None:
        return Linear.apply(input, weight)
    return Linear.apply(input, weight, bias)
