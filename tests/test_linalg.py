"""bp.linalg and the matrix functions beyond the op registry (tests/op_registry_linalg.py): named-tuple results,
shapes of the decompositions' modes, lstsq's fields per driver, errors, out= and in-place forms, against torch."""
import math

import numpy as np
import pytest
import torch

import backprop as bp


def pair(*shape, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return bp.tensor(a), torch.tensor(a)


def close(b, t, atol=1e-10):
    np.testing.assert_allclose(np.asarray(b.detach().numpy()), t.detach().numpy(), atol=atol, rtol=1e-8)


def fields(result):
    """The field names of a named tuple (backprop) or a torch.return_types structseq."""
    return getattr(result, "_fields", None) or type(result).__match_args__


def test_results_are_named_tuples_with_torchs_fields():
    b, t = pair(3, 3)
    for name in ["slogdet", "svd", "qr"]:
        ours, theirs = getattr(bp.linalg, name)(b), getattr(torch.linalg, name)(t)
        assert fields(ours) == fields(theirs) and type(ours).__name__ == type(theirs).__name__, name
    ours, theirs = bp.linalg.eigh(b + b.mT), torch.linalg.eigh(t + t.mT)
    assert fields(ours) == fields(theirs)
    close(ours.eigenvalues, theirs.eigenvalues)
    sign, logabsdet = bp.linalg.slogdet(b)
    close(sign, torch.linalg.slogdet(t).sign)
    close(logabsdet, torch.linalg.slogdet(t).logabsdet)
    assert fields(bp.svd(b)) == fields(torch.svd(t)) == ("U", "S", "V")


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 3, 3)])
@pytest.mark.parametrize("full_matrices", [True, False])
def test_svd_shapes_and_reconstruction(shape, full_matrices):
    b, t = pair(*shape)
    U, S, Vh = bp.linalg.svd(b, full_matrices=full_matrices)
    tU, tS, tVh = torch.linalg.svd(t, full_matrices=full_matrices)
    assert (U.shape, S.shape, Vh.shape) == (tU.shape, tS.shape, tVh.shape)
    close(S, tS)
    k = S.shape[-1]
    close((U[..., :k] * S.unsqueeze(-2)) @ Vh[..., :k, :], t)
    close(U.mT @ U, torch.eye(U.shape[-1]).expand(tU.mT.shape[:-1] + (U.shape[-1],)))
    V = bp.svd(b, some=not full_matrices).V
    assert V.shape == torch.svd(t, some=not full_matrices).V.shape


@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
@pytest.mark.parametrize("shape", [(4, 3), (3, 5)])
def test_qr_modes(mode, shape):
    b, t = pair(*shape)
    Q, R = bp.linalg.qr(b, mode=mode)
    tQ, tR = torch.linalg.qr(t, mode=mode)
    assert (Q.shape, R.shape) == (tQ.shape, tR.shape)
    close(R.abs(), tR.abs())
    if mode != "r":
        close(Q @ R, t)


def test_qr_complete_of_a_tall_matrix_is_not_differentiable():
    x = bp.randn(4, 3, dtype=bp.float64, requires_grad=True)
    Q, R = bp.linalg.qr(x, mode="complete")
    with pytest.raises(RuntimeError, match="not differentiable"):
        (Q.sum() + R.sum()).backward()


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
def test_lstsq_fields_follow_the_driver(driver):
    (a, ta), (b, tb) = pair(5, 3), pair(5, 2, seed=1)
    ours, theirs = bp.linalg.lstsq(a, b, driver=driver), torch.linalg.lstsq(ta, tb, driver=driver)
    assert fields(ours) == fields(theirs)
    for o, e, name in zip(ours, theirs, ours._fields):
        assert o.shape == e.shape and str(o.dtype).split(".")[-1] == str(e.dtype).split(".")[-1], name
        if name == "rank" or o.numel():
            close(o, e, atol=1e-8)


