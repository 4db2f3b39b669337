"""Bernoulli(probs | logits): 1 with probability p, 0 otherwise."""
import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.exp_family import ExponentialFamily
from backprop.distributions.utils import _BinaryParameters, broadcast_all
from backprop.ops.nn_activation import softplus

__all__ = ["Bernoulli"]


def _log_sigmoid_pair(logits, value):
    """x l - ln(1 + e^l), computed without overflow: the log-likelihood of x under logits l."""
    return value * logits - softplus(logits)


class Bernoulli(_BinaryParameters, ExponentialFamily):
    """A draw is 1 with probability ``probs`` (or sigmoid(``logits``)), else 0, in the parameter's dtype."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        _, is_scalar = self._set_probs_or_logits(probs, logits)
        super().__init__(() if is_scalar else self._param.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_binary(Bernoulli, batch_shape, _instance)

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return bp.where(self.probs == 0.5, float("nan"), mode)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        with bp.no_grad():
            return bp.bernoulli(self.probs.expand(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        """x l - ln(1 + e^l) (= x ln p + (1 - x) ln(1 - p))."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return _log_sigmoid_pair(logits, value)

    def entropy(self):
        return -_log_sigmoid_pair(self.logits, self.probs)

    def enumerate_support(self, expand=True):
        values = bp.arange(2, dtype=self._param.dtype, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
