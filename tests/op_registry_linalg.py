"""Registry entries of the linear-algebra family: products, einsum, diagonals and triangles, torch.linalg, the
sparse COO tensor's conversions and product (see tests/op_registry.py).

Decompositions are defined up to signs (and LAPACK's choices differ between libraries), so their entries compare
what does not depend on them: singular and eigen values, |U|, |V|, |Q|, |R|, reconstructions; the gradients of
those are then well defined. Inputs that must be symmetric (positive definite) are made so by the same wrapper in
both libraries, so that gradcheck perturbs every entry through it; square inputs are shifted by 3 I to keep them
well conditioned.
"""
import math

from op_registry import FLOAT32, FLOAT64, FLOATS, INT64, S, Sample, T, forward_only, op


def no_torch_double_backward(*args, **kwargs):
    """Gradients compared with torch and gradgradchecked, second derivatives not compared: torch has none here
    (its cdist and sparse backwards are not differentiable)."""
    return Sample(args, kwargs, double_backward=False)


def spd(lib, x):
    """A symmetric positive definite matrix from any square x."""
    return x @ x.mT + x.shape[-1] * lib.eye(x.shape[-1], dtype=x.dtype)


def sym(x):
    return x + x.mT


def shifted(lib, x):
    """x + 3 I: well conditioned for the small normal samples here."""
    return x + 3 * lib.eye(x.shape[-1], dtype=x.dtype)


# ------------------------------------------------------------------ products
op("mm", lambda lib, a, b: lib.mm(a, b), [S(T((2, 3)), T((3, 4))), S(T((0, 3)), T((3, 2)))],
   dtypes=FLOATS + (INT64,))
op("mm.method", lambda lib, a, b: a.mm(b), [S(T((3, 2)), T((2, 2)))])
op("bmm", lambda lib, a, b: lib.bmm(a, b), [S(T((2, 2, 3)), T((2, 3, 4)))])
op("mv", lambda lib, a, v: lib.mv(a, v), [S(T((2, 3)), T((3,)))])
op("dot", lambda lib, a, b: lib.dot(a, b), [S(T((3,)), T((3,)))], dtypes=FLOATS + (INT64,))
op("vdot", lambda lib, a, b: lib.vdot(a, b), [S(T((4,)), T((4,)))])
op("outer", lambda lib, a, b: lib.outer(a, b), [S(T((2,)), T((3,)))])
op("ger", lambda lib, a, b: a.ger(b), [S(T((3,)), T((2,)))])
op("inner", lambda lib, a, b: lib.inner(a, b), [S(T((2, 3)), T((4, 3))), S(T((3,)), T(())), S(T((3,)), T((3,)))])
op("addmm", lambda lib, x, a, b, **k: lib.addmm(x, a, b, **k),
   [S(T((3,)), T((2, 4)), T((4, 3))), S(T((2, 3)), T((2, 4)), T((4, 3)), beta=0.5, alpha=-2)])
op("addmv", lambda lib, x, a, v, **k: lib.addmv(x, a, v, **k), [S(T((2,)), T((2, 3)), T((3,)), alpha=2)])
op("addr", lambda lib, x, a, b, **k: lib.addr(x, a, b, **k), [S(T((2, 3)), T((2,)), T((3,)), beta=2)])
op("baddbmm", lambda lib, x, a, b, **k: lib.baddbmm(x, a, b, **k), [S(T((2, 2, 4)), T((2, 2, 3)), T((2, 3, 4)))])
op("addbmm", lambda lib, x, a, b, **k: lib.addbmm(x, a, b, **k), [S(T((2, 4)), T((3, 2, 3)), T((3, 3, 4)), alpha=0.5)])
op("addmm.inplace", lambda lib, x, a, b: x.clone().addmm_(a, b, beta=2), [S(T((2, 3)), T((2, 4)), T((4, 3)))])
op("chain_matmul", lambda lib, a, b, c: lib.chain_matmul(a, b, c), [S(T((2, 3)), T((3, 4)), T((4, 2)))])
op("linalg.multi_dot", lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]),
   [S(T((3,)), T((3, 4)), T((4, 2))), S(T((2, 3)), T((3, 4)), T((4,)))])
op("einsum", lambda lib, equation, *x: lib.einsum(equation, *x),
   [S("ij,jk->ik", T((2, 3)), T((3, 4))), S("ii->i", T((3, 3))), S("...ij,...jk", T((2, 2, 3)), T((3, 2))),
    S("bij,bkj->bik", T((2, 2, 3)), T((2, 4, 3))), S("i,j,ij->", T((2,)), T((3,)), T((2, 3)))])
op("tensordot", lambda lib, a, b, **k: lib.tensordot(a, b, **k),
   [S(T((2, 3, 4)), T((3, 4, 2))), S(T((3, 4, 2)), T((4, 5, 3)), dims=([1, 0], [0, 2])), S(T((2,)), T((3,)), dims=0)])
op("kron", lambda lib, a, b: lib.kron(a, b), [S(T((2, 3)), T((2, 2))), S(T((2,)), T((3, 2)))])

