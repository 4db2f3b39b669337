"""Normal(loc, scale): the Gaussian, density exp(-(x - mu)^2 / (2 sigma^2)) / (sigma sqrt(2 pi))."""
import math

import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.exp_family import ExponentialFamily
from backprop.distributions.utils import _LocationScale, _draw

__all__ = ["Normal"]


class Normal(_LocationScale, ExponentialFamily):
    """The normal distribution with mean ``loc`` and standard deviation ``scale``; rsample = loc + eps scale,
    eps ~ N(0, 1)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Normal, batch_shape, ("loc", "scale"), _instance)

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale.pow(2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = _draw(self.loc, shape, lambda rng, s: rng.standard_normal(s))
        return self.loc + eps * self.scale

    def log_prob(self, value):
        """-(x - mu)^2 / (2 sigma^2) - ln sigma - ln sqrt(2 pi)."""
        if self._validate_args:
            self._validate_sample(value)
        return -((value - self.loc) ** 2) / (2 * self.variance) - self.scale.log() - math.log(math.sqrt(2 * math.pi))

    def cdf(self, value):
        """(1 + erf((x - mu) / (sigma sqrt 2))) / 2."""
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + bp.erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))

    def icdf(self, value):
        """mu + sigma sqrt(2) erfinv(2p - 1)."""
        return self.loc + self.scale * bp.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        """1/2 + ln(sigma sqrt(2 pi))."""
        return 0.5 + 0.5 * math.log(2 * math.pi) + bp.log(self.scale)
