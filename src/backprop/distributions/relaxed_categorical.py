"""RelaxedOneHotCategorical(temperature, probs | logits): the Gumbel-softmax relaxation of a one-hot categorical
draw: softmax((logits + Gumbel noise) / temperature), reparameterised (Jang et al., Maddison et al., 2017)."""
import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.categorical import Categorical, _CategoricalParameters
from backprop.distributions.distribution import Distribution
from backprop.distributions.relaxed_bernoulli import _Relaxed
from backprop.distributions.transforms import ExpTransform
from backprop.distributions.utils import _draw, clamp_probs

__all__ = ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"]


class ExpRelaxedCategorical(_CategoricalParameters, Distribution):
    """The log of a RelaxedOneHotCategorical draw: log-softmax((logits + g) / t), g_k = -ln(-ln u_k)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        self.temperature = temperature
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(ExpRelaxedCategorical, _instance)
        new.temperature = self.temperature
        new._categorical = self._categorical.expand(batch_shape)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        uniforms = clamp_probs(_draw(self.logits, shape, lambda rng, s: rng.random(s)))
        gumbels = -((-(uniforms.log())).log())
        scores = (self.logits + gumbels) / self.temperature
        return scores - scores.logsumexp(dim=-1, keepdim=True)

    def log_prob(self, value):
        """The Concrete density of log-probabilities (Maddison et al., 2017, eq. 3, in log space)."""
        k = self._categorical._num_events
        if self._validate_args:
            self._validate_sample(value)
        logits, value = bp.broadcast_tensors(self.logits, value)
        temperature = bp.as_tensor(self.temperature, dtype=logits.dtype)
        log_scale = bp.lgamma(bp.full_like(temperature, float(k))) - temperature.log() * -(k - 1)
        score = logits - value * temperature
        score = (score - score.logsumexp(dim=-1, keepdim=True)).sum(-1)
        return score + log_scale


class RelaxedOneHotCategorical(_Relaxed):
    """exp of an ExpRelaxedCategorical draw: a point inside the simplex near a corner at low temperature."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base_dist = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base_dist, ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(RelaxedOneHotCategorical, _instance)
        return super().expand(batch_shape, _instance=new)
