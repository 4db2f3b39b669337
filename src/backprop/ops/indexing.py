"""Indexing: ``x[key]`` (basic slicing, integer arrays, boolean masks) and gather; their adjoints,
which place values into zeros (the gradients of indexing, and indexing is theirs); and the nodes of
in-place writes (``CopySlices``, ``Overwrite``)."""
from backprop import autograd
from backprop import backend
from backprop import dtypes
from backprop.autograd import Function
from backprop.ops.util import check_tensor, dim_index
from backprop.tensor import Tensor
from backprop.ops.manifest import export

_BASIC = (int, slice, type(None), type(Ellipsis))


def array_key(key, shape=None):
    """``key`` as the backend indexes with it, meaning what it means in torch: Tensors and lists become arrays
    (a 0-d integer tensor an int, as torch selects with it), a list that holds sequences, slices, None,
    Ellipsis or tensors counts as a tuple (torch's rule for ``x[[0, 1], [2, 3]]``-style keys). With the
    indexed ``shape``, a key whose ints NumPy would count as advanced indices, moving the indexed dims to the
    front where torch keeps them in place (``x[0, :, [1, 2]]``), becomes the key that gives torch's order;
    without it, those ints become one-element slices (the region then has their dims of size 1)."""
    if type(key) is int or type(key) is slice:
        return key
    if isinstance(key, list) and any(k is None or k is Ellipsis or isinstance(k, (slice, list, tuple, Tensor))
                                     for k in key):
        key = tuple(key)
    if not isinstance(key, tuple):
        return _index_part(key)
    key = tuple(_index_part(k) for k in key)
    if _numpy_moves_the_block(key):
        key = _torch_order(key, shape) if shape is not None else tuple(
            slice(k, k + 1 or None) if _is_int(k) else k for k in key)
    return key


def _index_part(k):
    """One entry of a key as the backend takes it."""
    if isinstance(k, Tensor):
        if k.dtype.kind not in "biu":
            raise IndexError(f"tensors used as indices must be long, int or bool tensors, got {k.dtype}")
        if k.dtype == dtypes.uint8:  # torch reads a uint8 index as a mask (its legacy rule)
            return k._data.astype(dtypes.bool_)
        return int(k._data) if k.ndim == 0 and k.dtype.kind != "b" else k._data
    if isinstance(k, list):
        array = backend.numpy.asarray(k)
        if array.dtype.kind not in "biu":
            if array.size:
                raise IndexError(f"a list used as an index must hold ints or bools, got {array.dtype}")
            array = array.astype(dtypes.int64)
        return array
    if isinstance(k, backend.numpy.integer):
        return int(k)
    if isinstance(k, bool):
        return backend.numpy.asarray(k)
    return k


def _is_int(k):
    return isinstance(k, int) and not isinstance(k, bool)


def _is_array(k):
    return backend.is_array(k)


def _numpy_moves_the_block(key):
    """True when NumPy, counting the ints as advanced indices, finds them apart from the arrays (by a slice,
    None or Ellipsis) and moves the indexed dims to the front, while torch, selecting with the ints first,
    finds the arrays together and keeps their dims in place."""
    arrays = [i for i, k in enumerate(key) if _is_array(k)]
    if not arrays or not any(_is_int(k) for k in key):
        return False
    advanced = [i for i, k in enumerate(key) if _is_array(k) or _is_int(k)]
    together = all(_is_array(k) or _is_int(k) for k in key[arrays[0]:arrays[-1] + 1])
    numpy_together = advanced[-1] - advanced[0] + 1 == len(advanced)
    in_front = all(_is_int(k) for k in key[:arrays[0]])  # torch's block is in front too
    return together and not numpy_together and not in_front


def _torch_order(key, shape):
    """An all-advanced key whose result is torch's ``x[key]``: each slice an arange along its own result dim,
    the arrays broadcast together at the place of their block, None a result dim that no array spans."""
    xp = backend.numpy
    consumed = sum(k.ndim if backend.is_array(k) and k.dtype.kind == "b" else 1 for k in key
                   if k is not None and k is not Ellipsis)
    parts, dim, block, before = [], 0, None, 0
    for k in key:
        if k is Ellipsis:
            for _ in range(len(shape) - consumed):
                parts.append(("dim", xp.arange(shape[dim])))
                dim += 1
            before += (len(shape) - consumed) * (block is None)
        elif k is None:
            parts.append(("dim", None))
            before += block is None
        elif isinstance(k, slice):
            parts.append(("dim", xp.arange(*k.indices(shape[dim]))))
            before += block is None
            dim += 1
        elif _is_int(k):
            parts.append(("int", k))
            dim += 1
        else:
            k = backend.to_numpy(k)
            if k.ndim == 0:
                raise IndexError("a 0-d bool index together with ints and index tensors set apart by slices is not "
                                 "provided by backprop; index in two steps")
            arrays = xp.nonzero(k) if k.dtype.kind == "b" else (k,)
            parts.extend(("array", a) for a in arrays)
            block = before if block is None else block
            dim += len(arrays)
    device = next((backend.array_module(k) for k in key if backend.is_array(k)), xp)  # where the key lives
    block_shape = xp.broadcast_shapes(*(a.shape for kind, a in parts if kind == "array"))
    n = sum(kind == "dim" for kind, _ in parts) + len(block_shape)
    result, axis = [], 0
    for kind, a in parts:
        if kind == "int":
            result.append(a)
        elif kind == "array":
            result.append(xp.broadcast_to(a, block_shape).reshape((1,) * block + block_shape
                                                                  + (1,) * (n - block - len(block_shape))))
        else:
            axis += len(block_shape) if axis == block else 0
            if a is not None:
                where = [1] * n
                where[axis] = a.size
                result.append(a.reshape(where))
            axis += 1
    return tuple(device.asarray(a) if backend.is_array(a) else a for a in result)


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
        raise RuntimeError(f"the values of shape {tuple(value.shape)} cannot be broadcast to the tensor's shape "
                           f"{tuple(input.shape)}: {error}") from None


