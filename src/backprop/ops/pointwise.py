"""torch's pointwise maths of one tensor beyond elementwise.py: rounding, exponentials and logarithms,
trigonometric and hyperbolic functions and their inverses, logit, sinc, nan_to_num (the error function and
Bessel's i0 are in special.py).

Each op is one Function, its formula and derivative in the docstring. The rounding functions and sign are
piecewise constant: their gradient is zero, also at the jumps, as torch's. Integer and bool inputs of the
real-valued functions become float32 (``float_unary``); rounding keeps integers as they are.
"""
import math

from backprop import backend
from backprop.autograd import Function
from backprop.ops.arithmetic import mul, pow
from backprop.ops.elementwise import float_unary
from backprop.ops.indexing import write_out
from backprop.ops.manifest import export
from backprop.ops.nn_activation import Arctan  # y = arctan x, dL/dx = dL/dy / (1 + x^2)
from backprop.ops.util import check_tensor, floating, return_type
from backprop.tensor import Tensor

_LN2, _LN10 = math.log(2), math.log(10)


# ------------------------------------------------------------- piecewise constant: zero gradient
class _PiecewiseConstant(Function):
    """A function constant between its jumps: dL/dx = 0 (torch's zeros, at the jumps too)."""

    def backward(self, grad):
        return backend.array_module(grad).zeros_like(grad)


class Floor(_PiecewiseConstant):
    """y = floor x, the largest integer <= x;  dL/dx = 0."""

    def forward(self, x):
        return backend.array_module(x).floor(x)


class Ceil(_PiecewiseConstant):
    """y = ceil x, the smallest integer >= x;  dL/dx = 0."""

    def forward(self, x):
        return backend.array_module(x).ceil(x)


class Trunc(_PiecewiseConstant):
    """y = trunc x, x rounded toward zero;  dL/dx = 0."""

    def forward(self, x):
        return backend.array_module(x).trunc(x)


class Round(_PiecewiseConstant):
    """y = x rounded to ``decimals`` decimal places, halves to even;  dL/dx = 0.

    As torch: rint(x * 10^d) / 10^d for d > 0, rint(x / 10^-d) * 10^-d for d < 0 (10^|d| in x's dtype).
    """

    def forward(self, x, decimals):
        xp = backend.array_module(x)
        if decimals == 0:
            return xp.rint(x)
        scale = x.dtype.type(10.0 ** abs(decimals))
        return xp.rint(x * scale) / scale if decimals > 0 else xp.rint(x / scale) * scale


class Sign(_PiecewiseConstant):
    """y = sign x in {-1, 0, 1} (0 at nan, as torch);  dL/dx = 0."""

    def forward(self, x):
        return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)


def _rounding(cls, name, **params):
    """The function of a rounding Function: integer tensors come back as they are (a copy), bools are refused."""

    def function(input, *, out=None):
        check_tensor(input, name)
        kind = input.dtype.kind
        if kind == "b" or (kind in "iu" and params.get("decimals")):
            raise NotImplementedError(f"{name}() is not implemented for {input.dtype} tensors"
                                      f"{' with decimals' if kind != 'b' else ''}; convert them with .float()")
        result = cls.apply(input, **params) if kind == "f" else Tensor._make(input._data.copy())
        return write_out(result, out, name)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = cls.__doc__
    return function


floor = export(name="floor", inplace=True)(_rounding(Floor, "floor"))
ceil = export(name="ceil", inplace=True)(_rounding(Ceil, "ceil"))
trunc = export(name="trunc", inplace=True)(_rounding(Trunc, "trunc"))
fix = export(name="fix", inplace=True)(trunc)  # torch's other name for trunc


@export(inplace=True)
def round(input, *, decimals=0, out=None):
    """x rounded to ``decimals`` decimal places (halves to even); integer tensors stay as they are."""
    return _rounding(Round, "round", decimals=decimals)(input, out=out)


@export(inplace=True)
def sign(input, *, out=None):
    """-1, 0 or 1 by the sign of each element (0 at nan); integer and bool tensors keep their dtype."""
    check_tensor(input, "sign")
    if input.dtype.kind == "f":
        return write_out(Sign.apply(input), out, "sign")
    data = input._data
    return write_out(Tensor._make(data.copy() if data.dtype.kind == "b" else backend.array_module(data).sign(data)),
                     out, "sign")


sgn = export(name="sgn", inplace=True)(sign)  # x / |x| of a complex number: sign for real ones


@export(inplace=True)
def frac(input, *, out=None):
    """x - trunc(x), the fractional part with the sign of x (floating point tensors only, as torch)."""
    check_tensor(input, "frac")
    if input.dtype.kind != "f":
        raise NotImplementedError(f"frac() is not implemented for {input.dtype} tensors; convert them with .float()")
    return write_out(Frac.apply(input), out, "frac")


