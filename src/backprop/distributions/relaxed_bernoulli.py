"""RelaxedBernoulli(temperature, probs | logits): the Concrete / Gumbel-sigmoid relaxation of a Bernoulli,
draws in (0, 1) that approach {0, 1} as the temperature falls, reparameterised (Maddison et al., 2017)."""
import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.distribution import Distribution
from backprop.distributions.transformed_distribution import TransformedDistribution
from backprop.distributions.transforms import SigmoidTransform
from backprop.distributions.utils import _BinaryParameters, _draw, broadcast_all, clamp_probs
from backprop.ops.nn_activation import softplus

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli"]


class LogitRelaxedBernoulli(_BinaryParameters, Distribution):
    """The logit of a RelaxedBernoulli draw: (l + ln u - ln(1 - u)) / temperature, u ~ U(0, 1)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self.temperature = temperature
        _, is_scalar = self._set_probs_or_logits(probs, logits)
        super().__init__(() if is_scalar else self._param.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_binary(LogitRelaxedBernoulli, batch_shape, _instance)
        new.temperature = self.temperature
        return new

    has_rsample = True

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(shape))
        uniforms = clamp_probs(_draw(probs, shape, lambda rng, s: rng.random(s)))
        return (uniforms.log() - (-uniforms).log1p() + probs.log() - (-probs).log1p()) / self.temperature

    def log_prob(self, value):
        """ln t + d - 2 ln(1 + e^d), d = l - t x."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value * self.temperature
        return bp.as_tensor(self.temperature).log() + diff - 2 * softplus(diff)


class _Relaxed(TransformedDistribution):
    """A relaxed distribution: a transform of its base's draws, with the base's temperature and parameters."""

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs


class RelaxedBernoulli(_Relaxed):
    """sigmoid of a LogitRelaxedBernoulli draw: in (0, 1), reparameterised."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base_dist = LogitRelaxedBernoulli(temperature, probs, logits)
        super().__init__(base_dist, SigmoidTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(RelaxedBernoulli, _instance)
        return super().expand(batch_shape, _instance=new)
