"""Activation functions beyond relu/sigmoid/tanh/softmax: leaky ReLU, GELU,
softplus, ELU, the Heaviside step and arctan; the piecewise-linear family
(hardtanh, relu6, hardswish, hardsigmoid, the shrinks, threshold); and the
compositions SiLU, Mish, SELU, CELU, GLU, PReLU, RReLU, log-sigmoid, softsign,
tanhshrink and softmin.

Each elementwise map with a formula of its own is one Function (the map and
its derivative side by side); the derivative f'(z) multiplies the incoming
gradient, dL/dz = dL/dy * f'(z). At a kink the derivative is torch's choice
(one side, or 0), stated in each docstring. Maps that are compositions of
existing ops (silu = z sigmoid z) are written as such and get their
gradients from those ops.

``inplace=True`` is accepted everywhere torch accepts it; the result is a new
tensor (as for ``nn.ReLU(inplace=True)``). The ``_`` forms torch has
(``relu_``, ``elu_``, ``hardtanh_``, ...) do change their input in place.
"""
import math

from backprop import backend, creation
from backprop.autograd import Function
from backprop.ops import elementwise
from backprop.ops.activation import log_softmax, softmax
from backprop.ops.elementwise import Sigmoid, sigmoid, sigmoid_parts, tanh
from backprop.ops.util import check_tensor, dim_index, floating, require_floating

__all__ = ["leaky_relu", "gelu", "softplus", "elu", "step", "arctan", "relu", "sigmoid", "tanh", "softmax",
           "log_softmax", "hardtanh", "relu6", "hardswish", "hardsigmoid", "softshrink", "hardshrink", "threshold",
           "silu", "mish", "selu", "celu", "glu", "prelu", "rrelu", "logsigmoid", "softsign", "tanhshrink",
           "softmin", "gumbel_softmax", "relu_", "elu_", "leaky_relu_", "hardtanh_", "threshold_", "selu_", "celu_", "rrelu_"]

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
        # log(1 + e^{bx}) = max(bx, 0) + log(1 + e^{-|bx|}): no overflow, and no loss of the small values
        soft = (xp.maximum(bx, 0) + xp.log1p(xp.exp(-xp.abs(bx)))) / beta
        return xp.where(bx > threshold, x, soft).astype(x.dtype, copy=False)

    def backward(self, grad):
        (x,) = self.saved_tensors
        xp = backend.array_module(x)
        bx = x * self.beta
        # sigmoid(beta z), without overflow: from one exponential on arrays, as a recorded op on Tensors
        slope = sigmoid_parts(bx)[0] if backend.is_array(bx) else Sigmoid.call(bx)
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



# ------------------------------------------------------------- piecewise-linear maps
class Hardtanh(Function):
    """y = clamp(z, lo, hi);  dy/dz = 1 where lo < z < hi, 0 elsewhere (0 at both kinks, as torch)."""

    def forward(self, x, lo, hi):
        xp = backend.array_module(x)
        if self.needs_input_grad:
            self.inside = ((x > lo) & (x < hi)).astype(x.dtype)
        return xp.clip(x, lo, hi).astype(x.dtype, copy=False)

    def backward(self, grad):
        return grad * self.inside


