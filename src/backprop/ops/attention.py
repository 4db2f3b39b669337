"""Scaled dot-product attention, the core of multi-head attention (Vaswani et al. 2017), and the whole multi-head
attention computation as a function (torch's ``F.multi_head_attention_forward``).

    Attention(Q, K, V) = softmax(Q K^T * scale + M) V,   scale = 1 / sqrt(d) by default.

Without dropout it is one fused node (``ScaledDotProductAttention``: forward and backward on arrays, the
attention weights computed once and kept); with dropout, and for second derivatives (its ``decompose``), the
composite of matmul, softmax and dropout, whose gradients give its own.
"""
import math

from backprop import backend
from backprop import creation
from backprop.autograd import Function
from backprop.ops import dropout as D
from backprop.ops.activation import softmax
from backprop.ops.join import cat
from backprop.ops.linalg import linear, matmul
from backprop.ops.util import require_floating
from backprop.tensor import Tensor

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _float_mask(mask, allowed_is_true, like, name):
    """A mask as scores to add: float masks as they are; bool masks 0 / -inf.

    ``allowed_is_true``: True marks a position that may be attended (scaled_dot_product_attention's convention);
    else True marks a position to ignore (MultiheadAttention's).
    """
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name} must be a Tensor, got {type(mask).__name__}")
    data = mask._data
    xp = backend.array_module(data)
    if data.dtype.kind == "b":
        ignored = ~data if allowed_is_true else data
        return creation.tensor(xp.where(ignored, -xp.inf, 0.0).astype(like._data.dtype))
    if data.dtype.kind != "f":
        raise TypeError(f"expected {name} of dtype bool or floating point, got {mask.dtype}")
    return mask if mask.dtype == like.dtype else mask.to(like.dtype)


class ScaledDotProductAttention(Function):
    """O = softmax(Q K^T * scale + M) V as one node (without dropout), for speed; ``decompose`` is the composite.

    Forward keeps the attention weights P = softmax(S), S = Q K^T * scale + M. Backward:
    dV = P^T dO,  dP = dO V^T,  dS = P * (dP - rowsum(dP * P)),  dQ = dS K * scale,  dK = dS^T Q * scale,
    dM = dS. Rows of M that are all -inf (a query that may attend nowhere) get P = 0, so O = 0 there.
    """

    def forward(self, q, k, v, mask=None, scale=1.0):
        xp = backend.array_module(q)
        scores = q @ xp.swapaxes(k, -1, -2)
        scores *= scale
        dead = None
        if mask is not None:
            scores = scores + mask
            dead = xp.all(xp.isneginf(mask), axis=-1, keepdims=True)
            if xp.any(dead):
                scores = xp.where(dead, 0.0, scores).astype(scores.dtype)
            else:
                dead = None
        scores -= scores.max(axis=-1, keepdims=True)
        weights = xp.exp(scores, out=scores)
        # row sums by einsum: several times faster than .sum(axis=-1) over short rows in NumPy
        weights /= xp.einsum("...j->...", weights)[..., None]
        if dead is not None:
            weights *= ~dead
        if self.needs_input_grad:
            self.weights, self.scale = weights, scale
            self.save_for_backward(q, k, v)
        return weights @ v

    def backward(self, grad):
        q, k, v = self.saved_tensors
        xp = backend.array_module(grad)
        weights, scale = self.weights, self.scale
        needs = self.needs_input_grad
        grad_v = xp.swapaxes(weights, -1, -2) @ grad if needs[2] else None
        d = grad @ xp.swapaxes(v, -1, -2)  # dP, then dS in place
        d -= xp.einsum("...j,...j->...", d, weights)[..., None]
        d *= weights
        grad_q = (d @ k) * scale if needs[0] else None
        grad_k = (xp.swapaxes(d, -1, -2) @ q) * scale if needs[1] else None
        return (grad_q, grad_k, grad_v) + ((d,) if len(needs) > 3 else ())

    @staticmethod
    def decompose(q, k, v, mask=None, scale=1.0):
        """softmax(Q K^T * scale + M) V from matmul and softmax."""
        return _attention(q, k, v, mask, scale, 0.0)


