"""Poisson(rate): counts k >= 0 with P(k) = rate^k e^-rate / k!."""
from numbers import Number

import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.exp_family import ExponentialFamily
from backprop.distributions.utils import broadcast_all

__all__ = ["Poisson"]


class Poisson(ExponentialFamily):
    """The Poisson distribution of ``rate`` lambda (draws in the rate's dtype); no entropy, as torch."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(() if isinstance(rate, Number) else self.rate.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Poisson, batch_shape, ("rate",), _instance)

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=()):
        with bp.no_grad():
            return bp.poisson(self.rate.expand(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        """k ln lambda - lambda - ln k! (0 ln 0 = 0)."""
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return bp.xlogy(value, rate) - rate - bp.lgamma(value + 1)
