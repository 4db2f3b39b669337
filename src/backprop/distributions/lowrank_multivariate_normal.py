"""LowRankMultivariateNormal(loc, cov_factor, cov_diag): a Gaussian on R^k whose covariance is
W W^T + diag(D), W of shape (k, r) with r << k: log_prob and entropy in O(k r^2) by Woodbury's identity."""
import math

import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.distribution import Distribution
from backprop.distributions.multivariate_normal import _batch_mahalanobis
from backprop.distributions.utils import _CentredAtLoc, _draw, lazy_property

__all__ = ["LowRankMultivariateNormal"]


def _capacitance_tril(cov_factor, cov_diag):
    """The Cholesky factor of the capacitance matrix C = I + W^T D^-1 W (r x r)."""
    rank = cov_factor.shape[-1]
    wt_d_inv = cov_factor.mT / cov_diag.unsqueeze(-2)
    capacitance = wt_d_inv @ cov_factor
    capacitance = capacitance + bp.eye(rank, dtype=cov_factor.dtype, device=cov_factor.device)
    return bp.linalg.cholesky(capacitance)


def _log_det(cov_factor, cov_diag, capacitance_tril):
    """ln det(W W^T + D) = ln det C + sum ln D (the matrix determinant lemma)."""
    return 2 * capacitance_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1) + cov_diag.log().sum(-1)


def _mahalanobis(cov_factor, cov_diag, capacitance_tril, x):
    """x^T (W W^T + D)^-1 x = x^T D^-1 x - |L_C^-1 W^T D^-1 x|^2 (Woodbury)."""
    wt_d_inv = cov_factor.mT / cov_diag.unsqueeze(-2)
    m_diag = (x.pow(2) / cov_diag).sum(-1)
    projected = (wt_d_inv @ x.unsqueeze(-1)).squeeze(-1)
    return m_diag - _batch_mahalanobis(capacitance_tril, projected)


class LowRankMultivariateNormal(_CentredAtLoc, Distribution):
    """The normal distribution with mean ``loc`` (..., k) and covariance ``cov_factor`` W (..., k, r) times
    its transpose plus ``cov_diag`` D (..., k) on the diagonal; rsample = loc + W eps_r + sqrt(D) eps_k."""

    arg_constraints = {"loc": constraints.real_vector,
                       "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        event_shape = loc.shape[-1:]
        if cov_factor.ndim < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional leading batch dimensions")
        if tuple(cov_factor.shape[-2:-1]) != tuple(event_shape):
            raise ValueError(f"cov_factor must be a batch of matrices with shape {event_shape[0]} x m")
        if tuple(cov_diag.shape[-1:]) != tuple(event_shape):
            raise ValueError(f"cov_diag must be a batch of vectors with shape {tuple(event_shape)}")
        loc_ = loc.unsqueeze(-1)
        cov_diag_ = cov_diag.unsqueeze(-1)
        try:
            loc_, self.cov_factor, cov_diag_ = bp.broadcast_tensors(loc_, cov_factor, cov_diag_)
        except RuntimeError as error:
            raise ValueError(f"Incompatible batch shapes: loc {loc.shape}, cov_factor {cov_factor.shape}, "
                             f"cov_diag {cov_diag.shape}") from error
        self.loc = loc_[..., 0]
        self.cov_diag = cov_diag_[..., 0]
        batch_shape = self.loc.shape[:-1]
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        self._capacitance_tril = _capacitance_tril(cov_factor, cov_diag)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LowRankMultivariateNormal, _instance)
        batch_shape = tuple(batch_shape)
        k = self.event_shape[0]
        new.loc = self.loc.expand(batch_shape + (k,))
        new.cov_diag = self.cov_diag.expand(batch_shape + (k,))
        new.cov_factor = self.cov_factor.expand(batch_shape + tuple(self.cov_factor.shape[-2:]))
        new._unbroadcasted_cov_factor = self._unbroadcasted_cov_factor
        new._unbroadcasted_cov_diag = self._unbroadcasted_cov_diag
        new._capacitance_tril = self._capacitance_tril
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def variance(self):
        variance = self._unbroadcasted_cov_factor.pow(2).sum(-1) + self._unbroadcasted_cov_diag
        return variance.expand(tuple(self._batch_shape) + tuple(self._event_shape))

    def _matrix_shape(self):
        return tuple(self._batch_shape) + tuple(self._event_shape) * 2

    @lazy_property
    def covariance_matrix(self):
        w = self._unbroadcasted_cov_factor
        covariance = w @ w.mT + bp.diag_embed(self._unbroadcasted_cov_diag)
        return covariance.expand(self._matrix_shape())

    @lazy_property
    def scale_tril(self):
        return bp.linalg.cholesky(self.covariance_matrix)

    @lazy_property
    def precision_matrix(self):
        """D^-1 - D^-1 W C^-1 W^T D^-1 (Woodbury)."""
        w = self._unbroadcasted_cov_factor
        d_inv = self._unbroadcasted_cov_diag.reciprocal()
        a = bp.linalg.solve(self._capacitance_tril.tril(), w.mT * d_inv.unsqueeze(-2))
        precision = bp.diag_embed(d_inv) - a.mT @ a
        return precision.expand(self._matrix_shape())

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        w_shape = tuple(shape[:-1]) + tuple(self.cov_factor.shape[-1:])
        eps_w = _draw(self.loc, w_shape, lambda rng, s: rng.standard_normal(s))
        eps_d = _draw(self.loc, shape, lambda rng, s: rng.standard_normal(s))
        return (self.loc + (self._unbroadcasted_cov_factor @ eps_w.unsqueeze(-1)).squeeze(-1)
                + self._unbroadcasted_cov_diag.sqrt() * eps_d)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        m = _mahalanobis(self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag, self._capacitance_tril, diff)
        log_det = _log_det(self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag, self._capacitance_tril)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + log_det + m)

    def entropy(self):
        log_det = _log_det(self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag, self._capacitance_tril)
        h = 0.5 * (self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + log_det)
        return h if len(self._batch_shape) == 0 else h.expand(self._batch_shape)
