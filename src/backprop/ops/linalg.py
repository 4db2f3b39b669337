"""Matrix products; and renorm and vander, compositions of the differentiable ops."""
from backprop import backend
from backprop.autograd import Function
from backprop.ops.indexing import write_out
from backprop.ops.util import check_tensor, operands
from backprop.ops.manifest import export
from backprop.tensor import Tensor


class MatMul(Function):
    """Y = A B (batched over leading dimensions, as ``numpy.matmul``);
    dL/dA = dL/dY B^T,  dL/dB = A^T dL/dY.

    A 1-D A is a row vector (1, k) and a 1-D B a column vector (k, 1), the
    added dimension removed from the result, as in torch.matmul.
    """

    def forward(self, a, b):
        if self.needs_input_grad:
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


@export()
def matmul(input, other, *, out=None):
    """Matrix product with torch.matmul's rules for 1-D and batched operands (``out=``: written into it).

    >>> import backprop as bp
    >>> w = bp.tensor([[1.0, -2.0], [-1.0, 1.0]])
    >>> (w @ bp.tensor([1.0, -1.0]) + bp.tensor([1.0, 0.0])).tolist()
    [4.0, -2.0]
    """
    if out is not None:
        return write_out(matmul(input, other), out, "matmul")
    if _sparse(input, other):
        return mm(input, other)
    check_tensor(input if hasattr(input, "_data") else other, "matmul")
    a, b = operands(input, other)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied: "
            f"the last dimension of the first ({inner_a}) must equal the "
            f"{'first' if b.ndim == 1 else 'second-to-last'} dimension of the second ({inner_b})"
        )
    try:
        return MatMul.apply(a, b)
    except ValueError as error:
        raise ValueError(
            f"matmul: the batch dimensions of shapes {tuple(a.shape)} and {tuple(b.shape)} do not broadcast"
        ) from error


def product(a, b, out=None):
    """a @ b of 2-D a (m, k) and b (k, n), laid out in memory so that its rows run along the
    shorter side: column-major ("F" order) when m < n, else row-major; or into ``out``.

    Why: OpenBLAS's sgemm is markedly faster when the result's contiguous
    dimension is the shorter one (measured on an MLP: about 2x for a batch of
    16 times 784 -> 256, 10-25% at batch 128). A column-major (m, n) result is
    the transpose of a row-major (n, m) one, so it is computed as
    (a b)^T = b^T a^T and returned transposed (a view, no copy). ``out`` (a
    fresh array of the caller's layout, e.g. ``empty_like`` a weight) fixes the layout.
    """
    xp = backend.array_module(a)
    if out is None:
        return xp.matmul(b.T, a.T).T if a.shape[0] < b.shape[1] else xp.matmul(a, b)
    if out.flags.c_contiguous:
        return xp.matmul(a, b, out=out)
    xp.matmul(b.T, a.T, out=out.T)
    return out


class Linear(Function):
    """y = x W^T + b (x of shape (*, in), W (out, in), b (out,));
    dL/dx = dL/dy W,  dL/dW = dL/dy^T x (summed over the batch),  dL/db = sum dL/dy.

    A batch of vectors (2-D x, the usual case) goes through ``product``: y gets
    the fast memory layout, dL/dx the layout of x (so that the layer below, a
    reshape say, receives it as it made x) and dL/dW the layout of W (so that
    the optimiser reads W, its gradient and its state in the same order). The
    bias is added in place into the product's fresh output.
    """

    def forward(self, x, weight, bias=None):
        if self.needs_input_grad:
            self.save_for_backward(x, weight)
        if x.ndim == 2:
            y = product(x, weight.T)
        else:
            y = x @ weight.T
        if bias is not None:
            y += bias
        return y

    @property
    def next_functions(self):
        """As torch shows a linear layer's node: ``addmm(bias, x, W^T)`` lists the bias first."""
        edges = Function.next_functions.fget(self)
        return (edges[2], edges[0], edges[1]) if len(edges) == 3 and self.name() == "AddmmBackward0" else edges

    @staticmethod
    def decompose(x, weight, bias=None):
        y = matmul(x, weight.transpose(0, 1))
        return y if bias is None else y + bias

    def backward(self, grad):
        x, weight = self.saved_tensors
        xp = backend.array_module(grad)
        needs = self.needs_input_grad
        if x.ndim != 2:  # (*, in): the batch is every leading dimension
            x = x.reshape(-1, x.shape[-1])
            grad_x = grad @ weight if needs[0] else None
            grad = grad.reshape(-1, grad.shape[-1])
        else:
            grad_x = product(grad, weight, out=xp.empty_like(x)) if needs[0] else None
        grad_weight = product(grad.T, x, out=xp.empty_like(weight)) if needs[1] else None
        grad_bias = grad.sum(axis=0) if len(needs) > 2 and needs[2] else None
        return grad_x, grad_weight, grad_bias


