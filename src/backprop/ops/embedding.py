"""Embedding lookup: row i of a weight matrix for each integer index i.

Equivalent to multiplying a one-hot vector by the weight matrix, without
building the one-hot vectors: y[...] = W[idx[...]]. The gradient adds dL/dy
into the rows that were looked up, so an index used k times collects the sum
of its k gradients; the ``padding_idx`` row gets none.
"""
from backprop import backend
from backprop.autograd import Function
from backprop.ops.indexing import IndexPut
from backprop.ops.util import check_tensor, require_floating
from backprop.tensor import Tensor

__all__ = ["embedding", "embedding_bag", "one_hot"]


class Embedding(Function):
    """y = W[idx];  dL/dW[r] = sum over positions with idx = r of dL/dy (0 for the padding row), divided by
    the number of such positions when ``scale_grad_by_freq``."""

    def forward(self, weight, indices, padding_idx, scale_grad_by_freq=False):
        self.shape, self.indices, self.padding_idx = weight.shape, indices, padding_idx
        self.scale = None
        if scale_grad_by_freq and self.needs_input_grad:  # each use of row r counts 1 / (uses of r here)
            flat = indices.reshape(-1)
            counts = backend.array_module(indices).bincount(flat, minlength=weight.shape[0])[flat]
            self.scale = (1.0 / counts).astype(weight.dtype)[:, None]
        return weight[indices]

    def backward(self, grad):
        indices = self.indices.reshape(-1)
        grad = grad.reshape(-1, self.shape[1])
        if self.scale is not None:
            grad = grad * self.scale
        if self.padding_idx is not None:  # its uses add nothing
            keep = indices != self.padding_idx
            indices, grad = indices[keep], grad[keep]
        return IndexPut.call(grad, key=indices, shape=self.shape)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Look up rows of ``weight`` (num_embeddings, embedding_dim) for the integer tensor ``input``.

    The result has shape input.shape + (embedding_dim,). ``padding_idx``: that row receives no gradient.
    ``max_norm``: the rows looked up whose ``norm_type``-norm exceeds it are first rescaled in place to
    norm max_norm (as torch, a change of ``weight`` outside autograd). ``scale_grad_by_freq``: each row's
    gradient is divided by how often the row occurs in ``input``. ``sparse=True`` (sparse gradients) is
    not supported.

    >>> import backprop as bp
    >>> w = bp.tensor([[0.0, 0.0], [1.0, 2.0]])
    >>> embedding(bp.tensor([1, 1, 0]), w).tolist()
    [[1.0, 2.0], [1.0, 2.0], [0.0, 0.0]]
    """
    check_tensor(input, "embedding")
    require_floating(weight, "embedding")
    if sparse:
        raise NotImplementedError("embedding(): sparse=True (sparse gradients) is not supported; use sparse=False")
    if weight.ndim != 2:
        raise ValueError(f"embedding(): expected weight of shape (num_embeddings, embedding_dim), got "
                         f"{tuple(weight.shape)}")
    indices = _checked_indices(input, weight.shape[0], "embedding")
    padding_idx = _padding_row(padding_idx, weight.shape[0], "embedding")
    if max_norm is not None:
        renorm_rows_(weight, indices, max_norm, norm_type)
    return Embedding.apply(weight, indices=indices, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)


def _checked_indices(input, n, op):
    indices = input._data
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{op}(): expected an integer index tensor (int64 or int32), got {input.dtype}")
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= n):
        bad = int(indices.min()) if int(indices.min()) < 0 else int(indices.max())
        raise IndexError(f"{op}(): index {bad} is out of range for {n} embeddings (expected 0 to {n - 1})")
    return indices


def _padding_row(padding_idx, n, op):
    if padding_idx is None:
        return None
    if not -n <= padding_idx < n:
        raise ValueError(f"{op}(): padding_idx must be within [-{n}, {n - 1}], got {padding_idx}")
    return padding_idx % n


def renorm_rows_(weight, indices, max_norm, norm_type=2.0):
    """In place, outside autograd: each row of ``weight`` named in ``indices`` whose norm exceeds ``max_norm``
    is scaled by max_norm / (norm + 1e-7), as torch's embedding_renorm_."""
    from backprop import autograd

    xp = backend.array_module(indices)
    rows = xp.unique(indices.reshape(-1))
    if not rows.size:
        return
    with autograd.no_grad():
        picked = weight[Tensor._make(rows)]
        norms = picked.norm(norm_type, dim=1)
        scale = (max_norm / (norms + 1e-7)).clamp(max=1.0)
        # only rows above max_norm change; the others keep their values exactly
        scale = scale.where(norms > max_norm, 1.0)
        weight[Tensor._make(rows)] = picked * scale.unsqueeze(1)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of embeddings, without building the (bags, length, dim) lookup.

    Bags: a 2-D ``input`` (B, L) holds B bags of L indices; a 1-D ``input`` is cut into bags at ``offsets``
    (bag b = input[offsets[b] : offsets[b + 1]], the last to the end, or to offsets[-1] with
    ``include_last_offset``). ``per_sample_weights`` (``mode="sum"`` only) weights each index.
    ``padding_idx`` entries are left out (a bag of padding only is zeros; the mean counts the others). An empty
    bag gives zeros.

    >>> import backprop as bp
    >>> w = bp.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 3.0]])
    >>> embedding_bag(bp.tensor([0, 1, 2, 2]), w, bp.tensor([0, 3]), mode="sum").tolist()
    [[4.0, 5.0], [3.0, 3.0]]
    """
    from backprop import creation

    check_tensor(input, "embedding_bag")
    require_floating(weight, "embedding_bag")
    if sparse:
        raise NotImplementedError("embedding_bag(): sparse=True (sparse gradients) is not supported; use sparse=False")
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"embedding_bag(): mode has to be one of sum, mean or max, got {mode!r}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag(): per_sample_weights is only supported for mode='sum', got "
                                  f"mode={mode!r}")
    if scale_grad_by_freq and mode == "max":
        raise ValueError("embedding_bag(): max mode does not support scaling the gradient by the frequency")
    if weight.ndim != 2:
        raise ValueError(f"embedding_bag(): expected weight of shape (num_embeddings, embedding_dim), got "
                         f"{tuple(weight.shape)}")
    indices = _checked_indices(input, weight.shape[0], "embedding_bag")
    xp = backend.array_module(indices)
    if per_sample_weights is not None and tuple(per_sample_weights.shape) != tuple(input.shape):
        raise ValueError(f"embedding_bag(): expected per_sample_weights of the input's shape {tuple(input.shape)}, "
                         f"got {tuple(per_sample_weights.shape)}")
    bag_of, bags = _bags(xp, input, offsets, include_last_offset)
    flat = indices.reshape(-1)
    padding_idx = _padding_row(padding_idx, weight.shape[0], "embedding_bag")
    kept = xp.nonzero((bag_of < bags) & (flat != (-1 if padding_idx is None else padding_idx)))[0]
    if max_norm is not None:
        renorm_rows_(weight, flat[kept], max_norm, norm_type)
    rows = Embedding.apply(weight, indices=flat[kept], padding_idx=None, scale_grad_by_freq=scale_grad_by_freq)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1)[Tensor._make(kept)].unsqueeze(1)
    bag_ids = bag_of[kept]
    zeros = creation.zeros(bags, weight.shape[1], dtype=weight.dtype, device=weight.device)
    if mode == "max":
        spread = Tensor._make(xp.broadcast_to(bag_ids[:, None], (bag_ids.size, weight.shape[1])).copy())
        return zeros.scatter_reduce(0, spread, rows, "amax", include_self=False)
    total = zeros.index_add(0, Tensor._make(bag_ids), rows)
    if mode == "sum":
        return total
    counts = xp.maximum(xp.bincount(bag_ids, minlength=bags), 1).astype(weight._data.dtype)
    return total / Tensor._make(counts[:, None])


def _bags(xp, input, offsets, include_last_offset):
    """(bag of each position of the flattened input, number of bags); positions past the last bag get
    the number of bags."""
    n = input.numel()
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag(): offsets must be None for a 2-D input (each row is one bag), got "
                             f"offsets of shape {tuple(offsets.shape)}")
        return xp.repeat(xp.arange(input.shape[0]), input.shape[1]), input.shape[0]
    if input.ndim != 1:
        raise ValueError(f"embedding_bag(): input has to be a 1-D or 2-D tensor, got shape {tuple(input.shape)}")
    if offsets is None or offsets.ndim != 1:
        raise ValueError("embedding_bag(): offsets has to be a 1-D tensor for a 1-D input, got "
                         f"{None if offsets is None else tuple(offsets.shape)}")
    starts = offsets._data.astype(xp.int64)
    if starts.size and int(starts[0]) != 0:
        raise ValueError(f"embedding_bag(): offsets[0] has to be 0 (the first bag starts at the first position), "
                         f"got {int(starts[0])}")
    if starts.size and (xp.any(xp.diff(starts) < 0) or int(starts[-1]) > n):
        raise ValueError(f"embedding_bag(): offsets must be non-decreasing and at most the input's length {n}")
    bags = starts.size - 1 if include_last_offset else starts.size
    bag_of = xp.searchsorted(starts, xp.arange(n), side="right") - 1
    if include_last_offset and starts.size:
        bag_of = xp.where(xp.arange(n) >= starts[-1], bags, bag_of)
    return bag_of, max(bags, 0)


def one_hot(tensor, num_classes=-1):
    """One-hot rows: y[..., c] = 1 where c = tensor[...], else 0 (int64, as torch); ``num_classes=-1`` takes
    max + 1. Not differentiable (its input is integer class indices)."""
    check_tensor(tensor, "one_hot")
    indices = tensor._data
    if indices.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensor of type int64, got {tensor.dtype}")
    if indices.size and int(indices.min()) < 0:
        raise RuntimeError(f"one_hot(): class values must be non-negative, got {int(indices.min())}")
    if num_classes == -1:
        if not indices.size:
            raise RuntimeError("one_hot(): cannot infer the number of classes from an empty tensor")
        num_classes = int(indices.max()) + 1
    elif indices.size and int(indices.max()) >= num_classes:
        raise RuntimeError(f"one_hot(): class values must be smaller than num_classes={num_classes}, "
                           f"got {int(indices.max())}")
    xp = backend.array_module(indices)
    return Tensor._make((indices[..., None] == xp.arange(num_classes)).astype(xp.int64))
