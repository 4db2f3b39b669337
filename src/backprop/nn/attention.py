"""Multi-head attention (Vaswani et al. 2017), as torch's ``nn.MultiheadAttention``.

Scaled dot-product attention of queries Q (L, d) on keys K (S, d) and values V (S, d):
    A = softmax(Q K^T / sqrt(d) + M),   output = A V,
M an additive mask (-inf where a query may not look). Multi-head attention
projects the inputs with W_q, W_k, W_v into ``num_heads`` subspaces of size
d = embed_dim / num_heads, attends in each, concatenates the heads and
projects with W_o. The computation is ``backprop.ops.attention.multi_head_attention_forward``,
built from existing ops (linear, matmul, softmax, reshape/transpose), so the
gradient comes from theirs. The Transformer layers built on it are in
``backprop.nn.transformer``.
"""
from backprop import creation
from backprop.nn import init
from backprop.nn.linear import Linear
from backprop.nn.module import Module
from backprop.nn.parameter import Parameter
from backprop.ops.attention import multi_head_attention_forward

__all__ = ["MultiheadAttention", "NonDynamicallyQuantizableLinear"]


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear by another name: torch's class for MultiheadAttention.out_proj (its repr shows this name)."""


class MultiheadAttention(Module):
    """Multi-head attention: MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W_o^T + b_o,
    head_i = softmax(Q W_q,i^T (K W_k,i^T)^T / sqrt(d) + M) V W_v,i^T, d = embed_dim / num_heads.

    Parameters as torch's: ``in_proj_weight`` (3 embed_dim, embed_dim) stacks
    W_q, W_k, W_v (Xavier-uniform); with ``kdim``/``vdim`` other than
    embed_dim, three separate ``q_proj_weight`` (E, E), ``k_proj_weight``
    (E, kdim), ``v_proj_weight`` (E, vdim) instead. ``in_proj_bias`` (3 E,)
    zeros, ``out_proj`` a Linear whose bias starts at zero; ``add_bias_kv``:
    ``bias_k``, ``bias_v`` (1, 1, E) (Xavier-normal), one more learned
    key/value position; ``add_zero_attn``: one more zero key/value position.
    Inputs are (L, N, E) (or (N, L, E) with ``batch_first``, or unbatched (L, E)).

    ``forward`` returns (output, attention weights), the weights (N, L, S)
    averaged over heads (or (N, H, L, S) with ``average_attn_weights=False``;
    None with ``need_weights=False``). ``key_padding_mask`` (N, S) and
    ``attn_mask`` (L, S) or (N * H, L, S): bool (True = ignore that key) or
    float (added to the scores). ``is_causal`` only says that ``attn_mask`` is
    the causal mask (which must be given).

    >>> import backprop as bp
    >>> out, w = MultiheadAttention(8, 2)(bp.randn(5, 3, 8), bp.randn(4, 3, 8), bp.randn(4, 3, 8))
    >>> out.shape, w.shape
    (backprop.Size([5, 3, 8]), backprop.Size([3, 5, 4]))
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise AssertionError(f"embed_dim must be divisible by num_heads, got embed_dim={embed_dim} and "
                                 f"num_heads={num_heads}")
        kw = dict(dtype=dtype, device=device)
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(creation.empty(3 * embed_dim, embed_dim, **kw))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(creation.empty(embed_dim, embed_dim, **kw))
            self.k_proj_weight = Parameter(creation.empty(embed_dim, self.kdim, **kw))
            self.v_proj_weight = Parameter(creation.empty(embed_dim, self.vdim, **kw))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(creation.empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **kw)
        if add_bias_kv:
            self.bias_k = Parameter(creation.empty(1, 1, embed_dim, **kw))
            self.bias_v = Parameter(creation.empty(1, 1, embed_dim, **kw))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def _check(self, query, key, value):
        """torch's error types: AssertionError for the number of dims and the query's width, RuntimeError for a
        key or value whose width does not fit its projection."""
        E = self.embed_dim
        for name, t, size in (("query", query, E), ("key", key, self.kdim), ("value", value, self.vdim)):
            if t.ndim not in (2, 3) or t.shape[-1] != size:
                error = RuntimeError if t.ndim in (2, 3) and name != "query" else AssertionError
                raise error(f"MultiheadAttention(embed_dim={E}): expected {name} of shape (L, N, {size}) or "
                            f"unbatched (L, {size}), got shape {tuple(t.shape)}")

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        self._check(query, key, value)
        batched = query.ndim == 3
        if batched and self.batch_first:  # keep self-attention recognisable: the same tensor stays the same
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = (t.transpose(1, 0) for t in (query, key))
                    value = key
            else:
                query, key, value = (t.transpose(1, 0) for t in (query, key, value))
        separate = not self._qkv_same_embed_dim
        out, weights = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.bias_k, self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=separate, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        if batched and self.batch_first:
            out = out.transpose(1, 0)
        return out, weights
