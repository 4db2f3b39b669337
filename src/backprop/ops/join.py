"""Joining and splitting: cat (concat, concatenate, hstack, vstack, dstack, column_stack), stack; split,
tensor_split (hsplit, vsplit, dsplit), chunk, unbind, select, narrow (views); and pad. Built on them: block_diag,
cartesian_prod, combinations."""
import itertools

from backprop import backend
from backprop import dtypes
from backprop.autograd import Function
from backprop.ops.indexing import IndexPut, getitem, write_out
from backprop.ops.shape import atleast_1d, atleast_2d, atleast_3d
from backprop.ops.util import check_tensor, dim_index, to_dtype
from backprop.tensor import Tensor
from backprop.ops.manifest import export


class Cat(Function):
    """y = [x_1; x_2; ...] along ``axis``; dL/dx_i is the matching slice of dL/dy. A 1-d empty x_i beside
    tensors of more dims is left out (torch's legacy rule) and gets an empty gradient."""

    def forward(self, *arrays, axis):
        self.axis = axis
        self.kept = [i for i, a in enumerate(arrays) if a.shape != (0,)] if len(arrays) > 1 else [0]
        kept = [arrays[i] for i in self.kept] or [arrays[0]]
        self.ends = backend.numpy.cumsum([a.shape[axis] for a in kept])[:-1].tolist()
        return backend.array_module(arrays[0]).concatenate(kept, axis=axis)

    def backward(self, grad):
        pieces = backend.array_module(grad).split(grad, self.ends, axis=self.axis)
        if len(pieces) == len(self.needs_input_grad):
            return tuple(pieces)
        empty = grad.reshape(-1)[:0]
        pieces = iter(pieces)
        return tuple(next(pieces) if i in self.kept else empty for i in range(len(self.needs_input_grad)))


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
def cat(tensors, dim=0, *, out=None):
    """Concatenate tensors along an existing dim; all other dims must agree (1-d empty tensors are skipped,
    as torch's legacy rule)."""
    return write_out(_cat(tensors, dim), out, "cat")


def _cat(tensors, dim):
    tensors = _joinable(tensors, "cat")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated; "
                               "use stack, or give it a dimension with t.reshape(1)")
    joined = [t for t in tensors if t.shape != (0,)] or tensors[:1]
    first = joined[0]
    axis = dim_index(dim, first.ndim, "cat")
    for i, t in enumerate(joined):
        if t.ndim != first.ndim or any(a != b for d, (a, b) in enumerate(zip(t.shape, first.shape)) if d != axis):
            raise ValueError(
                f"cat(): tensor {i} has shape {tuple(t.shape)} but tensor 0 has {tuple(first.shape)}; "
                f"all dims but dim {dim} must match"
            )
    return Cat.apply(*tensors, axis=axis)


@export(method=False)
def concat(tensors, dim=0, *, out=None):
    """``cat``."""
    return cat(tensors, dim, out=out)


@export(method=False)
def concatenate(tensors, axis=0, out=None):
    """``cat`` (NumPy's name and ``axis``)."""
    return cat(tensors, axis, out=out)


@export(method=False)
def hstack(tensors, *, out=None):
    """Join along dim 1 (dim 0 for 1-d tensors), after ``atleast_1d``."""
    tensors = atleast_1d(list(tensors))
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1, out=out)


@export(method=False)
def vstack(tensors, *, out=None):
    """Join along dim 0, after ``atleast_2d`` ((n,) rows become (1, n))."""
    return cat(atleast_2d(list(tensors)), 0, out=out)


@export(method=False)
def row_stack(tensors, *, out=None):
    """``vstack``."""
    return vstack(tensors, out=out)


@export(method=False)
def dstack(tensors, *, out=None):
    """Join along dim 2, after ``atleast_3d``."""
    return cat(atleast_3d(list(tensors)), 2, out=out)


@export(method=False)
def column_stack(tensors, *, out=None):
    """Join as columns (dim 1): 0-d and 1-d tensors become (n, 1) columns first."""
    tensors = [t.reshape(t.numel(), 1) if check_tensor(t, "column_stack").ndim <= 1 else t for t in tensors]
    return cat(tensors, 1, out=out)


@export(method=False)
def stack(tensors, dim=0, *, out=None):
    """Join tensors of one shape along a new dim."""
    return write_out(_stack(tensors, dim), out, "stack")


def _stack(tensors, dim):
    tensors = _joinable(tensors, "stack")
    first = tensors[0]
    for i, t in enumerate(tensors):
        if t.shape != first.shape:
            raise ValueError(f"stack(): tensor {i} has shape {tuple(t.shape)} but tensor 0 has {tuple(first.shape)}; all must match")
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
    return _pieces(tensor, axis, sizes)


def _pieces(tensor, axis, sizes):
    """Views of consecutive pieces of the given sizes along ``axis``."""
    pieces, start = [], 0
    lead = (slice(None),) * axis
    for size in sizes:
        pieces.append(getitem(tensor, lead + (slice(start, start + size),)))
        start += size
    return tuple(pieces)


