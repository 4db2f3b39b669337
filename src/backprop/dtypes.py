"""Data types and PyTorch's type-promotion rules.

A dtype is a ``DType``: printed as torch prints its dtypes (``backprop.float32``), equal to and hashed as the
NumPy dtype it stands for, so ``t.dtype == bp.float32``, ``t.dtype == numpy.float32`` and
``numpy.zeros(2, dtype=bp.float32)`` all work (NumPy takes any object with a ``.dtype`` as a dtype).

Promotion follows ``torch.result_type``. Operands are ranked in three
levels: tensors with dimensions, 0-d tensors, and Python numbers. Within a
level dtypes promote as usual (a float beats an int, a wider type beats a
narrower one). A lower level only changes the result when it is of a
higher *category* (bool < integer < floating): ``int64_tensor * 2.5`` is
the default float dtype (float32 unless ``set_default_dtype`` changed it), ``float16_tensor * 2.0`` stays
float16, and ``float32_tensor + float64_0d_tensor`` stays float32.
"""
import numpy

display_prefix = "backprop"  # how a dtype and a Size print: backprop.float32, backprop.Size([2, 3])


class DType:
    """One of backprop's dtypes: torch's attributes (``is_floating_point``, ``is_signed``, ``itemsize``) and, for
    the code that treats it as one, every attribute of the NumPy dtype it stands for (``kind``, ``name`` ...).

    >>> import backprop as bp, numpy
    >>> bp.float32, bp.float32 == numpy.float32, numpy.dtype(bp.long)
    (backprop.float32, True, dtype('int64'))
    """

    __slots__ = ("dtype", "_torch_name")

    def __init__(self, name):
        self.dtype = numpy.dtype("bool" if name == "bool" else name)
        self._torch_name = name

    def __repr__(self):
        return f"{display_prefix}.{self._torch_name}"

    __str__ = __repr__

    def __eq__(self, other):
        if isinstance(other, DType):
            return self.dtype == other.dtype
        if isinstance(other, numpy.dtype):
            return self.dtype == other
        if other is float or other is int or other is bool or other is complex or not isinstance(other, (str, type)):
            return False  # torch: a dtype equals only dtypes (and here NumPy's names of them)
        try:
            return self.dtype == numpy.dtype(other)
        except (TypeError, ValueError):
            return False

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self):
        return hash(self.dtype)

    def __reduce__(self):
        return _by_name, (self._torch_name,)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    @property
    def is_floating_point(self):
        return self.dtype.kind == "f"

    @property
    def is_complex(self):
        return self.dtype.kind == "c"

    @property
    def is_signed(self):
        return self.dtype.kind in "fic"

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def kind(self):
        return self.dtype.kind

    @property
    def name(self):
        return self.dtype.name

    @property
    def type(self):
        return self.dtype.type

    @property
    def char(self):
        return self.dtype.char

    def __getattr__(self, name):  # the rest of numpy.dtype's attributes: str, num, byteorder, descr ...
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.dtype, name)


float16 = DType("float16")
float32 = DType("float32")
float64 = DType("float64")
int8 = DType("int8")
int16 = DType("int16")
int32 = DType("int32")
int64 = DType("int64")
uint8 = DType("uint8")
bool_ = DType("bool")

SUPPORTED = (float16, float32, float64, int8, int16, int32, int64, uint8, bool_)
_BY_NUMPY = {d.dtype: d for d in SUPPORTED}
_BY_NAME = {d._torch_name: d for d in SUPPORTED}
default_float = float32


def _by_name(name):
    return _BY_NAME[name]


def of(numpy_dtype):
    """The DType of a NumPy dtype (of an array); a dtype backprop does not know comes back as it is."""
    return _BY_NUMPY.get(numpy_dtype, numpy_dtype)


def get_default_dtype():
    """The dtype of floats made from Python numbers and of the float factories (``rand``, ``zeros`` ...)."""
    return default_float


def set_default_dtype(d):
    """Make ``d`` (a floating dtype: float32, float64 or float16) the default float dtype, as
    ``torch.set_default_dtype``: factories, ``tensor([1.0])`` and int-with-Python-float promotion use it.

    >>> import backprop as bp
    >>> bp.set_default_dtype(bp.float64); bp.tensor([1.5]).dtype
    backprop.float64
    >>> bp.set_default_dtype(bp.float32)
    """
    global default_float
    known = isinstance(d, (DType, numpy.dtype)) or (isinstance(d, type) and issubclass(d, numpy.generic))
    resolved = _BY_NUMPY.get(numpy.dtype(d)) if known else None
    if resolved is None or not resolved.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    default_float = resolved


class finfo:
    """Machine limits of a floating dtype (the default one when None), as Python numbers: torch.finfo.

    >>> finfo(float16)
    finfo(resolution=0.001, min=-65504, max=65504, eps=0.000976562, smallest_normal=6.10352e-05, tiny=6.10352e-05, dtype=float16)
    """

    def __init__(self, type=None):  # noqa: A002  (torch's name)
        resolved = as_dtype(type) or default_float
        if not resolved.is_floating_point:
            raise TypeError(f"finfo expects a floating point dtype, got {resolved}")
        info = numpy.finfo(resolved.dtype)
        self.bits, self.dtype = int(info.bits), resolved.name
        for name in ("eps", "max", "min", "tiny", "smallest_normal"):
            setattr(self, name, float(getattr(info, name)))
        self.resolution = 10.0 ** -int(info.precision)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Machine limits of an integer dtype, as Python ints: torch.iinfo.

    >>> iinfo(int8)
    iinfo(min=-128, max=127, dtype=int8)
    """

    def __init__(self, type):  # noqa: A002
        resolved = as_dtype(type)
        if resolved.kind not in "iu":
            raise TypeError(f"iinfo expects an integer dtype, got {resolved}")
        info = numpy.iinfo(resolved.dtype)
        self.bits, self.min, self.max, self.dtype = int(info.bits), int(info.min), int(info.max), resolved.name

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


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
    """Normalise ``bp.float32``, ``float``, ``"float32"``, ``numpy.float32`` ... to backprop's DType."""
    if dtype is None or type(dtype) is DType:
        return dtype
    if dtype is float:
        return default_float
    if dtype is int:
        return int64
    try:
        resolved = _BY_NUMPY.get(numpy.dtype(dtype))
    except TypeError:
        raise TypeError(f"expected a dtype such as backprop.float32, got {dtype!r}") from None
    if resolved is None:
        raise TypeError(f"unsupported dtype {numpy.dtype(dtype)}; expected one of {', '.join(map(str, SUPPORTED))}")
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
    backprop.float32
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
    return _BY_NUMPY.get(result, result)
