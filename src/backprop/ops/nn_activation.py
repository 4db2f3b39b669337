"""Activation functions beyond relu/sigmoid/tanh/softmax: leaky ReLU, GELU,
softplus, ELU, the Heaviside step and arctan.

Each is one Function (an elementwise map and its derivative side by side);
the derivative f'(z) multiplies the incoming gradient, dL/dz = dL/dy * f'(z).
"""
import math

from backprop import backend
from backprop.autograd import Function
from backprop.ops.activation import log_softmax, softmax
from backprop.ops.elementwise import Sigmoid, relu, sigmoid, tanh
from backprop.ops.util import floating, require_floating

__all__ = ["leaky_relu", "gelu", "softplus", "elu", "step", "arctan", "relu", "sigmoid", "tanh", "softmax",
           "log_softmax"]

# ------------------------------------------------------------- erf / erfc
# W. J. Cody, "Rational Chebyshev approximations for the error function",
# Math. Comp. 23 (1969), 631-637 (the CALERF routine): relative error below
# 1e-16 on each of the three intervals |x| <= 0.46875, <= 4, > 4.
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03,
      1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
      8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
      2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
      3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
      6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
      2.33520497626869185e-3)
_RSQRTPI = 0.5641895835477562869480794515607725858440


def _erf_parts(x):
    """(erf(|x|), erfc(|x|)) of an array, each accurate to a few ulps (Cody's CALERF).

    erf is taken from the small-|x| rational function where |x| <= 0.46875 and
    erfc = 1 - erf there; elsewhere erfc(y) = e^{-y^2} R(y) and erf = 1 - erfc.
    All three branches are evaluated on the whole array and selected with where.
    """
    xp = backend.array_module(x)
    y = xp.abs(x)
    with backend.errstate(over="ignore", divide="ignore", invalid="ignore"):
        # |y| <= 0.46875: erf(y) = y P(y^2) / Q(y^2)
        z = y * y
        num, den = _A[4] * z, z
        for a, b in zip(_A[:3], _B[:3]):
            num, den = (num + a) * z, (den + b) * z
        erf_small = y * (num + _A[3]) / (den + _B[3])
        # 0.46875 < y <= 4: erfc(y) = e^{-y^2} P(y) / Q(y)
        num, den = _C[8] * y, y
        for c, d in zip(_C[:7], _D[:7]):
            num, den = (num + c) * y, (den + d) * y
        mid = (num + _C[7]) / (den + _D[7])
        # y > 4: erfc(y) = e^{-y^2} / y (1/sqrt(pi) + R(1/y^2) / y^2)
        w = 1 / (y * y)
        num, den = _P[5] * w, w
        for p, q in zip(_P[:4], _Q[:4]):
            num, den = (num + p) * w, (den + q) * w
        large = (_RSQRTPI - w * (num + _P[4]) / (den + _Q[4])) / y
        scaled = xp.where(y <= 4, mid, large)
        # e^{-y^2} split as e^{-t^2} e^{-(y-t)(y+t)}, t = y rounded down to 1/16, to keep its accuracy
        t = xp.trunc(y * 16) / 16
        erfc_big = xp.exp(-t * t) * xp.exp(-(y - t) * (y + t)) * scaled
        erfc_big = xp.where(y > 26.7, 0, erfc_big)
    small = y <= 0.46875
    erf = xp.where(small, erf_small, 1 - erfc_big)
    erfc = xp.where(small, 1 - erf_small, erfc_big)
    return erf.astype(x.dtype, copy=False), erfc.astype(x.dtype, copy=False)


