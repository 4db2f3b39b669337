"""MultivariateNormal(loc, covariance_matrix | precision_matrix | scale_tril): the Gaussian on R^k,
density exp(-(x - mu)^T Sigma^-1 (x - mu) / 2) / sqrt((2 pi)^k det Sigma)."""
import math

import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.distribution import Distribution
from backprop.distributions.utils import _CentredAtLoc, _draw, lazy_property

__all__ = ["MultivariateNormal"]


def _batch_mahalanobis(scale_tril, x):
    """x^T (L L^T)^-1 x = |L^-1 x|^2 for lower-triangular L, batched and broadcast (only L's lower triangle is
    read, and receives gradient, as in a triangular solve)."""
    solved = bp.linalg.solve(scale_tril.tril(), x.unsqueeze(-1)).squeeze(-1)
    return solved.pow(2).sum(-1)


def _half_log_det(scale_tril):
    """ln sqrt(det Sigma) = sum_i ln L_ii."""
    return scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)


def _cholesky_factor(covariance_matrix, precision_matrix, scale_tril):
    """L with L L^T the covariance, from whichever of the three is given."""
    if scale_tril is not None:
        return scale_tril
    if covariance_matrix is not None:
        return bp.linalg.cholesky(covariance_matrix)
    return bp.linalg.cholesky(bp.linalg.inv(precision_matrix))


class _ScaleMatrices:
    """The three ways to give a scale matrix, from its Cholesky factor ``_unbroadcasted_scale_tril`` L (those not
    given are computed when first used), expanded to ``_matrix_shape()``: L, Sigma = L L^T and Sigma^-1."""

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        scale_tril = self._unbroadcasted_scale_tril
        return (scale_tril @ scale_tril.mT).expand(self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        scale_tril = self._unbroadcasted_scale_tril
        return bp.linalg.inv(scale_tril @ scale_tril.mT).expand(self._matrix_shape())


class MultivariateNormal(_ScaleMatrices, _CentredAtLoc, Distribution):
    """The normal distribution on R^k with mean ``loc`` (..., k) and one of ``covariance_matrix``,
    ``precision_matrix`` (its inverse) or ``scale_tril`` (its lower Cholesky factor L, Sigma = L L^T), each
    (..., k, k); the batch shape broadcasts loc's and the matrix's. rsample = loc + L eps, eps ~ N(0, I)."""

    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if (covariance_matrix is not None) + (scale_tril is not None) + (precision_matrix is not None) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        for name, matrix in (("scale_tril matrix", scale_tril), ("covariance_matrix", covariance_matrix),
                             ("precision_matrix", precision_matrix)):
            if matrix is not None:
                if matrix.ndim < 2:
                    raise ValueError(f"{name} must be at least two-dimensional, "
                                     "with optional leading batch dimensions")
                name = name.split()[0]
                batch_shape = bp.broadcast_shapes(matrix.shape[:-2], loc.shape[:-1])
                setattr(self, name, matrix.expand(tuple(batch_shape) + (-1, -1)))
        self.loc = loc.expand(tuple(batch_shape) + (-1,))
        super().__init__(batch_shape, self.loc.shape[-1:], validate_args=validate_args)
        self._unbroadcasted_scale_tril = _cholesky_factor(covariance_matrix, precision_matrix, scale_tril)

    def expand(self, batch_shape, _instance=None):
        k = self.event_shape[0]
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = tuple(batch_shape)
        new.loc = self.loc.expand(batch_shape + (k,))
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "precision_matrix", "scale_tril"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(batch_shape + (k, k)))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _matrix_shape(self):
        return tuple(self._batch_shape) + tuple(self._event_shape) * 2

    @property
    def variance(self):
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(tuple(self._batch_shape) + tuple(self._event_shape))

    def rsample(self, sample_shape=()):
        eps = _draw(self.loc, self._extended_shape(sample_shape), lambda rng, s: rng.standard_normal(s))
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value):
        """-(k ln(2 pi) + (x - mu)^T Sigma^-1 (x - mu)) / 2 - sum_i ln L_ii."""
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        mahalanobis = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        k = self._event_shape[0]
        return -0.5 * (k * math.log(2 * math.pi) + mahalanobis) - _half_log_det(self._unbroadcasted_scale_tril)

    def entropy(self):
        """k (1 + ln(2 pi)) / 2 + sum_i ln L_ii."""
        k = self._event_shape[0]
        entropy = 0.5 * k * (1.0 + math.log(2 * math.pi)) + _half_log_det(self._unbroadcasted_scale_tril)
        return entropy if len(self._batch_shape) == 0 else entropy.expand(self._batch_shape)
