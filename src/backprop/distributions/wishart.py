"""Wishart(df, covariance_matrix | precision_matrix | scale_tril): random positive definite matrices, the
distribution of sum_{i<df} x_i x_i^T for x_i ~ N(0, Sigma) (and its extension to real df > p - 1)."""
import math
import warnings
from numbers import Number

import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.chi2 import Chi2
from backprop.distributions.exp_family import ExponentialFamily
from backprop.distributions.multivariate_normal import _ScaleMatrices, _cholesky_factor
from backprop.distributions.utils import _draw

__all__ = ["Wishart"]


def _mvdigamma(x, p):
    """The multivariate digamma, d/dx ln Gamma_p(x) = sum_{i<p} psi(x - i/2)."""
    return bp.digamma(x.unsqueeze(-1) - bp.arange(p, dtype=x.dtype, device=x.device) / 2).sum(-1)


class Wishart(_ScaleMatrices, ExponentialFamily):
    """The Wishart distribution of ``df`` degrees of freedom and scale Sigma (given as its covariance, its
    inverse or its Cholesky factor L): mean df Sigma. rsample by Bartlett's decomposition, X = (L A)(L A)^T
    with A lower triangular, A_ii = sqrt(chi2(df - i)), A_ij ~ N(0, 1) below the diagonal (reparameterised:
    the chi-squared draws through the gamma's implicit gradient)."""

    arg_constraints = {"covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky,
                       "df": constraints.greater_than(0)}
    support = constraints.positive_definite
    has_rsample = True

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        given = [(n, m) for n, m in (("covariance_matrix", covariance_matrix),
                                     ("precision_matrix", precision_matrix), ("scale_tril", scale_tril))
                 if m is not None]
        if len(given) != 1:  # an AssertionError, as torch
            raise AssertionError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        name, param = given[0]
        if param.ndim < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional leading batch dimensions")
        if isinstance(df, Number):
            batch_shape = tuple(param.shape[:-2])
            self.df = bp.full(batch_shape, float(df), dtype=param.dtype, device=param.device)
        else:
            batch_shape = tuple(bp.broadcast_shapes(param.shape[:-2], df.shape))
            self.df = df.expand(batch_shape)
        event_shape = tuple(param.shape[-2:])
        p = event_shape[-1]
        if bool((self.df <= p - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        setattr(self, name, param.expand(batch_shape + (-1, -1)))
        self.arg_constraints = dict(self.arg_constraints, df=constraints.greater_than(p - 1))
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        if bool((self.df < p).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to occur for ndim - 1 < df "
                          "< ndim.", stacklevel=2)
        self._unbroadcasted_scale_tril = _cholesky_factor(covariance_matrix, precision_matrix, scale_tril)
        # the chi-squared degrees of freedom of Bartlett's diagonal: df - i for row i
        self._dist_chi2 = Chi2(self.df.unsqueeze(-1) - bp.arange(p, dtype=self.df.dtype, device=self.df.device))

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Wishart, _instance)
        batch_shape = tuple(batch_shape)
        p = self.event_shape[-1]
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        new.df = self.df.expand(batch_shape)
        new.arg_constraints = self.arg_constraints
        for name in ("covariance_matrix", "precision_matrix", "scale_tril"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(batch_shape + (p, p)))
        new._dist_chi2 = Chi2(new.df.unsqueeze(-1) - bp.arange(p, dtype=new.df.dtype, device=new.df.device))
        ExponentialFamily.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _matrix_shape(self):
        return tuple(self._batch_shape) + tuple(self._event_shape)

    @property
    def mean(self):
        return self.df.unsqueeze(-1).unsqueeze(-1) * self.covariance_matrix

    @property
    def mode(self):
        """(df - p - 1) Sigma, undefined (nan) where df <= p + 1."""
        factor = self.df - self.event_shape[-1] - 1
        factor = bp.where(factor <= 0, math.nan, factor)
        return factor.unsqueeze(-1).unsqueeze(-1) * self.covariance_matrix

    @property
    def variance(self):
        """Var X_ij = df (Sigma_ij^2 + Sigma_ii Sigma_jj)."""
        v = self.covariance_matrix
        diagonal = v.diagonal(dim1=-2, dim2=-1)
        return self.df.unsqueeze(-1).unsqueeze(-1) * (v.pow(2) + diagonal.unsqueeze(-1) * diagonal.unsqueeze(-2))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        chi = self._dist_chi2.rsample(sample_shape).sqrt().clamp(min=bp.finfo(self.df.dtype).eps)
        below = _draw(self.df, shape, lambda rng, s: rng.standard_normal(s)).tril(-1)
        a = below + bp.diag_embed(chi)
        factor = self._unbroadcasted_scale_tril @ a
        return factor @ factor.mT

    def log_prob(self, value):
        """-df (p ln 2 / 2 + ln det L) - ln Gamma_p(df/2) + (df - p - 1)/2 ln det X - tr(Sigma^-1 X) / 2."""
        if self._validate_args:
            self._validate_sample(value)
        nu, p = self.df, self.event_shape[-1]
        log_det_tril = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        trace = bp.linalg.solve(self.covariance_matrix, value).diagonal(dim1=-2, dim2=-1).sum(-1)
        return (-nu * (p * math.log(2) / 2 + log_det_tril) - bp.mvlgamma(nu / 2, p)
                + (nu - p - 1) / 2 * bp.logdet(value) - trace / 2)

    def entropy(self):
        nu, p = self.df, self.event_shape[-1]
        log_det_tril = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return ((p + 1) * (p * math.log(2) / 2 + log_det_tril) + bp.mvlgamma(nu / 2, p)
                - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p) + nu * p / 2)