def axis_key(index, axis):
    """The NumPy key that pairs each element of ``index`` (an integer array) with the position it names along
    ``axis``: ``x[axis_key(index, 0)][i][j] = x[index[i][j]][j]`` (gather's and scatter's positions)."""
    xp = backend.array_module(index)
    key = []
    for i, size in enumerate(index.shape):
        if i == axis:
            key.append(index)
        else:
            shape = [1] * index.ndim
            shape[i] = size
            key.append(xp.arange(size).reshape(shape))
    return tuple(key)


class Gather(Function):
    """y[i][j][k] = x[index[i][j][k]][j][k] (for dim 0); dL/dx adds dL/dy at the gathered positions."""

    def forward(self, x, index, axis):
        self.shape, self.key = x.shape, axis_key(index, axis)
        return x[self.key]

    def backward(self, grad):
        return IndexPut.call(grad, key=self.key, shape=self.shape)


def getitem(input, key):
    """``input[key]`` as torch indexes: ints, slices, None and Ellipsis give a view; int64 and bool tensors
    and lists a copy (see ``array_key`` for where the indexed dims go)."""
    parts = array_key(key, input.shape)
    function = Index
    if is_basic(parts):
        function = Slice
        parts = parts if isinstance(parts, tuple) else (parts,)
        if not any(k is Ellipsis for k in parts):
            parts = parts + (Ellipsis,)  # NumPy then returns a 0-d view, not a scalar, for a single element
    try:
        result = function.apply(input, key=parts)
    except IndexError as error:
        raise IndexError(f"index out of range for a tensor of shape {tuple(input.shape)}: {error}") from None
    return result


def check_index(index, op, allow_bool=False):
    """``index`` as an integer (or, with ``allow_bool``, bool) Tensor; torch's errors otherwise."""
    check_tensor(index, op)
    kinds = "iub" if allow_bool else "iu"
    if index.dtype.kind not in kinds:
        raise IndexError(f"{op}(): expected an int64 index tensor{' or a bool mask' if allow_bool else ''}, "
                         f"got {index.dtype}")
    return index


class IndexOutOfRange(IndexError, RuntimeError):
    """An index past the end: torch raises IndexError from some ops (index_select, take) and RuntimeError
    from others (gather, scatter); this error is both."""


def check_range(index, size, op, negative=False):
    """Every element of the integer array ``index`` names one of ``size`` positions (``negative``: counting
    from the end is allowed, as ``take`` and ``x[i]`` allow it): ``IndexOutOfRange`` otherwise."""
    if index.size == 0:
        return
    low, high = int(index.min()), int(index.max())
    if high >= size or low < (-size if negative else 0):
        bad = high if high >= size else low
        raise IndexOutOfRange(f"{op}(): index {bad} is out of range for a dimension of size {size}")


def write_out(result, out, op):
    """``op(..., out=out)``: ``result``'s values written into ``out`` (resized when its shape differs, as torch
    resizes it), which is returned; as torch, refused while the graph is recorded for a tensor that needs
    gradients."""
    if out is None:
        return result
    check_tensor(out, op)
    if autograd.is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad")
    if dtypes.category(result.dtype) > dtypes.category(out.dtype):
        raise RuntimeError(f"{op}(): the result type {result.dtype} can't be cast to the desired output type "
                           f"{out.dtype}")
    if out.shape != result.shape:
        out.data = backend.array_module(result._data).empty(result.shape, dtype=out.dtype)
    out._write(result._data)
    return out


def dim_key(axis, index):
    """The key that indexes with ``index`` along ``axis``: ``(:, ..., :, index)``."""
    return (slice(None),) * axis + (index,)


