"""GeneralizedPareto(loc, scale, concentration): the distribution of exceedances over a high threshold, with
survival function (1 + xi z)^(-1/xi), z = (x - loc) / scale (e^-z at xi = 0)."""
import math
from numbers import Number

import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.distribution import Distribution
from backprop.distributions.utils import _draw, broadcast_all

__all__ = ["GeneralizedPareto"]

_ZERO = 1e-8  # |xi| up to this is xi = 0: the exponential limit of every formula


class GeneralizedPareto(Distribution):
    """xi = 0: loc + an Exponential of mean ``scale``; xi > 0: a shifted Pareto (heavy tail); xi = -1: a
    Uniform on [loc, loc + scale]. rsample = icdf(u), u ~ U(0, 1)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        numbers = all(isinstance(v, Number) for v in (loc, scale, concentration))
        super().__init__(() if numbers else self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(GeneralizedPareto, batch_shape, ("loc", "scale", "concentration"), _instance)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        upper = bp.where(self.concentration < 0, self.loc - self.scale / self.concentration, math.inf)
        return constraints.interval(self.loc, upper)

    def _zero_and_safe(self):
        """Where xi counts as 0, and xi with 1 there (so that the branch not taken stays finite)."""
        is_zero = self.concentration.abs() <= _ZERO
        return is_zero, bp.where(is_zero, 1.0, self.concentration)

    def rsample(self, sample_shape=()):
        u = _draw(self.loc, self._extended_shape(sample_shape), lambda rng, s: rng.random(s))
        return self.icdf(u)

    def log_prob(self, value):
        """-ln scale - (1/xi + 1) ln(1 + xi z) (-ln scale - z at xi = 0; 0 times a log at xi = -1)."""
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        is_zero, xi = self._zero_and_safe()
        power = 1 / xi + bp.ones_like(z)
        heavy = bp.where(power == 0, power, power * bp.log1p(xi * z))
        return -self.scale.log() - bp.where(is_zero, z, heavy)

    def log_survival_function(self, value):
        """ln P(X > x) = -ln(1 + xi z) / xi (-z at xi = 0)."""
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        is_zero, xi = self._zero_and_safe()
        return bp.where(is_zero, -z, -bp.log1p(xi * z) / xi)

    def log_cdf(self, value):
        return bp.log1p(-bp.exp(self.log_survival_function(value)))

    def cdf(self, value):
        return bp.exp(self.log_cdf(value))

    def icdf(self, value):
        """loc + scale ((1 - u)^-xi - 1) / xi (loc - scale ln(1 - u) at xi = 0)."""
        is_zero, xi = self._zero_and_safe()
        log_survival = bp.log1p(-value)
        return bp.where(is_zero, self.loc - self.scale * log_survival,
                        self.loc + self.scale / xi * bp.expm1(-xi * log_survival))

    @property
    def mean(self):
        """loc + scale / (1 - xi) for xi < 1, nan beyond."""
        valid = self.concentration < 1
        xi = bp.where(valid, self.concentration, 0.5)
        return bp.where(valid, self.loc + self.scale / (1 - xi), math.nan)

    @property
    def variance(self):
        """scale^2 / ((1 - xi)^2 (1 - 2 xi)) for xi < 1/2, nan beyond."""
        valid = self.concentration < 0.5
        xi = bp.where(valid, self.concentration, 0.25)
        return bp.where(valid, self.scale ** 2 / ((1 - xi) ** 2 * (1 - 2 * xi)), math.nan)

    @property
    def mode(self):
        return self.loc

    def entropy(self):
        return bp.broadcast_to(bp.log(self.scale) + self.concentration + 1, self._batch_shape)
