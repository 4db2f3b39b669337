"""Inverses, determinants, solvers and decompositions of (batches of) matrices, as torch.linalg.

Singular and eigen vectors are defined up to sign, so their gradients are those of the losses that do not depend
on the sign (torch's formulas, which assume distinct singular values or eigenvalues). The decompositions with
several outputs are PyTorch-style Functions (one node for all outputs); their backward formulas are written on
Tensors with operators and ``xp``, so they are differentiable again.
"""

from backprop import backend
from backprop import dtypes
from backprop.autograd import Function
from backprop.ops.indexing import write_out
from backprop.ops.manifest import export
from backprop.ops.matrix import Triangle
from backprop.ops.util import check_tensor, return_type
from backprop.tensor import Tensor


class LinAlgError(RuntimeError):
    """A matrix that the operation cannot handle: singular, not positive definite (torch.linalg.LinAlgError)."""


def _lapack(op, message, compute, *args):
    try:
        return compute(*args)
    except backend.numpy.linalg.LinAlgError as error:
        raise LinAlgError(f"{op}: {message}") from error


def _mT(x):
    return backend.array_module(x).swapaxes(x, -1, -2)


def _eye(n, like):
    data = like._data if isinstance(like, Tensor) else like
    return backend.array_module(data).eye(n, dtype=data.dtype)


def _matrices(A, op):
    """A floating point tensor of matrices (at least 2-D), with torch's errors."""
    check_tensor(A, op)
    if not dtypes.is_floating(A.dtype):
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got {A.dtype}")
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    return A


def _square(A, op):
    """``_matrices`` that are square."""
    _matrices(A, op)
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")
    return A


# ------------------------------------------------------------------ one output
class Inv(Function):
    """Y = A^-1;  dL/dA = -Y^T dL/dY Y^T."""

    def forward(self, a):
        xp = backend.array_module(a)
        y = _lapack("linalg.inv", "The input matrix is singular, the inversion could not be completed.",
                    xp.linalg.inv, a)
        if self.needs_input_grad:
            self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        yT = _mT(y)
        return -(yT @ grad @ yT)


class Det(Function):
    """d = det A;  dL/dA = dL/dd adj(A)^T: dL/dd d A^-T where A is invertible; for a singular A (first order),
    from A = U diag(S) V^T, dL/dA = U diag(dL/dd det(U V^T) prod_{j != i} S_j) V^T, as torch."""

    def forward(self, a):
        d = backend.array_module(a).linalg.det(a)
        if self.needs_input_grad:
            self.save_for_backward(a, d)
        return d

    def backward(self, grad):
        a, d = self.saved_tensors
        if not isinstance(a, Tensor) and (d == 0).any():
            return _singular_det_grad(grad, a)
        return (grad * d)[..., None, None] * _mT(Inv.call(a))


def _singular_det_grad(grad, a):
    xp = backend.array_module(a)
    u, s, vh = xp.linalg.svd(a)
    ones = xp.ones_like(s[..., :1])
    before = xp.cumprod(xp.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)  # prod_{j < i} S_j
    after = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(s[..., 1:], -1)], axis=-1), axis=-1), -1)
    alpha = xp.linalg.det(u) * xp.linalg.det(vh) * grad
    return (u * (alpha[..., None] * before * after)[..., None, :]) @ vh


class Slogdet(Function):
    """(sign, log|det A|) of A, one node for both;  dL/dA = dL/dlog|det A| A^-T (the sign has no gradient)."""

    @staticmethod
    def forward(ctx, A):
        sign, logabsdet = backend.array_module(A._data).linalg.slogdet(A._data)
        ctx.save_for_backward(A)
        return Tensor._make(sign), Tensor._make(logabsdet)

    @staticmethod
    def backward(ctx, grad_sign, grad_logabsdet):
        (A,) = ctx.saved_tensors
        return grad_logabsdet[..., None, None] * Inv.call(A).mT


