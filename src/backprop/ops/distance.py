"""Layers' functional forms built from other ops: cosine similarity and pairwise distance between vectors,
the bilinear form x1^T W x2, and the channel shuffle of grouped convolutions."""
from backprop import backend
from backprop.ops.linalg import matmul
from backprop.ops.shape import broadcast_tensors
from backprop.ops.util import check_tensor, dim_index, require_floating

__all__ = ["cosine_similarity", "pairwise_distance", "bilinear", "channel_shuffle", "pdist"]


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """cos(x1, x2) = sum(x1 x2) / (max(||x1||, eps) max(||x2||, eps)) along ``dim`` of the broadcast shape:
    each vector divided by its (clamped) norm, then their dot product.

    >>> import backprop as bp
    >>> round(cosine_similarity(bp.tensor([[1.0, 0.0]]), bp.tensor([[1.0, 1.0]])).item(), 4)
    0.7071
    """
    require_floating(x1, "cosine_similarity")
    require_floating(x2, "cosine_similarity")
    x1, x2 = broadcast_tensors(x1, x2)
    dim = dim_index(dim, x1.ndim, "cosine_similarity")
    unit1 = x1 / x1.norm(2, dim, keepdim=True).clamp(min=eps)
    unit2 = x2 / x2.norm(2, dim, keepdim=True).clamp(min=eps)
    return (unit1 * unit2).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last dim (row i of x1 with row i of x2); ``eps`` keeps the norm's
    gradient finite where the rows are equal."""
    require_floating(x1, "pairwise_distance")
    require_floating(x2, "pairwise_distance")
    return (x1 - x2 + eps).norm(p, dim=-1, keepdim=keepdim)


def pdist(input, p=2):
    """The p-norm distances ||x_i - x_j||_p between the rows of an (N, M) input, for every pair i < j in
    row-major order (N (N - 1) / 2 values: the upper triangle of cdist(x, x), diagonal excluded).

    >>> import backprop as bp
    >>> pdist(bp.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])).tolist()
    [5.0, 1.0, 4.242640495300293]
    """
    check_tensor(input, "pdist")
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    require_floating(input, "pdist")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    xp = backend.array_module(input._data)
    first, second = xp.triu_indices(input.shape[0], 1)
    return (input[first] - input[second]).norm(p, dim=-1)


def bilinear(input1, input2, weight, bias=None):
    """y_k = x1^T W_k x2 + b_k for each output k: weight (out, in1, in2), inputs (*, in1) and (*, in2).

    Computed as one matrix product, (x1 [W_1 ... W_out]) reshaped to (*, out, in2), times x2, summed over in2.
    """
    for t in (input1, input2, weight):
        require_floating(t, "bilinear")
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): expected a 3-D weight (out, in1, in2), got shape {tuple(weight.shape)}")
    out, in1, in2 = weight.shape
    if input1.shape[-1:] != (in1,) or input2.shape[-1:] != (in2,) or input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): expected inputs (*, {in1}) and (*, {in2}) with the same leading dims for a "
                           f"weight of shape {tuple(weight.shape)}, got {tuple(input1.shape)} and "
                           f"{tuple(input2.shape)}")
    lead = tuple(input1.shape[:-1])
    x1, x2 = input1.reshape(-1, in1), input2.reshape(-1, in2)
    mixed = matmul(x1, weight.permute(1, 0, 2).reshape(in1, out * in2)).reshape(-1, out, in2)
    y = (mixed * x2.unsqueeze(1)).sum(-1).reshape(*lead, out)
    return y if bias is None else y + bias


def channel_shuffle(input, groups):
    """Channel shuffle (Zhang et al. 2018, ShuffleNet) of (N, C, *): the C channels, read as ``groups`` groups
    of C / groups, are interleaved so that channel g * (C / groups) + i moves to i * groups + g.

    >>> import backprop as bp
    >>> channel_shuffle(bp.arange(6.0).reshape(1, 6, 1), 2).flatten().tolist()
    [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    """
    check_tensor(input, "channel_shuffle")
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle(): expected an input with more than 2 dims (N, C, *), got shape "
                           f"{tuple(input.shape)}")
    channels = input.shape[1]
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1 or channels % groups:
        raise RuntimeError(f"channel_shuffle(): the number of channels ({channels}) must be divisible by a positive "
                           f"groups, got groups={groups!r}")
    n, rest = input.shape[0], tuple(input.shape[2:])
    grouped = input.reshape(n, groups, channels // groups, *rest)
    return grouped.transpose(1, 2).reshape(n, channels, *rest)
