"""Shape changes: reshape/view/flatten/squeeze/unsqueeze, transpose/permute/movedim, expand/broadcast,
which move no values (views), and flip, roll, rot90, repeat, tile, repeat_interleave, which copy them. Each
backward undoes the change on dL/dy (a copied element's gradients are summed). ravel and diagflat are
reshapes (and diag); unravel_index gives the coordinates of flat indices."""
from backprop import autograd
from backprop import backend
from backprop import dtypes
from backprop.autograd import Function
from backprop.ops.util import check_tensor, dim_index, shape_arg
from backprop.ops.manifest import export
from backprop.tensor import Size, Tensor, _rebase


class Reshape(Function):
    """y = x with another shape (same elements in the same order); dL/dx = dL/dy reshaped back."""

    is_view = True

    def forward(self, x, shape):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self.shape)


class Permute(Function):
    """y = x with its axes reordered; dL/dx = dL/dy with the inverse order."""

    is_view = True

    def forward(self, x, axes):
        self.axes = axes
        return x.transpose(axes)

    def backward(self, grad):
        inverse = [0] * len(self.axes)
        for i, axis in enumerate(self.axes):
            inverse[axis] = i
        return backend.array_module(grad).transpose(grad, inverse)


class Expand(Function):
    """y = x broadcast to a larger shape (no copy); dL/dx = dL/dy summed over the
    broadcast axes, which the engine's ``sum_to`` does."""

    is_view = True

    def forward(self, x, shape):
        return backend.array_module(x).broadcast_to(x, shape)

    def backward(self, grad):
        return grad


def _reshape(input, shape, op):
    check_tensor(input, op)
    shape = shape_arg(shape)
    if shape == input.shape:
        return input
    known, count = 1, input.numel()
    for size in shape:
        known *= size if size != -1 else 1
    if -1 in shape:
        valid = shape.count(-1) == 1 and known > 0 and count % known == 0
    else:
        valid = known == count
    if not valid or any(size < -1 for size in shape):
        raise RuntimeError(f"{op}: shape {shape} is invalid for a tensor of {count} elements (shape {tuple(input.shape)})")
    return Reshape.apply(input, shape=shape)


@export()
def reshape(input, *shape):
    """The same elements in a new shape; one size may be -1 (inferred)."""
    return _reshape(input, shape, "reshape")


@export()
def view(input, *shape):
    """As ``reshape`` (backprop's arrays may always be viewed or copied); ``view(dtype)``: the same memory read
    as another dtype of the same element size."""
    if len(shape) == 1 and _is_dtype(shape[0]):
        return view_dtype(input, shape[0])
    return _reshape(input, shape, "view")