class Cholesky(Function):
    """A = L L^T, L lower triangular (from the lower triangle of A);
    dL/dA = L^-T Phi L^-1 with Phi = (M + tril(M, -1)^T) / 2, M = tril(L^T dL/dL) (torch's formula: symmetric)."""

    def forward(self, a):
        xp = backend.array_module(a)
        ell = _lapack("linalg.cholesky", "The factorization could not be completed because the input is not "
                      "positive-definite.", xp.linalg.cholesky, a)
        if self.needs_input_grad:
            self.save_for_backward(ell)
        return ell

    def backward(self, grad):
        (ell,) = self.saved_tensors
        m = Triangle.call(_mT(ell) @ grad, k=0, lower=True)
        phi = 0.5 * (m + _mT(Triangle.call(m, k=-1, lower=True)))
        inverse = Inv.call(ell)
        return _mT(inverse) @ phi @ inverse


class Solve(Function):
    """X = A^-1 B (B a batch of matrices);  dL/dB = A^-T dL/dX,  dL/dA = -dL/dB X^T."""

    def forward(self, a, b):
        xp = backend.array_module(a)
        x = _lapack("linalg.solve", "The solver failed because the input matrix is singular.", xp.linalg.solve, a, b)
        if self.needs_input_grad:
            self.save_for_backward(a, x)
        return x

    def backward(self, grad):
        a, x = self.saved_tensors
        grad_b = Solve.call(_mT(a), grad)
        return -(grad_b @ _mT(x)) if self.needs_input_grad[0] else None, grad_b


class Pinv(Function):
    """P = A^+ (singular values at most max(atol, rtol sigma_max) count as zero); dL/dA by torch's closed form
    (pinv_backward), exact where the rank does not change."""

    def forward(self, a, atol, rtol):
        xp = backend.array_module(a)
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        top = s[..., :1] if s.shape[-1] else s
        cutoff = xp.maximum(atol, rtol * top)
        keep = s > cutoff
        s_inverse = xp.where(keep, 1 / xp.where(keep, s, 1), 0).astype(a.dtype)
        p = _mT(vh) @ (s_inverse[..., :, None] * _mT(u))
        if self.needs_input_grad:
            self.save_for_backward(a, p)
        return p

    def backward(self, grad):
        a, p = self.saved_tensors
        m, n = a.shape[-2], a.shape[-1]
        pT, gT = _mT(p), _mT(grad)
        if m <= n:
            k = gT @ p
            k_pT = k @ pT
            return -_mT(p @ k) + k_pT - (a @ p) @ k_pT + (pT @ p) @ (gT - k @ a)
        k = p @ gT
        pT_k = pT @ k
        return -_mT(k @ p) + (gT - a @ k) @ p @ pT + pT_k - pT_k @ p @ a


# ------------------------------------------------------------------ several outputs
class Svd(Function):
    """A = U diag(S) V^H; the gradient from torch's svd_backward (distinct singular values):
    dL/dA = U [(skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS)] V^T, E_jk = S_k^2 - S_j^2, skew(X) = X - X^T,
    plus the parts of gU (m > n) or gV (m < n) outside the column spaces of U or V."""

    @staticmethod
    def forward(ctx, A, full_matrices):
        xp = backend.array_module(A._data)
        u, s, vh = xp.linalg.svd(A._data, full_matrices=full_matrices)
        U, S, Vh = Tensor._make(u), Tensor._make(s), Tensor._make(vh)
        ctx.save_for_backward(U, S, Vh)
        return U, S, Vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        k = S.shape[-1]
        m, n = U.shape[-2], Vh.shape[-1]
        U, Vh, gU, gVh = U[..., :k], Vh[..., :k, :], gU[..., :k], gVh[..., :k, :]
        V, gV = Vh.mT, gVh.mT
        S2 = S * S
        E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + _eye(k, S)
        UhgU = U.mT @ gU
        VhgV = Vh @ gV
        gA = ((UhgU - UhgU.mT) * S.unsqueeze(-2) + S.unsqueeze(-1) * (VhgV - VhgV.mT)) / E
        gA = gA + gS.unsqueeze(-1) * _eye(k, S)
        if m > n:
            gUSinv = gU / S.unsqueeze(-2)
            return (U @ gA + gUSinv - U @ (U.mT @ gUSinv)) @ Vh
        if m < n:
            SinvgVh = gVh / S.unsqueeze(-1)
            return U @ (gA @ Vh + SinvgVh - (SinvgVh @ V) @ Vh)
        return U @ gA @ Vh