class Frac(Function):
    """y = x - trunc x;  dL/dx = dL/dy."""

    def forward(self, x):
        with backend.errstate():  # inf - inf = nan, as torch
            return x - backend.array_module(x).trunc(x)

    def backward(self, grad):
        return grad


# ------------------------------------------------------------- powers, exponentials, logarithms
class Reciprocal(Function):
    """y = 1 / x;  dL/dx = -dL/dy y^2."""

    def forward(self, x):
        with backend.errstate():
            y = 1 / x
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        return -grad * y * y


class Rsqrt(Function):
    """y = 1 / sqrt x;  dL/dx = -dL/dy y^3 / 2."""

    def forward(self, x):
        with backend.errstate():
            y = 1 / backend.array_module(x).sqrt(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        return -0.5 * grad * y * y * y


class Exp2(Function):
    """y = 2^x;  dL/dx = dL/dy y ln 2."""

    def forward(self, x):
        y = backend.array_module(x).exp2(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        return grad * y * _LN2


class Expm1(Function):
    """y = e^x - 1 (exact near 0);  dL/dx = dL/dy (y + 1)."""

    def forward(self, x):
        y = backend.array_module(x).expm1(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        return grad * (y + 1)


class Log1p(Function):
    """y = ln(1 + x) (exact near 0);  dL/dx = dL/dy / (1 + x)."""

    def forward(self, x):
        self.save_for_backward(x)
        with backend.errstate():
            return backend.array_module(x).log1p(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad / (1 + x)


class Log2(Function):
    """y = log2 x;  dL/dx = dL/dy / (x ln 2)."""

    def forward(self, x):
        self.save_for_backward(x)
        with backend.errstate():
            return backend.array_module(x).log2(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad / (x * _LN2)


class Log10(Function):
    """y = log10 x;  dL/dx = dL/dy / (x ln 10)."""

    def forward(self, x):
        self.save_for_backward(x)
        with backend.errstate():
            return backend.array_module(x).log10(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad / (x * _LN10)


for _cls in (Reciprocal, Rsqrt, Exp2, Expm1, Log1p, Log2, Log10):
    float_unary(_cls, _cls.__name__.lower())


@export(inplace=True)
def square(input, *, out=None):
    """x^2 (``x ** 2``: integer tensors stay integer, bools become int64, as torch)."""
    return pow(check_tensor(input, "square"), 2, out=out)


# ------------------------------------------------------------- trigonometric and hyperbolic
class Tan(Function):
    """y = tan x;  dL/dx = dL/dy (1 + y^2)."""

    def forward(self, x):
        y = backend.array_module(x).tan(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        return grad * (1 + y * y)


class Asin(Function):
    """y = arcsin x on [-1, 1];  dL/dx = dL/dy / sqrt(1 - x^2)."""

    def forward(self, x):
        self.save_for_backward(x)
        with backend.errstate():
            return backend.array_module(x).arcsin(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad / backend.array_module(x).sqrt(1 - x * x)


class Acos(Function):
    """y = arccos x on [-1, 1];  dL/dx = -dL/dy / sqrt(1 - x^2)."""

    def forward(self, x):
        self.save_for_backward(x)
        with backend.errstate():
            return backend.array_module(x).arccos(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return -grad / backend.array_module(x).sqrt(1 - x * x)


class Sinh(Function):
    """y = sinh x = (e^x - e^-x) / 2;  dL/dx = dL/dy cosh x."""

    def forward(self, x):
        self.save_for_backward(x)
        return backend.array_module(x).sinh(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * Cosh.call(x)


class Cosh(Function):
    """y = cosh x = (e^x + e^-x) / 2;  dL/dx = dL/dy sinh x."""

    def forward(self, x):
        self.save_for_backward(x)
        return backend.array_module(x).cosh(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * Sinh.call(x)


class Asinh(Function):
    """y = arsinh x = ln(x + sqrt(x^2 + 1));  dL/dx = dL/dy / sqrt(x^2 + 1)."""

    def forward(self, x):
        self.save_for_backward(x)
        return backend.array_module(x).arcsinh(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad / backend.array_module(x).sqrt(x * x + 1)


class Acosh(Function):
    """y = arcosh x = ln(x + sqrt(x^2 - 1)) on [1, inf);  dL/dx = dL/dy / sqrt(x^2 - 1)."""

    def forward(self, x):
        self.save_for_backward(x)
        with backend.errstate():
            return backend.array_module(x).arccosh(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad / backend.array_module(x).sqrt(x * x - 1)


class Atanh(Function):
    """y = artanh x = ln((1 + x) / (1 - x)) / 2 on (-1, 1);  dL/dx = dL/dy / (1 - x^2)."""

    def forward(self, x):
        self.save_for_backward(x)
        with backend.errstate():
            return backend.array_module(x).arctanh(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad / (1 - x * x)


for _cls in (Tan, Sinh, Cosh):
    float_unary(_cls, _cls.__name__.lower())
for _cls in (Asin, Acos, Arctan, Asinh, Acosh, Atanh):  # torch's names: asin ... and NumPy's: arcsin ...
    _name = _cls.__name__.lower().replace("arc", "a")
    export(name="arc" + _name[1:], inplace=True)(float_unary(_cls, _name))


@export(inplace=True)
def deg2rad(input, *, out=None):
    """x pi / 180 (integers become float32)."""
    return mul(floating(input, "deg2rad"), math.pi / 180, out=out)


@export(inplace=True)
def rad2deg(input, *, out=None):
    """x 180 / pi (integers become float32)."""
    return mul(floating(input, "rad2deg"), 180 / math.pi, out=out)


# ------------------------------------------------------------- logit, sinc, nan_to_num
class Logit(Function):
    """y = ln(x / (1 - x)), x first clamped to [eps, 1 - eps] when eps is given;
    dL/dx = dL/dy / (x (1 - x)): 0 outside [eps, 1 - eps], nan outside [0, 1] without eps (as torch)."""

    def forward(self, x, eps):
        self.save_for_backward(x)
        self.eps = eps
        z = x if eps is None else backend.array_module(x).clip(x, eps, 1 - eps)
        with backend.errstate():
            return backend.array_module(x).log(z / (1 - z))

    def backward(self, grad):
        (x,) = self.saved_tensors
        xp = backend.array_module(grad)
        lo, hi, fill = (0, 1, math.nan) if self.eps is None else (self.eps, 1 - self.eps, 0)
        with backend.errstate():  # x = 0 or 1: computed, then replaced
            return xp.where((x < lo) | (x > hi), fill, grad / (x * (1 - x)))


@export(inplace=True)
def logit(input, eps=None, *, out=None):
    """ln(p / (1 - p)), the inverse of sigmoid; with ``eps``, p is first clamped to [eps, 1 - eps]."""
    return write_out(Logit.apply(floating(input, "logit"), eps=eps), out, "logit")


class Sinc(Function):
    """y = sin(pi x) / (pi x), 1 at 0;  dL/dx = dL/dy (cos(pi x) - y) / x, 0 at 0."""

    def forward(self, x):
        self.save_for_backward(x)
        return backend.array_module(x).sinc(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        xp = backend.array_module(grad)
        safe = xp.where(x == 0, 1, x)  # the formula away from 0, where it is selected: no 0/0 at 0
        return xp.where(x == 0, 0, grad * (xp.cos(math.pi * safe) - Sinc.call(safe)) / safe)


float_unary(Sinc, "sinc")


class NanToNum(Function):
    """y = x, with nan, inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default 0 and the
    dtype's largest and lowest finite values);  dL/dx = dL/dy where x is finite, 0 where it was replaced."""

    def forward(self, x, nan, posinf, neginf):
        self.save_for_backward(x)
        return backend.array_module(x).nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, grad):
        (x,) = self.saved_tensors
        xp = backend.array_module(grad)
        return xp.where(xp.isfinite(x), grad, 0)


@export(inplace=True)
def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """Replace nan, inf and -inf by finite numbers (integer and bool tensors come back as they are)."""
    check_tensor(input, "nan_to_num")
    if input.dtype.kind != "f":
        return write_out(Tensor._make(input._data.copy()), out, "nan_to_num")
    return write_out(NanToNum.apply(input, nan=nan, posinf=posinf, neginf=neginf), out, "nan_to_num")


@export()
def positive(input):
    """The tensor itself (``+x``); refused for bool tensors, as torch."""
    check_tensor(input, "positive")
    if input.dtype.kind == "b":
        raise RuntimeError("positive(), the + operator, is not supported on bool tensors")
    return input


FrexpResult = return_type("frexp", ("mantissa", "exponent"))


@export()
def frexp(input, *, out=None):
    """(mantissa, exponent) with input = mantissa * 2^exponent, 0.5 <= |mantissa| < 1 (0 for 0), exponent int32.

    The mantissa is input / 2^exponent, exponent a constant: dL/dinput = dL/dmantissa / 2^exponent, as torch.
    """
    check_tensor(input, "frexp")
    if input.dtype.kind != "f":
        raise RuntimeError(f"frexp() only supports floating point dtypes, got {input.dtype}")
    xp = backend.array_module(input._data)
    exponent = xp.frexp(input._data)[1].astype(xp.int32)
    scale = Tensor._make(xp.asarray(xp.ldexp(xp.ones((), dtype=input._data.dtype), exponent)))
    result = FrexpResult(input / scale, Tensor._make(exponent))
    if out is not None:
        for target, value in zip(out, result):
            write_out(value, target, "frexp")
        return FrexpResult(*out)
    return result
