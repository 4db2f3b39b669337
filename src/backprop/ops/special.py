"""Special functions of one tensor: the error function erf, its complement erfc and its inverse erfinv, and the
modified Bessel function i0. Integer and bool inputs become float32, as in torch.
"""
import math

from backprop import backend
from backprop import dtypes
from backprop.autograd import Function
from backprop.ops.elementwise import float_unary
from backprop.ops.indexing import write_out
from backprop.ops.manifest import export
from backprop.ops.nn_activation import _erf_parts
from backprop.ops.util import floating
from backprop.tensor import Tensor

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


# ------------------------------------------------------------- the gamma function and its derivatives
# Stirling's series ln Gamma(z) ~ (z - 1/2) ln z - z + ln(2 pi)/2 + sum_k B_2k / (2k (2k-1) z^(2k-1)) and
# digamma's psi(z) ~ ln z - 1/(2z) - sum_k B_2k / (2k z^2k): their coefficients, with the Bernoulli numbers
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)
_STIRLING = tuple(b / ((2 * k + 2) * (2 * k + 1)) for k, b in enumerate(_BERNOULLI))
_DIGAMMA = tuple(b / (2 * k + 2) for k, b in enumerate(_BERNOULLI))
_LARGE = 10.0  # from here on the series above reach float64 round-off
_HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)


def _shift_up(x, step, threshold=_LARGE):
    """Move x up by whole steps to x + n >= threshold, accumulating ``step(x + k)`` for k < n: the
    recurrences Gamma(x+1) = x Gamma(x), psi(x+1) = psi(x) + 1/x, zeta(s, x) = x^-s + zeta(s, x+1)."""
    xp = backend.array_module(x)
    total = xp.zeros_like(x)
    steps = int(max(0.0, math.ceil(threshold - float(x.min())))) if x.size else 0
    for _ in range(steps):
        small = x < threshold
        total = total + xp.where(small, step(xp.where(small, x, threshold)), 0.0)
        x = xp.where(small, x + 1, x)
    return x, total


def _sin_pi(x):
    """|sin(pi x)|, exactly 0 at the integers (pi x in floating point is no multiple of pi)."""
    xp = backend.array_module(x)
    return xp.abs(xp.sin(math.pi * (x - xp.round(x))))


def _lgamma(x):
    """ln |Gamma(x)| of a float64 array: Stirling's series from _LARGE on, the recurrence below it, the
    reflection Gamma(x) Gamma(1-x) = pi / sin(pi x) for x < 1/2 (inf at the poles 0, -1, -2, ...)."""
    xp = backend.array_module(x)
    with backend.errstate():
        reflect = x < 0.5
        z = xp.where(reflect, 1 - x, x)
        z = xp.where(xp.isfinite(z), z, _LARGE)  # +-inf and nan are put back at the end
        z, log_product = _shift_up(z, xp.log)
        series = _polynomial(_STIRLING[::-1], 1 / (z * z)) / z
        y = (z - 0.5) * xp.log(z) - z + _HALF_LOG_TWO_PI + series - log_product
        y = xp.where(reflect, math.log(math.pi) - xp.log(_sin_pi(x)) - y, y)
        y = xp.where(xp.isinf(x), xp.inf, y)
    return xp.where(xp.isnan(x), xp.nan, y)


def _digamma(x):
    """psi(x) = d/dx ln Gamma(x) of a float64 array: its asymptotic series from _LARGE on, the recurrence below
    it, the reflection psi(x) = psi(1-x) - pi cot(pi x) for x < 1/2. As torch: -inf at +0, inf at -0, nan at
    the negative integers and -inf."""
    xp = backend.array_module(x)
    with backend.errstate():
        reflect = x < 0.5
        z = xp.where(reflect, 1 - x, x)
        z = xp.where(xp.isfinite(z), z, _LARGE)
        z, reciprocals = _shift_up(z, lambda t: 1 / t)
        inverse_square = 1 / (z * z)
        y = xp.log(z) - 0.5 / z - _polynomial(_DIGAMMA[::-1], inverse_square) * inverse_square - reciprocals
        y = xp.where(reflect, y - math.pi / xp.tan(math.pi * (x - xp.round(x))), y)
        y = xp.where(x == xp.inf, xp.inf, xp.where((x == xp.round(x)) & (x < 0), xp.nan, y))
        y = xp.where(x == 0, xp.where(xp.signbit(x), xp.inf, -xp.inf), y)
    return xp.where(xp.isnan(x), xp.nan, y)


