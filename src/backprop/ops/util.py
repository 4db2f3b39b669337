"""Argument handling shared by the ops: operands, dims, dtypes; the named tuples ops return."""
import collections

from backprop import backend
from backprop import dtypes
from backprop.tensor import Tensor


def check_tensor(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}() expected a Tensor, got {type(x).__name__}")
    return x


def as_operand(x, like):
    """Tensors stay, arrays become Tensors, numbers stay numbers (for promotion)."""
    if isinstance(x, Tensor) or isinstance(x, (int, float)):
        return x
    if backend.is_array(x):
        return Tensor._make(backend.array_module(like._data).asarray(x))
    if isinstance(x, backend.numpy.generic) and x.dtype.kind in "biuf":
        return x.item()
    raise TypeError(f"expected a Tensor, an array or a number, got {type(x).__name__}")


def operands(a, b):
    """``a`` and ``b`` as Tensors of one dtype, promoted as torch does.

    Numbers become 0-d constant tensors of the result dtype on the tensor's
    device; a tensor of another dtype is cast (a differentiable op).
    """
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            if a._data.dtype == b._data.dtype:
                return a, b
        elif type(b) is float and a._data.dtype.kind == "f":  # the common x * 0.5: no promotion
            return a, Tensor._make(backend.array_module(a._data).asarray(b, dtype=a._data.dtype))
    elif type(a) is float and isinstance(b, Tensor) and b._data.dtype.kind == "f":
        return Tensor._make(backend.array_module(b._data).asarray(a, dtype=b._data.dtype)), b
    like = a if isinstance(a, Tensor) else b
    a, b = as_operand(a, like), as_operand(b, like)
    dtype = dtypes.result_type(a, b)
    return to_dtype(a, dtype, like), to_dtype(b, dtype, like)


def to_dtype(x, dtype, like):
    """A Tensor or number as a Tensor of ``dtype`` (numbers on ``like``'s device)."""
    if not isinstance(x, Tensor):
        return Tensor._make(backend.array_module(like._data).asarray(x, dtype=dtype))
    if x._data.dtype == dtype:
        return x
    from backprop.ops.conversion import cast

    return cast(x, dtype)


def floating(x, op):
    """``x`` itself when floating point, else a float32 copy (as torch's exp(int_tensor))."""
    check_tensor(x, op)
    if dtypes.is_floating(x._data.dtype):
        return x
    return Tensor._make(x._data.astype(dtypes.default_float))


def require_floating(x, op):
    check_tensor(x, op)
    if not dtypes.is_floating(x._data.dtype):
        raise TypeError(f"{op}() expected a floating point tensor, got {x.dtype}; convert it with .float()")
    return x


def dim_index(dim, ndim, op="op"):
    """``dim`` as a non-negative axis, checked against ``ndim``."""
    n = max(ndim, 1)
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"{op}(): dim must be an int, got {type(dim).__name__}")
    if not -n <= dim < n:
        raise IndexError(f"{op}(): dim {dim} is out of range for a tensor of {ndim} dimensions (expected {-n} to {n - 1})")
    return dim % n


def dims(dim, ndim, op="op"):
    """None (all axes) or a tuple of non-negative axes from an int or a sequence."""
    if dim is None or (isinstance(dim, (tuple, list)) and not dim):  # torch: dim=() reduces every dim
        return None
    if ndim == 0:  # a 0-d tensor takes dim 0 or -1 (checked here); there is no axis to reduce
        for d in dim if isinstance(dim, (tuple, list)) else (dim,):
            dim_index(d, ndim, op)
        return ()
    if isinstance(dim, (tuple, list)):
        axes = tuple(dim_index(d, ndim, op) for d in dim)
        if len(set(axes)) != len(axes):
            raise ValueError(f"{op}(): dim {tuple(dim)} names an axis twice")
        return axes
    return (dim_index(dim, ndim, op),)


def keep_shape(shape, axes):
    """``shape`` with the reduced ``axes`` (None: all) set to 1, for broadcasting back."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def shape_arg(shape):
    """``reshape(2, 3)`` and ``reshape((2, 3))`` both give (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def ntuple(value, n, name, op):
    """An int or a sequence of n ints (kernel_size, stride, ...) as a tuple of n ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * n
    if isinstance(value, (tuple, list)) and len(value) == n and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        return tuple(value)
    raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}")


def return_type(name, fields=("values", "indices")):
    """The named tuple an op returns (torch.return_types.NAME: ``sort(x).values``), printed as torch prints it:
    one field a line."""
    base = collections.namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{field}={value!r}" for field, value in zip(self._fields, self))
        return f"backprop.return_types.{name}(\n{body})"

    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__str__": __repr__})
    cls.__module__ = "backprop.return_types"
    return cls
