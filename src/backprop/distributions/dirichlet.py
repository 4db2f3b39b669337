"""Dirichlet(concentration): probability vectors on the simplex, density prod_k x_k^(alpha_k - 1) / B(alpha)."""
import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.exp_family import ExponentialFamily
from backprop.distributions.gamma import _standard_gamma

__all__ = ["Dirichlet"]


class Dirichlet(ExponentialFamily):
    """The Dirichlet distribution of ``concentration`` alpha (last dimension: the K categories).
    rsample = G / sum_k G_k with G_k ~ Gamma(alpha_k, 1), differentiable through the gammas' implicit
    reparameterisation (an unbiased gradient, not torch's per-draw one: see docs/distributions.md)."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.ndim < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        batch_shape, event_shape = concentration.shape[:-1], concentration.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Dirichlet, batch_shape, ("concentration",), _instance, self.event_shape)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        gammas = _standard_gamma(self.concentration.expand(shape))
        return gammas / gammas.sum(-1, keepdim=True)

    def log_prob(self, value):
        """sum_k (alpha_k - 1) ln x_k + ln Gamma(sum alpha) - sum_k ln Gamma(alpha_k)."""
        if self._validate_args:
            self._validate_sample(value)
        return (bp.xlogy(self.concentration - 1.0, value).sum(-1) + bp.lgamma(self.concentration.sum(-1))
                - bp.lgamma(self.concentration).sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        """(alpha - 1) / (sum alpha - K), the alphas below 1 taken as 1; where every alpha < 1 the density is
        unbounded at every corner of the simplex, and the first corner is given (as torch)."""
        concentration_minus_one = (self.concentration - 1).clamp(min=0.0)
        all_below_one = (self.concentration < 1).all(dim=-1, keepdim=True)
        total = concentration_minus_one.sum(-1, keepdim=True)
        mode = concentration_minus_one / bp.where(all_below_one, 1.0, total)  # (no 0/0: its gradient is nan)
        first_corner = (bp.arange(self.concentration.shape[-1], device=mode.device) == 0).to(mode.dtype)
        return bp.where(all_below_one, first_corner, mode)

    @property
    def variance(self):
        total = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (total - self.concentration) / (total.pow(2) * (total + 1))

    def entropy(self):
        """ln B(alpha) + (alpha_0 - K) psi(alpha_0) - sum_k (alpha_k - 1) psi(alpha_k), alpha_0 = sum alpha."""
        k = self.concentration.shape[-1]
        total = self.concentration.sum(-1)
        return (bp.lgamma(self.concentration).sum(-1) - bp.lgamma(total) - (k - total) * bp.digamma(total)
                - ((self.concentration - 1.0) * bp.digamma(self.concentration)).sum(-1))
