"""Data types and PyTorch's type-promotion rules.

The dtypes are plain NumPy dtypes, so ``t.dtype == bp.float32`` and
``t.dtype == numpy.float32`` both hold.

Promotion follows ``torch.result_type``. Operands are ranked in three
levels: tensors with dimensions, 0-d tensors, and Python numbers. Within a
level dtypes promote as usual (a float beats an int, a wider type beats a
narrower one). A lower level only changes the result when it is of a
higher *category* (bool < integer < floating): ``int64_tensor * 2.5`` is
float32 (the default float), ``float16_tensor * 2.0`` stays float16, and
``float32_tensor + float64_0d_tensor`` stays float32.
"""
import numpy

float16 = numpy.dtype("float16")
float32 = numpy.dtype("float32")
float64 = numpy.dtype("float64")
int8 = numpy.dtype("int8")
int16 = numpy.dtype("int16")
int32 = numpy.dtype("int32")
int64 = numpy.dtype("int64")
uint8 = numpy.dtype("uint8")
bool_ = numpy.dtype("bool")

default_float = float32
SUPPORTED = (float16, float32, float64, int8, int16, int32, int64, uint8, bool_)

_BOOL, _INT, _FLOAT = 0, 1, 2


def category(dtype):
    """0 for bool, 1 for integers, 2 for floating point."""
    kind = dtype.kind
    if kind == "b":
        return _BOOL
    if kind in "iu":
        return _INT
    if kind == "f":
        return _FLOAT
    raise TypeError(f"unsupported dtype {dtype}; expected one of {', '.join(map(str, SUPPORTED))}")


def is_floating(dtype):
    return dtype.kind == "f"


def as_dtype(dtype):
    """Normalise ``float``, ``"float32"``, ``numpy.float32`` ... to a NumPy dtype."""
    if dtype is None:
        return None
    if dtype is float:
        return default_float
    if dtype is int:
        return int64
    resolved = numpy.dtype(dtype)
    if resolved not in SUPPORTED:
        raise TypeError(f"unsupported dtype {resolved}; expected one of {', '.join(map(str, SUPPORTED))}")
    return resolved


def scalar_dtype(value):
    """The dtype a Python number gets when it becomes a tensor on its own."""
    if isinstance(value, (bool, numpy.bool_)):
        return bool_
    if isinstance(value, (int, numpy.integer)):
        return int64
    if isinstance(value, (float, numpy.floating)):
        return default_float
    raise TypeError(f"expected a Tensor or a number, got {type(value).__name__}")


def _promote_within(a, b):
    if a is None:
        return b
    ca, cb = category(a), category(b)
    if ca != cb:
        return a if ca > cb else b
    return numpy.promote_types(a, b)


def result_type(*operands):
    """The dtype of an elementwise op on ``operands`` (tensors, arrays or numbers).

    >>> import backprop as bp
    >>> result_type(bp.tensor([1, 2]), 2.5)
    dtype('float32')
    """
    dims = zero_dims = scalars = None
    for x in operands:
        dtype = getattr(x, "dtype", None)
        if dtype is None or isinstance(x, numpy.generic):
            scalars = _promote_within(scalars, scalar_dtype(x))
        elif x.ndim == 0:
            zero_dims = _promote_within(zero_dims, dtype)
        else:
            dims = _promote_within(dims, dtype)
    result = None
    for level in (dims, zero_dims, scalars):
        if level is not None and (result is None or category(level) > category(result)):
            result = level
    return result
