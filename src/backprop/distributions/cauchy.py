"""Cauchy(loc, scale): density 1 / (pi gamma (1 + ((x - x0) / gamma)^2)); no mean, no variance."""
import math

import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.distribution import Distribution
from backprop.distributions.utils import _LocationScale, _draw

__all__ = ["Cauchy"]


class Cauchy(_LocationScale, Distribution):
    """The Cauchy (Lorentz) distribution; rsample = loc + eps scale, eps standard Cauchy."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Cauchy, batch_shape, ("loc", "scale"), _instance)

    @property
    def mean(self):
        return bp.full(self._extended_shape(), math.nan, dtype=self.loc.dtype, device=self.loc.device)

    @property
    def variance(self):
        return bp.full(self._extended_shape(), math.inf, dtype=self.loc.dtype, device=self.loc.device)

    def rsample(self, sample_shape=()):
        eps = _draw(self.loc, self._extended_shape(sample_shape), lambda rng, s: rng.standard_cauchy(s))
        return self.loc + eps * self.scale

    def log_prob(self, value):
        """-ln pi - ln gamma - ln(1 + z^2), z = (x - x0) / gamma."""
        if self._validate_args:
            self._validate_sample(value)
        return -math.log(math.pi) - self.scale.log() - (((value - self.loc) / self.scale) ** 2).log1p()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return bp.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value):
        return bp.tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()
