"""Distribution: the base class of every probability distribution (torch.distributions.Distribution).

A distribution holds parameters of ``batch_shape`` (one distribution per element: a batch of independent
distributions) whose draws have ``event_shape`` (() for a number, (k,) for a vector). ``sample(sample_shape)``
draws values of shape ``sample_shape + batch_shape + event_shape``; ``log_prob(value)`` scores them.
``rsample`` draws through a differentiable function of the parameters and of noise that does not depend on
them (the reparameterisation trick: gradients flow from the sample to the parameters); ``sample`` is the same
draw cut off from the graph.
"""
import warnings

import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.utils import _as_size, lazy_property
from backprop.tensor import Size, Tensor

__all__ = ["Distribution"]


class Distribution:
    """The base class: batch and event shapes, argument validation, and the methods each family defines."""

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__  # on by default, off under ``python -O``, as torch

    @staticmethod
    def set_default_validate_args(value):
        """Validate parameters and values (True, the default) or not, for distributions made from now on."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args expected True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=Size(), event_shape=Size(), validate_args=None):
        self._batch_shape, self._event_shape = _as_size(batch_shape), _as_size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            try:
                arg_constraints = self.arg_constraints
            except NotImplementedError:
                arg_constraints = {}
                warnings.warn(f"{self.__class__} does not define `arg_constraints`. Please set "
                              "`arg_constraints = {}` or initialize the distribution with `validate_args=False` "
                              "to turn off validation.", stacklevel=2)
            for param, constraint in arg_constraints.items():
                if constraints.is_dependent(constraint):
                    continue  # checked by the distribution itself, if at all
                if param not in self.__dict__ and isinstance(getattr(type(self), param), lazy_property):
                    continue  # not computed yet (probs of a distribution given logits): nothing to check
                value = getattr(self, param)
                with bp.no_grad():  # a check of values: nothing to record
                    valid = bool(constraint.check(value).all())
                if not valid:
                    raise ValueError(f"Expected parameter {param} ({type(value).__name__} of shape "
                                     f"{tuple(value.shape)}) of distribution {self!r} to satisfy the constraint "
                                     f"{constraint!r}, but found invalid values:\n{value}")

    # ------------------------------------------------------------- shapes
    @property
    def batch_shape(self):
        """The shape over which the parameters are batched."""
        return self._batch_shape

    @property
    def event_shape(self):
        """The shape of one draw (without batching)."""
        return self._event_shape

    def _extended_shape(self, sample_shape=Size()):
        """The shape of ``sample(sample_shape)``: sample_shape + batch_shape + event_shape."""
        return Size(tuple(_as_size(sample_shape)) + tuple(self._batch_shape) + tuple(self._event_shape))

    def expand(self, batch_shape, _instance=None):
        """A new distribution with the parameters expanded (``Tensor.expand``) to ``batch_shape``."""
        raise NotImplementedError

    def _expanded(self, cls, batch_shape, names, _instance=None, event_shape=Size()):
        """``expand`` for a family whose parameters ``names`` have shape batch_shape + ``event_shape`` (those not
        computed yet stay so); the new distribution is validated as this one, without checking again."""
        new = self._get_checked_instance(cls, _instance)
        batch_shape = _as_size(batch_shape)
        for name in names:
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(tuple(batch_shape) + tuple(event_shape)))
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _get_checked_instance(self, cls, _instance=None):
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(f"Subclass {self.__class__.__name__} of {cls.__name__} that defines a "
                                      "custom __init__ method must also define a custom .expand() method.")
        return self.__new__(type(self)) if _instance is None else _instance

    # ------------------------------------------------------------- what each family defines
    @property
    def arg_constraints(self):
        """The constraint each parameter must satisfy, by name."""
        raise NotImplementedError

    @property
    def support(self):
        """The constraint the values satisfy."""
        raise NotImplementedError

    @property
    def mean(self):
        raise NotImplementedError

    @property
    def mode(self):
        raise NotImplementedError(f"{self.__class__} does not implement mode")

    @property
    def variance(self):
        raise NotImplementedError

    @property
    def stddev(self):
        """The standard deviation, sqrt(variance)."""
        return self.variance.sqrt()

    def sample(self, sample_shape=Size()):
        """A draw of shape sample_shape + batch_shape + event_shape, outside the graph."""
        with bp.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()):
        """A reparameterised draw: a differentiable function of the parameters and of parameter-free noise."""
        raise NotImplementedError

    def sample_n(self, n):
        """``sample((n,))`` (deprecated in torch)."""
        warnings.warn("`sample_n(n)` will be deprecated. Use `sample((n,))` instead.", FutureWarning, stacklevel=2)
        return self.sample(Size((n,)))

    def log_prob(self, value):
        """The log of the density (or of the mass) at ``value``."""
        raise NotImplementedError

    def cdf(self, value):
        """The cumulative distribution function at ``value``."""
        raise NotImplementedError

    def icdf(self, value):
        """The inverse of the cumulative distribution function at ``value`` (a probability)."""
        raise NotImplementedError

    def enumerate_support(self, expand=True):
        """Every value of a discrete distribution's support along dimension 0: shape (cardinality,) +
        batch_shape + event_shape (batch dims of size 1 when ``expand`` is False)."""
        raise NotImplementedError

    def entropy(self):
        """The entropy, of shape batch_shape."""
        raise NotImplementedError

    def perplexity(self):
        """exp(entropy)."""
        return bp.exp(self.entropy())

    # ------------------------------------------------------------- validation
    def _validate_sample(self, value):
        """Check a value for log_prob/cdf/icdf: a Tensor, its rightmost dims broadcastable with batch_shape +
        event_shape, inside the support."""
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_dim_start = value.ndim - len(self._event_shape)
        if tuple(value.shape[event_dim_start:]) != tuple(self._event_shape):
            raise ValueError(f"The right-most size of value must match event_shape: {value.shape} vs "
                             f"{self._event_shape}.")
        actual, expected = value.shape, self._batch_shape + self._event_shape
        for i, j in zip(reversed(actual), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: {actual} vs {expected}.")
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(f"{self.__class__} does not define `support` to enable sample validation. Please "
                          "initialize the distribution with `validate_args=False` to turn off validation.",
                          stacklevel=2)
            return
        with bp.no_grad():
            valid = bool(support.check(value).all())
        if not valid:
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape {tuple(value.shape)}) to be "
                             f"within the support ({support!r}) of the distribution {self!r}, but found invalid "
                             f"values:\n{value}")

    def __repr__(self):
        try:
            names = [k for k in self.arg_constraints if k in self.__dict__]
        except NotImplementedError:
            names = []
        parts = []
        for name in names:
            value = self.__dict__[name]
            shown = value if not isinstance(value, Tensor) or value.numel() == 1 else value.size()
            parts.append(f"{name}: {shown}")
        return f"{self.__class__.__name__}({', '.join(parts)})"
