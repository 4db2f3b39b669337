"""Multi-head attention and the Transformer encoder layer (Vaswani et al. 2017), as torch has them.

Scaled dot-product attention of queries Q (L, d) on keys K (S, d) and values V (S, d):
    A = softmax(Q K^T / sqrt(d) + M),   output = A V,
M an additive mask (-inf where a query may not look). Multi-head attention
projects the inputs with W_q, W_k, W_v into ``num_heads`` subspaces of size
d = embed_dim / num_heads, attends in each, concatenates the heads and
projects with W_o. Built from existing ops (linear, matmul, softmax,
reshape/transpose), so the gradient comes from theirs.
"""
import math

from backprop import backend
from backprop import creation
from backprop.nn import init
from backprop.nn.dropout import Dropout
from backprop.nn.linear import Linear
from backprop.nn.module import Module
from backprop.nn.normalization import LayerNorm
from backprop.nn.parameter import Parameter
from backprop.ops import dropout as D
from backprop.ops import linalg
from backprop.ops.activation import softmax
from backprop.tensor import Tensor

__all__ = ["MultiheadAttention", "TransformerEncoderLayer"]


def _additive_mask(mask, dtype, name):
    """A bool mask (True = not allowed) as 0 / -inf, a float mask as it is (added to the scores)."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        raise TypeError(f"MultiheadAttention: {name} must be a Tensor, got {type(mask).__name__}")
    data = mask._data
    if data.dtype.kind == "b":
        xp = backend.array_module(data)
        return creation.tensor(xp.where(data, -xp.inf, 0.0).astype(dtype))
    if data.dtype.kind != "f":
        raise TypeError(f"MultiheadAttention: {name} must be a bool or floating point tensor, got {mask.dtype}")
    return mask if mask.dtype == dtype else mask.to(dtype)


class MultiheadAttention(Module):
    """Multi-head attention: MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W_o^T + b_o,
    head_i = softmax(Q W_q,i^T (K W_k,i^T)^T / sqrt(d) + M) V W_v,i^T, d = embed_dim / num_heads.

    Parameters as torch's: ``in_proj_weight`` (3 embed_dim, embed_dim) stacks
    W_q, W_k, W_v (Xavier-uniform), ``in_proj_bias`` (3 embed_dim,) zeros,
    ``out_proj`` a Linear whose bias starts at zero. Inputs are (L, N, E)
    (or (N, L, E) with ``batch_first``, or unbatched (L, E)).

    ``forward`` returns (output, attention weights), the weights (N, L, S)
    averaged over heads (or (N, H, L, S) with ``average_attn_weights=False``;
    None with ``need_weights=False``). ``key_padding_mask`` (N, S) and
    ``attn_mask`` (L, S) or (N * H, L, S): bool (True = ignore that key) or
    float (added to the scores).

    >>> import backprop as bp
    >>> out, w = MultiheadAttention(8, 2)(bp.randn(5, 3, 8), bp.randn(4, 3, 8), bp.randn(4, 3, 8))
    >>> out.shape, w.shape
    (backprop.Size([5, 3, 8]), backprop.Size([3, 5, 4]))
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim and num_heads must be positive, got {embed_dim} "
                             f"and {num_heads}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by num_heads "
                             f"({num_heads})")
        if add_bias_kv or add_zero_attn or (kdim not in (None, embed_dim)) or (vdim not in (None, embed_dim)):
            raise NotImplementedError("MultiheadAttention: add_bias_kv, add_zero_attn and kdim/vdim != embed_dim "
                                      "are not supported")
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, dropout, batch_first
        self.kdim = self.vdim = embed_dim
        self.head_dim = embed_dim // num_heads
        self.in_proj_weight = Parameter(creation.zeros(3 * embed_dim, embed_dim, dtype=dtype, device=device))
        if bias:
            self.in_proj_bias = Parameter(creation.zeros(3 * embed_dim, dtype=dtype, device=device))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, device=device, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self):
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def _check(self, query, key, value):
        E = self.embed_dim
        if query.ndim not in (2, 3):
            raise ValueError(f"MultiheadAttention: expected query of 3 dims (L, N, {E}) or 2 dims (L, {E}), "
                             f"got shape {tuple(query.shape)}")
        for name, t in (("query", query), ("key", key), ("value", value)):
            if t.ndim != query.ndim or t.shape[-1] != E:
                raise ValueError(f"MultiheadAttention(embed_dim={E}): expected {name} with {query.ndim} dims and "
                                 f"last dim {E}, got shape {tuple(t.shape)}")
        if key.shape != value.shape:
            raise ValueError(f"MultiheadAttention: key and value must have the same shape, got {tuple(key.shape)} and "
                             f"{tuple(value.shape)}")
        batch = (0 if self.batch_first else 1) if query.ndim == 3 else None
        if batch is not None and key.shape[batch] != query.shape[batch]:
            raise ValueError(f"MultiheadAttention: query and key must have the same batch size, got shapes "
                             f"{tuple(query.shape)} and {tuple(key.shape)}")

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        self._check(query, key, value)
        batched = query.ndim == 3
        if batched and self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        if not batched:  # (L, E) -> (L, 1, E)
            query, key, value = (t.unsqueeze(1) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        L, N, E = query.shape
        S, H, d = key.shape[0], self.num_heads, self.head_dim
        dtype = query.dtype

        w, b = self.in_proj_weight, self.in_proj_bias
        q = linalg.linear(query, w[:E], None if b is None else b[:E])
        k = linalg.linear(key, w[E:2 * E], None if b is None else b[E:2 * E])
        v = linalg.linear(value, w[2 * E:], None if b is None else b[2 * E:])
        # (L, N, E) -> (N * H, L, d): heads become extra batch entries
        q = q.reshape(L, N * H, d).transpose(0, 1)
        k = k.reshape(S, N * H, d).transpose(0, 1)
        v = v.reshape(S, N * H, d).transpose(0, 1)

        mask = _additive_mask(attn_mask, dtype, "attn_mask")
        if mask is not None:
            expected = [(L, S), (N * H, L, S)] if batched else [(L, S), (H, L, S)]
            if tuple(mask.shape) not in expected:
                raise ValueError(f"MultiheadAttention: expected attn_mask of shape "
                                 f"{' or '.join(map(str, expected))}, got {tuple(mask.shape)}")
            if mask.ndim == 2:
                mask = mask.unsqueeze(0)
        padding = _additive_mask(key_padding_mask, dtype, "key_padding_mask")
        if padding is not None:
            if tuple(padding.shape) != (N, S):
                raise ValueError(f"MultiheadAttention: expected key_padding_mask of shape "
                                 f"{(N, S) if batched else (S,)}, got {tuple(key_padding_mask.shape)}")
            padding = padding.reshape(N, 1, 1, S).expand(N, H, 1, S).reshape(N * H, 1, S)
            mask = padding if mask is None else mask + padding
        if is_causal and mask is None:
            xp = backend.array_module(query._data)
            causal = xp.triu(xp.ones((L, S), dtype=bool), 1)
            mask = _additive_mask(creation.tensor(causal), dtype, "attn_mask").unsqueeze(0)

        scores = linalg.matmul(q * math.sqrt(1.0 / d), k.transpose(1, 2))  # (N * H, L, S)
        if mask is not None:
            scores = scores + mask
        weights = softmax(scores, -1)
        dropped = D.dropout(weights, self.dropout, self.training) if self.dropout > 0 else weights
        out = linalg.matmul(dropped, v)  # (N * H, L, d)
        out = out.transpose(0, 1).reshape(L * N, E)
        out = self.out_proj(out).reshape(L, N, E)

        if not batched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        weights = weights.reshape(N, H, L, S)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            weights = weights.squeeze(0)
        return out, weights

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, " \
               f"batch_first={self.batch_first}"


def _activation(name):
    from backprop.ops import nn_activation as A

    if name == "relu":
        return A.relu
    if name == "gelu":
        return A.gelu
    raise ValueError(f"TransformerEncoderLayer: activation should be 'relu' or 'gelu' or a callable, got {name!r}")


class TransformerEncoderLayer(Module):
    """Self-attention then a position-wise feed-forward net, each with a residual connection and layer norm.

    Post-norm (default): x = norm1(x + SA(x)); x = norm2(x + FF(x)).
    Pre-norm (``norm_first=True``): x = x + SA(norm1(x)); x = x + FF(norm2(x)).
    FF(x) = linear2(dropout(activation(linear1(x)))); SA and FF outputs pass
    dropout1 / dropout2. Submodule names are torch's, so state_dicts copy.

    >>> import backprop as bp
    >>> TransformerEncoderLayer(8, 2, dim_feedforward=16)(bp.randn(5, 3, 8)).shape
    backprop.Size([5, 3, 8])
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(activation) if isinstance(activation, str) else activation
        if not callable(self.activation):
            raise ValueError(f"TransformerEncoderLayer: activation should be 'relu', 'gelu' or a callable, "
                             f"got {activation!r}")

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x
