"""Comparisons, tests of values, logical and bitwise functions, and gcd, lcm, nextafter, signbit, isin: results
without gradients.

Comparisons (eq, lt, ..., isclose) and the logical functions give bool tensors; the bitwise functions
(``& | ^ ~ << >>``) keep the promoted integer or bool dtype. The two operands are promoted as torch promotes
them (``bitwise_and(int8, int64) -> int64``, ``int_tensor < 0.5`` compared in float32), and either may be a
Python number (the other a tensor).
"""
from backprop import backend
from backprop import dtypes
from backprop.ops.arithmetic import not_broadcastable
from backprop.ops.indexing import write_out
from backprop.ops.manifest import export
from backprop.ops.util import as_operand, check_tensor
from backprop.tensor import Tensor


def promoted(input, other, name):
    """(xp, a, b): the raw arrays of ``input`` and ``other`` (tensors or numbers) in torch's common dtype."""
    like = input if isinstance(input, Tensor) else other
    if not isinstance(like, Tensor):
        raise TypeError(f"{name}() expected a Tensor, got {type(input).__name__} and {type(other).__name__}")
    a, b = as_operand(input, like), as_operand(other, like)
    dtype = dtypes.result_type(a, b)
    xp = backend.array_module(like._data)
    a, b = (xp.asarray(x._data if isinstance(x, Tensor) else x).astype(dtype, copy=False) for x in (a, b))
    try:
        xp.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise not_broadcastable(name, a.shape, b.shape) from None
    return xp, a, b


def _declare(name, compute, doc, aliases=(), tensor_first=True):
    """Declare ``name(input, other, *, out=None)`` = ``compute(xp, a, b)`` of the promoted arrays (and its
    other names), with its method, in-place method and ``out=``; ``doc`` says what it computes."""

    def function(input, other, *, out=None):
        if tensor_first:
            check_tensor(input, name)
        xp, a, b = promoted(input, other, name)
        return write_out(Tensor._make(xp.asarray(compute(xp, a, b))), out, name)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    for key in (name, *aliases):
        export(name=key, inplace=True)(function)
    return function


# ------------------------------------------------------------- comparisons
eq = _declare("eq", lambda xp, a, b: xp.equal(a, b), "input == other elementwise (a bool tensor).")
ne = _declare("ne", lambda xp, a, b: xp.not_equal(a, b), "input != other elementwise (a bool tensor).",
              aliases=("not_equal",))
lt = _declare("lt", lambda xp, a, b: xp.less(a, b), "input < other elementwise (a bool tensor).", aliases=("less",))
le = _declare("le", lambda xp, a, b: xp.less_equal(a, b), "input <= other elementwise (a bool tensor).",
              aliases=("less_equal",))
gt = _declare("gt", lambda xp, a, b: xp.greater(a, b), "input > other elementwise (a bool tensor).",
              aliases=("greater",))
ge = _declare("ge", lambda xp, a, b: xp.greater_equal(a, b), "input >= other elementwise (a bool tensor).",
              aliases=("greater_equal",))


