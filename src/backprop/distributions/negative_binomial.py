"""NegativeBinomial(total_count, probs | logits): the number of successes before ``total_count`` failures of
Bernoulli(p) trials."""
import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.distribution import Distribution
from backprop.distributions.utils import _BinaryParameters, _host
from backprop.ops.nn_activation import softplus
from backprop.random import numpy_generator

__all__ = ["NegativeBinomial"]


def _log_sigmoid(x):
    return -softplus(-x)


class NegativeBinomial(_BinaryParameters, Distribution):
    """P(k) = C(k + r - 1, k) p^k (1 - p)^r, r = total_count (may be fractional); draws as a Gamma-Poisson
    mixture: k ~ Poisson(lambda), lambda ~ Gamma(r, (1 - p) / p)."""

    arg_constraints = {"total_count": constraints.greater_than_eq(0), "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        (total_count,), _ = self._set_probs_or_logits(probs, logits, total_count)
        self.total_count = total_count.to(self._param.dtype)
        super().__init__(self._param.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_binary(NegativeBinomial, batch_shape, _instance, ("total_count",))

    @property
    def mean(self):
        return self.total_count * self.logits.exp()

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / bp.sigmoid(-self.logits)

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        with bp.no_grad():
            rng = numpy_generator(None)
            r = _host(self.total_count.expand(shape))
            rate = rng.standard_gamma(r) * _host(self.logits.exp().expand(shape))
            return bp.tensor(rng.poisson(rate), dtype=self._param.dtype, device=self._param.device)

    def log_prob(self, value):
        """r ln(1 - p) + k ln p - ln B-style normaliser: ln Gamma(r + k) - ln Gamma(1 + k) - ln Gamma(r)."""
        if self._validate_args:
            self._validate_sample(value)
        log_unnormalized = self.total_count * _log_sigmoid(-self.logits) + value * _log_sigmoid(self.logits)
        log_normalization = -bp.lgamma(self.total_count + value) + bp.lgamma(1.0 + value) + bp.lgamma(self.total_count)
        log_normalization = bp.where(self.total_count + value == 0.0, 0.0, log_normalization)
        return log_unnormalized - log_normalization
