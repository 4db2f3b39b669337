"""Joining and splitting: cat, stack, split, chunk; and pad."""
from backprop import backend
from backprop import dtypes
from backprop.autograd import Function
from backprop.ops.indexing import IndexPut, getitem
from backprop.ops.util import check_tensor, dim_index, to_dtype
from backprop.tensor import Tensor
from backprop.ops.manifest import export


class Cat(Function):
    """y = [x_1; x_2; ...] along ``axis``; dL/dx_i is the matching slice of dL/dy."""

    def forward(self, *arrays, axis):
        self.axis = axis
        self.ends = backend.numpy.cumsum([a.shape[axis] for a in arrays])[:-1].tolist()
        return backend.array_module(arrays[0]).concatenate(arrays, axis=axis)

    def backward(self, grad):
        return tuple(backend.array_module(grad).split(grad, self.ends, axis=self.axis))


class Stack(Function):
    """y = the x_i stacked along a new ``axis``; dL/dx_i = dL/dy at position i."""

    def forward(self, *arrays, axis):
        self.axis = axis
        return backend.array_module(arrays[0]).stack(arrays, axis=axis)

    def backward(self, grad):
        lead = (slice(None),) * self.axis
        return tuple(grad[lead + (i,)] for i in range(grad.shape[self.axis]))


class Pad(Function):
    """y = x surrounded by ``widths``; dL/dx collects dL/dy from every position
    x's elements were copied to (one in "constant" mode; several when
    reflecting, replicating or wrapping around)."""

    def forward(self, x, widths, mode, value):
        xp = backend.array_module(x)
        self.shape, self.widths, self.mode = x.shape, widths, mode
        if mode == "constant":
            return xp.pad(x, widths, mode="constant", constant_values=value)
        return xp.pad(x, widths, mode=_NUMPY_MODES[mode])

    def backward(self, grad):
        if self.mode == "constant":
            return grad[tuple(slice(lo, lo + n) for (lo, _), n in zip(self.widths, self.shape))]
        size = 1
        for n in self.shape:
            size *= n
        numpy = backend.numpy  # where each padded element came from, then moved to the gradient's device
        source = numpy.pad(numpy.arange(size).reshape(self.shape), self.widths, mode=_NUMPY_MODES[self.mode])
        device = grad.device if isinstance(grad, Tensor) else backend.device_of(grad)
        source = backend.to_device(source, device)
        return IndexPut.call(grad.reshape(-1), key=source.reshape(-1), shape=(size,)).reshape(self.shape)


_NUMPY_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _joinable(tensors, op):
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op}() expected a non-empty sequence of tensors")
    for t in tensors:
        check_tensor(t, op)
    dtype = dtypes.result_type(*tensors)
    return [to_dtype(t, dtype, t) for t in tensors]


@export(method=False)
def cat(tensors, dim=0):
    """Concatenate tensors along an existing dim; all other dims must agree."""
    tensors = _joinable(tensors, "cat")
    first = tensors[0]
    axis = dim_index(dim, first.ndim, "cat")
    for i, t in enumerate(tensors):
        if t.ndim != first.ndim or any(a != b for d, (a, b) in enumerate(zip(t.shape, first.shape)) if d != axis):
            raise ValueError(
                f"cat(): tensor {i} has shape {t.shape} but tensor 0 has {first.shape}; "
                f"all dims but dim {dim} must match"
            )
    return Cat.apply(*tensors, axis=axis)


@export(method=False)
def stack(tensors, dim=0):
    """Join tensors of one shape along a new dim."""
    tensors = _joinable(tensors, "stack")
    first = tensors[0]
    for i, t in enumerate(tensors):
        if t.shape != first.shape:
            raise ValueError(f"stack(): tensor {i} has shape {t.shape} but tensor 0 has {first.shape}; all must match")
    return Stack.apply(*tensors, axis=dim_index(dim, first.ndim + 1, "stack"))


@export()
def split(tensor, split_size_or_sections, dim=0):
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given sizes."""
    check_tensor(tensor, "split")
    axis = dim_index(dim, tensor.ndim, "split")
    length = tensor.shape[axis]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise ValueError(f"split(): split_size must be positive, got {size}")
        sizes = [min(size, length - start) for start in range(0, length, size)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != length:
            raise ValueError(f"split(): sections {sizes} sum to {sum(sizes)}, but dim {dim} has size {length}")
    pieces, start = [], 0
    lead = (slice(None),) * axis
    for size in sizes:
        pieces.append(getitem(tensor, lead + (slice(start, start + size),)))
        start += size
    return tuple(pieces)


@export()
def chunk(tensor, chunks, dim=0):
    """Split into ``chunks`` pieces of ceil(n / chunks) (possibly fewer pieces), as torch.chunk."""
    check_tensor(tensor, "chunk")
    if chunks <= 0:
        raise ValueError(f"chunk(): chunks must be positive, got {chunks}")
    length = tensor.shape[dim_index(dim, tensor.ndim, "chunk")]
    if length == 0:  # torch: ``chunks`` empty pieces
        return split(tensor, [0] * chunks, dim)
    return split(tensor, -(-length // chunks), dim)


@export(method=False)
def pad(input, pad, mode="constant", value=0.0):
    """Pad the last dims: ``pad = (left, right, top, bottom, ...)``, the last dim first, as torch.

    Modes: "constant" (with ``value``), "reflect", "replicate", "circular".
    """
    check_tensor(input, "pad")
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(
            f"pad(): expected an even number of sizes, at most 2 per dim ({2 * input.ndim}), got {len(pad)}"
        )
    if mode not in _NUMPY_MODES:
        raise ValueError(f"pad(): mode must be one of {sorted(_NUMPY_MODES)}, got {mode!r}")
    if any(p < 0 for p in pad):
        raise ValueError(f"pad(): negative padding is not supported, got {tuple(pad)}")
    pairs = [(int(pad[i]), int(pad[i + 1])) for i in range(0, len(pad), 2)]
    widths = tuple([(0, 0)] * (input.ndim - len(pairs)) + pairs[::-1])
    return Pad.apply(input, widths=widths, mode=mode, value=value)
