"""Weight and spectral normalisation and orthogonal matrices as parametrizations (torch.nn.utils.parametrizations).

The newer form of ``nn.utils.weight_norm`` / ``spectral_norm``: the tensor
lives in ``module.parametrizations.weight`` (``original0`` = g and
``original1`` = v for weight norm; ``original`` for spectral norm, whose
power-iteration vectors are the buffers ``0._u`` and ``0._v``), and
``module.weight`` is computed from it at each read (see ``parametrize``).
``orthogonal`` keeps a weight (semi-)orthogonal: W = B Q(X), Q(X) an
orthogonal matrix made from an unconstrained X (matrix exponential of a
skew-symmetric matrix, Cayley map, or a product of Householder reflections)
and B the buffer ``0.base`` (the weight it started from).
"""
import numpy

from backprop import autograd
from backprop import backend
from backprop import linalg
from backprop.nn import functional as F
from backprop.nn.module import Module
from backprop.nn.utils import parametrize
from backprop.nn.utils.spectral_norm import _is_conv_transpose
from backprop.nn.utils.weight_norm import _weight_norm, norm_except_dim
from backprop.ops import cat
from backprop.random import numpy_generator
from backprop.tensor import Tensor

__all__ = ["orthogonal", "weight_norm", "spectral_norm"]


