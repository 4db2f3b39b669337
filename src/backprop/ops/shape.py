"""Shape changes that move no values: reshape/view/flatten/squeeze/unsqueeze,
transpose/permute, expand. Their backward undoes the change on dL/dy.
"""
from backprop import backend
from backprop.autograd import Function
from backprop.ops.util import check_tensor, dim_index, shape_arg
from backprop.ops.manifest import export


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
        raise RuntimeError(f"{op}: shape {shape} is invalid for a tensor of {count} elements (shape {input.shape})")
    return Reshape.apply(input, shape=shape)


@export()
def reshape(input, *shape):
    """The same elements in a new shape; one size may be -1 (inferred)."""
    return _reshape(input, shape, "reshape")


@export()
def view(input, *shape):
    """As ``reshape`` (backprop's arrays may always be viewed or copied)."""
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
        raise ValueError(f"expand: {len(sizes)} sizes given for a tensor of {input.ndim} dimensions (shape {input.shape})")
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
                f"(shape {input.shape}); only dims of size 1 can be expanded"
            )
        shape.append(size)
    if tuple(shape) == input.shape:
        return input
    return Expand.apply(input, shape=tuple(shape))