def _polygamma(n, x):
    """psi^(n)(x) = (-1)^(n+1) n! zeta(n+1, x) for n >= 1, of a float64 array, from Hurwitz's zeta
    zeta(s, x) = sum_k (x + k)^-s: the terms below x + k = _LARGE + n summed, the rest by Euler-Maclaurin,
    z^(1-s)/(s-1) + z^-s/2 + sum_k B_2k/(2k)! s(s+1)...(s+2k-2) z^(1-s-2k)."""
    xp = backend.array_module(x)
    s = n + 1
    with backend.errstate():
        z = xp.where(xp.isfinite(x), x, _LARGE + n)
        z, head = _shift_up(z, lambda t: t ** -s, _LARGE + n)
        tail = z ** (1 - s) / (s - 1) + z ** -s / 2
        rising, factorial, power = s, 2.0, z ** (-s - 1)  # s (s+1)...(s+2k-2), (2k)!, z^(1-s-2k)
        for k, b in enumerate(_BERNOULLI, start=1):
            tail = tail + b / factorial * rising * power
            rising *= (s + 2 * k - 1) * (s + 2 * k)
            factorial *= (2 * k + 1) * (2 * k + 2)
            power = power / (z * z)
        y = (-1) ** (n + 1) * math.factorial(n) * (head + tail)
        y = xp.where(x == xp.inf, 0.0, xp.where(x == -xp.inf, xp.nan, y))
    return xp.where(xp.isnan(x), xp.nan, y)


class Lgamma(Function):
    """y = ln |Gamma(x)|;  dL/dx = dL/dy psi(x) (digamma)."""

    def forward(self, x):
        self.save_for_backward(x)
        return _lgamma(x.astype(dtypes.float64)).astype(x.dtype, copy=False)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * Digamma.call(x)


class Digamma(Function):
    """y = psi(x) = d/dx ln Gamma(x);  dL/dx = dL/dy psi'(x) (polygamma(1, x), the trigamma function)."""

    def forward(self, x):
        self.save_for_backward(x)
        return _digamma(x.astype(dtypes.float64)).astype(x.dtype, copy=False)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * Polygamma.call(x, n=1)


class Polygamma(Function):
    """y = psi^(n)(x), the n-th derivative of digamma (n = 0: digamma itself);  dL/dx = dL/dy psi^(n+1)(x)."""

    def forward(self, x, n):
        self.n = n
        self.save_for_backward(x)
        x64 = x.astype(dtypes.float64)
        return (_digamma(x64) if n == 0 else _polygamma(n, x64)).astype(x.dtype, copy=False)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * Polygamma.call(x, n=self.n + 1)


lgamma = float_unary(Lgamma, "lgamma")
digamma = float_unary(Digamma, "digamma")


@export(method=False)
def polygamma(n, input, *, out=None):
    """psi^(n)(input): the n-th derivative of the digamma function (n a non-negative int)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n, got n={n!r}"
                           if isinstance(n, int) and not isinstance(n, bool) else
                           f"polygamma(): argument 'n' must be an int, got {type(n).__name__}")
    return write_out(Polygamma.apply(floating(input, "polygamma"), n=n), out, "polygamma")


def _polygamma_method(self, n):
    """Tensor.polygamma(n): psi^(n) of this tensor (torch.polygamma(n, self))."""
    return polygamma(n, self)


def _polygamma_method_(self, n):
    """In-place ``polygamma``: the result written into this tensor (recorded in the graph)."""
    return self._inplace("polygamma_()", lambda t: polygamma(n, t))


Tensor.polygamma, Tensor.polygamma_ = _polygamma_method, _polygamma_method_  # n first in torch.polygamma only


@export()
def mvlgamma(input, p):
    """ln Gamma_p(x) = p(p-1)/4 ln pi + sum_{j<p} ln Gamma(x - j/2), the multivariate log-gamma function
    (every element must exceed (p-1)/2)."""
    input = floating(input, "mvlgamma")
    if bool((input._data <= (p - 1) / 2).any()):
        raise RuntimeError(f"All elements must be greater than (p-1)/2, got p={p} and a smallest element "
                           f"{float(input._data.min())}")
    total = p * (p - 1) / 4 * math.log(math.pi)
    for j in range(p):
        total = total + lgamma(input - j / 2)
    return total
