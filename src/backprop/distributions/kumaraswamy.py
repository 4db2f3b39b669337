"""Kumaraswamy(concentration1, concentration0): density a b x^(a-1) (1 - x^a)^(b-1) on (0, 1), like a Beta but
with a closed-form cdf."""
import math

import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.transformed_distribution import TransformedDistribution
from backprop.distributions.transforms import AffineTransform, PowerTransform
from backprop.distributions.uniform import Uniform
from backprop.distributions.utils import broadcast_all, euler_constant

__all__ = ["Kumaraswamy"]


def _moments(a, b, n):
    """E[x^n] = b B(1 + n/a, b)."""
    arg1 = 1 + n / a
    return b * bp.exp(bp.lgamma(arg1) + bp.lgamma(b) - bp.lgamma(arg1 + b))


class Kumaraswamy(TransformedDistribution):
    """(1 - u^(1/b))^(1/a), u ~ U(0, 1): a TransformedDistribution of the Uniform."""

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        base_dist = Uniform(bp.zeros_like(self.concentration0), bp.ones_like(self.concentration0),
                            validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration0.reciprocal()), AffineTransform(loc=1.0, scale=-1.0),
                      PowerTransform(exponent=self.concentration1.reciprocal())]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Kumaraswamy, _instance)
        new.concentration1 = self.concentration1.expand(batch_shape)
        new.concentration0 = self.concentration0.expand(batch_shape)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        return _moments(self.concentration1, self.concentration0, 1)

    @property
    def mode(self):
        """((a - 1) / (ab - 1))^(1/a) for a, b >= 1 (not both 1); nan otherwise (no interior mode). torch's
        formula gives nan wherever b > 1 (a logarithm of 1 - b); this is the textbook one."""
        a, b = self.concentration1, self.concentration0
        has_mode = (a >= 1) & (b >= 1) & ((a > 1) | (b > 1))
        safe_a, safe_b = bp.where(has_mode, a, 2.0), bp.where(has_mode, b, 2.0)
        mode = ((safe_a - 1) / (safe_a * safe_b - 1)) ** safe_a.reciprocal()
        return bp.where(has_mode, mode, math.nan)

    @property
    def variance(self):
        return _moments(self.concentration1, self.concentration0, 2) - self.mean.pow(2)

    def entropy(self):
        t1 = 1 - self.concentration1.reciprocal()
        t0 = 1 - self.concentration0.reciprocal()
        h0 = bp.digamma(self.concentration0 + 1) + euler_constant
        return t0 + t1 * h0 + self.concentration1.log().neg() - self.concentration0.log()
