"""``bp.linalg``: torch.linalg's functions (norms, inverses, decompositions, solvers).

The functions live with their ops (``backprop.ops.decomposition``, ``norm``, ``matrix``, ``linalg``); this module
gives them torch.linalg's names. Results with several parts are named tuples as torch's (``svd`` gives U, S, Vh).
"""
from backprop.ops.decomposition import (
    LinAlgError, det, eigh, eigvalsh, inv, lstsq, matrix_exp, matrix_power, matrix_rank, pinv, qr, solve,
    svd, svdvals,
)
from backprop.ops.decomposition import linalg_cholesky as cholesky
from backprop.ops.decomposition import linalg_slogdet as slogdet
from backprop.ops.indexing import write_out
from backprop.ops.linalg import matmul, multi_dot
from backprop.ops.matrix import linalg_cross as cross
from backprop.ops.matrix import linalg_diagonal as diagonal
from backprop.ops.norm import matrix_norm, norm, vector_norm

__all__ = ["LinAlgError", "cholesky", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "lstsq",
           "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr",
           "slogdet", "solve", "svd", "svdvals", "vecdot", "vector_norm"]


def vecdot(x, y, *, dim=-1, out=None):
    """sum_i x_i y_i along ``dim`` (the two broadcast)."""
    return write_out((x * y).sum(dim), out, "linalg.vecdot")


def __getattr__(name):
    raise AttributeError(f"torch.linalg.{name} is not provided by backprop")