@export()
def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims start_dim..end_dim into one."""
    check_tensor(input, "flatten")
    if input.ndim == 0:
        return _reshape(input, (1,), "flatten")
    start = dim_index(start_dim, input.ndim, "flatten")
    end = dim_index(end_dim, input.ndim, "flatten")
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    shape = input.shape
    merged = 1
    for size in shape[start:end + 1]:
        merged *= size
    return _reshape(input, shape[:start] + (merged,) + shape[end + 1:], "flatten")


@export()
def squeeze(input, dim=None):
    """Remove dims of size 1 (all of them, or those named by ``dim``)."""
    check_tensor(input, "squeeze")
    if dim is None:
        axes = range(input.ndim)
    else:
        axes = [dim_index(d, input.ndim, "squeeze") for d in (dim if isinstance(dim, (tuple, list)) else (dim,))]
    drop = {a for a in axes if input.ndim and input.shape[a] == 1}
    return _reshape(input, tuple(s for i, s in enumerate(input.shape) if i not in drop), "squeeze")


@export()
def unsqueeze(input, dim):
    """Insert a dim of size 1 at position ``dim`` (negative counts from the end)."""
    check_tensor(input, "unsqueeze")
    axis = dim_index(dim, input.ndim + 1, "unsqueeze")
    shape = input.shape
    return _reshape(input, shape[:axis] + (1,) + shape[axis:], "unsqueeze")


@export()
def permute(input, *dims):
    """Reorder the dims: ``x.permute(2, 0, 1)`` makes dim 2 the first."""
    check_tensor(input, "permute")
    dims = shape_arg(dims)
    axes = tuple(dim_index(d, input.ndim, "permute") for d in dims)
    if sorted(axes) != list(range(input.ndim)):
        raise ValueError(f"permute: dims {dims} must be an ordering of 0..{input.ndim - 1}")
    if axes == tuple(range(input.ndim)):
        return input
    return Permute.apply(input, axes=axes)


@export()
def transpose(input, dim0, dim1):
    """Swap two dims."""
    check_tensor(input, "transpose")
    axes = list(range(input.ndim))
    a, b = dim_index(dim0, input.ndim, "transpose"), dim_index(dim1, input.ndim, "transpose")
    axes[a], axes[b] = axes[b], axes[a]
    return permute(input, *axes)


@export()
def expand(input, *sizes):
    """Broadcast to ``sizes`` without copying; -1 keeps a dim, new dims go in front."""
    check_tensor(input, "expand")
    sizes = shape_arg(sizes)
    lead = len(sizes) - input.ndim
    if lead < 0:
        raise ValueError(f"expand: {len(sizes)} sizes given for a tensor of {input.ndim} dimensions (shape {tuple(input.shape)})")
    shape = []
    for i, size in enumerate(sizes):
        old = input.shape[i - lead] if i >= lead else None
        if size == -1:
            if old is None:
                raise ValueError(f"expand: -1 is not allowed for the new leading dim {i}")
            size = old
        if old is not None and old != size and old != 1:
            raise ValueError(
                f"expand: the size {size} of dim {i} does not match the tensor's {old} "
                f"(shape {tuple(input.shape)}); only dims of size 1 can be expanded"
            )
        shape.append(size)
    if tuple(shape) == input.shape:
        return input
    return Expand.apply(input, shape=tuple(shape))


def _is_dtype(value):
    """True for what ``dtypes.as_dtype`` takes as a dtype (``x.view(bp.int32)``) rather than a size."""
    return not isinstance(value, (int, tuple, list)) or isinstance(value, bool)


def view_dtype(input, dtype):
    """``x.view(dtype)``: the same memory read as another dtype of the same size (no gradient, as torch)."""
    dtype = dtypes.as_dtype(dtype)
    if dtype == input.dtype:
        return input
    if dtype.itemsize != input.dtype.itemsize:
        raise NotImplementedError(f"view(dtype): viewing {input.dtype} as {dtype} (another element size) is not "
                                  "provided by backprop; only dtypes of the same size")
    if input.requires_grad and autograd.is_grad_enabled():
        raise RuntimeError(f"view(dtype): a tensor that requires grad cannot be viewed as {dtype}")
    result = Tensor._make(input._data.view(dtype))
    result._version = input._version
    return result


class Flip(Function):
    """y = x with the order of its elements reversed along ``axes`` (a copy); dL/dx = dL/dy flipped back."""

    def forward(self, x, axes):
        self.axes = axes
        return backend.array_module(x).flip(x, axes).copy()

    def backward(self, grad):
        return Flip.call(grad, axes=self.axes)


class Roll(Function):
    """y = x with its elements moved ``shifts`` places along ``axes`` (around the end; ``axes=None``: as if
    flattened); dL/dx = dL/dy rolled back."""

    def forward(self, x, shifts, axes):
        self.shifts, self.axes = shifts, axes
        return backend.array_module(x).roll(x, shifts, axes)

    def backward(self, grad):
        return Roll.call(grad, shifts=tuple(-s for s in self.shifts), axes=self.axes)


def _dims(dims, ndim, op):
    """An int or a sequence of dims as a tuple of distinct non-negative axes."""
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    axes = tuple(dim_index(d, ndim, op) for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"{op}(): dim {dims} appears multiple times in the list of dims")
    return axes


@export()
def flip(input, dims):
    """The elements in reverse order along each of ``dims`` (a copy)."""
    check_tensor(input, "flip")
    axes = _dims(dims, input.ndim, "flip")
    if input.ndim == 0 or not axes:
        return input.clone()
    return Flip.apply(input, axes=axes)


@export()
def fliplr(input):
    """Flip dim 1 (left and right), for tensors of at least 2 dims."""
    if check_tensor(input, "fliplr").ndim < 2:
        raise RuntimeError(f"fliplr(): input must be >= 2-d, got {input.ndim}-d")
    return flip(input, (1,))


@export()
def flipud(input):
    """Flip dim 0 (up and down), for tensors of at least 1 dim."""
    if check_tensor(input, "flipud").ndim < 1:
        raise RuntimeError("flipud(): input must be >= 1-d, got 0-d")
    return flip(input, (0,))


@export()
def roll(input, shifts, dims=None):
    """Move the elements ``shifts`` places along ``dims``, around the end; no dims: as if flattened."""
    check_tensor(input, "roll")
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll(): {len(shifts)} shifts given without dims; give one shift per dim")
        return Roll.apply(input, shifts=(int(shifts[0]),), axes=None)
    axes = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(axes) != len(shifts):
        raise RuntimeError(f"roll(): shifts {shifts} and dims {axes} must have the same length")
    axes = tuple(dim_index(d, input.ndim, "roll") for d in axes)
    return Roll.apply(input, shifts=tuple(int(s) for s in shifts), axes=axes)


@export()
def rot90(input, k=1, dims=(0, 1)):
    """Rotate by k quarter turns in the plane of ``dims``, from the first dim towards the second."""
    check_tensor(input, "rot90")
    if len(dims) != 2:
        raise RuntimeError(f"rot90(): expected 2 dims, got {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"rot90(): expected a tensor of at least 2 dims, got {input.ndim}")
    a, b = _dims(dims, input.ndim, "rot90")
    k %= 4
    if k == 1:
        return transpose(flip(input, (b,)), a, b)
    if k == 2:
        return flip(input, (a, b))
    if k == 3:
        return transpose(flip(input, (a,)), a, b)
    return input.clone()


@export()
def movedim(input, source, destination):
    """Move the dims ``source`` to the positions ``destination`` (ints or sequences), the others keeping their
    order (a view)."""
    check_tensor(input, "movedim")
    source = _dims(source, input.ndim, "movedim")
    destination = _dims(destination, input.ndim, "movedim")
    if len(source) != len(destination):
        raise RuntimeError(f"movedim(): source {source} and destination {destination} must have the same length")
    order = [d for d in range(input.ndim) if d not in source]
    for d, s in sorted(zip(destination, source)):
        order.insert(d, s)
    return permute(input, *order)


@export()
def moveaxis(input, source, destination):
    """``movedim`` (NumPy's name)."""
    return movedim(input, source, destination)


@export()
def swapaxes(input, axis0, axis1):
    """``transpose`` (NumPy's name)."""
    return transpose(input, axis0, axis1)


@export()
def swapdims(input, dim0, dim1):
    """``transpose``."""
    return transpose(input, dim0, dim1)


@export()
def t(input):
    """The transpose of a tensor of at most 2 dims (a view; 0-d and 1-d tensors stay as they are)."""
    check_tensor(input, "t")
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, 1) if input.ndim == 2 else input