@export()
def gather(input, dim, index, *, sparse_grad=False, out=None):
    """Values of ``input`` along ``dim`` at the positions in ``index`` (int64, same ndim)."""
    check_tensor(input, "gather")
    check_index(index, "gather")
    axis = dim_index(dim, input.ndim, "gather")
    if index.ndim != input.ndim and not (index.ndim <= 1 and input.ndim <= 1):
        raise RuntimeError(f"gather(): index has {index.ndim} dimensions but input has {input.ndim}")
    for d, (n_index, n_input) in enumerate(zip(index.shape, input.shape)):
        if d != axis and n_index > n_input:
            raise RuntimeError(
                f"gather(): index shape {tuple(index.shape)} exceeds input shape {tuple(input.shape)} in dim {d}"
            )
    check_range(index._data, input.shape[axis] if input.ndim else 1, "gather")
    if input.ndim == 0:
        return write_out(input.reshape(index.shape), out, "gather")
    return write_out(Gather.apply(input, index=index._data, axis=axis), out, "gather")


@export()
def index_select(input, dim, index, *, out=None):
    """The slices of ``input`` along ``dim`` at the positions in ``index`` (1-D int64), in that order;
    dL/dinput adds dL/dy into each selected slice (a repeated index collects every use)."""
    check_tensor(input, "index_select")
    check_index(index, "index_select")
    if index.ndim > 1:
        raise IndexError(f"index_select(): index must be 0-d or 1-d, got {index.ndim} dimensions")
    if input.ndim == 0:
        check_range(index._data, 1, "index_select")
        return write_out(input.reshape(index.shape), out, "index_select")
    axis = dim_index(dim, input.ndim, "index_select")
    check_range(index._data, input.shape[axis], "index_select")
    return write_out(Index.apply(input, key=dim_key(axis, index._data.reshape(-1))), out, "index_select")


@export()
def masked_select(input, mask, *, out=None):
    """The elements of ``input`` where ``mask`` (bool, broadcast with input) is True, as a 1-D tensor."""
    check_tensor(input, "masked_select")
    check_tensor(mask, "masked_select")
    if mask.dtype.kind != "b":
        raise RuntimeError(f"masked_select(): expected a bool mask, got {mask.dtype}")
    shape = broadcast_shape(input.shape, mask.shape, "masked_select")
    xp = backend.array_module(mask._data)
    key = xp.broadcast_to(mask._data, shape)
    return write_out(Index.apply(input.expand(*shape), key=key), out, "masked_select")


@export()
def take(input, index, *, out=None):
    """``input`` as if flattened, read at ``index`` (any shape; negative counts from the end)."""
    check_tensor(input, "take")
    check_index(index, "take")
    check_range(index._data, input.numel(), "take", negative=True)
    return write_out(Index.apply(input.reshape(-1), key=index._data), out, "take")


@export()
def take_along_dim(input, indices, dim=None, *, out=None):
    """``gather`` with ``indices`` broadcast against ``input`` (all dims but ``dim``); ``dim=None``: both
    flattened."""
    check_tensor(input, "take_along_dim")
    check_index(indices, "take_along_dim")
    if dim is None:
        return write_out(gather(input.reshape(-1), 0, indices.reshape(-1)), out, "take_along_dim")
    axis = dim_index(dim, input.ndim, "take_along_dim")
    if indices.ndim != input.ndim:
        raise RuntimeError(f"take_along_dim(): input and indices should have the same number of dimensions, "
                           f"got {input.ndim} and {indices.ndim}")
    shape = list(broadcast_shape(tuple(n for d, n in enumerate(input.shape) if d != axis),
                                 tuple(n for d, n in enumerate(indices.shape) if d != axis), "take_along_dim"))
    input = input.expand(*shape[:axis], input.shape[axis], *shape[axis:])
    indices = indices.expand(*shape[:axis], indices.shape[axis], *shape[axis:])
    return write_out(gather(input, axis, indices), out, "take_along_dim")


def broadcast_shape(a, b, op):
    """The shape ``a`` and ``b`` broadcast to; torch's RuntimeError when they do not."""
    try:
        return tuple(backend.numpy.broadcast_shapes(tuple(a), tuple(b)))
    except ValueError:
        raise RuntimeError(f"{op}(): the shapes {tuple(a)} and {tuple(b)} do not broadcast") from None


@export()
def nonzero(input, *, out=None, as_tuple=False):
    """The positions of the non-zero elements: an int64 tensor (n, ndim), or (``as_tuple``) one 1-D tensor
    per dim (a 0-d input counts as 1-d)."""
    check_tensor(input, "nonzero")
    data = input._data
    xp = backend.array_module(data)
    if as_tuple:
        if out is not None:
            raise RuntimeError("nonzero(): out= is not supported with as_tuple=True")
        return tuple(Tensor._make(p.astype(dtypes.int64)) for p in xp.nonzero(data.reshape(1) if data.ndim == 0 else data))
    positions = xp.stack(xp.nonzero(data), axis=-1) if data.ndim else xp.zeros((int(data != 0), 0))
    return write_out(Tensor._make(positions.astype(dtypes.int64)), out, "nonzero")


@export()
def argwhere(input):
    """``nonzero(input)``: the positions of the non-zero elements, one row each."""
    return nonzero(input)
