"""Indexing: ``x[key]`` (basic slicing, integer arrays, boolean masks) and gather; their adjoints,
which place values into zeros (the gradients of indexing, and indexing is theirs); and the nodes of
in-place writes (``CopySlices``, ``Overwrite``)."""
from backprop import backend
from backprop.autograd import Function
from backprop.ops.util import check_tensor, dim_index
from backprop.tensor import Tensor
from backprop.ops.manifest import export

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
        return SliceScatter.call(grad, key=self.key, shape=self.shape)


class SliceScatter(Function):
    """y = zeros(shape) with y[key] = x (a basic key): the adjoint of ``Slice``; dL/dx = dL/dy[key]."""

    def forward(self, x, key, shape):
        self.key = key
        result = backend.array_module(x).zeros(shape, dtype=x.dtype)
        result[key] = x
        return result

    def backward(self, grad):
        return grad[self.key]


class Index(Function):
    """y = x[key] for integer-array or boolean keys (a copy); dL/dx adds dL/dy at
    every selected position, so an index that repeats collects every use."""

    def forward(self, x, key):
        self.shape, self.key = x.shape, key
        return x[key]

    def backward(self, grad):
        return IndexPut.call(grad, key=self.key, shape=self.shape)


class IndexPut(Function):
    """y = zeros(shape) with x added at y[key] (a repeated position collects every value): the adjoint
    of ``Index`` (and of ``Gather``); dL/dx = dL/dy[key]. ``unique=True``: no position repeats, a plain write."""

    def forward(self, x, key, shape, unique=False):
        xp = backend.array_module(x)
        self.key = key
        result = xp.zeros(shape, dtype=x.dtype)
        if unique:
            result[key] = x
        else:
            xp.add.at(result, key, x)
        return result

    def backward(self, grad):
        return grad[self.key]


class CopySlices(Function):
    """The base of an in-place write: y = b with the region ``view(b)[key]`` replaced by s.

    The write itself is done (forward returns b's array, already holding s); the node routes the gradient:
    dL/db = dL/dy with the region zeroed, dL/ds = view(dL/dy)[key] (``chain``: the view ops from b to the
    region's tensor, each (Function, params); ``key``: an indexing key, or None for the whole view).
    """

    def forward(self, base, source, chain, key):
        xp = backend.array_module(base)
        self.chain, self.key = chain, key
        keep = xp.ones(base.shape, dtype=base.dtype)
        region = keep
        for cls, params in chain:
            region = cls().forward(region, **params)
        region[Ellipsis if key is None else key] = 0
        self.keep = keep
        return base

    def backward(self, grad):
        region = grad
        for cls, params in self.chain:
            region = cls.call(region, **params)
        if self.key is not None:
            region = region[self.key]
        return grad * self.keep, region


class Overwrite(Function):
    """y = s broadcast to x's shape (``fill_``, ``copy_``, ``zero_``, ``normal_``): x's old value is gone,
    so dL/dx = 0 (as torch); dL/ds = dL/dy (summed back to s's shape by the engine)."""

    def forward(self, x, source):
        xp = backend.array_module(x)
        return xp.array(xp.broadcast_to(source, x.shape), dtype=x.dtype)

    def backward(self, grad):
        needs_x, needs_source = self.needs_input_grad
        return (grad * 0 if needs_x else None), (grad if needs_source else None)


def values_for(input, value):
    """``value`` (a number, array or Tensor) as a Tensor of ``input``'s dtype on its device, to be written
    into it (the cast and the move are recorded: the gradient flows back to a Tensor value)."""
    if not isinstance(value, Tensor):
        return Tensor._make(backend.array_module(input._data).asarray(value, dtype=input.dtype))
    if value.device != input.device:
        value = value.to(input.device)
    return value if value.dtype == input.dtype else value.to(input.dtype)


def overwrite(input, value):
    """The values ``value`` (a number or Tensor, broadcast) in place of ``input``'s: the node of fill_/copy_."""
    value = values_for(input, value)
    try:
        return Overwrite.apply(input, value)
    except ValueError as error:
        raise RuntimeError(f"the values of shape {value.shape} cannot be broadcast to the tensor's shape "
                           f"{input.shape}: {error}") from None


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
        return IndexPut.call(grad, key=self.key, shape=self.shape)


def getitem(input, key):
    """``input[key]``, as NumPy indexes (and torch: same rules for these keys)."""
    key = array_key(key)
    function = Index
    if is_basic(key):
        function = Slice
        key = key if isinstance(key, tuple) else (key,)
        if not any(k is Ellipsis for k in key):
            key = key + (Ellipsis,)  # NumPy then returns a 0-d view, not a scalar, for a single element
    try:
        return function.apply(input, key=key)
    except IndexError as error:
        raise IndexError(f"index out of range for a tensor of shape {input.shape}: {error}") from None


@export()
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