class Eigh(Function):
    """A = V diag(L) V^T of a symmetric A (from one triangle, ``UPLO``); torch's gradient (distinct eigenvalues):
    dL/dA = V [skew(V^T gV) / 2E + diag(gL)] V^T with E_ij = L_j - L_i, skew(X) = X - X^T."""

    @staticmethod
    def forward(ctx, A, UPLO):
        w, v = backend.array_module(A._data).linalg.eigh(A._data, UPLO=UPLO)
        L, V = Tensor._make(w), Tensor._make(v)
        ctx.save_for_backward(L, V)
        return L, V

    @staticmethod
    def backward(ctx, gL, gV):
        L, V = ctx.saved_tensors
        n = L.shape[-1]
        VhgV = V.mT @ gV
        E = L.unsqueeze(-2) - L.unsqueeze(-1) + _eye(n, L)
        gA = 0.5 * (VhgV - VhgV.mT) / E + gL.unsqueeze(-1) * _eye(n, L)
        return V @ gA @ V.mT


class Qr(Function):
    """A = Q R; torch's linalg_qr_backward: for m >= n, dL/dA = [gQ + Q sym(triu(gR R^T - Q^T gQ))] R^-T with
    sym(X) = X + X^T less half its diagonal; for m < n, through the leading square block of R."""

    @staticmethod
    def forward(ctx, A, mode):
        q, r = backend.array_module(A._data).linalg.qr(A._data, mode=mode)
        Q, R = Tensor._make(q), Tensor._make(r)
        ctx.mode = mode
        ctx.save_for_backward(Q, R)
        return Q, R

    @staticmethod
    def backward(ctx, gQ, gR):
        Q, R = ctx.saved_tensors
        m, n = Q.shape[-2], R.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        gA = gR @ R.mT - Q.mT @ gQ
        if m >= n:
            upper = Triangle.call(gA, k=0, lower=False)
            sym = upper + upper.mT
            sym = sym - 0.5 * sym * _eye(n, sym)
            return (gQ + Q @ sym) @ Inv.call(R).mT
        lower = Triangle.call(-gA + gA.mT, k=0, lower=True)
        square = Q @ lower @ Inv.call(R[..., :m]).mT
        xp = backend.array_module(square)
        zeros = _zeros(square, R.shape[:-1] + (n - m,))
        return xp.concatenate([square, zeros], axis=-1) + Q @ gR


def _zeros(like, shape):
    data = like._data if isinstance(like, Tensor) else like
    return Tensor._make(backend.array_module(data).zeros(shape, dtype=data.dtype))


# ------------------------------------------------------------------ results as torch names them
SlogdetResult = return_type("linalg_slogdet", ("sign", "logabsdet"))
SvdResult = return_type("linalg_svd", ("U", "S", "Vh"))
TorchSvdResult = return_type("svd", ("U", "S", "V"))
EighResult = return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))
QrResult = return_type("linalg_qr", ("Q", "R"))
TorchQrResult = return_type("qr", ("Q", "R"))
LstsqResult = return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))


# ------------------------------------------------------------------ torch.linalg functions
def inv(A, *, out=None):
    """A^-1 of (batches of) square matrices; a singular matrix raises ``linalg.LinAlgError``."""
    return write_out(Inv.apply(_square(A, "linalg.inv")), out, "linalg.inv")


@export()
def inverse(input, *, out=None):
    """A^-1 (torch.inverse, as torch.linalg.inv)."""
    return inv(input, out=out)


@export()
def det(A, *, out=None):
    """det A of (batches of) square matrices."""
    return write_out(Det.apply(_square(A, "linalg.det")), out, "linalg.det")


def linalg_slogdet(A, *, out=None):
    """(sign, log|det A|): the determinant without overflow; a named tuple (sign, logabsdet)."""
    return SlogdetResult(*Slogdet.apply(_square(A, "linalg.slogdet")))


@export()
def slogdet(input):
    """(sign, log|det A|) (torch.slogdet, as torch.linalg.slogdet)."""
    return linalg_slogdet(input)


