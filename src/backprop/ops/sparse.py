"""A minimal sparse COO tensor, enough for graph networks: built from (indices, values, size) or from a dense
tensor, multiplied with dense matrices, turned back into a dense tensor; differentiable with respect to its values
and to the dense operand, as torch's.

``SparseTensor`` holds ``indices`` (an int64 array, one row per sparse dimension, one column per stored element),
``values`` (a Tensor, one row per stored element: the gradient flows through it) and ``size``. It is a type of its
own, not a ``Tensor``: what it does not provide raises ``NotImplementedError`` naming it.
"""
from backprop import backend
from backprop.autograd import Function
from backprop.ops.manifest import export
from backprop.ops.util import check_tensor
from backprop.tensor import Tensor, sparse_coo


class ScatterAdd(Function):
    """y = zeros(shape) with y[index] += x (repeated positions add up);  dL/dx = dL/dy[index]."""

    def forward(self, x, index, shape):
        self.index = index
        xp = backend.array_module(x)
        y = xp.zeros(shape, dtype=x.dtype)
        xp.add.at(y, index, x)
        return y

    def backward(self, grad):
        return grad[self.index]


class SparseTensor:
    """A sparse COO tensor: ``values[k]`` sits at ``indices[:, k]`` of a tensor of ``size``; the rest are zeros."""

    __slots__ = ("_index", "_vals", "_size", "_coalesced")
    is_sparse = True
    layout = sparse_coo

    def __init__(self, indices, values, size, coalesced=False):
        self._index, self._vals, self._size, self._coalesced = indices, values, tuple(size), coalesced

    # ------------------------------------------------------------ attributes
    @property
    def shape(self):
        return self._size

    def size(self, dim=None):
        return self._size if dim is None else self._size[dim]

    def dim(self):
        return len(self._size)

    @property
    def ndim(self):
        return len(self._size)

    def sparse_dim(self):
        return self._index.shape[0]

    def dense_dim(self):
        return len(self._size) - self._index.shape[0]

    @property
    def dtype(self):
        return self._vals.dtype

    @property
    def device(self):
        return self._vals.device

    @property
    def requires_grad(self):
        return self._vals.requires_grad

    @property
    def grad_fn(self):
        return self._vals.grad_fn

    @property
    def is_leaf(self):
        return self._vals.is_leaf

    @property
    def grad(self):
        """The gradient of a sparse leaf, dL/dS at the leaf's (coalesced) pattern: a stored value's gradient is
        dL/dS at its index, the same for every copy of a repeated index, so each index is kept once."""
        g = self._vals.grad
        if g is None:
            return None
        if self._coalesced:
            return SparseTensor(self._index, g, self._size, coalesced=True)
        unique, first, _ = self._unique()
        return SparseTensor(self._unraveled(unique), g[first], self._size, coalesced=True)

    def _unique(self):
        """The sorted unique flat indices of the stored values, where each first occurs, and each one's place."""
        xp = backend.array_module(self._index)
        sparse_size = self._size[:self.sparse_dim()]
        flat = xp.ravel_multi_index(tuple(self._index), sparse_size) if self._nnz() else self._index[0]
        unique, first, inverse = xp.unique(flat, return_index=True, return_inverse=True)
        return unique, first, inverse.reshape(-1)

    def _unraveled(self, flat):
        xp = backend.array_module(flat)
        sparse_size = self._size[:self.sparse_dim()]
        return xp.stack(xp.unravel_index(flat, sparse_size)).astype(xp.int64).reshape(len(sparse_size), -1)

    def requires_grad_(self, requires_grad=True):
        self._vals.requires_grad_(requires_grad)
        return self

    def _nnz(self):
        return self._index.shape[1]

    def indices(self):
        if not self._coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call .coalesce() first")
        return Tensor._make(self._index)

    def values(self):
        if not self._coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call .coalesce() first")
        return self._vals

    def _indices(self):
        """The stored indices as they are (coalesced or not), as torch's ``_indices()``."""
        return Tensor._make(self._index)

    def _values(self):
        """The stored values as they are (coalesced or not; differentiable), as torch's ``_values()``."""
        return self._vals

    def is_coalesced(self):
        return self._coalesced

    # ------------------------------------------------------------ conversions
    def coalesce(self):
        """The same tensor with sorted, unique indices (values at repeated indices added)."""
        if self._coalesced:
            return self
        unique, _, inverse = self._unique()
        values = ScatterAdd.apply(self._vals, index=(inverse,), shape=(len(unique),) + tuple(self._vals.shape[1:]))
        return SparseTensor(self._unraveled(unique), values, self._size, coalesced=True)

    def to_dense(self, dtype=None, *, masked_grad=None):
        """The dense tensor (differentiable with respect to the values)."""
        dense = ScatterAdd.apply(self._vals, index=tuple(self._index), shape=self._size)
        return dense if dtype is None else dense.to(dtype)

    def to_sparse(self, *args, **kwargs):
        return self

    def detach(self):
        return SparseTensor(self._index, self._vals.detach(), self._size, self._coalesced)

    def t(self):
        """The transpose of a 2-D sparse tensor."""
        if self.ndim != 2 or self.sparse_dim() != 2:
            raise RuntimeError(f"t() expects a 2-D sparse tensor, got {self.ndim} dimensions")
        return SparseTensor(self._index[::-1].copy(), self._vals, self._size[::-1])

    # ------------------------------------------------------------ products
    def mm(self, mat2):
        return sparse_mm(self, mat2)

    def matmul(self, other):
        return sparse_mm(self, other)

    __matmul__ = matmul

    def __repr__(self):
        return (f"tensor(indices={Tensor._make(self._index)!r}, values={self._vals!r}, size={self._size}, "
                f"nnz={self._nnz()}, layout={self.layout})").replace("tensor(tensor(", "tensor(")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise NotImplementedError(f"Tensor.{name} is not provided by backprop's sparse tensors "
                                  "(convert with .to_dense() first)")