@export()
def tensor_split(input, indices_or_sections, dim=0):
    """Views split along ``dim``: into n pieces as equal as can be (an int or a 0-d tensor; the first
    size % n pieces one longer), or at the given indices (a sequence or 1-d tensor; an index past the end
    gives empty pieces)."""
    check_tensor(input, "tensor_split")
    axis = dim_index(dim, input.ndim, "tensor_split")
    length = input.shape[axis]
    if isinstance(indices_or_sections, Tensor):
        if indices_or_sections.dtype.kind not in "iu" or indices_or_sections.ndim > 1:
            raise RuntimeError("tensor_split(): indices_or_sections must be a 0-d or 1-d int64 tensor, "
                               f"got {indices_or_sections.dtype} of {indices_or_sections.ndim} dims")
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        if n <= 0:
            raise RuntimeError(f"tensor_split(): number of sections must be larger than 0, got {n}")
        sizes = [length // n + (i < length % n) for i in range(n)]
        return _pieces(input, axis, sizes)
    bounds = [min(max(i if i >= 0 else i + length, 0), length) for i in indices_or_sections]
    starts = [0] + bounds
    ends = bounds + [length]
    lead = (slice(None),) * axis
    return tuple(getitem(input, lead + (slice(a, max(a, b)),)) for a, b in zip(starts, ends))


def _split_along(input, indices_or_sections, dim, op, min_dims):
    """hsplit/vsplit/dsplit: ``tensor_split`` of a tensor of at least ``min_dims`` dims, except that a number
    of sections must divide the dim."""
    if check_tensor(input, op).ndim < min_dims:
        raise RuntimeError(f"torch.{op} requires a tensor with at least {min_dims} dimension, but got a tensor "
                           f"with {input.ndim} dimensions!")
    if isinstance(indices_or_sections, int):
        size = input.shape[dim]
        if indices_or_sections == 0 or size % indices_or_sections:
            raise RuntimeError(f"torch.{op} attempted to split along dimension {dim}, but the size of the dimension "
                               f"{size} is not divisible by the split_size {indices_or_sections}!")
    return tensor_split(input, indices_or_sections, dim)


@export()
def hsplit(input, indices_or_sections):
    """``tensor_split`` along dim 1 (dim 0 for a 1-d tensor)."""
    return _split_along(input, indices_or_sections, 1 if check_tensor(input, "hsplit").ndim > 1 else 0, "hsplit", 1)


@export()
def vsplit(input, indices_or_sections):
    """``tensor_split`` along dim 0, for tensors of at least 2 dims."""
    return _split_along(input, indices_or_sections, 0, "vsplit", 2)


@export()
def dsplit(input, indices_or_sections):
    """``tensor_split`` along dim 2, for tensors of at least 3 dims."""
    return _split_along(input, indices_or_sections, 2, "dsplit", 3)


@export()
def unbind(input, dim=0):
    """The slices along ``dim``, each without that dim (views)."""
    check_tensor(input, "unbind")
    axis = dim_index(dim, input.ndim, "unbind")
    lead = (slice(None),) * axis
    return tuple(getitem(input, lead + (i,)) for i in range(input.shape[axis]))


@export()
def select(input, dim, index):
    """The slice at ``index`` along ``dim``, without that dim (a view): ``x.select(1, 2)`` is ``x[:, 2]``."""
    check_tensor(input, "select")
    axis = dim_index(dim, input.ndim, "select")
    size, index = input.shape[axis], int(index)
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {tuple(input.shape)} at dimension {dim}")
    return getitem(input, (slice(None),) * axis + (index,))


@export()
def narrow(input, dim, start, length):
    """The ``length`` elements from ``start`` along ``dim`` (a view; a negative start counts from the end)."""
    check_tensor(input, "narrow")
    axis = dim_index(dim, input.ndim, "narrow")
    size, start, length = input.shape[axis], int(start), int(length)
    if not -size <= start <= size:
        raise IndexError(f"narrow(): start out of range (expected to be in range of [{-size}, {size}], but got "
                         f"{start})")
    start %= size if size else 1
    if length < 0 or start + length > size:
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return getitem(input, (slice(None),) * axis + (slice(start, start + length),))


@export()
def narrow_copy(input, dim, start, length, *, out=None):
    """``narrow``, copied."""
    return write_out(narrow(input, dim, start, length).clone(), out, "narrow_copy")


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
def pad(input, pad, mode="constant", value=None):
    """Pad the last dims: ``pad = (left, right, top, bottom, ...)``, the last dim first, as torch.

    Modes: "constant" (with ``value``, 0 by default), "reflect" (mirror without repeating the edge),
    "replicate" (repeat the edge), "circular" (wrap around). A negative width crops that side (before
    the others are padded). The three non-constant modes pad the last 1, 2 or 3 dims of an input with
    one or two more dims (a batch and a channel dim), as torch.
    """
    check_tensor(input, "pad")
    if len(pad) % 2:
        raise RuntimeError(f"pad(): padding length must be divisible by 2, got {len(pad)}")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(f"pad(): padding length {len(pad)} is too large for an input of {input.ndim} dims "
                           f"(at most {2 * input.ndim})")
    if mode not in _NUMPY_MODES:
        raise NotImplementedError(f"pad(): unrecognised padding mode {mode!r}; expected one of {sorted(_NUMPY_MODES)}")
    pairs = [(int(pad[i]), int(pad[i + 1])) for i in range(0, len(pad), 2)][::-1]
    first = input.ndim - len(pairs)
    if mode != "constant":
        _check_mode_padding(input, pairs, mode, value)
    crops = [(min(lo, 0), min(hi, 0)) for lo, hi in pairs]
    widths = tuple([(0, 0)] * first + [(max(lo, 0), max(hi, 0)) for lo, hi in pairs])
    value = 0.0 if value is None else value
    if not any(lo or hi for lo, hi in crops):
        return Pad.apply(input, widths=widths, mode=mode, value=value)
    # torch wraps the cropped tensor around, but reflects (or repeats) the whole one and crops afterwards
    if mode == "circular":
        return Pad.apply(_crop(input, crops), widths=widths, mode=mode, value=value)
    return _crop(Pad.apply(input, widths=widths, mode=mode, value=value), crops)


def _crop(x, crops):
    """x without -lo leading and -hi trailing elements of each of its last dims, ``crops`` = [(lo, hi), ...]."""
    first = x.ndim - len(crops)
    return x[(slice(None),) * first + tuple(slice(-lo, n + hi) for (lo, hi), n in zip(crops, x.shape[first:]))]


def _check_mode_padding(input, pairs, mode, value):
    """torch's rules for reflect, replicate and circular padding."""
    if value is not None and value != 0:
        raise RuntimeError(f'pad(): padding mode "{mode}" does not take a value argument, got value={value}')
    k = len(pairs)
    if k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"pad(): {mode} padding of the last 1, 2 or 3 dims needs an input of 2-3, 3-4 or 4-5 dims (the padded "
            f"dims after a channel and an optional batch dim); got {2 * k} padding sizes for a {input.ndim}D input")
    if mode != "circular" and 0 in input.shape[input.ndim - k - 1:]:
        raise RuntimeError(f"pad(): {mode} padding expects non-empty dims besides the batch dim, got shape "
                           f"{tuple(input.shape)}")
    for (lo, hi), n in zip(pairs, input.shape[input.ndim - k:]):
        if (mode == "reflect" and (lo >= n or hi >= n)) or (mode == "circular" and (lo > n or hi > n)):
            raise RuntimeError(f"pad(): {mode} padding {(lo, hi)} is too large for a dim of size {n} (reflect: "
                               f"less than the size; circular: at most the size)")


