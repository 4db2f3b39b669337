"""Special functions of one tensor: the error function erf, its complement erfc and its inverse erfinv, and the
modified Bessel function i0. Integer and bool inputs become float32, as in torch.
"""
import math

from backprop import backend
from backprop import dtypes
from backprop.autograd import Function
from backprop.ops.elementwise import float_unary
from backprop.ops.nn_activation import _erf_parts

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


# ------------------------------------------------------------- the error function
def _at_least_float32(x):
    """float16 computed in float32 (the rational approximations need its range and precision)."""
    return x.astype(dtypes.float32) if x.dtype == dtypes.float16 else x


class Erf(Function):
    """y = erf x = 2/sqrt(pi) int_0^x e^{-t^2} dt;  dL/dx = dL/dy 2/sqrt(pi) e^{-x^2}.

    From Cody's rational approximations (``nn_activation._erf_parts``), accurate to a few ulps.
    """

    def forward(self, x):
        self.save_for_backward(x)
        erf, _ = _erf_parts(_at_least_float32(x))
        return backend.array_module(x).copysign(erf, x).astype(x.dtype, copy=False)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * _TWO_OVER_SQRT_PI * backend.array_module(x).exp(-x * x)


class Erfc(Function):
    """y = erfc x = 1 - erf x (exact in the right tail);  dL/dx = -dL/dy 2/sqrt(pi) e^{-x^2}."""

    def forward(self, x):
        self.save_for_backward(x)
        erf, erfc = _erf_parts(_at_least_float32(x))
        return backend.array_module(x).where(x < 0, 1 + erf, erfc).astype(x.dtype, copy=False)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return -grad * _TWO_OVER_SQRT_PI * backend.array_module(x).exp(-x * x)


class Erfinv(Function):
    """y = erf^-1 x on [-1, 1] (+-inf at +-1, nan outside);  dL/dx = dL/dy sqrt(pi)/2 e^{y^2}.

    Giles' single-precision approximation ("Approximating the erfinv function", GPU Computing Gems, 2011),
    refined in float64 by Newton steps: on erf(y) = |x| for |x| <= 1/2, on ln erfc(y) = ln(1 - |x|) beyond
    (1 - |x| is exact there, and ln erfc is nearly quadratic, so the steps also converge from the
    approximation's poorer start in the far tail, 1 - |x| < 1e-12). Four steps reach float64 round-off
    everywhere (checked against mpmath).
    """

    def forward(self, x):
        y = _erfinv(x.astype(dtypes.float64)).astype(x.dtype, copy=False)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        return grad * (1 / _TWO_OVER_SQRT_PI) * backend.array_module(y).exp(y * y)


# Giles' coefficients: erfinv(x) ~ x p(w), w = -ln(1 - x^2), p in w - 2.5 (w < 5) or sqrt(w) - 3
_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
               -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _polynomial(coefficients, t):
    p = coefficients[0]
    for c in coefficients[1:]:
        p = p * t + c
    return p


def _erfinv(x):
    """erfinv of a float64 array (see ``Erfinv``)."""
    xp = backend.array_module(x)
    a = xp.abs(x)
    with backend.errstate():
        w = -xp.log1p(-a * a)
        y = a * xp.where(w < 5, _polynomial(_GILES_CENTRAL, w - 2.5), _polynomial(_GILES_TAIL, xp.sqrt(w) - 3))
        tail = a > 0.5
        log_complement = xp.log1p(-a)
        for _ in range(4):  # Newton: erf' = 2/sqrt(pi) e^{-y^2}, (ln erfc)' = -erf' / erfc
            erf, erfc = _erf_parts(y)
            slope = _TWO_OVER_SQRT_PI * xp.exp(-y * y)
            y = y - xp.where(tail, (log_complement - xp.log(erfc)) * erfc, erf - a) / slope
        y = xp.where(a == 1, xp.inf, xp.where(a > 1, xp.nan, y))
    return xp.copysign(y, x)


for _cls in (Erf, Erfc, Erfinv):
    float_unary(_cls, _cls.__name__.lower())


# ------------------------------------------------------------- modified Bessel functions
class I0(Function):
    """y = I0(x) = sum_k (x/2)^{2k} / (k!)^2, the modified Bessel function of order 0;  dL/dx = dL/dy I1(x)."""

    order = 0

    def forward(self, x):
        self.save_for_backward(x)
        with backend.errstate():  # beyond the range of float32: inf, as torch
            return _bessel_i(x.astype(dtypes.float64), self.order).astype(x.dtype, copy=False)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * I1.call(x)


class I1(I0):
    """y = I1(x) = sum_k (x/2)^{2k+1} / (k! (k+1)!) (I0's derivative);  dL/dx = dL/dy (I0(x) - I1(x) / x),
    1/2 at 0."""

    order = 1

    def backward(self, grad):
        (x,) = self.saved_tensors
        xp = backend.array_module(grad)
        safe = xp.where(x == 0, 1, x)  # I1(x) / x -> 1/2 at 0: the formula away from 0 only
        return grad * xp.where(x == 0, 0.5, I0.call(x) - I1.call(safe) / safe)


def _bessel_i(x, order):
    """I_order(x), order 0 or 1, of a float64 array: the power series (positive terms, no cancellation) for
    |x| <= 30, Hankel's asymptotic series e^|x| / sqrt(2 pi |x|) sum_k (-1)^k a_k / |x|^k beyond (its terms
    fall below 1e-20 before they grow); I0 is even, I1 odd. Overflows to inf beyond |x| ~ 713, as torch."""
    xp = backend.array_module(x)
    a = xp.abs(x)
    small = xp.minimum(a, 30.0)
    quarter = small * small / 4
    term = xp.ones_like(a) if order == 0 else small / 2
    total = term
    for k in range(1, 64):  # the terms peak near k = |x|/2 and are below 1e-17 of the sum by k = 63
        term = term * quarter / (k * (k + order))
        total = total + term
    large = xp.maximum(a, 30.0)
    mu, coefficient, series = 4 * order * order, 1.0, xp.ones_like(a)
    for k in range(1, 25):
        coefficient *= -(mu - (2 * k - 1) ** 2) / (k * 8)
        series = series + coefficient / large ** k
    with backend.errstate():
        asymptotic = xp.exp(large) / xp.sqrt(2 * math.pi * large) * series
    y = xp.where(a <= 30, total, asymptotic)
    return y if order == 0 else xp.copysign(y, x)


float_unary(I0, "i0")
