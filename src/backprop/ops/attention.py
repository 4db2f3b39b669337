"""Scaled dot-product attention, the core of multi-head attention (Vaswani et al. 2017).

    Attention(Q, K, V) = softmax(Q K^T * scale + M) V,   scale = 1 / sqrt(d) by default,

a composite of matmul, softmax and dropout (their gradients give its own).
"""
import math

from backprop import backend
from backprop import creation
from backprop.ops import dropout as D
from backprop.ops.activation import softmax
from backprop.ops.linalg import matmul
from backprop.ops.util import require_floating

__all__ = ["scaled_dot_product_attention"]


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """softmax(Q K^T * scale + M) V for Q (..., L, d), K (..., S, d), V (..., S, d_v), as torch's.

    ``attn_mask``: bool, True where a query *may* attend (torch's convention
    here, the opposite of MultiheadAttention's masks), or float, added to the
    scores. ``is_causal``: query i sees keys 0..i only. ``dropout_p`` drops
    attention weights (always: there is no training flag, as in torch).

    >>> import backprop as bp
    >>> q = bp.zeros(1, 2, 4)
    >>> scaled_dot_product_attention(q, q, bp.tensor([[[1.0] * 4, [3.0] * 4]])).tolist()[0][0]
    [2.0, 2.0, 2.0, 2.0]
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        require_floating(t, "scaled_dot_product_attention")
        if t.ndim < 2:
            raise ValueError(f"scaled_dot_product_attention(): expected {name} of at least 2 dims (..., L, d), "
                             f"got shape {tuple(t.shape)}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention(): expected query (..., L, d), key (..., S, d), value "
                         f"(..., S, d_v), got {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
    L, S = query.shape[-2], key.shape[-2]
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = matmul(query * float(scale), key.transpose(-2, -1))
    xp = backend.array_module(query._data)
    if is_causal:
        if attn_mask is not None:
            raise ValueError("scaled_dot_product_attention(): give attn_mask or is_causal=True, not both")
        attn_mask = creation.tensor(backend.to_device(xp.tril(xp.ones((L, S), dtype=bool)), query.device))
    if attn_mask is not None:
        if attn_mask.dtype == bool or attn_mask._data.dtype.kind == "b":
            allowed = attn_mask._data
            attn_mask = creation.tensor(xp.where(allowed, 0.0, -xp.inf).astype(scores._data.dtype))
        scores = scores + attn_mask
    weights = softmax(scores, -1)
    if dropout_p > 0:
        weights = D.dropout(weights, dropout_p, training=True)
    return matmul(weights, value)