# ------------------------------------------------------------- built by joining
@export(method=False)
def block_diag(*tensors):
    """The tensors (0-d, 1-d as one row, 2-d) along the diagonal of one matrix, zeros elsewhere, in their common
    dtype; a composition of pad and cat, so differentiable."""
    if not tensors:
        from backprop.creation import zeros  # creation sits beside ops; imported when first needed
        return zeros(1, 0)
    tensors = _joinable(tensors, "block_diag")
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"block_diag(): input tensors must have 2 or fewer dimensions, input {i} has {t.ndim}")
    blocks = [t.reshape(1, -1) if t.ndim < 2 else t for t in tensors]
    width, left, rows = sum(b.shape[1] for b in blocks), 0, []
    for b in blocks:
        rows.append(pad(b, (left, width - left - b.shape[1])))
        left += b.shape[1]
    return _cat(rows, 0)


@export(method=False)
def cartesian_prod(*tensors):
    """Every tuple of one element of each 1-d tensor, in order: a (product of lengths, number of tensors)
    tensor (one tensor: itself)."""
    for i, t in enumerate(tensors):
        if check_tensor(t, "cartesian_prod").ndim != 1:
            raise RuntimeError(f"cartesian_prod(): expected 1-d tensors, tensor {i} has {t.ndim} dims")
    if len({t.dtype for t in tensors}) > 1:
        raise RuntimeError(f"cartesian_prod() expects tensors of one dtype, got {[str(t.dtype) for t in tensors]}")
    if len(tensors) == 1:
        return tensors[0]
    from backprop.creation import meshgrid  # creation sits beside ops; imported when first needed
    return _stack([grid.reshape(-1) for grid in meshgrid(*tensors, indexing="ij")], 1)


@export(method=False)
def combinations(input, r=2, with_replacement=False):
    """The length-``r`` combinations of a 1-d tensor's elements (as itertools.combinations, or
    combinations_with_replacement), one a row: input indexed by the combinations of its positions."""
    check_tensor(input, "combinations")
    if input.ndim != 1:
        raise RuntimeError(f"combinations(): expected a 1-d tensor, got {input.ndim} dims")
    if r < 0:
        raise RuntimeError(f"combinations(): expected r to be non-negative, got {r}")
    xp = backend.array_module(input._data)
    if r == 0:
        return Tensor._make(xp.zeros((0,), dtype=input._data.dtype))
    choose = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    positions = xp.asarray(list(choose(range(input.shape[0]), r)), dtype=xp.int64).reshape(-1, r)
    return getitem(input, Tensor._make(positions))
