"""InverseGamma(concentration, rate): 1/x for x ~ Gamma(concentration, rate)."""
import math

import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.gamma import Gamma
from backprop.distributions.transformed_distribution import TransformedDistribution
from backprop.distributions.transforms import PowerTransform

__all__ = ["InverseGamma"]


class InverseGamma(TransformedDistribution):
    """A TransformedDistribution of the Gamma by PowerTransform(-1): mean rate / (concentration - 1)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        base_dist = Gamma(concentration, rate, validate_args=validate_args)
        neg_one = -bp.ones_like(base_dist.rate)
        super().__init__(base_dist, PowerTransform(neg_one), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(InverseGamma, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def concentration(self):
        return self.base_dist.concentration

    @property
    def rate(self):
        return self.base_dist.rate

    @property
    def mean(self):
        c = self.concentration
        return bp.where(c > 1, self.rate / (c - 1), math.inf)

    @property
    def mode(self):
        return self.rate / (self.concentration + 1)

    @property
    def variance(self):
        c = self.concentration
        safe = bp.where(c > 2, c, 3.0)
        return bp.where(c > 2, self.rate.pow(2) / ((safe - 1).pow(2) * (safe - 2)), math.inf)

    def entropy(self):
        c = self.concentration
        return c + self.rate.log() + bp.lgamma(c) - (1 + c) * bp.digamma(c)