class _WeightNorm(Module):
    """w = g v / ||v|| from (g, v); its right inverse splits a weight into its norms and itself."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Reparametrise ``module.<name>`` as g v / ||v|| (norms over every axis but ``dim``; ``dim=None``: the
    whole tensor). The state_dict holds ``parametrizations.<name>.original0`` (g) and ``original1`` (v); a
    state_dict of the legacy form (``<name>_g``, ``<name>_v``) loads too. Returns the module.

    >>> import backprop as bp
    >>> list(weight_norm(bp.nn.Linear(3, 2)).state_dict())
    ['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1']
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def rename_legacy_keys(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(rename_legacy_keys)
    return module


class _SpectralNorm(Module):
    """W / sigma(W), sigma estimated by power iteration on the buffers ``_u``, ``_v`` (one step per
    training-mode evaluation); a 1-d weight is simply normalised."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if not -ndim <= dim < ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim % ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            matrix = self._as_matrix(weight)
            rows, columns = matrix.shape
            with autograd.no_grad():
                self.register_buffer("_u", F.normalize(matrix.new_empty(rows).normal_(0, 1), dim=0, eps=eps))
                self.register_buffer("_v", F.normalize(matrix.new_empty(columns).normal_(0, 1), dim=0, eps=eps))
            self._power_method(matrix, 15)  # start from a good estimate

    def _as_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.ndim) if d != self.dim])
        return weight.reshape(weight.shape[0], -1)

    def _power_method(self, matrix, steps):
        """u <- normalize(W v), v <- normalize(W^T u), ``steps`` times, in place."""
        with autograd.no_grad():
            for _ in range(steps):
                self._u.copy_(F.normalize(matrix.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(matrix.t().mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        matrix = self._as_matrix(weight)
        if self.training:
            self._power_method(matrix, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()  # the graph keeps these values, not the buffers changed later
        return weight / u.dot(matrix.mv(v))

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divide ``module.<name>`` by its largest singular value (``dim`` first, the rest flattened; ``dim``
    defaults to 1 for ConvTranspose layers, else 0). The state_dict holds
    ``parametrizations.<name>.original`` and the power-iteration buffers ``parametrizations.<name>.0._u``,
    ``...0._v``. Returns the module.

    >>> import backprop as bp
    >>> list(spectral_norm(bp.nn.Linear(3, 2)).state_dict())
    ['bias', 'parametrizations.weight.original', 'parametrizations.weight.0._u', 'parametrizations.weight.0._v']
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if _is_conv_transpose(module) else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


def _is_orthogonal(Q):
    """Q^T Q = I within 10 n eps (Q a NumPy (batch of) n x k matrix)."""
    n, k = Q.shape[-2:]
    eps = 10.0 * n * numpy.finfo(Q.dtype).eps
    return numpy.allclose(numpy.swapaxes(Q, -1, -2) @ Q, numpy.eye(k), atol=eps)


def _make_orthogonal(A):
    """The Q of A = QR (A tall), with the signs chosen so that R's diagonal is non-negative."""
    Q, R = numpy.linalg.qr(A)
    return Q * numpy.sign(numpy.diagonal(R, axis1=-2, axis2=-1))[..., None, :]


def _householder_product(A, tau):
    """The first k columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T, v_i column i of A below the diagonal
    with a 1 on it (LAPACK's representation of Q; differentiable: a loop of matrix products)."""
    n, k = A.shape[-2], A.shape[-1]
    eye = A.new_tensor(numpy.eye(n))
    Q = eye
    for i in range(k):
        v = A[..., :, i] + eye[:, i]
        Q = Q - tau[..., i, None, None] * (Q @ v[..., :, None]) @ v[..., None, :]
    return Q[..., :, :k]


class _Orthogonal(Module):
    """X -> an orthogonal (tall or wide) matrix of X's shape, through ``orthogonal_map``; times ``base``."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            X = X.tril()  # n k - k (k - 1) / 2 free parameters
            if n != k:
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mT  # skew-symmetric
            if self.orthogonal_map == "matrix_exp":
                Q = linalg.matrix_exp(A)
            else:  # Cayley: (I - A/2)^-1 (I + A/2)
                eye = A.new_tensor(numpy.eye(n))
                Q = linalg.solve(eye - A / 2, eye + A / 2)
            Q = Q[..., :k]
        else:
            A = X.tril(-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            # X's diagonal holds +-1: the sign of each column, not learned
            Q = Q * X.diagonal(dim1=-2, dim2=-1).detach().int().to(Q.dtype).unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        return Q.mT if transposed else Q

    def right_inverse(self, Q):
        """An X (and base) whose forward gives ``Q``: with a base, ``base`` becomes Q made orthogonal (completed
        to a square matrix) and X the -identity, which the maps send to the identity."""
        if Q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {Q.shape}.")
        dtype = Q.dtype
        shape = tuple(Q.shape)
        Q = backend.to_numpy(Q.detach()._data).astype("float64")
        n, k = Q.shape[-2:]
        transpose = n < k
        if transpose:
            Q = numpy.swapaxes(Q, -1, -2)
            n, k = k, n
        if not hasattr(self, "base"):
            if self.orthogonal_map in ("matrix_exp", "cayley"):
                raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                          "parametrizations when use_trivialization=False.")
            X = self._reflectors(Q)
            return Tensor._make(numpy.swapaxes(X, -1, -2) if transpose else X).to(dtype)
        if n == k:
            Q = Q.copy() if _is_orthogonal(Q) else _make_orthogonal(Q)
        else:
            completion = numpy_generator().standard_normal(Q.shape[:-2] + (n, n - k))
            Q = _make_orthogonal(numpy.concatenate([Q, completion], axis=-1))
        self.base = Tensor._make(Q).to(dtype)
        neg_identity = numpy.zeros(shape)
        diagonal = numpy.arange(min(shape[-2:]))
        neg_identity[..., diagonal, diagonal] = -1.0
        return Tensor._make(neg_identity).to(dtype)

    @staticmethod
    def _reflectors(Q):
        """LAPACK's geqrf of Q (the Householder vectors below the diagonal), with the diagonal replaced by the
        signs the forward needs to give Q back."""
        batch = Q.shape[:-2]
        out = numpy.empty_like(Q)
        for index in numpy.ndindex(*batch):
            h, tau = numpy.linalg.qr(Q[index], mode="raw")
            X = h.T.copy()
            diagonal = numpy.sign(numpy.diagonal(X)).copy()
            diagonal[tau == 0.0] *= -1
            numpy.fill_diagonal(X, diagonal)
            out[index] = X
        return out


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Keep ``module.<name>`` (a matrix or a batch of matrices) orthogonal, or semi-orthogonal if not square:
    ``orthogonal_map`` "matrix_exp" (default for square ones), "cayley" or "householder" (default otherwise).
    The state_dict holds ``parametrizations.<name>.original`` and, with ``use_trivialization``,
    ``parametrizations.<name>.0.base``. Returns the module.

    >>> import backprop as bp
    >>> layer = orthogonal(bp.nn.Linear(3, 3))
    >>> w = layer.weight.detach()
    >>> bool(((w @ w.T - bp.eye(3)).abs() < 1e-5).all())
    True
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    if orthogonal_map not in ("matrix_exp", "cayley", "householder"):
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    parametrize.register_parametrization(
        module, name, _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization), unsafe=True)
    return module
