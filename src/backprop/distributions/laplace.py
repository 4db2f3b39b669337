"""Laplace(loc, scale): density exp(-|x - mu| / b) / (2 b)."""

import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.distribution import Distribution
from backprop.distributions.utils import _LocationScale, _draw

__all__ = ["Laplace"]


class Laplace(_LocationScale, Distribution):
    """The Laplace distribution of location ``loc`` and scale ``scale``; rsample = mu - b sign(u) ln(1 - |u|),
    u ~ U(-1, 1) (the inverse cdf)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Laplace, batch_shape, ("loc", "scale"), _instance)

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return 2 ** 0.5 * self.scale

    def rsample(self, sample_shape=()):
        eps = bp.finfo(self.loc.dtype).eps  # u in (-1, 1): ln(1 - |u|) stays finite
        u = _draw(self.loc, self._extended_shape(sample_shape), lambda rng, s: rng.uniform(eps - 1, 1, s))
        return self.loc - self.scale * u.sign() * bp.log1p(-u.abs())

    def log_prob(self, value):
        """-ln(2b) - |x - mu| / b."""
        if self._validate_args:
            self._validate_sample(value)
        return -bp.log(2 * self.scale) - bp.abs(value - self.loc) / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 - 0.5 * (value - self.loc).sign() * bp.expm1(-(value - self.loc).abs() / self.scale)

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * bp.log1p(-2 * term.abs())

    def entropy(self):
        return 1 + bp.log(2 * self.scale)
