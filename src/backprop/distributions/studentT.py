"""StudentT(df, loc, scale): Student's t distribution, heavier-tailed than the Normal for small df."""
import math
from numbers import Number

import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.distribution import Distribution
from backprop.distributions.chi2 import Chi2
from backprop.distributions.utils import _draw, broadcast_all

__all__ = ["StudentT"]


class StudentT(Distribution):
    """loc + scale T, T = X / sqrt(Z / df) with X ~ N(0, 1), Z ~ Chi2(df) (rsample: reparameterised in loc and
    scale, implicitly in df through Z's gamma draw)."""

    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        numbers = all(isinstance(v, Number) for v in (df, loc, scale))
        super().__init__(() if numbers else self.df.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expanded(StudentT, batch_shape, ("df", "loc", "scale"), _instance)
        new._chi2 = self._chi2.expand(batch_shape)
        return new

    @property
    def mean(self):
        return bp.where(self.df > 1, self.loc, math.nan)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        """scale^2 df / (df - 2) for df > 2, inf for 1 < df <= 2, undefined (nan) for df <= 1."""
        df = self.df
        safe = bp.where(df > 2, df, 3.0)
        variance = self.scale.pow(2) * safe / (safe - 2)
        return bp.where(df > 2, variance, bp.where(df > 1, math.inf, math.nan))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        x = _draw(self.df, shape, lambda rng, s: rng.standard_normal(s))
        z = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * x * bp.rsqrt(z / self.df)

    def log_prob(self, value):
        """-(df+1)/2 ln(1 + y^2/df) - ln scale - ln(df pi)/2 - ln Gamma(df/2) + ln Gamma((df+1)/2)."""
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi) + bp.lgamma(0.5 * self.df)
             - bp.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * bp.log1p(y ** 2.0 / self.df) - z

    def entropy(self):
        log_beta = bp.lgamma(0.5 * self.df) + math.lgamma(0.5) - bp.lgamma(0.5 * (self.df + 1))
        return (self.scale.log() + 0.5 * (self.df + 1) * (bp.digamma(0.5 * (self.df + 1))
                                                         - bp.digamma(0.5 * self.df))
                + 0.5 * self.df.log() + log_beta)