@export()
def logdet(input):
    """log det A: nan where det A < 0, -inf where it is 0."""
    sign, logabsdet = linalg_slogdet(input)
    xp = backend.array_module(sign._data)
    return logabsdet + Tensor._make(xp.where(sign._data < 0, xp.nan, 0).astype(sign._data.dtype))


def linalg_cholesky(A, *, upper=False, out=None):
    """L with A = L L^T (lower triangular), from the lower triangle of a symmetric positive definite A
    (``upper=True``: U = L^T, A = U^T U)."""
    ell = Cholesky.apply(_square(A, "linalg.cholesky"))
    return write_out(ell.mT if upper else ell, out, "linalg.cholesky")


@export()
def cholesky(input, upper=False, *, out=None):
    """torch.cholesky (``upper`` positional), as torch.linalg.cholesky."""
    return linalg_cholesky(input, upper=upper, out=out)


def solve(A, B, *, left=True, out=None):
    """X with A X = B (``left=False``: X A = B); a 1-D B (or one batch dim less than A) is a vector."""
    _square(A, "linalg.solve")
    check_tensor(B, "linalg.solve")
    vector = B.ndim == 1 or (left and B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    if vector:
        B = B.unsqueeze(-1) if left else B.unsqueeze(-2)
    if left:
        X = Solve.apply(A, B)
    else:
        X = Solve.apply(A.mT, B.mT).mT
    if vector:
        X = X.squeeze(-1) if left else X.squeeze(-2)
    return write_out(X, out, "linalg.solve")


def _tolerances(A, atol, rtol, rcond=None):
    """torch's defaults: rtol = max(m, n) eps when neither is given, else 0 for the one not given."""
    if rcond is not None:
        rtol = rcond
    eps = float(backend.numpy.finfo(A.dtype).eps)
    if rtol is None:
        rtol = max(A.shape[-2:]) * eps if atol is None or atol == 0 else 0.0
    return float(atol or 0.0), float(rtol)


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """The Moore-Penrose pseudo-inverse A^+ (singular values below max(atol, rtol sigma_max) dropped)."""
    _matrices(A, "linalg.pinv")
    atol, rtol = _tolerances(A, atol, rtol)
    return write_out(Pinv.apply(A, atol=atol, rtol=rtol), out, "linalg.pinv")


@export()
def pinverse(input, rcond=1e-15):
    """torch.pinverse: A^+ with singular values below rcond sigma_max dropped."""
    return pinv(input, rtol=rcond)


def svd(A, full_matrices=True, *, driver=None, out=None):
    """A = U diag(S) Vh: a named tuple (U, S, Vh), S descending (``full_matrices=False``: k = min(m, n)
    columns of U and rows of Vh)."""
    return SvdResult(*Svd.apply(_matrices(A, "linalg.svd"), full_matrices=bool(full_matrices)))


@export(name="svd")
def torch_svd(input, some=True, compute_uv=True, *, out=None):
    """torch.svd: (U, S, V) with V (not V^T); ``some=False`` gives square U and V."""
    U, S, Vh = svd(input, full_matrices=not some)
    if not compute_uv:
        return TorchSvdResult(_zeros(U, U.shape), S, _zeros(Vh, Vh.shape))
    return TorchSvdResult(U, S, Vh.mT)


def svdvals(A, *, driver=None, out=None):
    """The singular values of A, descending (differentiable through ``svd``)."""
    return svd(A, full_matrices=False).S


def eigh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric A, from its lower (``UPLO='L'``) or
    upper triangle: a named tuple (eigenvalues, eigenvectors)."""
    _square(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return EighResult(*Eigh.apply(A, UPLO=UPLO))


def eigvalsh(A, UPLO="L", *, out=None):
    """The eigenvalues of a symmetric A, ascending (differentiable through ``eigh``)."""
    return eigh(A, UPLO).eigenvalues


def qr(A, mode="reduced", *, out=None):
    """A = Q R: a named tuple (Q, R); ``mode`` 'reduced' (k = min(m, n) columns of Q), 'complete' (square Q) or
    'r' (R only, Q empty)."""
    _matrices(A, "linalg.qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
                           "'r', or 'complete'")
    if mode == "r":
        R = backend.array_module(A._data).linalg.qr(A._data, mode="r")
        return QrResult(_zeros(A, (0,)), Tensor._make(R))
    return QrResult(*Qr.apply(A, mode=mode))


@export(name="qr")
def torch_qr(input, some=True, *, out=None):
    """torch.qr: (Q, R), reduced unless ``some=False``."""
    return TorchQrResult(*qr(input, "reduced" if some else "complete"))


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution of A X = B: a named tuple (solution, residuals, rank, singular_values) with
    torch's CPU fields for its ``driver`` ('gelsy' by default: no residuals and no singular values; 'gelsd' and
    'gelss' give singular values; all but 'gelsy' residuals for a tall full-rank A; 'gels' no rank). The solution is pinv(A) B: differentiable."""
    _matrices(A, "linalg.lstsq")
    check_tensor(B, "linalg.lstsq")
    driver = driver or "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss), "
                           f"got {driver}")
    vector = B.ndim == A.ndim - 1
    matrix_B = B.unsqueeze(-1) if vector else B
    xp = backend.array_module(A._data)
    atol, rtol = _tolerances(A, None, None if rcond is None else rcond)
    solution = Pinv.apply(A, atol=0.0, rtol=rtol) @ matrix_B
    s = xp.linalg.svd(A._data, compute_uv=False)
    rank = (s > rtol * s[..., :1]).sum(-1) if s.shape[-1] else xp.zeros(s.shape[:-1], dtype=xp.int64)
    empty = xp.zeros((0,), dtype=A._data.dtype)
    residuals, singular_values = empty, empty
    m, n = A.shape[-2:]
    if driver in ("gelsd", "gelss"):
        singular_values = s
    if driver != "gelsy" and m > n and bool((rank == n).all()):
        residuals = ((A._data @ solution._data - matrix_B._data) ** 2).sum(-2)
    rank = xp.asarray(rank, dtype=xp.int64) if driver != "gels" else xp.zeros((0,), dtype=xp.int64)
    if vector:
        solution = solution.squeeze(-1)
    return LstsqResult(solution, Tensor._make(residuals), Tensor._make(rank), Tensor._make(singular_values))


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """The number of singular values above max(atol, rtol sigma_max), an int64 tensor (not differentiable)."""
    _matrices(A, "linalg.matrix_rank")
    atol, rtol = _tolerances(A, atol, rtol)
    xp = backend.array_module(A._data)
    s = xp.linalg.svd(A._data, compute_uv=False)
    cutoff = xp.maximum(atol, rtol * (s[..., :1] if s.shape[-1] else 0))
    return Tensor._make(xp.asarray((s > cutoff).sum(-1), dtype=xp.int64))