def test_matrix_rank_of_rank_deficient_matrices():
    x = np.array([[[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    assert bp.linalg.matrix_rank(bp.tensor(x)).tolist() == torch.linalg.matrix_rank(torch.tensor(x)).tolist()
    assert bp.linalg.matrix_rank(bp.tensor(x)).dtype == bp.int64


def test_singular_and_indefinite_matrices_raise_linalg_error():
    for fn in (bp.linalg.inv, lambda a: bp.linalg.solve(a, bp.ones(2, 1))):
        with pytest.raises(bp.linalg.LinAlgError):
            fn(bp.zeros(2, 2))
    with pytest.raises(RuntimeError, match="positive-definite"):
        bp.linalg.cholesky(-bp.eye(2))
    assert issubclass(bp.linalg.LinAlgError, RuntimeError)


def test_shape_errors_are_runtime_errors_as_torch():
    for call in (lambda lib: lib.mm(lib.ones(3), lib.ones(3, 3)), lambda lib: lib.dot(lib.ones(3), lib.ones(4)),
                 lambda lib: lib.bmm(lib.ones(2, 2, 3), lib.ones(3, 3, 2)),
                 lambda lib: lib.linalg.cross(lib.ones(2, 4), lib.ones(2, 4)),
                 lambda lib: lib.linalg.inv(lib.ones(2, 3)), lambda lib: lib.trace(lib.ones(2, 2, 2))):
        with pytest.raises(RuntimeError):
            call(torch)
        with pytest.raises(RuntimeError):
            call(bp)


def test_logdet_of_a_negative_determinant_is_nan():
    x = [[0.0, 1.0], [1.0, 0.0]]
    assert math.isnan(bp.logdet(bp.tensor(x)).item()) and math.isnan(torch.logdet(torch.tensor(x)).item())


def test_out_and_in_place_forms():
    (a, ta), (b, tb), (c, tc) = pair(2, 3), pair(3, 4, seed=1), pair(2, 4, seed=2)
    out, tout = bp.empty(0, dtype=bp.float64), torch.empty(0, dtype=torch.float64)
    assert bp.mm(a, b, out=out) is out
    torch.mm(ta, tb, out=tout)
    close(out, tout)
    close(c.clone().addmm_(a, b, beta=0.5, alpha=2), tc.clone().addmm_(ta, tb, beta=0.5, alpha=2))
    close(c.clone().tril_(1), tc.clone().tril_(1))
    close(c.clone().triu_(-1), tc.clone().triu_(-1))
    close(bp.linalg.vector_norm(a, 3, out=bp.empty(0, dtype=bp.float64)), torch.linalg.vector_norm(ta, 3))


def test_einsum_forms():
    (a, ta), (b, tb) = pair(2, 3), pair(3, 4, seed=1)
    close(bp.einsum("ij,jk", [a, b]), torch.einsum("ij,jk", [ta, tb]))
    close(bp.einsum(" i j , j k -> k i ", a, b), torch.einsum(" i j , j k -> k i ", ta, tb))
    close(bp.einsum("...j,jk->...k", a, b), torch.einsum("...j,jk->...k", ta, tb))
    for bad in ["ij,jk->l", "ijk,jk", "ij,jk->ii"]:
        with pytest.raises((ValueError, RuntimeError)):
            bp.einsum(bad, a, b)


def test_einsum_hessian_of_a_quadratic_form():
    """x^T A x: its gradient (A + A^T) x, its Hessian A + A^T, through two backward passes of einsum."""
    A = bp.randn(3, 3, dtype=bp.float64)
    x = bp.randn(3, dtype=bp.float64, requires_grad=True)
    (g,) = bp.autograd.grad(bp.einsum("i,ij,j->", x, A, x), x, create_graph=True)
    rows = [bp.autograd.grad(g[i], x, retain_graph=True)[0].numpy() for i in range(3)]
    np.testing.assert_allclose(np.stack(rows), (A + A.mT).numpy(), atol=1e-12)


def test_vector_norm_of_integers_is_refused_and_linalg_names_say_what_is_missing():
    with pytest.raises(RuntimeError, match="floating point"):
        bp.linalg.vector_norm(bp.tensor([1, 2]))
    with pytest.raises(AttributeError, match="torch.linalg.eigvals is not provided"):
        bp.linalg.eigvals


def test_det_gradient_of_a_singular_matrix_is_the_adjugate():
    """Finite differences agree with adj(A)^T at a rank-deficient A (torch 2.13 returns zeros here and fails its
    own gradcheck: a deliberate difference)."""
    a = bp.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]], dtype=bp.float64, requires_grad=True)
    assert bp.autograd.gradcheck(bp.det, (a,))
    b = bp.tensor([[1.0, 2.0], [2.0, 4.0]], requires_grad=True)
    bp.det(b).backward()
    assert b.grad.tolist() == [[4.0, -2.0], [-2.0, 1.0]]
