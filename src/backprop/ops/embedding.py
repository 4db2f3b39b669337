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

__all__ = ["embedding", "one_hot"]


class Embedding(Function):
    """y = W[idx];  dL/dW[r] = sum over positions with idx = r of dL/dy (0 for the padding row)."""

    def forward(self, weight, indices, padding_idx):
        self.shape, self.indices, self.padding_idx = weight.shape, indices, padding_idx
        return weight[indices]

    def backward(self, grad):
        indices = self.indices.reshape(-1)
        grad = grad.reshape(-1, self.shape[1])
        if self.padding_idx is not None:  # its uses add nothing
            keep = indices != self.padding_idx
            indices, grad = indices[keep], grad[keep]
        return IndexPut.call(grad, key=indices, shape=self.shape)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Look up rows of ``weight`` (num_embeddings, embedding_dim) for the integer tensor ``input``.

    The result has shape input.shape + (embedding_dim,). ``padding_idx``:
    that row receives no gradient. ``max_norm``, ``scale_grad_by_freq`` and
    ``sparse`` are not supported.

    >>> import backprop as bp
    >>> w = bp.tensor([[0.0, 0.0], [1.0, 2.0]])
    >>> embedding(bp.tensor([1, 1, 0]), w).tolist()
    [[1.0, 2.0], [1.0, 2.0], [0.0, 0.0]]
    """
    check_tensor(input, "embedding")
    require_floating(weight, "embedding")
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding(): max_norm, scale_grad_by_freq and sparse are not supported")
    if weight.ndim != 2:
        raise ValueError(f"embedding(): expected weight of shape (num_embeddings, embedding_dim), got {tuple(weight.shape)}")
    indices = input._data
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding(): expected an integer index tensor (int64 or int32), got {input.dtype}")
    n = weight.shape[0]
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= n):
        bad = int(indices.min()) if int(indices.min()) < 0 else int(indices.max())
        raise IndexError(f"embedding(): index {bad} is out of range for {n} embeddings (expected 0 to {n - 1})")
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError(f"embedding(): padding_idx must be within [-{n}, {n - 1}], got {padding_idx}")
        padding_idx = padding_idx % n
    return Embedding.apply(weight, indices=indices, padding_idx=padding_idx)


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
