"""Geometric(probs | logits): the number of failures before the first success of Bernoulli(p) trials."""
import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.distribution import Distribution
from backprop.distributions.utils import _BinaryParameters, _draw, broadcast_all
from backprop.ops.nn_activation import softplus

__all__ = ["Geometric"]


class Geometric(_BinaryParameters, Distribution):
    """P(k) = (1 - p)^k p for k = 0, 1, 2, ...; draws by inverting the cdf: floor(ln u / ln(1 - p))."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        _, is_scalar = self._set_probs_or_logits(probs, logits)
        super().__init__(() if is_scalar else self._param.shape, validate_args=validate_args)
        if self._validate_args and probs is not None:
            if not bool((self.probs > 0).all()):  # p = 0: no success ever
                raise ValueError(f"Expected parameter probs ({type(self.probs).__name__} of shape "
                                 f"{tuple(self.probs.shape)}) of distribution {self!r} to be positive but found "
                                 f"invalid values:\n{self.probs[self.probs <= 0]}")

    def expand(self, batch_shape, _instance=None):
        return self._expand_binary(Geometric, batch_shape, _instance)

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return bp.zeros_like(self.probs)

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        tiny = bp.finfo(self.probs.dtype).tiny
        with bp.no_grad():
            u = _draw(self.probs, shape, lambda rng, s: rng.random(s)).clamp(min=tiny)
            return (u.log() / (-self.probs).log1p()).floor()

    def log_prob(self, value):
        """k ln(1 - p) + ln p (0 ln 0 = 0 at p = 1, k = 0)."""
        if self._validate_args:
            self._validate_sample(value)
        probs, value = broadcast_all(self.probs, value)
        probs = bp.where((probs == 1) & (value == 0), 0.0, probs)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self):
        """H = (softplus(l) - p l) / p: the Bernoulli entropy per expected trial."""
        return (softplus(self.logits) - self.probs * self.logits) / self.probs