@export()
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol |other| elementwise (equal infinities are close; nan is close to nan
    only with ``equal_nan``); both tensors of one dtype, as torch."""
    check_tensor(input, "isclose")
    check_tensor(other, "isclose")
    if input.dtype != other.dtype:
        raise RuntimeError(f"isclose() expected tensors of one dtype, got {input.dtype} and {other.dtype}")
    if rtol < 0 or atol < 0:
        raise RuntimeError(f"isclose() expected rtol and atol >= 0, got rtol={rtol}, atol={atol}")
    xp, a, b = promoted(input, other, "isclose")
    if a.dtype.kind != "f":
        a, b = a.astype(dtypes.float64), b.astype(dtypes.float64)
    with backend.errstate():
        difference = xp.abs(a - b)
        close = (a == b) | (xp.isfinite(difference) & (difference <= atol + rtol * xp.abs(b)))
    if equal_nan:
        close |= xp.isnan(a) & xp.isnan(b)
    return Tensor._make(close)


@export()
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when every element of ``input`` is close to ``other``'s (``isclose``): a Python bool."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


@export()
def equal(input, other):
    """True when both tensors have one shape and equal values (nan is not equal to nan): a Python bool."""
    check_tensor(input, "equal")
    check_tensor(other, "equal")
    if input.shape != other.shape:
        return False
    xp, a, b = promoted(input, other, "equal")
    return bool(xp.array_equal(a, b))


# ------------------------------------------------------------- tests of values
def _test(input, name, floating, otherwise):
    """A bool tensor: ``floating(xp, x)`` of a floating point tensor; for integer and bool tensors, which hold
    neither nan nor infinities, ``otherwise`` everywhere."""
    data = check_tensor(input, name)._data
    xp = backend.array_module(data)
    return Tensor._make(floating(xp, data) if data.dtype.kind == "f" else xp.full(data.shape, otherwise))


@export()
def isnan(input):
    """True where the value is nan."""
    return _test(input, "isnan", lambda xp, x: xp.isnan(x), False)


@export()
def isinf(input):
    """True where the value is +inf or -inf."""
    return _test(input, "isinf", lambda xp, x: xp.isinf(x), False)


@export()
def isfinite(input):
    """True where the value is neither nan nor infinite."""
    return _test(input, "isfinite", lambda xp, x: xp.isfinite(x), True)


@export()
def isposinf(input, *, out=None):
    """True where the value is +inf."""
    return write_out(_test(input, "isposinf", lambda xp, x: xp.isinf(x) & (x > 0), False), out, "isposinf")


@export()
def isneginf(input, *, out=None):
    """True where the value is -inf."""
    return write_out(_test(input, "isneginf", lambda xp, x: xp.isinf(x) & (x < 0), False), out, "isneginf")


@export()
def isreal(input):
    """True everywhere: backprop's tensors are real (it has no complex dtypes)."""
    return _test(input, "isreal", lambda xp, x: xp.ones(x.shape, dtype=bool), True)


# ------------------------------------------------------------- logical: bool results
logical_and = _declare("logical_and", lambda xp, a, b: xp.logical_and(a, b), "Both nonzero (a bool tensor).")
logical_or = _declare("logical_or", lambda xp, a, b: xp.logical_or(a, b), "Either nonzero (a bool tensor).")
logical_xor = _declare("logical_xor", lambda xp, a, b: xp.logical_xor(a, b), "Exactly one nonzero (a bool tensor).")


@export(inplace=True)
def logical_not(input, *, out=None):
    """True where input is zero (a bool tensor)."""
    data = check_tensor(input, "logical_not")._data
    return write_out(Tensor._make(backend.array_module(data).logical_not(data)), out, "logical_not")


# ------------------------------------------------------------- bitwise: integers and bools
def _integers(compute, name, bools=True):
    """``compute`` for integer (and bool) operands; floating point ones refused as torch refuses them."""

    def checked(xp, a, b):
        if a.dtype.kind == "f" or (a.dtype.kind == "b" and not bools):
            raise NotImplementedError(f"{name}() is defined for integer{' and bool' if bools else ''} tensors, "
                                      f"got {a.dtype}")
        return compute(xp, a, b)

    return checked


def _left_shift(xp, a, b):
    """a << b; 0 where b < 0 or b >= the number of bits, as torch."""
    inside = (b >= 0) & (b < a.dtype.itemsize * 8)
    return xp.where(inside, xp.left_shift(a, xp.where(inside, b, 0)), 0).astype(a.dtype)


def _right_shift(xp, a, b):
    """a >> b (arithmetic: the sign fills in); 0 or -1 (the sign) where b < 0 or b >= the number of bits."""
    inside = (b >= 0) & (b < a.dtype.itemsize * 8)
    return xp.where(inside, xp.right_shift(a, xp.where(inside, b, 0)), xp.where(a < 0, -1, 0)).astype(a.dtype)


