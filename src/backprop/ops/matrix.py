"""Matrix parts and shapes: diagonals, triangles, trace, the cross product."""
from backprop import backend
from backprop.autograd import Function
from backprop.ops.indexing import write_out
from backprop.ops.manifest import export
from backprop.ops.util import check_tensor, dim_index


class Diagonal(Function):
    """y = the diagonal ``offset`` of the planes (dim1, dim2) of x, as the last dimension;
    dL/dx = dL/dy placed on that diagonal of zeros (``EmbedDiagonal``, its adjoint)."""

    def forward(self, x, offset, dim1, dim2):
        self.shape, self.offset, self.dim1, self.dim2 = x.shape, offset, dim1, dim2
        return backend.array_module(x).diagonal(x, offset, dim1, dim2).copy()

    def backward(self, grad):
        return EmbedDiagonal.call(grad, shape=self.shape, offset=self.offset, dim1=self.dim1, dim2=self.dim2)


class EmbedDiagonal(Function):
    """y = zeros of ``shape`` with x's last dimension on the diagonal ``offset`` of the planes (dim1, dim2) and its
    other dimensions along the rest; dL/dx = that diagonal of dL/dy (``Diagonal``, its adjoint)."""

    def forward(self, x, shape, offset, dim1, dim2):
        self.offset, self.dim1, self.dim2 = offset, dim1, dim2
        xp = backend.array_module(x)
        y = xp.zeros(shape, dtype=x.dtype)
        n = x.shape[-1]
        rows, cols = xp.arange(n) + max(-offset, 0), xp.arange(n) + max(offset, 0)
        xp.moveaxis(y, (dim1, dim2), (-2, -1))[..., rows, cols] = x
        return y

    def backward(self, grad):
        return Diagonal.call(grad, offset=self.offset, dim1=self.dim1, dim2=self.dim2)


class Triangle(Function):
    """y = the lower (``lower``) or upper triangle of x's last two dims from the diagonal ``k`` on, zeros elsewhere;
    dL/dx = the same triangle of dL/dy."""

    def forward(self, x, k, lower):
        self.k, self.lower = k, lower
        xp = backend.array_module(x)
        return xp.tril(x, k) if lower else xp.triu(x, k)

    def backward(self, grad):
        return Triangle.call(grad, k=self.k, lower=self.lower)


class Cross(Function):
    """y = a x b along ``dim`` (of size 3); dL/da = b x dL/dy, dL/db = dL/dy x a."""

    def forward(self, a, b, dim):
        self.dim = dim
        if self.needs_input_grad:
            self.save_for_backward(a, b)
        return backend.array_module(a).cross(a, b, axis=dim)

    def backward(self, grad):
        a, b = self.saved_tensors
        needs_a, needs_b = self.needs_input_grad
        return (Cross.call(b, grad, dim=self.dim) if needs_a else None,
                Cross.call(grad, a, dim=self.dim) if needs_b else None)


def _plane(input, dim1, dim2, op):
    d1, d2 = dim_index(dim1, input.ndim, op), dim_index(dim2, input.ndim, op)
    if d1 == d2:
        raise RuntimeError(f"{op}: diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


@export()
def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal ``offset`` (> 0 above, < 0 below the main one) of the planes (dim1, dim2), as the last
    dimension of the result (a copy: backprop's diagonal is not a view)."""
    check_tensor(input, "diagonal")
    if input.ndim < 2:
        raise RuntimeError(f"diagonal: expected a tensor of at least 2 dimensions, got {input.ndim}")
    dim1, dim2 = _plane(input, dim1, dim2, "diagonal")
    return Diagonal.apply(input, offset=offset, dim1=dim1, dim2=dim2)


@export()
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matrices with the last dimension of ``input`` on their diagonal ``offset``, in the planes (dim1, dim2) of
    a result with one dimension more."""
    check_tensor(input, "diag_embed")
    ndim = input.ndim + 1
    d1, d2 = dim_index(dim1, ndim, "diag_embed"), dim_index(dim2, ndim, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diag_embed: diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input.shape[-1] + abs(offset)
    rest = iter(input.shape[:-1])
    shape = tuple(n if k in (d1, d2) else next(rest) for k in range(ndim))
    return EmbedDiagonal.apply(input, shape=shape, offset=offset, dim1=d1, dim2=d2)


@export()
def diag(input, diagonal=0, *, out=None):
    """A 1-D input: the square matrix with it on the diagonal ``diagonal``; a 2-D input: that diagonal."""
    check_tensor(input, "diag")
    if input.ndim == 1:
        return write_out(diag_embed(input, diagonal, 0, 1), out, "diag")
    if input.ndim == 2:
        return write_out(Diagonal.apply(input, offset=diagonal, dim1=0, dim2=1), out, "diag")
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


@export()
def trace(input):
    """The sum of the main diagonal of a 2-D tensor."""
    check_tensor(input, "trace")
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return diagonal(input).sum()


@export(inplace=True)
def tril(input, diagonal=0, *, out=None):
    """The lower triangle of the last two dims: elements on and below the diagonal ``diagonal``, zeros above."""
    return _triangle(input, diagonal, True, out, "tril")


@export(inplace=True)
def triu(input, diagonal=0, *, out=None):
    """The upper triangle of the last two dims: elements on and above the diagonal ``diagonal``, zeros below."""
    return _triangle(input, diagonal, False, out, "triu")


def _triangle(input, k, lower, out, op):
    check_tensor(input, op)
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got {input.ndim}")
    return write_out(Triangle.apply(input, k=int(k), lower=lower), out, op)


@export()
def cross(input, other, dim=None, *, out=None):
    """The cross product of 3-vectors along ``dim`` (None: the first dimension of size 3, as torch.cross)."""
    check_tensor(input, "cross")
    check_tensor(other, "cross")
    if dim is None:
        dim = next((k for k, size in enumerate(input.shape) if size == 3), None)
        if dim is None:
            raise RuntimeError(f"cross: no dimension of size 3 in input of shape {tuple(input.shape)}")
    return write_out(linalg_cross(input, other, dim=dim), out, "cross")


def linalg_cross(input, other, *, dim=-1, out=None):
    """torch.linalg.cross: the cross product along ``dim`` (default the last), inputs broadcast."""
    check_tensor(input, "linalg.cross")
    check_tensor(other, "linalg.cross")
    if input.ndim != other.ndim:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions, got {input.ndim} and "
                           f"{other.ndim}")
    d = dim_index(dim, input.ndim, "linalg.cross")
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. "
                           f"Got {input.shape[d]} and {other.shape[d]}")
    return write_out(Cross.apply(input, other, dim=d), out, "linalg.cross")


def linalg_diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """torch.linalg.diagonal: ``diagonal`` with the last two dimensions as the default plane."""
    return diagonal(A, offset, dim1, dim2)