class Hardswish(Function):
    """y = z relu6(z + 3) / 6:  0 for z <= -3, z (z + 3) / 6 for -3 < z < 3, z for z >= 3.

    dy/dz = 0 for z <= -3, z / 3 + 1/2 for -3 < z < 3, 1 for z >= 3 (torch's sides at both kinks);
    d2y/dz2 = 1/3 strictly inside, 0 elsewhere.
    """

    def forward(self, x):
        xp = backend.array_module(x)
        if self.needs_input_grad:
            self.save_for_backward(x)
            inside = (x > -3) & (x < 3)
            # the slope's constant part (1/2 inside, 1 above) and the factor of its part linear in x (1/3 inside)
            self.constant = xp.where(x >= 3, 1.0, xp.where(inside, 0.5, 0.0)).astype(x.dtype)
            self.linear = (inside / 3.0).astype(x.dtype)
        return (x * xp.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * (self.constant + x * self.linear)


class Hardsigmoid(Function):
    """y = relu6(z + 3) / 6;  dy/dz = 1/6 for -3 < z < 3, 0 elsewhere (0 at the kinks, as torch).

    The slope 1/6 is rounded to float32 in every dtype, as torch's backward rounds it.
    """

    def forward(self, x):
        xp = backend.array_module(x)
        if self.needs_input_grad:
            self.slope = (((x > -3) & (x < 3)) * float(xp.float32(1 / 6))).astype(x.dtype)
        return (xp.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False)

    def backward(self, grad):
        return grad * self.slope


class Shrink(Function):
    """Softshrink (``soft``): y = z - lambda for z > lambda, z + lambda for z < -lambda, else 0.
    Hardshrink: y = z for |z| > lambda, else 0.
    Both: dy/dz = 1 where |z| > lambda, 0 where -lambda <= z <= lambda (0 at the kinks, as torch).
    """

    def forward(self, x, lambd, soft):
        xp = backend.array_module(x)
        outside = (x > lambd) | (x < -lambd)
        if self.needs_input_grad:
            self.outside = outside.astype(x.dtype)
        kept = x - xp.sign(x) * lambd if soft else x
        return xp.where(outside, kept, 0).astype(x.dtype, copy=False)

    def backward(self, grad):
        return grad * self.outside


class Threshold(Function):
    """y = z where z > threshold, else ``value``;  dy/dz = 1 where z > threshold, else 0."""

    def forward(self, x, threshold, value):
        xp = backend.array_module(x)
        above = x > threshold
        if self.needs_input_grad:
            self.above = above.astype(x.dtype)
        return xp.where(above, x, value).astype(x.dtype, copy=False)

    def backward(self, grad):
        return grad * self.above


class PReLU(Function):
    """y = z for z > 0, a z otherwise, the slope a broadcast over z (one, or one per channel).

    dy/dz = 1 for z > 0, a otherwise;  dL/da = sum of dL/dy z over z < 0 (the sum over the broadcast
    dims done by the engine). At z = 0, as torch: dy/dz = a, but a held constant there (the mixed second
    derivatives d2y/dz da are 0 at z = 0).
    """

    def forward(self, x, a):
        xp = backend.array_module(x)
        positive = x > 0
        if self.needs_input_grad:
            self.save_for_backward(x, a)
            self.positive, self.negative = positive.astype(x.dtype), (x < 0).astype(x.dtype)
            self.at_zero = ((x == 0) * a).astype(x.dtype)  # the slope a at z = 0, held constant
        return xp.where(positive, x, a * x).astype(x.dtype, copy=False)

    def backward(self, grad):
        x, a = self.saved_tensors
        dx = grad * (self.positive + self.negative * a + self.at_zero) if self.needs_input_grad[0] else None
        da = grad * x * self.negative if self.needs_input_grad[1] else None
        return dx, da


# ------------------------------------------------------------- sigmoid-gated maps
class SiLU(Function):
    """y = z s, s = sigmoid(z);  dy/dz = s (1 + z (1 - s))."""

    def forward(self, x):
        s, _ = sigmoid_parts(x)
        if self.needs_input_grad:
            self.save_for_backward(x)
            self.s = s
        return x * s

    def backward(self, grad):
        (x,) = self.saved_tensors
        s = self.s
        return grad * (s * (1 + x * (1 - s)))

    @staticmethod
    def decompose(x):
        return x * sigmoid(x)


class LogSigmoid(Function):
    """y = log sigmoid(z) = min(z, 0) - log(1 + e^{-|z|});  dy/dz = sigmoid(-z)."""

    def forward(self, x):
        xp = backend.array_module(x)
        e = xp.exp(-xp.abs(x))
        if self.needs_input_grad:
            self.slope = sigmoid_parts(x, e)[1]
        return xp.minimum(x, 0) - xp.log1p(e)

    def backward(self, grad):
        return grad * self.slope

    @staticmethod
    def decompose(x):
        return -Softplus.apply(-x, beta=1.0, threshold=float("inf"))


class Mish(Function):
    """y = z tanh(softplus(z));  dy/dz = t + z (1 - t^2) sigmoid(z), t = tanh(softplus(z))."""

    def forward(self, x):
        xp = backend.array_module(x)
        e = xp.exp(-xp.abs(x))
        t = xp.tanh(xp.maximum(x, 0) + xp.log1p(e))
        if self.needs_input_grad:
            self.save_for_backward(x)
            self.t, self.s = t, sigmoid_parts(x, e)[0]
        return x * t

    def backward(self, grad):
        (x,) = self.saved_tensors
        t = self.t
        return grad * (t + x * (1 - t * t) * self.s)

    @staticmethod
    def decompose(x):
        return x * tanh(Softplus.apply(x, beta=1.0, threshold=20.0))


class GLU(Function):
    """y = a sigmoid(b), the input halved along ``axis`` into a and b;
    dL/da = g sigmoid(b),  dL/db = g a sigmoid(b) sigmoid(-b), joined back along the axis."""

    def forward(self, x, axis):
        xp = backend.array_module(x)
        a, b = xp.split(x, 2, axis=axis)
        s, s_minus = sigmoid_parts(b)
        if self.needs_input_grad:
            self.save_for_backward(x)
            self.a, self.s, self.s_minus, self.axis = a, s, s_minus, axis
        return a * s

    def backward(self, grad):
        xp = backend.array_module(grad)
        return xp.concatenate([grad * self.s, grad * self.a * self.s * self.s_minus], axis=self.axis)

    @staticmethod
    def decompose(x, axis):
        half = x.shape[axis] // 2
        return x.narrow(axis, 0, half) * sigmoid(x.narrow(axis, half, half))


# ------------------------------------------------------------- functions
def _in_place(input, name, function, *args):
    """torch's ``F.name_(input)``: ``function(input, *args)`` written into ``input`` (recorded in the graph)."""
    check_tensor(input, name)
    # on a copy: the ops inside a composite (selu's ELU) may save their input, which is overwritten here
    return input._inplace(f"{name}()", lambda t: function(t.clone(), *args))


def relu(input, inplace=False):
    """ReLU(z) = max(0, z) (gradient 0 at z = 0, as torch).

    >>> import backprop as bp
    >>> relu(bp.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    return elementwise.relu(input)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """Hardtanh(z) = clamp(z, min_val, max_val), gradient 1 strictly inside, 0 at and beyond the bounds.

    >>> import backprop as bp
    >>> hardtanh(bp.tensor([-3.0, 0.5, 3.0])).tolist()
    [-1.0, 0.5, 1.0]
    """
    check_tensor(input, "hardtanh")
    if min_val > max_val:
        raise ValueError(f"hardtanh(): min_val cannot be greater than max_val, got min_val={min_val}, max_val={max_val}")
    return Hardtanh.apply(input, lo=float(min_val), hi=float(max_val))


def relu6(input, inplace=False):
    """ReLU6(z) = min(max(0, z), 6) = hardtanh(z, 0, 6) (gradient 0 at 0 and at 6, as torch).

    >>> import backprop as bp
    >>> relu6(bp.tensor([-1.0, 3.0, 9.0])).tolist()
    [0.0, 3.0, 6.0]
    """
    return hardtanh(input, 0.0, 6.0)


def hardswish(input, inplace=False):
    """Hardswish(z) = z relu6(z + 3) / 6, a piecewise-quadratic SiLU (MobileNetV3).

    >>> import backprop as bp
    >>> hardswish(bp.tensor([-4.0, 0.0, 1.0, 4.0])).tolist()
    [-0.0, 0.0, 0.6666666865348816, 4.0]
    """
    require_floating(input, "hardswish")
    return Hardswish.apply(input)


def hardsigmoid(input, inplace=False):
    """Hardsigmoid(z) = relu6(z + 3) / 6, a piecewise-linear sigmoid."""
    require_floating(input, "hardsigmoid")
    return Hardsigmoid.apply(input)


def softshrink(input, lambd=0.5):
    """Softshrink(z) = z - lambd above lambd, z + lambd below -lambd, 0 between (soft thresholding)."""
    require_floating(input, "softshrink")
    if lambd < 0:
        raise RuntimeError(f"softshrink(): lambd must be at least 0, got {lambd}")
    return Shrink.apply(input, lambd=float(lambd), soft=True)


def hardshrink(input, lambd=0.5):
    """Hardshrink(z) = z where |z| > lambd, 0 elsewhere."""
    require_floating(input, "hardshrink")
    return Shrink.apply(input, lambd=float(lambd), soft=False)


def threshold(input, threshold, value, inplace=False):
    """Threshold(z) = z where z > threshold, else ``value``.

    >>> import backprop as bp
    >>> threshold(bp.tensor([0.1, 0.5, 2.0]), 0.5, -1.0).tolist()
    [-1.0, -1.0, 2.0]
    """
    require_floating(input, "threshold")
    return Threshold.apply(input, threshold=float(threshold), value=float(value))


_threshold = threshold  # for threshold_, whose argument of that name hides the function


def silu(input, inplace=False):
    """SiLU(z) = z sigmoid(z) (the swish);  dy/dz = sigmoid(z) (1 + z (1 - sigmoid(z))).

    >>> import backprop as bp
    >>> round(silu(bp.tensor([1.0])).item(), 4)
    0.7311
    """
    require_floating(input, "silu")
    return SiLU.apply(input)


def mish(input, inplace=False):
    """Mish(z) = z tanh(softplus(z))."""
    require_floating(input, "mish")
    return Mish.apply(input)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """SELU(z) = scale * ELU(z, alpha), with alpha ~ 1.6733 and scale ~ 1.0507 chosen (Klambauer et al.,
    2017) so that activations keep zero mean and unit variance through a deep stack."""
    require_floating(input, "selu")
    return ELU.apply(input, alpha=_SELU_ALPHA) * _SELU_SCALE


def celu(input, alpha=1.0, inplace=False):
    """CELU(z) = max(0, z) + min(0, alpha (e^{z / alpha} - 1)) = alpha ELU(z / alpha), continuously
    differentiable in z for every alpha."""
    require_floating(input, "celu")
    if alpha == 0:
        raise RuntimeError("celu(): alpha must not be 0 (it divides z)")
    return ELU.apply(input / alpha, alpha=1.0) * alpha


def glu(input, dim=-1):
    """Gated linear unit: the input split in halves a, b along ``dim``; GLU = a * sigmoid(b).

    >>> import backprop as bp
    >>> glu(bp.tensor([[1.0, 2.0, 0.0, 0.0]])).tolist()
    [[0.5, 1.0]]
    """
    require_floating(input, "glu")
    if input.ndim == 0:
        raise RuntimeError("glu(): expected a tensor with at least one dimension (halved), got a 0-d tensor")
    axis = dim_index(dim, input.ndim, "glu")
    size = input.shape[axis]
    if size % 2:
        raise RuntimeError(f"glu(): halving dimension {dim} needs an even size, got {size}")
    return GLU.apply(input, axis=axis)


def prelu(input, weight):
    """PReLU(z) = z for z > 0, a z otherwise, a learnt: one slope, or one per channel (dim 1).
    dL/da sums z dL/dy over the non-positive z of its channel."""
    require_floating(input, "prelu")
    check_tensor(weight, "prelu")
    if weight.ndim > 1:
        raise ValueError(f"prelu(): weight must be 0-d or 1-d, got shape {tuple(weight.shape)}")
    channels = weight.numel()
    if channels != 1:
        if input.ndim < 2 or input.shape[1] != channels:  # inputs of fewer than 2 dims have one channel
            raise RuntimeError(f"prelu(): {channels} slopes need an input with {channels} channels in dim 1, "
                               f"got shape {tuple(input.shape)}")
        shape = [1] * input.ndim
        shape[1] = channels
        weight = weight.reshape(shape)
    else:
        weight = weight.reshape(())
    return PReLU.apply(input, weight)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: y = z for z > 0, a z otherwise, with a ~ U(lower, upper) drawn per element
    in training and the mean slope (lower + upper) / 2 in evaluation.

    >>> import backprop as bp
    >>> rrelu(bp.tensor([-2.0, 1.0]), 0.1, 0.3).tolist()
    [-0.4000000059604645, 1.0]
    """
    require_floating(input, "rrelu")
    if not training:
        return leaky_relu(input, (lower + upper) / 2)
    dtype = input._data.dtype
    draws = creation.generator().random(tuple(input.shape)) * (upper - lower) + lower
    draws = backend.to_device(draws.astype(dtype), input.device)
    slope = backend.array_module(input._data).where(input._data > 0, 1, draws).astype(dtype, copy=False)
    return input * slope


def logsigmoid(input):
    """log sigmoid(z) = -softplus(-z) = -log(1 + e^{-z}), finite for every z."""
    require_floating(input, "logsigmoid")
    return LogSigmoid.apply(input)


def softsign(input):
    """Softsign(z) = z / (1 + |z|)."""
    check_tensor(input, "softsign")
    return input / (1 + elementwise.abs(input))


def tanhshrink(input):
    """Tanhshrink(z) = z - tanh(z)."""
    check_tensor(input, "tanhshrink")
    return input - tanh(input)


def softmin(input, dim, dtype=None):
    """softmin(z) = softmax(-z) along ``dim`` (``dtype=``: the input cast first)."""
    check_tensor(input, "softmin")
    return softmax(-(input if dtype is None else input.to(dtype)), dim)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """A differentiable sample of a categorical distribution (Jang et al.; Maddison et al., 2017):

    y = softmax((logits + g) / tau) along ``dim``, g = -log(E) standard Gumbel noise (E ~ Exp(1)), so that
    argmax y is distributed as softmax(logits); a small ``tau`` makes y nearly one-hot. ``hard=True``
    returns the one-hot of argmax y in value, with the gradient of the soft y (straight-through).
    ``eps`` is accepted and unused, as in torch.
    """
    require_floating(logits, "gumbel_softmax")
    xp = backend.array_module(logits._data)
    dtype = logits._data.dtype
    exponential = creation.generator().exponential(size=tuple(logits.shape))
    gumbels = backend.to_device(-backend.numpy.log(exponential).astype(dtype), logits.device)
    soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return soft
    axis = dim_index(dim, logits.ndim, "gumbel_softmax")
    index = xp.expand_dims(soft._data.argmax(axis=axis), axis)
    one_hot = xp.zeros_like(soft._data)
    xp.put_along_axis(one_hot, index, 1.0, axis=axis)
    return (soft - soft.detach()) + one_hot


# ------------------------------------------------------------- torch's in-place forms
def relu_(input):
    """``relu`` written into ``input``."""
    return _in_place(input, "relu_", relu)


def elu_(input, alpha=1.0):
    """``elu`` written into ``input``."""
    return _in_place(input, "elu_", elu, alpha)


def leaky_relu_(input, negative_slope=0.01):
    """``leaky_relu`` written into ``input``."""
    return _in_place(input, "leaky_relu_", leaky_relu, negative_slope)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """``hardtanh`` written into ``input``."""
    return _in_place(input, "hardtanh_", hardtanh, min_val, max_val)


def threshold_(input, threshold, value):
    """``threshold`` written into ``input``."""
    return _in_place(input, "threshold_", _threshold, threshold, value)


def selu_(input):
    """``selu`` written into ``input``."""
    return _in_place(input, "selu_", selu)


def celu_(input, alpha=1.0):
    """``celu`` written into ``input``."""
    return _in_place(input, "celu_", celu, alpha)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """``rrelu`` written into ``input``."""
    return _in_place(input, "rrelu_", rrelu, lower, upper, training)
