"""Multinomial(total_count, probs | logits): the counts of each of K categories in n Categorical draws."""
import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.binomial import Binomial
from backprop.distributions.categorical import Categorical, _CategoricalParameters
from backprop.distributions.distribution import Distribution
from backprop.distributions.utils import _host
from backprop.random import numpy_generator

__all__ = ["Multinomial"]


class Multinomial(_CategoricalParameters, Distribution):
    """Count vectors x (event_shape (K,)) summing to n, P(x) = n! / prod_k x_k! prod_k p_k^x_k; ``total_count``
    is one int for the whole batch (log_prob accepts any counts: their sum is the n there)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    total_count: int

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Multinomial, _instance)
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        new._binomial = self._binomial.expand(tuple(batch_shape) + tuple(self.event_shape))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        with bp.no_grad():
            probs = _host(self.probs).astype("float64")
            probs = probs / probs.sum(-1, keepdims=True)
            counts = numpy_generator(None).multinomial(self.total_count, probs, size=shape[:-1])
        return bp.tensor(counts, dtype=self.probs.dtype, device=self.probs.device)

    def log_prob(self, value):
        """ln n! - sum_k ln x_k! + sum_k x_k ln p_k (x_k ln p_k = 0 where x_k = 0, even at p_k = 0)."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = bp.broadcast_tensors(self.logits, value)
        logits = bp.where((value == 0) & (logits == -float("inf")), 0.0, logits)
        log_factorial_n = bp.lgamma(value.sum(-1) + 1)
        log_factorial_xs = bp.lgamma(value + 1).sum(-1)
        return log_factorial_n - log_factorial_xs + (logits * value).sum(-1)

    def entropy(self):
        """n H(Categorical) - ln n! + sum_k E[ln x_k!] (x_k ~ Binomial(n, p_k), by enumerating its support)."""
        n = bp.tensor(float(self.total_count), dtype=self.probs.dtype, device=self.probs.device)
        term1 = n * self._categorical.entropy() - bp.lgamma(n + 1)
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = bp.exp(self._binomial.log_prob(support))
        weights = bp.lgamma(support + 1)
        return term1 + (binomial_probs * weights).sum(0).sum(-1)
