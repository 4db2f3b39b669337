"""Categorical(probs | logits): one of K categories 0..K-1, with probabilities ``probs`` (the last dimension)."""
import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.distribution import Distribution
from backprop.distributions.utils import _draw, _host, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Categorical"]


class _CategoricalParameters:
    """A family built on a Categorical ``self._categorical`` (OneHotCategorical, Multinomial, the relaxed
    categorical): its parameters are the Categorical's."""

    @property
    def _param(self):
        return self._categorical._param

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape


class Categorical(Distribution):
    """A draw is a category index: ``probs`` (non-negative, normalised here) or ``logits`` (normalised to
    log-probabilities: logits - logsumexp(logits)) over the last dimension; the other dimensions are the batch.

    In REINFORCE, ``Categorical(logits=policy(state))`` gives an action by ``sample()`` and the score
    ``log_prob(action)``, whose gradient is the policy gradient's.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.ndim < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.ndim < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        batch_shape = self._param.shape[:-1] if self._param.ndim > 1 else ()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expanded(Categorical, batch_shape, ("probs", "logits"), _instance, (self._num_events,))
        new._num_events = self._num_events
        new._param = new.__dict__["probs"] if "probs" in new.__dict__ else new.__dict__["logits"]
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @property
    def param_shape(self):
        return self._param.shape

    @property
    def mean(self):
        return bp.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype, device=self.probs.device)

    @property
    def mode(self):
        return self.probs.argmax(-1)

    @property
    def variance(self):
        return bp.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype, device=self.probs.device)

    def sample(self, sample_shape=()):
        """Category indices (int64) of shape sample_shape + batch_shape, by inverting the cumulative
        probabilities at uniform draws."""
        shape = self._extended_shape(sample_shape)
        with bp.no_grad():
            cumulative = _host(self.probs).cumsum(-1)
            u = _draw(self.probs, shape, lambda rng, s: rng.random(s))
        total = cumulative[..., -1:]
        index = (_host(u)[..., None] * total >= cumulative).sum(-1)
        index = index.clip(max=self._num_events - 1)  # u * total rounding up to the last edge
        return bp.tensor(index, dtype=bp.int64, device=self.probs.device)

    def log_prob(self, value):
        """log p_value, picked out of the normalised logits."""
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = bp.broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        """-sum_k p_k log p_k (0 log 0 = 0: the logits are clamped to the dtype's smallest finite value)."""
        logits = self.logits.clamp(min=bp.finfo(self.logits.dtype).min)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        values = bp.arange(self._num_events, dtype=bp.int64, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