def _bitwise(name, compute, doc, bools=True):
    return _declare(name, _integers(compute, name, bools), doc, tensor_first=False)


bitwise_and = _bitwise("bitwise_and", lambda xp, a, b: xp.bitwise_and(a, b), "input & other (integers and bools).")
bitwise_or = _bitwise("bitwise_or", lambda xp, a, b: xp.bitwise_or(a, b), "input | other (integers and bools).")
bitwise_xor = _bitwise("bitwise_xor", lambda xp, a, b: xp.bitwise_xor(a, b), "input ^ other (integers and bools).")
bitwise_left_shift = _bitwise("bitwise_left_shift", _left_shift, _left_shift.__doc__, bools=False)
bitwise_right_shift = _bitwise("bitwise_right_shift", _right_shift, _right_shift.__doc__, bools=False)


@export(inplace=True)
def bitwise_not(input, *, out=None):
    """~x: the bits inverted (not, for bools)."""
    data = check_tensor(input, "bitwise_not")._data
    if data.dtype.kind == "f":
        raise NotImplementedError(f"bitwise_not() is defined for integer and bool tensors, got {data.dtype}")
    return write_out(Tensor._make(backend.array_module(data).invert(data)), out, "bitwise_not")


# ------------------------------------------------------------- number theory of integers
gcd = _declare("gcd", _integers(lambda xp, a, b: xp.gcd(a, b), "gcd", bools=False),
               "The greatest common divisor of input and other (integers; gcd(0, 0) = 0).", tensor_first=False)
lcm = _declare("lcm", _integers(lambda xp, a, b: xp.lcm(a, b), "lcm", bools=False),
               "The least common multiple of input and other (integers; 0 where either is 0).", tensor_first=False)


def _next_after(xp, a, b):
    if a.dtype.kind != "f":
        raise NotImplementedError(f"nextafter() is defined for floating point tensors, got {a.dtype}")
    return xp.nextafter(a, b)


nextafter = _declare("nextafter", _next_after,
                     "The next floating point value after input in the direction of other.")


@export()
def signbit(input, *, out=None):
    """True where the sign bit is set: negative numbers, -0.0 and nan with its sign bit (never for bools)."""
    data = check_tensor(input, "signbit")._data
    xp = backend.array_module(data)
    result = xp.zeros(data.shape, dtype=bool) if data.dtype.kind == "b" else xp.signbit(data)
    return write_out(Tensor._make(xp.asarray(result)), out, "signbit")


@export(method=False)
def isin(elements, test_elements, *, assume_unique=False, invert=False, out=None):
    """A bool tensor of the shape of ``elements``: True where an element occurs in ``test_elements`` (anywhere,
    any shape), False where not (``invert``: the opposite). Either may be a Python number, not both."""
    like = elements if isinstance(elements, Tensor) else test_elements
    if not isinstance(like, Tensor):
        raise TypeError(f"isin() expected a Tensor as elements or test_elements, got {type(elements).__name__} "
                        f"and {type(test_elements).__name__}")
    a, b = as_operand(elements, like), as_operand(test_elements, like)
    if any(isinstance(t, Tensor) and t.dtype.kind == "b" for t in (a, b)):
        raise RuntimeError("isin() is not defined for bool tensors (as torch); convert them with .long()")
    dtype = dtypes.result_type(a, b)  # compared in the common dtype (no broadcasting: any two shapes)
    xp = backend.array_module(like._data)
    a, b = (xp.asarray(x._data if isinstance(x, Tensor) else x).astype(dtype, copy=False) for x in (a, b))
    return write_out(Tensor._make(xp.asarray(xp.isin(a, b, assume_unique=assume_unique, invert=invert))), out, "isin")
