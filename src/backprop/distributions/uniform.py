"""Uniform(low, high): the uniform distribution on the half-open interval [low, high)."""
from numbers import Number

import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.distribution import Distribution
from backprop.distributions.utils import _draw, broadcast_all

__all__ = ["Uniform"]


class Uniform(Distribution):
    """Uniform on [low, high); rsample = low + u (high - low), u ~ U[0, 1)."""

    has_rsample = True

    @property
    def arg_constraints(self):
        return {"low": constraints.less_than(self.high), "high": constraints.greater_than(self.low)}

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        numbers = isinstance(low, Number) and isinstance(high, Number)
        super().__init__(() if numbers else self.low.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Uniform, batch_shape, ("low", "high"), _instance)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.interval(self.low, self.high)

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        return float("nan") * self.high

    @property
    def stddev(self):
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self):
        return (self.high - self.low).pow(2) / 12

    def rsample(self, sample_shape=()):
        u = _draw(self.low, self._extended_shape(sample_shape), lambda rng, s: rng.random(s))
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        """-ln(high - low) inside [low, high), -inf outside."""
        if self._validate_args:
            self._validate_sample(value)
        inside = ((self.low <= value) & (self.high > value)).to(self.low.dtype)
        return bp.log(inside) - bp.log(self.high - self.low)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return ((value - self.low) / (self.high - self.low)).clamp(min=0, max=1)

    def icdf(self, value):
        return value * (self.high - self.low) + self.low

    def entropy(self):
        return bp.log(self.high - self.low)
