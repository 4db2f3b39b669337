"""ContinuousBernoulli(probs | logits): a density on [0, 1] proportional to p^x (1 - p)^(1 - x), the properly
normalised likelihood for data in [0, 1] (Loaiza-Ganem and Cunningham, NeurIPS 2019)."""
import math

import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.exp_family import ExponentialFamily
from backprop.distributions.utils import (_BinaryParameters, _draw, broadcast_all, clamp_probs, lazy_property,
                                          logits_to_probs)
from backprop.ops.nn_activation import softplus

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(_BinaryParameters, ExponentialFamily):
    """p(x) = C(p) p^x (1 - p)^(1 - x) on [0, 1], C(p) = 2 atanh(1 - 2p) / (1 - 2p). Near p = 1/2 (inside
    ``lims``) the closed forms divide 0 by 0, and their Taylor series in p - 1/2 are used instead.
    rsample = icdf(u), u ~ U(0, 1)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        _, is_scalar = self._set_probs_or_logits(probs, logits)
        if probs is not None:
            if validate_args is not None and not bool(self.arg_constraints["probs"].check(self.probs).all()):
                raise ValueError("The parameter probs has invalid values")
            self.probs = self._param = clamp_probs(self.probs)
        self._lims = lims
        super().__init__(() if is_scalar else self._param.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_binary(ContinuousBernoulli, batch_shape, _instance)
        new._lims = self._lims
        return new

    @lazy_property
    def probs(self):
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    def _stable(self):
        """Where the closed forms are used: p outside (lims[0], lims[1]]."""
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self):
        """p where the closed forms are used, lims[0] elsewhere (so that their unused branch stays finite)."""
        return bp.where(self._stable(), self.probs, self._lims[0])

    def _log_normalizer_of_probs(self):
        """ln C(p) = ln |ln(1-p) - ln p| - ln |1 - 2p|; ln 2 + 4/3 x + 104/45 x^2 near p = 1/2 (x = (p-1/2)^2)."""
        p = self._cut_probs()
        below = bp.where(p <= 0.5, p, 0.0)
        above = bp.where(p >= 0.5, p, 1.0)
        log_norm = (bp.log(bp.abs(bp.log1p(-p) - bp.log(p)))
                    - bp.where(p <= 0.5, bp.log1p(-2.0 * below), bp.log(2.0 * above - 1.0)))
        x = (self.probs - 0.5).pow(2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return bp.where(self._stable(), log_norm, taylor)

    @property
    def mean(self):
        p = self._cut_probs()
        closed = p / (2.0 * p - 1.0) + 1.0 / (bp.log1p(-p) - bp.log(p))
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x
        return bp.where(self._stable(), closed, taylor)

    @property
    def variance(self):
        p = self._cut_probs()
        closed = p * (p - 1.0) / (1.0 - 2.0 * p).pow(2) + 1.0 / (bp.log1p(-p) - bp.log(p)).pow(2)
        x = (self.probs - 0.5).pow(2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return bp.where(self._stable(), closed, taylor)

    def sample(self, sample_shape=()):
        with bp.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()):
        u = _draw(self.probs, self._extended_shape(sample_shape), lambda rng, s: rng.random(s))
        return self.icdf(u)

    def log_prob(self, value):
        """x l - ln(1 + e^l) + ln C(p), l the logits."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return value * logits - softplus(logits) + self._log_normalizer_of_probs()

    def cdf(self, value):
        """(p^x (1-p)^(1-x) + p - 1) / (2p - 1), x itself near p = 1/2; 0 below 0 and 1 above 1."""
        if self._validate_args:
            self._validate_sample(value)
        p = self._cut_probs()
        closed = (p.pow(value) * (1.0 - p).pow(1.0 - value) + p - 1.0) / (2.0 * p - 1.0)
        inside = bp.where(self._stable(), closed, value)
        return bp.where(value <= 0.0, bp.zeros_like(value), bp.where(value >= 1.0, bp.ones_like(value), inside))

    def icdf(self, value):
        p = self._cut_probs()
        closed = (bp.log1p(-p + value * (2.0 * p - 1.0)) - bp.log1p(-p)) / (bp.log(p) - bp.log1p(-p))
        return bp.where(self._stable(), closed, value)

    def entropy(self):
        log_probs0, log_probs1 = bp.log1p(-self.probs), bp.log(self.probs)
        return self.mean * (log_probs0 - log_probs1) - self._log_normalizer_of_probs() - log_probs0