@export()
def matrix_power(input, n):
    """A^n by repeated squaring (n < 0: (A^-1)^-n; n = 0: the identity)."""
    A = _square(input, "linalg.matrix_power") if n < 0 else input
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, got shape {tuple(A.shape)}")
    if n == 0:  # the identity, connected to A as torch's (a zero gradient)
        return A * 0 + _eye(A.shape[-1], A)
    if n < 0:
        A, n = inv(A), -n
    result = None
    while n:
        if n & 1:
            result = A if result is None else result @ A
        n >>= 1
        if n:
            A = A @ A
    return result


@export()
def matrix_exp(input):
    """e^A = sum_k A^k / k!, by scaling and squaring: (T(A / 2^s))^(2^s) with T the Taylor sum to the 18th power
    (|A| / 2^s <= 1/2: below float64's roundoff); written with matmuls, so differentiable to any order."""
    A = _square(input, "linalg.matrix_exp")
    xp = backend.array_module(A._data)
    norm = float(xp.abs(A._data).sum(-2).max()) if A.numel() else 0.0
    s = max(0, int(backend.numpy.ceil(backend.numpy.log2(norm / 0.5)))) if norm > 0.5 else 0
    X = A / (2 ** s) if s else A
    eye = Tensor._make(xp.broadcast_to(_eye(A.shape[-1], A), A.shape).copy())
    result, term = eye, eye
    for k in range(1, 19):
        term = (term @ X) / k
        result = result + term
    for _ in range(s):
        result = result @ result
    return result
