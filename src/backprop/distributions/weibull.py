"""Weibull(scale, concentration): density (k/l) (x/l)^(k-1) e^(-(x/l)^k) on x > 0."""
import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.exponential import Exponential
from backprop.distributions.transformed_distribution import TransformedDistribution
from backprop.distributions.transforms import AffineTransform, PowerTransform
from backprop.distributions.utils import broadcast_all, euler_constant

__all__ = ["Weibull"]


class Weibull(TransformedDistribution):
    """l E^(1/k), E ~ Exponential(1): a TransformedDistribution of the Exponential."""

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive

    def __init__(self, scale, concentration, validate_args=None):
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base_dist = Exponential(bp.ones_like(self.scale), validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration_reciprocal),
                      AffineTransform(loc=0, scale=self.scale)]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Weibull, _instance)
        new.scale = self.scale.expand(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.concentration_reciprocal = new.concentration.reciprocal()
        base_dist = self.base_dist.expand(batch_shape)
        transforms = [PowerTransform(exponent=new.concentration_reciprocal), AffineTransform(loc=0, scale=new.scale)]
        TransformedDistribution.__init__(new, base_dist, transforms, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.scale * bp.exp(bp.lgamma(1 + self.concentration_reciprocal))

    @property
    def mode(self):
        k = self.concentration
        return self.scale * ((k - 1) / k) ** k.reciprocal()

    @property
    def variance(self):
        return self.scale.pow(2) * (bp.exp(bp.lgamma(1 + 2 * self.concentration_reciprocal))
                                    - bp.exp(2 * bp.lgamma(1 + self.concentration_reciprocal)))

    def entropy(self):
        k_reciprocal = self.concentration_reciprocal
        return euler_constant * (1 - k_reciprocal) + bp.log(self.scale * k_reciprocal) + 1
