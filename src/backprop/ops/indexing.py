"""Indexing: ``x[key]`` (basic slicing, integer arrays, boolean masks) and gather."""
from backprop import backend
from backprop.autograd import Function
from backprop.ops.util import check_tensor, dim_index
from backprop.tensor import Tensor

_BASIC = (int, slice, type(None), type(Ellipsis))


def array_key(key):
    """The key with every Tensor replaced by its array (for the backend to index with)."""
    if isinstance(key, Tensor):
        return key._data
    if isinstance(key, tuple):
        return tuple(k._data if isinstance(k, Tensor) else k for k in key)
    return key


def is_basic(key):
    """True when ``key`` only slices (ints, slices, None, ...): the result is a view."""
    parts = key if isinstance(key, tuple) else (key,)
    return all(isinstance(k, _BASIC) and not isinstance(k, bool) for k in parts)


class Slice(Function):
    """y = x[key] for a basic key (a view); dL/dx = dL/dy placed at key, 0 elsewhere."""

    is_view = True

    def forward(self, x, key):
        self.shape, self.key = x.shape, key
        return x[key]

    def backward(self, grad):
        result = backend.array_module(grad).zeros(self.shape, dtype=grad.dtype)
        result[self.key] = grad
        return result


class Index(Function):
    """y = x[key] for integer-array or boolean keys (a copy); dL/dx adds dL/dy at
    every selected position, so an index that repeats collects every use."""

    def forward(self, x, key):
        self.shape, self.key = x.shape, key
        return x[key]

    def backward(self, grad):
        xp = backend.array_module(grad)
        result = xp.zeros(self.shape, dtype=grad.dtype)
        xp.add.at(result, self.key, grad)
        return result


class Gather(Function):
    """y[i][j][k] = x[index[i][j][k]][j][k] (for dim 0); dL/dx adds dL/dy at the gathered positions."""

    def forward(self, x, index, axis):
        xp = backend.array_module(x)
        key = []
        for i, size in enumerate(index.shape):
            if i == axis:
                key.append(index)
            else:
                shape = [1] * index.ndim
                shape[i] = size
                key.append(xp.arange(size).reshape(shape))
        self.shape, self.key = x.shape, tuple(key)
        return x[self.key]

    def backward(self, grad):
        xp = backend.array_module(grad)
        result = xp.zeros(self.shape, dtype=grad.dtype)
        xp.add.at(result, self.key, grad)
        return result


def getitem(input, key):
    """``input[key]``, as NumPy indexes (and torch: same rules for these keys)."""
    key = array_key(key)
    function = Slice if is_basic(key) else Index
    try:
        return function.apply(input, key=key)
    except IndexError as error:
        raise IndexError(f"index out of range for a tensor of shape {input.shape}: {error}") from None


def gather(input, dim, index):
    """Values of ``input`` along ``dim`` at the positions in ``index`` (int64, same ndim)."""
    check_tensor(input, "gather")
    check_tensor(index, "gather")
    axis = dim_index(dim, input.ndim, "gather")
    if index.dtype.kind not in "iu":
        raise TypeError(f"gather(): index must be an integer tensor, got {index.dtype}")
    if index.ndim != input.ndim:
        raise ValueError(f"gather(): index has {index.ndim} dimensions but input has {input.ndim}")
    for d, (n_index, n_input) in enumerate(zip(index.shape, input.shape)):
        if d != axis and n_index > n_input:
            raise ValueError(
                f"gather(): index shape {index.shape} exceeds input shape {input.shape} in dim {d}"
            )
    try:
        return Gather.apply(input, index=index._data, axis=axis)
    except IndexError as error:
        raise IndexError(f"gather(): an index is out of range for dim {dim} of size {input.shape[axis]}: {error}") from None