# ------------------------------------------------------------------ diagonals, triangles, cross products
op("diagonal", lambda lib, x, *a: lib.diagonal(x, *a), [S(T((3, 4))), S(T((3, 4)), -1), S(T((2, 3, 4)), 1, 2, 0)])
op("linalg.diagonal", lambda lib, x, **k: lib.linalg.diagonal(x, **k), [S(T((2, 3, 3)), offset=1)])
op("diag_embed", lambda lib, x, *a: lib.diag_embed(x, *a), [S(T((2, 3))), S(T((3,)), 1), S(T((2, 3)), -1, 0, 2)])
op("diag", lambda lib, x, *a: lib.diag(x, *a), [S(T((3,))), S(T((3,)), -2), S(T((3, 4)), 1), S(T((4, 3)))],
   dtypes=FLOATS + (INT64,))
op("trace", lambda lib, x: lib.trace(x), [S(T((3, 3))), S(T((2, 4)))])
op("tril", lambda lib, x, *a: lib.tril(x, *a), [S(T((3, 4))), S(T((2, 3, 3)), -1)], dtypes=FLOATS + (INT64,))
op("triu", lambda lib, x, *a: lib.triu(x, *a), [S(T((3, 4))), S(T((2, 3, 3)), 1)])
op("tril.inplace", lambda lib, x: x.clone().tril_(1), [S(T((3, 3)))])
op("cross", lambda lib, a, b, **k: lib.cross(a, b, **k), [S(T((2, 3)), T((2, 3)), dim=1), S(T((3, 2)), T((3, 1)), dim=0)])
op("linalg.cross", lambda lib, a, b: lib.linalg.cross(a, b), [S(T((2, 3)), T((1, 3)))])
op("linalg.vecdot", lambda lib, a, b, **k: lib.linalg.vecdot(a, b, **k), [S(T((2, 3)), T((3,))), S(T((3, 2)), T((3, 2)), dim=0)])

# ------------------------------------------------------------------ inverses, determinants, solvers
op("inverse", lambda lib, x: lib.inverse(shifted(lib, x)), [S(T((3, 3)))])
op("linalg.inv", lambda lib, x: lib.linalg.inv(shifted(lib, x)), [S(T((2, 3, 3)))])
op("det", lambda lib, x: lib.det(shifted(lib, x)), [S(T((3, 3))), S(T((2, 2, 2)))])
op("linalg.det", lambda lib, x: lib.linalg.det(shifted(lib, x)), [S(T((3, 3)))])
op("slogdet", lambda lib, x: lib.slogdet(x - 3 * lib.eye(3, dtype=x.dtype)), [S(T((3, 3)))])
op("linalg.slogdet", lambda lib, x: lib.linalg.slogdet(shifted(lib, x)), [S(T((2, 3, 3)))])
op("logdet", lambda lib, x: lib.logdet(spd(lib, x)), [S(T((3, 3)))])
op("linalg.solve", lambda lib, a, b, **k: lib.linalg.solve(shifted(lib, a), b, **k),
   [S(T((3, 3)), T((3, 2))), S(T((2, 3, 3)), T((3,))), S(T((3, 3)), T((2, 3)), left=False)])
op("linalg.lstsq", lambda lib, a, b: lib.linalg.lstsq(a, b).solution, [S(T((5, 3)), T((5, 2))), S(T((4, 2)), T((4,)))])
op("pinverse", lambda lib, x: lib.pinverse(x), [S(T((3, 4)))])
_TALL = [[1.0, 0.5, -0.3], [0.2, -1.2, 0.4], [-0.6, 0.3, 0.9], [0.8, 0.1, 0.5]]  # singular values 1.0 to 1.5
op("linalg.pinv", lambda lib, x: lib.linalg.pinv(x), [S(T(values=_TALL)), S(T((2, 2, 3)))])
op("linalg.matrix_rank", lambda lib, x: lib.linalg.matrix_rank(x), [S(T((4, 3))), S(T(values=[[1.0, 2.0], [2.0, 4.0]]))],
   differentiable=False)
op("matrix_power", lambda lib, x, n: lib.matrix_power(x, n), [S(T((3, 3)), 3), S(T((2, 2, 2)), 0)])
op("linalg.matrix_power", lambda lib, x, n: lib.linalg.matrix_power(shifted(lib, x), n), [S(T((3, 3)), -2)])
op("matrix_exp", lambda lib, x: lib.matrix_exp(x), [S(T((3, 3))), S(T((2, 2, 2)))])

# ------------------------------------------------------------------ decompositions
op("cholesky", lambda lib, x, *a: lib.cholesky(spd(lib, x), *a), [S(T((3, 3))), S(T((2, 3, 3)), True)])
op("linalg.cholesky", lambda lib, x, **k: lib.linalg.cholesky(spd(lib, x), **k), [S(T((3, 3))), S(T((3, 3)), upper=True)])