def _indices_array(indices, like):
    data = indices._data if isinstance(indices, Tensor) else backend.numpy.asarray(indices)
    xp = backend.array_module(like._data)
    data = xp.asarray(data)
    if data.dtype.kind not in "iu":
        raise RuntimeError(f"indices must be an int64 tensor, got {data.dtype}")
    if data.ndim != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {tuple(data.shape)}")
    return data.astype(xp.int64)


@export(method=False)
def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, requires_grad=False,
                      check_invariants=None, is_coalesced=None):
    """A sparse COO tensor of ``size`` with ``values[k]`` at ``indices[:, k]`` (size None: the smallest that holds
    the indices). Differentiable with respect to ``values``."""
    from backprop.creation import tensor

    if not isinstance(values, Tensor):
        values = tensor(values, dtype=dtype, device=device)
    elif dtype is not None:
        values = values.to(dtype)
    index = _indices_array(indices, values)
    if index.shape[1] != values.shape[0]:
        raise RuntimeError(f"indices and values must have the same number of elements, but got {index.shape[1]} "
                           f"and {values.shape[0]}")
    sparse_dim = index.shape[0]
    if size is None:
        size = tuple(int(m) + 1 for m in index.max(axis=1)) if index.shape[1] else (0,) * sparse_dim
        size = size + tuple(values.shape[1:])
    size = tuple(int(s) for s in size)
    if len(size) != sparse_dim + values.ndim - 1:
        raise RuntimeError(f"number of dimensions must be sparse_dim ({sparse_dim}) + dense_dim "
                           f"({values.ndim - 1}), but got {len(size)}")
    if index.shape[1]:
        for d in range(sparse_dim):
            low, high = int(index[d].min()), int(index[d].max())
            if low < 0 or high >= size[d]:
                raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is {size[d]} but found "
                                   f"index {high if high >= size[d] else low}")
    if requires_grad:
        values = values.detach().requires_grad_(True)
    return SparseTensor(index, values, size, coalesced=bool(is_coalesced) or index.shape[1] <= 1)


