"""``bp.sparse``: a minimal sparse COO tensor, enough for graph networks (torch.sparse).

``bp.sparse_coo_tensor(indices, values, size)`` and ``dense.to_sparse()`` make one; ``.to_dense()``,
``.coalesce()``, ``.indices()``, ``.values()``, ``._nnz()``, ``bp.sparse.mm`` / ``bp.mm`` / ``@`` with a dense
matrix and ``bp.sparse.sum`` use it, differentiable with respect to the values and the dense operand. Anything
else sparse raises ``NotImplementedError``.
"""
from backprop.dtypes import float32, float64
from backprop.ops.sparse import SparseTensor, sparse_coo_tensor, sparse_mm, sparse_sum

__all__ = ["FloatTensor", "DoubleTensor", "SparseTensor", "mm", "sum"]


def mm(mat1, mat2):
    """mat1 @ mat2 with a sparse COO mat1 (n, k) and a dense mat2 (k, p)."""
    return sparse_mm(mat1, mat2)


def sum(input, dim=None, dtype=None):  # noqa: A001  (torch.sparse.sum)
    """The sum of a sparse tensor's values over ``dim`` (None: all of them, a dense 0-d tensor)."""
    return sparse_sum(input, dim, dtype)


def FloatTensor(indices, values, size=None):  # noqa: N802  (torch's legacy constructor)
    """torch.sparse.FloatTensor(indices, values, size): a float32 sparse COO tensor."""
    return sparse_coo_tensor(indices, values, size, dtype=float32)


def DoubleTensor(indices, values, size=None):  # noqa: N802
    """torch.sparse.DoubleTensor(indices, values, size): a float64 sparse COO tensor."""
    return sparse_coo_tensor(indices, values, size, dtype=float64)


def __getattr__(name):
    # an AttributeError, so that hasattr() and tools probing for optional names (doctest, pytest) work
    raise AttributeError(f"torch.sparse.{name} is not provided by backprop's sparse tensors")
