"""VonMises(loc, concentration): the circular normal distribution, density e^(kappa cos(x - mu)) / (2 pi I0(kappa))
on an angle."""
import math

import backprop as bp
from backprop import backend
from backprop.distributions import constraints
from backprop.distributions.distribution import Distribution
from backprop.distributions.utils import _CentredAtLoc, _host, broadcast_all, lazy_property
from backprop.ops.special import I1
from backprop.random import numpy_generator

__all__ = ["VonMises"]

_LARGE = 500.0  # beyond it I0 and I1 by Hankel's expansion (I0 itself overflows float64 near 713)


def _hankel(kappa, order):
    """sum_k (-1)^k a_k / kappa^k with a_k = prod_{j<=k} (4 order^2 - (2j-1)^2) / (k! 8^k): I_order(kappa) =
    e^kappa / sqrt(2 pi kappa) times this, for large kappa (12 terms: round-off from kappa = _LARGE on)."""
    total, term = 1.0, 1.0
    for k in range(1, 13):
        term = term * -(4 * order ** 2 - (2 * k - 1) ** 2) / (k * 8 * kappa)
        total = total + term
    return total


def _log_i0(kappa):
    """ln I0(kappa), the von Mises normaliser: from bp.i0 below _LARGE, from Hankel's expansion beyond."""
    small = bp.where(kappa < _LARGE, kappa, 1.0)
    large = bp.where(kappa < _LARGE, _LARGE, kappa)
    asymptotic = large - 0.5 * bp.log(2 * math.pi * large) + bp.log(_hankel(large, 0))
    return bp.where(kappa < _LARGE, bp.log(bp.i0(small)), asymptotic)


def _i1_over_i0(kappa):
    """I1(kappa) / I0(kappa), the mean resultant length."""
    small = bp.where(kappa < _LARGE, kappa, 1.0)
    large = bp.where(kappa < _LARGE, _LARGE, kappa)
    return bp.where(kappa < _LARGE, I1.apply(small) / bp.i0(small), _hankel(large, 1) / _hankel(large, 0))


def _best_fisher(loc, kappa, shape, rng):
    """Draws of shape ``shape`` by Best and Fisher's rejection sampler (Applied Statistics, 1979), in float64,
    on the host's arrays (NumPy's generator draws there)."""
    xp = backend.array_module(kappa)
    tau = 1 + xp.sqrt(1 + 4 * kappa ** 2)
    rho = (tau - xp.sqrt(2 * tau)) / (2 * kappa)
    r = xp.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho ** 2) / (2 * rho))
    kappa, r = (xp.broadcast_to(a, shape) for a in (kappa, r))
    x = xp.empty(shape)
    done = xp.zeros(shape, bool)
    while not done.all():
        u1, u2, u3 = rng.random((3,) + tuple(shape))
        z = xp.cos(math.pi * u1)
        f = (1 + r * z) / (r + z)
        c = kappa * (r - f)
        with backend.errstate():
            accept = ((c * (2 - c) - u2) > 0) | (xp.log(c / u2) + 1 - c >= 0)
        new = accept & ~done
        x[new] = (xp.sign(u3 - 0.5) * xp.arccos(f))[new]
        done |= accept
    return (x + math.pi + loc) % (2 * math.pi) - math.pi


class VonMises(_CentredAtLoc, Distribution):
    """The von Mises distribution of mean direction ``loc`` and ``concentration`` kappa (kappa -> 0: uniform
    on the circle; large kappa: nearly Normal(loc, 1/kappa)). Mean and variance are the circular ones."""

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(VonMises, batch_shape, ("loc", "concentration"), _instance)

    @lazy_property
    def variance(self):
        """1 - I1(kappa) / I0(kappa)."""
        return 1 - _i1_over_i0(self.concentration)

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        with bp.no_grad():
            loc = _host(self.loc).astype("float64")
            kappa = _host(self.concentration).astype("float64")
            draws = _best_fisher(loc, kappa, shape, numpy_generator(None))
        return bp.tensor(draws, dtype=self.loc.dtype, device=self.loc.device)

    def log_prob(self, value):
        """kappa cos(x - mu) - ln(2 pi) - ln I0(kappa)."""
        if self._validate_args:
            self._validate_sample(value)
        return self.concentration * bp.cos(value - self.loc) - math.log(2 * math.pi) - _log_i0(self.concentration)