@export(function=False)
def to_sparse(input, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
    """The sparse COO form of a dense tensor: its non-zeros over the first ``sparse_dim`` dimensions (all)."""
    check_tensor(input, "to_sparse")
    if layout is not None and layout is not sparse_coo:
        raise NotImplementedError(f"to_sparse(layout={layout}) is not provided by backprop's sparse tensors")
    sparse_dim = input.ndim if sparse_dim is None else sparse_dim
    data = input._data
    xp = backend.array_module(data)
    present = data != 0
    if sparse_dim < input.ndim:
        present = present.any(axis=tuple(range(sparse_dim, input.ndim)))
    index = xp.stack(xp.nonzero(present)).astype(xp.int64).reshape(sparse_dim, -1)
    return SparseTensor(index, input[tuple(index)], input.shape, coalesced=True)


@export(function=False)
def to_dense(input, dtype=None, *, masked_grad=None):
    """A dense tensor is its own dense form (``SparseTensor.to_dense`` for sparse ones)."""
    check_tensor(input, "to_dense")
    return input if dtype is None else input.to(dtype)


def sparse_mm(sparse, dense):
    """S @ D for a 2-D sparse S (n, k) and a dense D (k, p) or (k,): y_i = sum over stored (i, j) of S_ij D_j, as
    products gathered by column and added into their rows (``ScatterAdd``). A dense S with a sparse D: (D^T S^T)^T."""
    if not isinstance(sparse, SparseTensor):
        if isinstance(dense, SparseTensor):
            return sparse_mm(dense.t(), sparse.mT).mT
        raise TypeError(f"sparse.mm: expected a sparse tensor, got {type(sparse).__name__}")
    if isinstance(dense, SparseTensor):
        raise NotImplementedError("the product of two sparse tensors is not provided by backprop's sparse tensors")
    check_tensor(dense, "sparse.mm")
    if sparse.ndim != 2 or sparse.sparse_dim() != 2:
        raise NotImplementedError("sparse.mm of a sparse tensor other than 2-D with two sparse dimensions is not "
                                  "provided by backprop's sparse tensors")
    if dense.ndim not in (1, 2) or dense.shape[0] != sparse.shape[1]:
        raise RuntimeError(f"sparse.mm: shapes {tuple(sparse.shape)} and {tuple(dense.shape)} cannot be multiplied")
    if dense.dtype != sparse.dtype:
        raise RuntimeError(f"sparse.mm: expected both operands to have the same dtype, got {sparse.dtype} and "
                           f"{dense.dtype}")
    rows, cols = sparse._index
    values = sparse._vals if dense.ndim == 1 else sparse._vals.unsqueeze(-1)
    products = values * dense[cols]
    return ScatterAdd.apply(products, index=(rows,), shape=(sparse.shape[0],) + tuple(dense.shape[1:]))


@export(method=False)
def spmm(input, mat2):
    """torch.spmm: a sparse COO matrix times a dense one (``sparse.mm``)."""
    return sparse_mm(input, mat2)


def sparse_sum(input, dim=None, dtype=None):
    """The sum of the stored values over ``dim`` (None: all, a dense 0-d tensor); sparse while sparse dimensions
    remain, as torch.sparse.sum."""
    if not isinstance(input, SparseTensor):
        raise TypeError(f"sparse.sum: expected a sparse tensor, got {type(input).__name__}")
    if dim is None:
        total = input._vals.sum()
        return total if dtype is None else total.to(dtype)
    dims = [d % input.ndim for d in (dim if isinstance(dim, (tuple, list)) else (dim,))]
    result = input.to_dense(dtype).sum(tuple(dims))
    if all(d in dims for d in range(input.sparse_dim())):
        return result
    return to_sparse(result, input.sparse_dim() - sum(d < input.sparse_dim() for d in dims))


if "is_sparse" not in vars(Tensor):  # torch's dense tensors answer False (tensor.py may define it itself)
    Tensor.is_sparse = property(lambda self: False)
