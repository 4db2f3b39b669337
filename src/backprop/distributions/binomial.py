"""Binomial(total_count, probs | logits): the number of successes in n independent Bernoulli(p) trials."""
import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.distribution import Distribution
from backprop.distributions.utils import _BinaryParameters, _host
from backprop.ops.nn_activation import softplus
from backprop.random import numpy_generator

__all__ = ["Binomial"]


class Binomial(_BinaryParameters, Distribution):
    """Counts k in 0..n with P(k) = C(n, k) p^k (1 - p)^(n - k); ``total_count`` broadcasts with the parameter
    and takes its dtype."""

    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        (total_count,), _ = self._set_probs_or_logits(probs, logits, total_count)
        self.total_count = total_count.to(self._param.dtype)
        super().__init__(self._param.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_binary(Binomial, batch_shape, _instance, ("total_count",))

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        with bp.no_grad():
            n = _host(self.total_count).astype("int64")
            draws = numpy_generator(None).binomial(n, _host(self.probs), size=shape)
        return bp.tensor(draws, dtype=self._param.dtype, device=self._param.device)

    def log_prob(self, value):
        """ln C(n, k) + k l - n ln(1 + e^l), l the logits."""
        if self._validate_args:
            self._validate_sample(value)
        n = self.total_count
        log_choose = bp.lgamma(n + 1) - bp.lgamma(value + 1) - bp.lgamma(n - value + 1)
        return log_choose + value * self.logits - n * softplus(self.logits)

    def entropy(self):
        """-sum_k P(k) ln P(k) over k = 0..n (one n for the whole batch)."""
        total_count = int(self.total_count.max())
        if not float(self.total_count.min()) == total_count:
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(bp.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        total_count = int(self.total_count.max())
        if not float(self.total_count.min()) == total_count:
            raise NotImplementedError("Inhomogeneous total count not supported by `enumerate_support`.")
        values = bp.arange(1 + total_count, dtype=self._param.dtype, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
