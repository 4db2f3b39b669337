"""Exponential(rate): density lambda e^(-lambda x) on x >= 0."""
from numbers import Number

import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.exp_family import ExponentialFamily
from backprop.distributions.utils import _draw, broadcast_all

__all__ = ["Exponential"]


class Exponential(ExponentialFamily):
    """The exponential distribution of ``rate`` lambda; rsample = e / lambda, e ~ Exp(1)."""

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(() if isinstance(rate, Number) else self.rate.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Exponential, batch_shape, ("rate",), _instance)

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return bp.zeros_like(self.rate)

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate.pow(-2)

    def rsample(self, sample_shape=()):
        e = _draw(self.rate, self._extended_shape(sample_shape), lambda rng, s: rng.standard_exponential(s))
        return e / self.rate

    def log_prob(self, value):
        """ln lambda - lambda x."""
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 1 - bp.exp(-self.rate * value)

    def icdf(self, value):
        return -bp.log1p(-value) / self.rate

    def entropy(self):
        return 1.0 - bp.log(self.rate)