def linear(input, weight, bias=None):
    """y = x W^T + b in one node (torch.nn.functional.linear)."""
    check_tensor(input, "linear")
    x, w = input._data, weight._data
    if x.dtype != w.dtype:
        input = input.to(weight.dtype)
    if x.shape[-1:] != w.shape[-1:]:
        raise ValueError(
            f"linear: input of shape {tuple(input.shape)} does not match weight of shape {tuple(weight.shape)}: "
            f"expected (*, {weight.shape[-1]})"
        )
    if bias is None:
        return Linear.apply(input, weight)
    return Linear.apply(input, weight, bias)


# ------------------------------------------------------------------ products with torch's checks
# Each is matmul (or a sum of products) with the shape rules of its torch name: written with other ops,
# so its gradients (and theirs) come from those ops.
def _sparse(a, b):
    """Either operand a sparse COO tensor (checked only when one is not a Tensor: matmul's hot path pays nothing)."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return False
    from backprop.ops.sparse import SparseTensor

    return isinstance(a, SparseTensor) or isinstance(b, SparseTensor)


def _need(x, ndim, op, what):
    check_tensor(x, op)
    if x.ndim != ndim:
        raise RuntimeError(f"{op}: {what} must be a {ndim}-D tensor, got {x.ndim}-D of shape {tuple(x.shape)}")


@export()
def mm(input, mat2, *, out=None):
    """The matrix product of (n, m) and (m, p) matrices (a sparse COO ``input`` too: ``torch.sparse.mm``)."""
    if _sparse(input, mat2):
        from backprop.ops.sparse import sparse_mm

        return write_out(sparse_mm(input, mat2), out, "mm")
    _need(input, 2, "mm", "self")
    _need(mat2, 2, "mm", "mat2")
    return write_out(matmul(input, mat2), out, "mm")


@export()
def bmm(input, mat2, *, out=None):
    """Batched matrix products of (b, n, m) and (b, m, p) tensors."""
    _need(input, 3, "bmm", "batch1")
    _need(mat2, 3, "bmm", "batch2")
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: {input.shape[0]} and {mat2.shape[0]}")
    return write_out(matmul(input, mat2), out, "bmm")


@export()
def mv(input, vec, *, out=None):
    """The product of an (n, m) matrix and an (m,) vector."""
    _need(input, 2, "mv", "input")
    _need(vec, 1, "mv", "vec")
    return write_out(matmul(input, vec), out, "mv")


@export()
def dot(input, tensor, *, out=None):
    """sum_i x_i y_i of two 1-D tensors of one size and dtype."""
    _need(input, 1, "dot", "input")
    _need(tensor, 1, "dot", "tensor")
    if input.dtype != tensor.dtype:
        raise RuntimeError(f"dot: expected both vectors to have same dtype, but found {input.dtype} and {tensor.dtype}")
    if input.shape != tensor.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor {list(input.shape)} and src "
                           f"{list(tensor.shape)} to have the same number of elements")
    return write_out(matmul(input, tensor), out, "dot")


@export()
def vdot(input, other, *, out=None):
    """sum_i conj(x_i) y_i: ``dot`` for real tensors."""
    return dot(input, other, out=out)


@export()
def outer(input, vec2, *, out=None):
    """(x y^T)_ij = x_i y_j of two 1-D tensors."""
    _need(input, 1, "outer", "input")
    _need(vec2, 1, "outer", "vec2")
    return write_out(input.unsqueeze(1) * vec2.unsqueeze(0), out, "outer")


@export()
def ger(input, vec2, *, out=None):
    """``outer`` (torch's older name)."""
    return outer(input, vec2, out=out)


@export()
def inner(input, other, *, out=None):
    """sum over the last dimension of both: shape input.shape[:-1] + other.shape[:-1] (a product for 0-d)."""
    check_tensor(input, "inner")
    if input.ndim == 0 or other.ndim == 0:
        return write_out(input * other, out, "inner")
    from backprop.ops.einsum import tensordot

    return write_out(tensordot(input, other, dims=([-1], [-1])), out, "inner")


def _scaled_sum(input, product, beta, alpha):
    """beta input + alpha product, as torch's addmm family: input ignored (nan and inf too) when beta = 0."""
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product
    return product + (input if beta == 1 else input * beta)


@export(inplace=True)
def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """beta input + alpha (mat1 @ mat2)."""
    return write_out(_scaled_sum(input, mm(mat1, mat2), beta, alpha), out, "addmm")


@export(inplace=True)
def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """beta input + alpha (mat @ vec)."""
    return write_out(_scaled_sum(input, mv(mat, vec), beta, alpha), out, "addmv")


@export(inplace=True)
def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    """beta input + alpha outer(vec1, vec2)."""
    return write_out(_scaled_sum(input, outer(vec1, vec2), beta, alpha), out, "addr")


@export(inplace=True)
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """beta input + alpha (batch1 @ batch2), batch by batch."""
    return write_out(_scaled_sum(input, bmm(batch1, batch2), beta, alpha), out, "baddbmm")


@export(inplace=True)
def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """beta input + alpha sum_b batch1[b] @ batch2[b]."""
    return write_out(_scaled_sum(input, bmm(batch1, batch2).sum(0), beta, alpha), out, "addbmm")


@export(method=False)
def chain_matmul(*matrices, out=None):
    """The product of 2-D matrices, left to right (torch's deprecated name of ``linalg.multi_dot``)."""
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    if len(matrices) == 1:
        _need(matrices[0], 2, "chain_matmul", "each matrix")
        return write_out(matrices[0].clone(), out, "chain_matmul")
    return multi_dot(matrices, out=out)


def multi_dot(tensors, *, out=None):
    """The product of 2-D matrices, left to right; the first may be 1-D (a row), the last 1-D (a column)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        check_tensor(t, "multi_dot")
        allowed = (1, 2) if i in (0, len(tensors) - 1) else (2,)
        if t.ndim not in allowed:
            raise RuntimeError(f"multi_dot(): tensor {i} must be {' or '.join(f'{d}D' for d in allowed)}, "
                               f"got {t.ndim}D")
    result = tensors[0]
    for t in tensors[1:]:
        result = matmul(result, t)
    return write_out(result, out, "multi_dot")


@export()
def renorm(input, p, dim, maxnorm):
    """Each slice ``input.select(dim, i)`` whose p-norm exceeds ``maxnorm`` scaled down to norm maxnorm:
    y = x * maxnorm / (norm + 1e-7) there (torch's 1e-7), x elsewhere; a composition, so differentiable."""
    from backprop.ops.norm import vector_norm  # norm sits beside linalg; imported when first needed
    from backprop.ops.selection import where
    from backprop.ops.util import dim_index
    check_tensor(input, "renorm")
    if input.dtype.kind != "f":
        raise RuntimeError(f"renorm() expected a floating point tensor, got {input.dtype}")
    if p <= 0:
        raise RuntimeError(f"renorm(): non-positive norm not supported, got p={p}")
    if maxnorm < 0:
        raise RuntimeError(f"renorm(): expected maxnorm to be >= 0, got {maxnorm}")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm(): input needs at least 2 dimensions, got {input.ndim}")
    axis = dim_index(dim, input.ndim, "renorm")
    norm = vector_norm(input, p, dim=[d for d in range(input.ndim) if d != axis], keepdim=True)
    return input * where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)


@export(method=False)
def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a 1-d x: columns x^(N-1), ..., x, 1 (``increasing``: 1, x, ..., x^(N-1)),
    N = len(x) by default; each power the one before times x, so differentiable (also at x = 0)."""
    check_tensor(x, "vander")
    if x.ndim != 1:
        raise RuntimeError(f"vander(): x must be a one-dimensional tensor, got {x.ndim} dims")
    N = x.shape[0] if N is None else N
    if N < 0:
        raise RuntimeError(f"vander(): N must be non-negative, got {N}")
    from backprop.creation import ones_like  # creation and join sit beside linalg; imported when first needed
    from backprop.ops.join import stack
    if x.dtype.kind in "biu":
        x = x.long()  # torch's integer Vandermonde matrices are int64
    if N == 0:
        return x.reshape(-1, 1)[:, :0]
    columns = [ones_like(x)]
    for _ in range(N - 1):
        columns.append(columns[-1] * x)
    return stack(columns if increasing else columns[::-1], 1)


@export(function=False)
def renorm_(input, p, dim, maxnorm):
    """In-place ``renorm``. The composition saves its input for its norm's backward: it is given a copy, so that
    writing the result into ``input`` leaves the saved values as they were."""
    return input._inplace("renorm_()", lambda t: renorm(t.clone(), p, dim, maxnorm))