def _attention(query, key, value, mask, scale, dropout_p):
    """softmax(Q K^T * scale + M) V from existing ops (their gradients give its own), dropout on the weights."""
    scores = matmul(query * float(scale), key.transpose(-2, -1))
    blocked = None
    if mask is not None:
        xp = backend.array_module(mask._data)
        # rows that may attend nowhere: softmax of all -inf would be NaN; torch gives them zero weights
        dead = xp.all(xp.isneginf(mask._data), axis=-1, keepdims=True)
        if xp.any(dead):
            mask = mask.masked_fill(creation.tensor(dead), 0.0)
            blocked = creation.tensor((~dead).astype(scores._data.dtype))
        scores = scores + mask
    weights = softmax(scores, -1)
    if blocked is not None:
        weights = weights * blocked
    if dropout_p > 0:
        weights = D.dropout(weights, dropout_p, training=True)
    return matmul(weights, value)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(Q K^T * scale + M) V for Q (..., L, d), K (..., S, d), V (..., S, d_v), as torch's.

    ``attn_mask`` (broadcast to (..., L, S)): bool, True where a query *may* attend (the opposite of
    MultiheadAttention's masks), or float, added to the scores (and differentiable). ``is_causal``: query i sees
    keys 0..i only (combined with ``attn_mask`` when both are given). A query that may attend to no key at all
    gets a zero output (and zero gradient), as torch's. ``dropout_p`` drops attention weights (always: there is
    no training flag, as in torch). ``enable_gqa``: grouped-query attention, K and V with fewer heads (dim -3)
    than Q, each shared by a group of consecutive query heads.

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
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        key, value = _share_heads(query, key), _share_heads(query, value)
    L, S = query.shape[-2], key.shape[-2]
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    xp = backend.array_module(query._data)
    mask = None if attn_mask is None else _float_mask(attn_mask, True, query, "attn_mask")
    if is_causal:
        future = xp.triu(xp.ones((L, S), dtype=bool), 1)
        causal = creation.tensor(xp.where(future, -xp.inf, 0.0).astype(query._data.dtype))
        mask = causal if mask is None else mask + causal
    if dropout_p > 0:
        return _attention(query, key, value, mask, scale, dropout_p)
    inputs = (query, key, value) if mask is None else (query, key, value, mask)
    return ScaledDotProductAttention.apply(*inputs, scale=scale)


def _share_heads(query, kv):
    """(..., Hk, S, d) -> (..., Hq, S, d), each of the Hk heads repeated for Hq / Hk consecutive query heads."""
    heads, kv_heads = query.shape[-3], kv.shape[-3]
    if heads % kv_heads:
        raise ValueError(f"scaled_dot_product_attention(): with enable_gqa the query heads ({heads}) must be a "
                         f"multiple of the key/value heads ({kv_heads})")
    group = heads // kv_heads
    shape = tuple(kv.shape)
    expanded = kv.unsqueeze(-3).expand(*shape[:-2], group, *shape[-2:])
    return expanded.reshape(*shape[:-3], heads, *shape[-2:])


