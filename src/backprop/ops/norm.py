"""Vector and matrix norms (torch.linalg.vector_norm, matrix_norm, norm) and the distances built on them."""
import math

from backprop import backend
from backprop.autograd import Function
from backprop.ops.indexing import write_out
from backprop.ops.manifest import export
from backprop.ops.util import check_tensor, dim_index, dims, keep_shape


class VectorNorm(Function):
    """y = (sum_i |x_i|^p)^(1/p) over ``axes`` (p = inf: max |x_i|, -inf: min |x_i|, 0: the count of non-zeros);
    dL/dx_i = dL/dy sign(x_i) |x_i|^(p-1) / y^(p-1) (0 where y = 0, as torch); p = inf: dL/dy sign(x_i) shared
    among the i where |x_i| = y; p = 0: none."""

    def forward(self, x, ord, axes, keepdim):
        self.ord, self.axes, self.keep = ord, axes, keep_shape(x.shape, axes)
        xp = backend.array_module(x)
        a = xp.abs(x)
        if ord == math.inf:
            y = a.max(axis=axes, keepdims=True)
        elif ord == -math.inf:
            y = a.min(axis=axes, keepdims=True)
        elif ord == 0:
            y = (x != 0).sum(axis=axes, keepdims=True).astype(x.dtype)
        elif ord == 1:
            y = a.sum(axis=axes, keepdims=True)
        elif ord == 2:
            y = xp.sqrt((x * x).sum(axis=axes, keepdims=True))
        else:
            y = ((a ** ord).sum(axis=axes, keepdims=True)) ** (1 / ord)
        y = _drop(y, axes, keepdim)
        if self.needs_input_grad:
            self.save_for_backward(x, y)
        return y

    def backward(self, grad):
        x, y = self.saved_tensors
        xp = backend.array_module(grad)
        p = self.ord
        if p == 0:  # a count: no gradient (None, as torch)
            return None
        grad, y = grad.reshape(self.keep), y.reshape(self.keep)
        if p in (math.inf, -math.inf):
            mask = xp.abs(x) == y
            return grad * xp.sign(x) * mask / mask.sum(axis=self.axes, keepdims=True)
        if p == 1:
            return grad * xp.sign(x)
        safe = xp.where(y == 0, 1, y)
        if p == 2:
            return xp.where(y == 0, 0, grad / safe) * x
        scaled = xp.sign(x) * xp.abs(x) ** (p - 1)
        if p < 1:
            scaled = xp.where(x == 0, 0, scaled)
        return xp.where(y == 0, 0, grad / safe ** (p - 1)) * scaled


def _drop(y, axes, keepdim):
    """y (reduced with keepdims) without the reduced axes unless ``keepdim``."""
    if keepdim:
        return y
    if axes is None:
        return y.reshape(())
    return y.reshape(tuple(s for k, s in enumerate(y.shape) if k not in axes))


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """||x||_ord over ``dim`` (None: every element): (sum |x_i|^ord)^(1/ord), max |x_i| for inf, min for -inf,
    the count of non-zeros for 0."""
    from backprop import dtypes
    check_tensor(x, "linalg.vector_norm")
    if dtype is not None:
        x = x.to(dtype)
    if not dtypes.is_floating(x.dtype):
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got {x.dtype}")
    ord = float(ord)
    axes = dims(dim, x.ndim, "linalg.vector_norm")
    if ord < 0 and x.numel() == 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
                           "operation does not have an identity")
    return write_out(VectorNorm.apply(x, ord=ord, axes=axes, keepdim=keepdim), out, "linalg.vector_norm")


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """||A||_ord of the matrices in the planes ``dim``: 'fro' (sqrt of the sum of squares), 'nuc' (sum of the
    singular values), inf / -inf (largest / smallest row sum of |A|), 1 / -1 (column sums), 2 / -2 (largest /
    smallest singular value)."""
    from backprop.ops.decomposition import svdvals
    check_tensor(A, "linalg.matrix_norm")
    if dtype is not None:
        A = A.to(dtype)
    if A.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
    d0, d1 = (dim_index(d, A.ndim, "linalg.matrix_norm") for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord == "fro":
        result = vector_norm(A, 2, (d0, d1), keepdim)
    elif ord in ("nuc", 2, -2):
        rest = [k for k in range(A.ndim) if k not in (d0, d1)]
        S = svdvals(A.permute(*rest, d0, d1))
        result = S.sum(-1) if ord == "nuc" else vector_norm(S, math.inf if ord == 2 else -math.inf, -1)
        if keepdim:
            for k in sorted((d0, d1)):
                result = result.unsqueeze(k)
    elif ord in (1, -1, math.inf, -math.inf):
        sums = A.abs().sum(d0 if ord in (1, -1) else d1, keepdim=True)
        result = vector_norm(sums, math.inf if ord > 0 else -math.inf, (d0, d1), keepdim)
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    return write_out(result, out, "linalg.matrix_norm")


def norm(A, ord=None, dim=None, keepdim=False, *, out=None, dtype=None):
    """torch.linalg.norm: a matrix norm when ``ord`` is a string or ``dim`` a pair (or A is 2-D with an ``ord``
    and no ``dim``), else a vector norm (ord None: 2, of every element when ``dim`` is None)."""
    check_tensor(A, "linalg.norm")
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) == 2 or (dim is None and ord is not None and A.ndim == 2) or isinstance(ord, str):
        return matrix_norm(A, "fro" if ord is None else ord, (-2, -1) if dim is None else dim, keepdim,
                           dtype=dtype, out=out)
    if dim is None and ord is not None and A.ndim != 1:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                           f"Got {A.ndim}D.")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)


@export(method=False)
def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distances between the rows of x1 (..., P, M) and of x2 (..., R, M): shape (..., P, R)."""
    check_tensor(x1, "cdist")
    check_tensor(x2, "cdist")
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"cdist only supports at least 2D tensors with the same number of columns, got shapes "
                           f"{tuple(x1.shape)} and {tuple(x2.shape)}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    return vector_norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p, -1)


@export()
def dist(input, other, p=2):
    """||input - other||_p over every element (the two broadcast)."""
    check_tensor(input, "dist")
    return vector_norm(input - other, p)