def _svd_parts(lib, x, full_matrices):
    """S, |U|, |Vh| and U S Vh; of full matrices the first k columns of U and rows of Vh (the others span the
    complement, and neither library differentiates them)."""
    U, S_, Vh = lib.linalg.svd(x, full_matrices=full_matrices)
    k = S_.shape[-1]
    U, Vh = U[..., :k], Vh[..., :k, :]
    return S_, U.abs(), Vh.abs(), (U * S_.unsqueeze(-2)) @ Vh


op("linalg.svd", _svd_parts, [S(T((4, 3)), False), S(T((3, 4)), False), S(T((2, 3, 3)), False), S(T((4, 3)), True)])
op("svd", lambda lib, x: (lambda r: (r.S, r.U.abs(), r.V.abs()))(lib.svd(x)), [S(T((4, 3)))])
op("linalg.svdvals", lambda lib, x: lib.linalg.svdvals(x), [S(T((3, 5)))])
op("linalg.eigh", lambda lib, x, *a: (lambda r: (r.eigenvalues, r.eigenvectors.abs()))(lib.linalg.eigh(sym(x), *a)),
   [S(T((3, 3))), S(T((2, 3, 3)), "U")])
op("linalg.eigvalsh", lambda lib, x: lib.linalg.eigvalsh(sym(x)), [S(T((4, 4)))])
op("linalg.qr", lambda lib, x, *a: tuple(p.abs() for p in lib.linalg.qr(x, *a)),
   [S(T((4, 3))), S(T((3, 3))), S(T((3, 5))), S(T((3, 4)), "complete")])
op("qr", lambda lib, x: tuple(p.abs() for p in lib.qr(x)), [S(T((3, 2)))])

# ------------------------------------------------------------------ norms and distances
op("linalg.vector_norm", lambda lib, x, *a, **k: lib.linalg.vector_norm(x, *a, **k),
   [S(T((2, 3))), S(T((2, 3)), 1, 1), S(T((2, 3)), 3, (0, 1), True), S(T((3,)), 0.5), S(T((2, 3)), math.inf, 0),
    S(T((2, 3)), -math.inf, -1), forward_only(T((2, 3)), 0, 1)])
op("linalg.vector_norm.dtype", lambda lib, x: lib.linalg.vector_norm(x, dtype=lib.float64), [S(T((2, 3)))])
op("linalg.matrix_norm", lambda lib, x, *a, **k: lib.linalg.matrix_norm(x, *a, **k),
   [S(T((3, 4))), S(T((2, 3, 4)), "nuc"), S(T((3, 4)), 2), S(T((3, 4)), -2), S(T((3, 4)), 1, keepdim=True),
    S(T((3, 4)), -1), S(T((2, 3, 4)), math.inf), S(T((3, 4)), -math.inf, (1, 0))])
op("linalg.norm", lambda lib, x, *a, **k: lib.linalg.norm(x, *a, **k),
   [S(T((2, 3, 2))), S(T((3, 4)), "nuc"), S(T((3, 4)), 1), S(T((4,)), 3), S(T((2, 3)), None, 1)])
op("cdist", lambda lib, a, b, *p: lib.cdist(a, b, *p),
   [no_torch_double_backward(T((3, 2)), T((4, 2))), no_torch_double_backward(T((2, 3, 2)), T((2, 4, 2)), 1.0)])
op("dist", lambda lib, a, b, *p: lib.dist(a, b, *p), [S(T((2, 3)), T((3,))), S(T((3,)), T((3,)), 3)])

# ------------------------------------------------------------------ sparse COO (through their dense form)
_INDICES = [[0, 1, 1, 2, 0], [2, 0, 2, 1, 2]]  # (0, 2) twice: coalescing adds
op("sparse_coo_tensor", lambda lib, v: lib.sparse_coo_tensor(_INDICES, v, (3, 4)).to_dense(),
   [no_torch_double_backward(T((5,)))])
op("sparse.coalesce", lambda lib, v: lib.sparse_coo_tensor(_INDICES, v, (3, 4)).coalesce().values(),
   [no_torch_double_backward(T((5,)))])
# the zeros are not stored, so they get no gradient (torch too): finite differences, which make them non-zero, differ
op("to_sparse", lambda lib, x: x.to_sparse().to_dense(),
   [Sample((T(values=[[0.0, 1.5], [-2.0, 0.0]]),), gradcheck=False, double_backward=False)])
op("to_dense", lambda lib, x: x.to_dense(), [S(T((2, 3)))])
op("sparse.mm", lambda lib, v, d: lib.sparse.mm(lib.sparse_coo_tensor(_INDICES, v, (3, 4)), d),
   [no_torch_double_backward(T((5,)), T((4, 2)))])
op("spmm", lambda lib, v, d: lib.spmm(lib.sparse_coo_tensor(_INDICES, v, (3, 4)), d),
   [no_torch_double_backward(T((5,)), T((4, 2)))])
op("sparse.matmul", lambda lib, v, d: lib.sparse_coo_tensor(_INDICES, v, (3, 4)) @ d,
   [no_torch_double_backward(T((5,)), T((4, 3)))])
op("sparse.sum", lambda lib, v: lib.sparse.sum(lib.sparse_coo_tensor(_INDICES, v, (3, 4))),
   [no_torch_double_backward(T((5,)))])
