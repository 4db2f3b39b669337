"""Gamma(concentration, rate): density beta^alpha x^(alpha-1) e^(-beta x) / Gamma(alpha) on x > 0, with the
implicit reparameterisation gradient of its draws."""
from numbers import Number

import backprop as bp
from backprop import backend
from backprop.autograd import Function
from backprop.distributions import constraints
from backprop.distributions.exp_family import ExponentialFamily
from backprop.distributions.utils import _host, broadcast_all
from backprop.ops.special import _lgamma
from backprop.random import numpy_generator

__all__ = ["Gamma"]


def _regularized_gamma(a, x):
    """P(a, x) = (1/Gamma(a)) int_0^x t^(a-1) e^-t dt of float64 arrays (a > 0, x >= 0): the series
    x^a e^-x / Gamma(a+1) sum_n x^n / ((a+1)...(a+n)) for x < a + 1, else 1 - Q(a, x) with Q's continued
    fraction (modified Lentz), each iterated until every element has converged (at most 1000 terms)."""
    xp = backend.array_module(x)
    a, x = xp.broadcast_arrays(a, x)
    result = xp.zeros(a.shape)
    series = (x > 0) & (x < a + 1)
    fraction = x >= a + 1
    with backend.errstate():
        if series.any():
            result[series] = _lower_series(a[series], x[series])
        if fraction.any():
            result[fraction] = 1 - _upper_fraction(a[fraction], x[fraction])
    return result


def _lower_series(a, x):
    """P(a, x) by its power series (x < a + 1: the terms x/(a+n) shrink)."""
    xp = backend.array_module(x)
    term = 1 / a
    total = term
    for n in range(1, 1000):
        term = term * x / (a + n)
        total = total + term
        if n % 8 == 0 and bool((xp.abs(term) <= 1e-17 * xp.abs(total)).all()):
            break
    return xp.exp(a * xp.log(x) - x - _lgamma(a)) * total


def _upper_fraction(a, x):
    """Q(a, x) = 1 - P(a, x) by Legendre's continued fraction (x >= a + 1), evaluated by modified Lentz."""
    xp = backend.array_module(x)
    tiny = 1e-300
    b = x + 1 - a
    c = xp.full_like(b, 1 / tiny)
    d = 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b = b + 2
        d = an * d + b
        d = 1 / xp.where(xp.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = xp.where(xp.abs(c) < tiny, tiny, c)
        step = d * c
        h = h * step
        if bool((xp.abs(step - 1) <= 1e-16).all()):
            break
    return xp.exp(a * xp.log(x) - x - _lgamma(a)) * h


def _standard_gamma_grad(x, alpha):
    """dx/dalpha of a Gamma(alpha, 1) draw x at fixed quantile P(alpha, x) (implicit reparameterisation,
    Figurnov et al. 2018): -(dP/dalpha) / p(x; alpha), dP/dalpha by central differences in float64."""
    xp = backend.array_module(x)
    x64, a64 = x.astype("float64"), alpha.astype("float64")
    h = 1e-5 * xp.maximum(a64, 1e-3)
    dp_da = (_regularized_gamma(a64 + h, x64) - _regularized_gamma(a64 - h, x64)) / (2 * h)
    with backend.errstate():
        log_density = (a64 - 1) * xp.log(x64) - x64 - _lgamma(a64)
        grad = -dp_da / xp.exp(log_density)
    return xp.where(xp.isfinite(grad), grad, 0.0).astype(x.dtype)


class _StandardGamma(Function):
    """x ~ Gamma(alpha, 1), drawn from the default generator;  dL/dalpha = dL/dx dx/dalpha at fixed quantile.
    The gradient is computed on arrays: no second derivatives (as torch's _standard_gamma)."""

    def forward(self, alpha):
        xp = backend.array_module(alpha)
        host = alpha.get() if hasattr(alpha, "get") else alpha  # NumPy draws on the host (CuPy: copied back)
        x = xp.asarray(numpy_generator(None).standard_gamma(host), dtype=alpha.dtype)
        x = xp.maximum(x, xp.finfo(alpha.dtype).tiny)  # never 0: its logarithm stays finite
        self.saved = (x, alpha)
        return x

    def backward(self, grad):
        x, alpha = self.saved
        derivative = _standard_gamma_grad(x, alpha)
        if isinstance(grad, bp.Tensor):
            return grad * bp.tensor(derivative, device=grad.device)
        return grad * derivative


def _standard_gamma(concentration):
    """Gamma(concentration, 1) draws of the concentration's shape, differentiable in it."""
    return _StandardGamma.apply(concentration)


class Gamma(ExponentialFamily):
    """The gamma distribution of shape ``concentration`` alpha and ``rate`` beta: mean alpha / beta.
    rsample = G / beta, G ~ Gamma(alpha, 1), with G's implicit reparameterisation gradient."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        numbers = isinstance(concentration, Number) and isinstance(rate, Number)
        super().__init__(() if numbers else self.concentration.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Gamma, batch_shape, ("concentration", "rate"), _instance)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        value = _standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        return value.clamp(min=bp.finfo(value.dtype).tiny)  # never 0: log_prob stays finite

    def log_prob(self, value):
        """alpha ln beta + (alpha - 1) ln x - beta x - ln Gamma(alpha)."""
        value = bp.as_tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        return (bp.xlogy(self.concentration, self.rate) + bp.xlogy(self.concentration - 1, value)
                - self.rate * value - bp.lgamma(self.concentration))

    def cdf(self, value):
        """P(alpha, beta x), the regularized lower incomplete gamma function (not differentiable here)."""
        if self._validate_args:
            self._validate_sample(value)
        a, x = bp.broadcast_tensors(self.concentration.detach(), (self.rate * value).detach())
        result = _regularized_gamma(_host(a).astype("float64"), _host(x).astype("float64"))
        return bp.tensor(result, dtype=self.rate.dtype, device=self.rate.device)

    def entropy(self):
        """alpha - ln beta + ln Gamma(alpha) + (1 - alpha) psi(alpha)."""
        return (self.concentration - bp.log(self.rate) + bp.lgamma(self.concentration)
                + (1.0 - self.concentration) * bp.digamma(self.concentration))