def _mha_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Batched (3-d) or unbatched (2-d) inputs with masks of the matching ranks, as torch checks them."""
    if query.ndim not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.ndim}-D query "
                             f"tensor")
    batched = query.ndim == 3
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise AssertionError(f"For {'batched (3-D)' if batched else 'unbatched (2-D)'} `query`, expected `key` and "
                             f"`value` to be {query.ndim}-D but found {key.ndim}-D and {value.ndim}-D tensors "
                             f"respectively")
    if key_padding_mask is not None and key_padding_mask.ndim != (2 if batched else 1):
        raise AssertionError(f"expected key_padding_mask of {2 if batched else 1} dims for "
                             f"{'batched' if batched else 'unbatched'} input, got shape "
                             f"{tuple(key_padding_mask.shape)}")
    if attn_mask is not None and attn_mask.ndim not in (2, 3):
        raise AssertionError(f"expected attn_mask of 2 or 3 dims, got shape {tuple(attn_mask.shape)}")
    if not batched and attn_mask is not None and attn_mask.ndim == 3:
        expected = (num_heads, query.shape[0], key.shape[0])
        if tuple(attn_mask.shape) != expected:
            raise AssertionError(f"expected 3-d attn_mask of shape {expected} for unbatched input, got "
                                 f"{tuple(attn_mask.shape)}")
    return batched


def _pad_column(mask):
    """One more key position, not masked (a zero column added at the end)."""
    zeros = creation.zeros(*mask.shape[:-1], 1, dtype=mask.dtype, device=mask.device)
    return cat([mask, zeros], dim=-1)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """Multi-head attention on (L, N, E) query, (S, N, E_k) key, (S, N, E_v) value (or unbatched (L, E)...):

        head_i = softmax(Q W_q,i^T (K W_k,i^T)^T / sqrt(d) + M) V W_v,i^T,   d = E / num_heads
        output = Concat(head_1, ..., head_h) W_o^T + b_o

    W_q, W_k, W_v are the three row blocks of ``in_proj_weight`` (or the separate ``q/k/v_proj_weight`` with
    ``use_separate_proj_weight``). ``bias_k``/``bias_v`` (1, 1, E) append one learned key/value position;
    ``add_zero_attn`` appends one zero key/value position per head. Masks: ``key_padding_mask`` (N, S) and
    ``attn_mask`` (L, S) or (N * num_heads, L, S), bool (True = ignore that key) or float (added to the scores).
    ``is_causal`` is a hint that ``attn_mask`` is the causal mask (it must be given). Returns (output, weights):
    weights (N, L, S) averaged over heads, (N, num_heads, L, S) with ``average_attn_weights=False``, None
    with ``need_weights=False``.
    """
    batched = _mha_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    L, N, E = query.shape
    if E != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {E}")
    if E % num_heads:
        raise AssertionError(f"embed_dim {E} not divisible by num_heads {num_heads}")
    d = E // num_heads
    if key.shape[:2] != value.shape[:2]:
        raise AssertionError(f"key's sequence and batch dims {tuple(key.shape[:2])} do not match value's "
                             f"{tuple(value.shape[:2])}")
    if key.shape[1] != N:
        raise AssertionError(f"query and key must have the same batch size, got shapes {tuple(query.shape)} and "
                             f"{tuple(key.shape)}")
    if key_padding_mask is not None:
        key_padding_mask = _float_mask(key_padding_mask, False, query, "key_padding_mask")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if attn_mask is not None:
        attn_mask = _float_mask(attn_mask, False, query, "attn_mask")

    if use_separate_proj_weight:
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias[:E], in_proj_bias[E:2 * E], in_proj_bias[2 * E:]
        q, k, v = linear(query, q_proj_weight, b_q), linear(key, k_proj_weight, b_k), linear(value, v_proj_weight, b_v)
    else:
        if key.shape != value.shape:
            raise AssertionError(f"key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}")
        w, b = in_proj_weight, in_proj_bias
        if query is key and key is value:  # self-attention: the three projections in one matmul
            q, k, v = linear(query, w, b).chunk(3, dim=-1)
        else:
            q = linear(query, w[:E], None if b is None else b[:E])
            k = linear(key, w[E:2 * E], None if b is None else b[E:2 * E])
            v = linear(value, w[2 * E:], None if b is None else b[2 * E:])

    if attn_mask is not None:
        S = key.shape[0]
        expected = (L, S) if attn_mask.ndim == 2 else (N * num_heads, L, S)
        if tuple(attn_mask.shape) != expected:
            raise RuntimeError(f"The shape of the {attn_mask.ndim}D attn_mask is {tuple(attn_mask.shape)}, but "
                               f"should be {expected}.")
        if attn_mask.ndim == 2:
            attn_mask = attn_mask.unsqueeze(0)
    if bias_k is not None and bias_v is not None:
        k = cat([k, bias_k.expand(1, N, E)])
        v = cat([v, bias_v.expand(1, N, E)])
        attn_mask = None if attn_mask is None else _pad_column(attn_mask)
        key_padding_mask = None if key_padding_mask is None else _pad_column(key_padding_mask)
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k and bias_v must both be given or both be None")

    # (L, N, E) -> (N * H, L, d): the heads become extra batch entries
    q = q.reshape(L, N * num_heads, d).transpose(0, 1)
    k = (k.reshape(k.shape[0], N * num_heads, d).transpose(0, 1) if static_k is None else static_k)
    v = (v.reshape(v.shape[0], N * num_heads, d).transpose(0, 1) if static_v is None else static_v)
    if add_zero_attn:
        k = cat([k, creation.zeros(N * num_heads, 1, d, dtype=k.dtype, device=k.device)], dim=1)
        v = cat([v, creation.zeros(N * num_heads, 1, d, dtype=v.dtype, device=v.device)], dim=1)
        attn_mask = None if attn_mask is None else _pad_column(attn_mask)
        key_padding_mask = None if key_padding_mask is None else _pad_column(key_padding_mask)
    S = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (N, S):
            raise AssertionError(f"expected key_padding_mask of shape {(N, S) if batched else (S,)}, got "
                                 f"{tuple(key_padding_mask.shape) if batched else tuple(key_padding_mask.shape[1:])}")
        padding = key_padding_mask.reshape(N, 1, 1, S).expand(N, num_heads, 1, S).reshape(N * num_heads, 1, S)
        attn_mask = padding if attn_mask is None else attn_mask + padding
    if not training:
        dropout_p = 0.0

    if need_weights:
        scores = matmul(q * math.sqrt(1.0 / d), k.transpose(1, 2))  # (N * H, L, S)
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = softmax(scores, -1)
        dropped = D.dropout(weights, dropout_p, True) if dropout_p > 0 else weights
        out = matmul(dropped, v).transpose(0, 1).reshape(L * N, E)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(L, N, E)
        weights = weights.reshape(N, num_heads, L, S)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        attn_mask = attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1 else attn_mask.reshape(N, num_heads, -1, S)
    # the attention mask stands for the causal one; applying it as given computes the same thing
    out = scaled_dot_product_attention(q.reshape(N, num_heads, L, d), k.reshape(N, num_heads, S, d),
                                       v.reshape(N, num_heads, S, d), attn_mask, dropout_p)
    out = out.permute(2, 0, 1, 3).reshape(L * N, E)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(L, N, E)
    return (out if batched else out.squeeze(1)), None