@export()
def adjoint(input):
    """The last two dims swapped (the conjugate transpose; backprop's tensors are real)."""
    if check_tensor(input, "adjoint").ndim < 2:
        raise RuntimeError(f"adjoint() is only supported on matrices or batches of matrices, got a "
                           f"{input.ndim}-D tensor")
    return transpose(input, -2, -1)


@export()
def unflatten(input, dim, sizes):
    """Dim ``dim`` split into dims of ``sizes`` (one may be -1), a view."""
    check_tensor(input, "unflatten")
    axis = dim_index(dim, input.ndim, "unflatten")
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten(): sizes must be non-empty")
    if -1 in sizes:
        known = 1
        for s in sizes:
            known *= s if s != -1 else 1
        if sizes.count(-1) > 1 or known == 0 or input.shape[axis] % known:
            raise RuntimeError(f"unflatten(): sizes {sizes} do not fit dim {dim} of size {input.shape[axis]}")
        sizes = tuple(input.shape[axis] // known if s == -1 else s for s in sizes)
    product = 1
    for s in sizes:
        product *= s
    if product != input.shape[axis]:
        raise RuntimeError(f"unflatten(): provided sizes {sizes} don't multiply up to the size of dim {dim} "
                           f"({input.shape[axis]}) in the input tensor")
    return _reshape(input, input.shape[:axis] + sizes + input.shape[axis + 1:], "unflatten")


@export(function=False)
def repeat(input, *sizes):
    """The tensor tiled ``sizes[d]`` times along each dim d (extra leading sizes add dims); a copy whose
    gradient sums the copies."""
    check_tensor(input, "repeat")
    sizes = shape_arg(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError(f"repeat(): the {len(sizes)} repeat sizes can not be fewer than the tensor's "
                           f"{input.ndim} dims")
    shape = (1,) * (len(sizes) - input.ndim) + input.shape
    pairs = [n for s in shape for n in (1, s)]
    wide = [n for r, s in zip(sizes, shape) for n in (r, s)]
    tiled = expand(_reshape(input, pairs, "repeat"), *wide)
    return Reshape.apply(tiled, shape=tuple(r * s for r, s in zip(sizes, shape)))


@export()
def tile(input, dims):
    """``repeat`` with fewer sizes allowed (the missing leading ones are 1)."""
    check_tensor(input, "tile")
    dims = shape_arg((dims,))
    return repeat(input, *((1,) * (input.ndim - len(dims)) + dims))


@export()
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (``dim=None``: of the flattened tensor), or each slice along ``dim``, repeated ``repeats``
    times in place (an int, or one count per element); ``repeat_interleave(counts)``: each index i repeated
    counts[i] times."""
    from backprop.ops.indexing import Index, dim_key

    check_tensor(input, "repeat_interleave")
    if repeats is None:
        counts = input._data
        if counts.ndim > 1 or counts.dtype.kind not in "iu":
            raise RuntimeError(f"repeat_interleave(): repeats must be a 0-d or 1-d integer tensor, got {input.dtype} "
                               f"of {counts.ndim} dims")
        xp = backend.array_module(counts)
        return Tensor._make(xp.repeat(xp.arange(counts.size), counts.reshape(-1)).astype(dtypes.int64))
    if dim is None:
        input, axis = input.reshape(-1), 0
    else:
        axis = dim_index(dim, input.ndim, "repeat_interleave")
    size = input.shape[axis] if input.ndim else 1
    counts = repeats._data.reshape(-1) if isinstance(repeats, Tensor) else int(repeats)
    xp = backend.array_module(input._data)
    if isinstance(repeats, Tensor) and counts.size not in (1, size):
        raise RuntimeError(f"repeat_interleave(): repeats must have the same size as input along dim, got "
                           f"{counts.size} repeats for a size of {size}")
    if (xp.asarray(counts) < 0).any():
        raise RuntimeError("repeat_interleave(): repeats can not be negative")
    positions = xp.repeat(xp.arange(size), counts)
    if output_size is not None and positions.size != output_size:
        raise RuntimeError(f"repeat_interleave(): output_size {output_size} does not match the {positions.size} "
                           "elements repeated")
    if input.ndim == 0:
        input = input.reshape(1)
    return Index.apply(input, key=dim_key(axis, positions))


@export(function=False)
def expand_as(input, other):
    """``expand`` to ``other``'s shape (a view)."""
    return expand(input, *check_tensor(other, "expand_as").shape)


@export(function=False)
def view_as(input, other):
    """``view`` with ``other``'s shape."""
    return _reshape(input, check_tensor(other, "view_as").shape, "view_as")


@export(function=False)
def reshape_as(input, other):
    """``reshape`` to ``other``'s shape."""
    return _reshape(input, check_tensor(other, "reshape_as").shape, "reshape_as")


@export()
def broadcast_to(input, size):
    """``expand`` to ``size`` (torch's function form; -1 keeps a dim)."""
    return expand(input, *shape_arg((size,)))


@export(method=False)
def broadcast_shapes(*shapes):
    """The shape that ``shapes`` (tuples or ints) broadcast to; RuntimeError when they do not."""
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    try:
        return Size(backend.numpy.broadcast_shapes(*shapes))
    except ValueError:
        raise RuntimeError(f"broadcast_shapes(): shape mismatch, the shapes {shapes} do not broadcast") from None


@export(method=False)
def broadcast_tensors(*tensors):
    """The tensors expanded to their common shape (views)."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*(check_tensor(t, "broadcast_tensors").shape for t in tensors))
    return tuple(expand(t, *shape) for t in tensors)


def _at_least(tensors, ndim, op):
    """atleast_Nd's arguments: one tensor gives one tensor, several (or a sequence) a tuple."""
    single = len(tensors) == 1 and not isinstance(tensors[0], (tuple, list))
    if len(tensors) == 1 and not single:
        tensors = tuple(tensors[0])
    results = []
    for t in tensors:
        check_tensor(t, op)
        if t.ndim < ndim:
            shape = {0: (1,) * ndim, 1: (1,) + t.shape + (1,) * (ndim - 2), 2: t.shape + (1,)}[t.ndim]
            t = _reshape(t, shape[:ndim] if t.ndim else shape, op)
        results.append(t)
    return results[0] if single else tuple(results)


@export(method=False)
def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (a 0-d one becomes shape (1,))."""
    return _at_least(tensors, 1, "atleast_1d")


@export(method=False)
def atleast_2d(*tensors):
    """Each tensor with at least 2 dims: (n,) becomes (1, n)."""
    return _at_least(tensors, 2, "atleast_2d")


@export(method=False)
def atleast_3d(*tensors):
    """Each tensor with at least 3 dims: (n,) becomes (1, n, 1), (m, n) becomes (m, n, 1)."""
    return _at_least(tensors, 3, "atleast_3d")


def _in_place_shape(input, name, compute):
    """``input`` takes the shape of the view ``compute(input)`` in place (squeeze_, t_, ...): the same memory,
    the view's node. The tensor as it was stays behind as ``old``: the node's input, and the base of the views
    taken from ``input`` before (and of ``input`` itself, now a view of it), so that a later in-place change
    through any of them still finds its place."""
    if autograd.is_grad_enabled():
        input._check_inplace(name)
    result = compute(input)
    if result is input:
        return input
    old = Tensor._make(input._data, grad_fn=input.grad_fn)
    old._output_nr, old.requires_grad, old._version = input._output_nr, input.requires_grad, input._version
    root = input._view_root()
    views = [v for v in map(lambda reference: reference(), root._views or ()) if v is not None and v._base is input]
    for node in [result.grad_fn] + [view.grad_fn for view in views]:  # the nodes that took input: old instead
        if node is not None and node.inputs is not None:
            node.inputs = tuple(old if x is input else x for x in node.inputs)
    fn = result.grad_fn
    if (input._base is not None or views) and result._base is input:
        for view in views:
            view._base = old
        old._base, old._view_op = input._base, input._view_op
        input._base, input._view_op = old, result._view_op
        if root is input:  # old is the root now: it keeps the list of views, input among them
            old._views, input._views = input._views, None
            old._views.add(input)
    input._data = result._data
    if fn is not None:
        _rebase(input, result)
    return input


@export(function=False)
def squeeze_(input, dim=None):
    """``squeeze`` in place."""
    return _in_place_shape(input, "squeeze_()", lambda x: squeeze(x, dim))


@export(function=False)
def unsqueeze_(input, dim):
    """``unsqueeze`` in place."""
    return _in_place_shape(input, "unsqueeze_()", lambda x: unsqueeze(x, dim))


@export(function=False)
def transpose_(input, dim0, dim1):
    """``transpose`` in place."""
    return _in_place_shape(input, "transpose_()", lambda x: transpose(x, dim0, dim1))


@export(function=False)
def swapaxes_(input, axis0, axis1):
    """``swapaxes`` in place."""
    return _in_place_shape(input, "swapaxes_()", lambda x: transpose(x, axis0, axis1))


@export(function=False)
def swapdims_(input, dim0, dim1):
    """``swapdims`` in place."""
    return _in_place_shape(input, "swapdims_()", lambda x: transpose(x, dim0, dim1))


@export(function=False)
def t_(input):
    """``t`` in place."""
    return _in_place_shape(input, "t_()", t)


@export()
def ravel(input):
    """The elements in one dimension, in row-major order (a copy only where a view cannot be taken)."""
    return check_tensor(input, "ravel").reshape(-1)


@export()
def diagflat(input, offset=0):
    """A square matrix with the flattened input on its ``offset``-th diagonal, zeros elsewhere."""
    return check_tensor(input, "diagflat").reshape(-1).diag(offset)


@export(method=False)
def unravel_index(indices, shape):
    """The coordinates of flat ``indices`` in a tensor of ``shape``: a tuple of int64 tensors, one a dimension
    (index // stride % size, as torch: an index outside the range wraps around)."""
    check_tensor(indices, "unravel_index")
    if indices.dtype.kind not in "iu":
        raise TypeError(f"unravel_index() expected indices of an integer dtype, got {indices.dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(size < 0 for size in shape):
        raise ValueError(f"unravel_index(): the sizes of shape must be non-negative, got {shape}")
    if 0 in shape:
        raise RuntimeError(f"unravel_index(): no index lies in the empty shape {shape}")
    xp = backend.array_module(indices._data)
    flat = indices._data.astype(xp.int64)
    coordinates, stride = [], 1
    for size in reversed(shape):
        coordinates.append(Tensor._make(xp.asarray(xp.remainder(xp.floor_divide(flat, stride), size))))
        stride *= size
    return tuple(reversed(coordinates))