def _normal_cdf(x):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2, with erfc for x < 0 (no cancellation in the tail)."""
    xp = backend.array_module(x)
    erf, erfc = _erf_parts(x * (1 / math.sqrt(2)))
    return xp.where(x < 0, 0.5 * erfc, 0.5 + 0.5 * erf).astype(x.dtype, copy=False)


# ------------------------------------------------------------- Functions
class LeakyReLU(Function):
    """y = z if z > 0 else a z;  dL/dz = dL/dy * (1 if z > 0 else a)."""

    def forward(self, x, negative_slope):
        xp = backend.array_module(x)
        positive = x > 0
        if self.needs_input_grad:  # the slope is a constant of x (f'' = 0): kept as it is, not as x
            self.slope = xp.where(positive, 1, negative_slope).astype(x.dtype, copy=False)
        return xp.where(positive, x, x * negative_slope).astype(x.dtype, copy=False)

    def backward(self, grad):
        return grad * self.slope


_GELU_C = math.sqrt(2 / math.pi)


class GELU(Function):
    """Gaussian error linear unit y = z Phi(z), Phi the standard normal CDF.

    'none': Phi(z) = (1 + erf(z / sqrt 2)) / 2,  dy/dz = Phi(z) + z phi(z), phi(z) = e^{-z^2/2} / sqrt(2 pi).
    'tanh': y = z (1 + tanh u) / 2, u = sqrt(2/pi) (z + 0.044715 z^3),
            dy/dz = (1 + tanh u) / 2 + z (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 z^2) / 2.
    """

    def forward(self, x, approximate):
        xp = backend.array_module(x)
        self.approximate = approximate
        self.save_for_backward(x)
        if approximate == "tanh":
            self.t = xp.tanh(_GELU_C * (x + 0.044715 * x * x * x))
            return 0.5 * x * (1 + self.t)
        self.cdf = _normal_cdf(x)
        return x * self.cdf

    def backward(self, grad):
        (x,) = self.saved_tensors
        if self.approximate == "tanh":
            t = self.t
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _GELU_C * (1 + 3 * 0.044715 * x * x))
        return grad * (self.cdf + x * _normal_pdf(x))

    @staticmethod
    def decompose(x, approximate):
        """z Phi(z), or z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3))) / 2, from differentiable ops."""
        if approximate == "tanh":
            return 0.5 * x * (1 + tanh(_GELU_C * (x + 0.044715 * x * x * x)))
        return x * NormalCDF.apply(x)


class NormalCDF(Function):
    """y = Phi(z), the standard normal CDF (the factor of GELU);  dy/dz = phi(z) = e^{-z^2/2} / sqrt(2 pi)."""

    def forward(self, x):
        self.save_for_backward(x)
        return _normal_cdf(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * _normal_pdf(x)


def _normal_pdf(x):
    """phi(z) = e^{-z^2/2} / sqrt(2 pi), on arrays or Tensors."""
    return backend.array_module(x).exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))


class Softplus(Function):
    """y = log(1 + e^{beta z}) / beta (y = z where beta z > threshold);  dy/dz = sigmoid(beta z) (1 there)."""

    def forward(self, x, beta, threshold):
        xp = backend.array_module(x)
        self.save_for_backward(x)
        self.beta, self.threshold = beta, threshold
        bx = x * beta
        return xp.where(bx > threshold, x, xp.logaddexp(0, bx) / beta).astype(x.dtype, copy=False)

    def backward(self, grad):
        (x,) = self.saved_tensors
        xp = backend.array_module(x)
        bx = x * self.beta
        slope = Sigmoid.call(bx)  # sigmoid(beta z), without overflow
        return xp.where(bx > self.threshold, grad, grad * slope)


class ELU(Function):
    """y = z if z > 0 else alpha (e^z - 1);  dy/dz = 1 if z > 0 else alpha e^z."""

    def forward(self, x, alpha):
        xp = backend.array_module(x)
        self.save_for_backward(x)
        self.alpha = alpha
        return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0))).astype(x.dtype, copy=False)

    def backward(self, grad):
        (x,) = self.saved_tensors
        xp = backend.array_module(x)
        # e^{x [x < 0]}: e^x, or 1 at x = 0, whose own derivative there is 0 (as torch's second derivative);
        # its value where x > 0 is not taken (nan at x = inf)
        with backend.errstate(invalid="ignore"):
            return xp.where(x > 0, grad, grad * (self.alpha * xp.exp(x * (x < 0))))


class Step(Function):
    """The Heaviside step y = 1 if z > 0 else 0, the McCulloch-Pitts threshold unit; dy/dz = 0."""

    def forward(self, x):
        return (x > 0).astype(x.dtype)

    def backward(self, grad):
        return backend.array_module(grad).zeros_like(grad)


class Arctan(Function):
    """y = arctan z;  dy/dz = 1 / (1 + z^2)."""

    def forward(self, x):
        self.save_for_backward(x)
        return backend.array_module(x).arctan(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad / (1 + x * x)


# ------------------------------------------------------------- functions
def leaky_relu(input, negative_slope=0.01, inplace=False):
    """Leaky ReLU: z for z > 0, ``negative_slope`` * z otherwise.

    >>> import backprop as bp
    >>> leaky_relu(bp.tensor([-2.0, 3.0]), 0.5).tolist()
    [-1.0, 3.0]
    """
    require_floating(input, "leaky_relu")
    return LeakyReLU.apply(input, negative_slope=float(negative_slope))


def gelu(input, approximate="none"):
    """GELU(z) = z Phi(z) (``approximate='none'``, exact via erf) or its tanh form (``'tanh'``).

    >>> import backprop as bp
    >>> round(gelu(bp.tensor([1.0])).item(), 4)
    0.8413
    """
    require_floating(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu(): approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(input, approximate=approximate)


def softplus(input, beta=1.0, threshold=20.0):
    """Softplus(z) = log(1 + e^{beta z}) / beta, a smooth ReLU; linear where beta z > threshold.

    >>> import backprop as bp
    >>> round(softplus(bp.tensor([0.0])).item(), 4)
    0.6931
    """
    require_floating(input, "softplus")
    return Softplus.apply(input, beta=float(beta), threshold=float(threshold))


def elu(input, alpha=1.0, inplace=False):
    """ELU(z) = z for z > 0, alpha (e^z - 1) otherwise."""
    require_floating(input, "elu")
    return ELU.apply(input, alpha=float(alpha))


def step(input):
    """Heaviside step: 1 where z > 0, else 0 (the McCulloch-Pitts threshold unit).

    Its gradient is zero everywhere (the step is flat except at 0, where it
    is undefined), so nothing can be learnt through it by backprop - which
    is why the perceptron rule exists. torch has no such function.

    >>> import backprop as bp
    >>> step(bp.tensor([-1.0, 0.0, 2.0])).tolist()
    [0.0, 0.0, 1.0]
    """
    return Step.apply(floating(input, "step"))


def arctan(input):
    """y = arctan z, from (-inf, inf) to (-pi/2, pi/2);  dy/dz = 1 / (1 + z^2)."""
    return Arctan.apply(floating(input, "arctan"))

