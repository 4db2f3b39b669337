"""MultiheadAttention and TransformerEncoderLayer against torch twins (eval mode: dropout off), with masks."""
import math

import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn

from .twin import compare_module

E, H, L, S, N = 8, 2, 4, 5, 3


def rng(seed=0):
    return np.random.default_rng(seed)


def qkv(batched=True, batch_first=False, seed=0):
    def shape(length):
        if not batched:
            return (length, E)
        return (N, length, E) if batch_first else (length, N, E)
    return [rng(seed).standard_normal(shape(L)), rng(seed + 1).standard_normal(shape(S)),
            rng(seed + 2).standard_normal(shape(S))]


def mha(**kwargs):
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(E, H, **kwargs)
    with torch.no_grad():  # non-zero biases so that they are tested
        for name, p in theirs.named_parameters():
            if "bias" in name:
                p.copy_(torch.tensor(rng(3).standard_normal(tuple(p.shape))))
    return nn.MultiheadAttention(E, H, **kwargs), theirs


def masks(kind):
    """(attn_mask (L, S), key_padding_mask (N, S)): bool True = ignore, or float added."""
    attn = rng(5).random((L, S)) < 0.3
    attn[:, 0] = False  # every query keeps a key
    padding = np.zeros((N, S), bool)
    padding[0, -2:] = padding[2, -1] = True
    if kind == "bool":
        return attn, padding
    return np.where(attn, -1e9, rng(6).standard_normal((L, S))), np.where(padding, -np.inf, 0.0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_matches_torch(dtype, batch_first):
    ours, theirs = mha(batch_first=batch_first)
    compare_module(ours, theirs, qkv(batch_first=batch_first), dtype=dtype)


@pytest.mark.parametrize("kind", ["bool", "float"])
@pytest.mark.parametrize("average", [True, False])
def test_mha_with_masks(kind, average):
    ours, theirs = mha()
    attn, padding = masks(kind)

    def call(module, q, k, v, attn_mask, key_padding_mask):
        return module(q, k, v, key_padding_mask=key_padding_mask, attn_mask=attn_mask, average_attn_weights=average)
    out, _ = compare_module(ours, theirs, qkv() + [attn, padding], dtype="float64", forward=call)
    weights = out[1].detach().numpy()
    if kind == "bool":  # masked keys get zero weight
        assert np.all(weights[0, ..., -2:] == 0) and np.all(weights[2, ..., -1] == 0)


def test_mha_per_head_3d_mask_and_only_one_mask():
    ours, theirs = mha()
    mask = rng(7).standard_normal((N * H, L, S))
    compare_module(ours, theirs, qkv() + [mask], dtype="float64",
                   forward=lambda m, q, k, v, a: m(q, k, v, attn_mask=a))
    padding = masks("bool")[1]
    compare_module(ours, theirs, qkv() + [padding], dtype="float64",
                   forward=lambda m, q, k, v, p: m(q, k, v, key_padding_mask=p))


def test_mha_unbatched_self_attention_without_weights():
    ours, theirs = mha()
    x = qkv(batched=False)[0]
    compare_module(ours, theirs, [x], forward=lambda m, x: m(x, x, x))
    ours, theirs = mha()  # fresh gradients
    out = compare_module(ours, theirs, [x], dtype="float64", forward=lambda m, x: m(x, x, x, need_weights=False)[0])
    assert out[0].shape == (L, E)
    ours_w = ours(bp.tensor(x), bp.tensor(x), bp.tensor(x), need_weights=False)[1]
    assert ours_w is None


def test_mha_without_bias():
    ours, theirs = mha(bias=False)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    compare_module(ours, theirs, qkv(), dtype="float64")


def test_mha_parameters_and_init_like_torch():
    ours, theirs = nn.MultiheadAttention(E, H), torch.nn.MultiheadAttention(E, H)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert not ours.in_proj_bias.detach().numpy().any() and not ours.out_proj.bias.detach().numpy().any()
    bp.manual_seed(0)
    w = nn.MultiheadAttention(64, 4).in_proj_weight.detach().numpy()
    bound = math.sqrt(6 / (64 + 3 * 64))  # xavier_uniform_ on the (3E, E) matrix
    assert w.min() >= -bound and w.max() <= bound and abs(w.std() - bound / math.sqrt(3)) < 0.01


def test_mha_dropout_in_training():
    bp.manual_seed(0)
    layer = nn.MultiheadAttention(E, H, dropout=0.5)
    q, k, v = (bp.tensor(a, requires_grad=True) for a in qkv())
    out, weights = layer(q, k, v)
    np.testing.assert_allclose(weights.detach().numpy().sum(-1), 1, rtol=1e-5)  # weights before dropout
    out.sum().backward()
    assert q.grad.shape == q.shape and layer.in_proj_weight.grad is not None
    layer.eval()
    a, b = layer(q, k, v)[0], layer(q, k, v)[0]
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())  # eval: deterministic


def test_mha_errors():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(8, 3)
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        torch.nn.MultiheadAttention(8, 3)
    layer = nn.MultiheadAttention(E, H)
    with pytest.raises(RuntimeError, match=r"embed_dim=8.*key.*\(5, 3, 6\)"):
        layer(bp.zeros(L, N, E), bp.zeros(S, N, 6), bp.zeros(S, N, 6))
    with pytest.raises(AssertionError, match=r"embed_dim=8.*query.*\(4, 3, 6\)"):
        layer(bp.zeros(L, N, 6), bp.zeros(S, N, E), bp.zeros(S, N, E))
    with pytest.raises(AssertionError, match="expected `key` and `value` to be 3-D but found 2-D and 2-D"):
        layer(bp.zeros(L, N, E), bp.zeros(S, E), bp.zeros(S, E))
    with pytest.raises(RuntimeError, match=r"2D attn_mask is \(5, 4\), but should be \(4, 5\)"):
        layer(bp.zeros(L, N, E), bp.zeros(S, N, E), bp.zeros(S, N, E), attn_mask=bp.zeros(S, L))
    with pytest.raises(RuntimeError, match=r"3D attn_mask is \(2, 4, 5\), but should be \(6, 4, 5\)"):
        layer(bp.zeros(L, N, E), bp.zeros(S, N, E), bp.zeros(S, N, E), attn_mask=bp.zeros(2, L, S))
    with pytest.raises(AssertionError, match=r"key_padding_mask of shape \(3, 5\), got \(5, 3\)"):
        layer(bp.zeros(L, N, E), bp.zeros(S, N, E), bp.zeros(S, N, E), key_padding_mask=bp.zeros(S, N))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        layer(bp.zeros(L, N, E), bp.zeros(S, N, E), bp.zeros(S, N, E), is_causal=True)
    with pytest.raises(TypeError, match="attn_mask of dtype bool or floating point, got backprop.int64"):
        layer(bp.zeros(L, N, E), bp.zeros(S, N, E), bp.zeros(S, N, E), attn_mask=bp.zeros(L, S, dtype=bp.int64))


def encoder(**kwargs):
    torch.manual_seed(0)
    theirs = torch.nn.TransformerEncoderLayer(E, H, dim_feedforward=16, **kwargs).eval()
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            if "norm" in name or "in_proj_bias" in name or "out_proj.bias" in name:
                p.copy_(torch.tensor(rng(4).standard_normal(tuple(p.shape))))
    return nn.TransformerEncoderLayer(E, H, dim_feedforward=16, **kwargs).eval(), theirs


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs", [dict(), dict(norm_first=True), dict(activation="gelu"),
                                    dict(batch_first=True, norm_first=True)])
def test_encoder_layer_matches_torch_in_eval(dtype, kwargs):
    ours, theirs = encoder(**kwargs)
    x = rng().standard_normal((N, L, E) if kwargs.get("batch_first") else (L, N, E))
    compare_module(ours, theirs, [x], dtype=dtype)


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_encoder_layer_with_masks(kind):
    ours, theirs = encoder()
    attn = rng(5).random((S, S)) < 0.3
    np.fill_diagonal(attn, False)
    padding = masks("bool")[1]
    if kind == "float":
        attn, padding = np.where(attn, -1e9, 0.5 * rng(6).standard_normal((S, S))), np.where(padding, -np.inf, 0.0)
    compare_module(ours, theirs, [rng().standard_normal((S, N, E)), attn, padding], dtype="float64",
                   forward=lambda m, x, a, p: m(x, src_mask=a, src_key_padding_mask=p))


def test_encoder_layer_names_and_train_mode():
    ours, theirs = encoder()
    names = [n for n, _ in ours.named_modules()]
    assert names == [n for n, _ in theirs.named_modules()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.train(), theirs.train()
    x = rng().standard_normal((L, N, E))
    zero_dropout = encoder(dropout=0.0)
    compare_module(*[m.train() for m in zero_dropout], [x])  # training without dropout equals torch
    out = ours(bp.tensor(x.astype(np.float32), requires_grad=True))  # dropout 0.1: runs, differentiable
    out.sum().backward()
    assert ours.linear1.weight.grad is not None


def test_encoder_layer_callable_activation_and_bad_name():
    ours = nn.TransformerEncoderLayer(E, H, dim_feedforward=16, activation=nn.GELU()).eval()
    theirs = torch.nn.TransformerEncoderLayer(E, H, dim_feedforward=16, activation=torch.nn.GELU()).eval()
    compare_module(ours, theirs, [rng().standard_normal((L, N, E))], dtype="float64")
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not swish"):
        nn.TransformerEncoderLayer(E, H, activation="swish")


@pytest.mark.parametrize("mask_kind", [None, "bool", "float", "causal"])
def test_scaled_dot_product_attention_matches_torch(mask_kind):
    F = nn.functional
    q, k, v = (rng(i).standard_normal(s) for i, s in enumerate([(2, 3, 4, 5), (2, 3, 4, 5), (2, 3, 4, 6)]))
    allowed = rng(5).random((4, 4)) < 0.7
    allowed[:, 0] = True
    mask = {None: None, "causal": None, "bool": allowed, "float": np.where(allowed, 0.3, -2.0)}[mask_kind]
    kwargs = dict(is_causal=mask_kind == "causal", scale=None if mask_kind != "float" else 0.4)
    ours = [bp.tensor(a, requires_grad=True) for a in (q, k, v)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    y = F.scaled_dot_product_attention(*ours, attn_mask=None if mask is None else bp.tensor(mask), **kwargs)
    t = torch.nn.functional.scaled_dot_product_attention(*theirs, attn_mask=None if mask is None else torch.tensor(mask),
                                                         **kwargs)
    np.testing.assert_allclose(y.detach().numpy(), t.detach().numpy(), rtol=1e-9, atol=1e-11)
    upstream = rng(9).standard_normal(t.shape)
    (y * bp.tensor(upstream)).sum().backward()
    (t * torch.tensor(upstream)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("kwargs", [dict(kdim=3, vdim=6), dict(add_bias_kv=True), dict(add_zero_attn=True),
                                    dict(kdim=3, vdim=6, add_bias_kv=True, add_zero_attn=True, batch_first=True)])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_options_match_torch(kwargs, need_weights):
    ours, theirs = mha(**kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    bf = kwargs.get("batch_first", False)
    q, k, v = qkv(batch_first=bf)
    k, v = k[..., :kwargs.get("kdim", E)], v[..., :kwargs.get("vdim", E)]
    attn, padding = masks("bool")

    def call(m, q, k, v, a, p):
        out, weights = m(q, k, v, attn_mask=a, key_padding_mask=p, need_weights=need_weights)
        return (out, weights) if need_weights else out
    compare_module(ours, theirs, [q, k, v, attn, padding], dtype="float64", forward=call)


def test_mha_separate_projections_init_and_unbatched_3d_mask():
    bp.manual_seed(0)
    layer = nn.MultiheadAttention(64, 4, kdim=32, vdim=16, add_bias_kv=True)
    assert layer.in_proj_weight is None and not layer._qkv_same_embed_dim
    k = layer.k_proj_weight.detach().numpy()
    bound = math.sqrt(6 / (64 + 32))
    assert k.shape == (64, 32) and k.max() <= bound and k.max() > 0.95 * bound
    # xavier_normal_ on (1, 1, E): fan_in = fan_out = E (torch counts dims past the second as receptive field)
    assert abs(layer.bias_k.detach().numpy().std() - math.sqrt(2 / (64 + 64))) < 0.02
    ours, theirs = mha()
    mask = rng(7).standard_normal((H, L, S))  # unbatched input: a (num_heads, L, S) mask
    q, k, v = qkv(batched=False)
    compare_module(ours, theirs, [q, k, v, mask], dtype="float64",
                   forward=lambda m, q, k, v, a: m(q, k, v, attn_mask=a))


def test_mha_is_causal_hint_with_its_mask():
    ours, theirs = mha(batch_first=True)
    x = rng().standard_normal((N, L, E))
    mask = np.triu(np.ones((L, L), bool), 1)
    compare_module(ours, theirs, [x, mask], dtype="float64",
                   forward=lambda m, x, a: m(x, x, x, attn_mask=a, is_causal=True, need_weights=False)[0])


def test_sdpa_fully_masked_rows_causal_with_mask_and_gqa():
    F = nn.functional
    q, k, v = (rng(i).standard_normal((2, 4, 4, 3)) for i in range(3))
    allowed = rng(5).random((4, 4)) < 0.6
    allowed[1] = False  # query 1 may attend nowhere: zero output, zero gradient (torch's)
    cases = [(dict(attn_mask=allowed), slice(None)), (dict(attn_mask=0.3 * allowed, is_causal=True), slice(None)),
             (dict(enable_gqa=True), slice(0, 2)), (dict(dropout_p=0.0, scale=0.7), slice(None))]
    for kwargs, kv_heads in cases:
        ours = [bp.tensor(a, requires_grad=True) for a in (q, k[:, kv_heads], v[:, kv_heads])]
        theirs = [torch.tensor(a, requires_grad=True) for a in (q, k[:, kv_heads], v[:, kv_heads])]
        mask = kwargs.pop("attn_mask", None)
        y = F.scaled_dot_product_attention(*ours, attn_mask=None if mask is None else bp.tensor(mask), **kwargs)
        t = torch.nn.functional.scaled_dot_product_attention(
            *theirs, attn_mask=None if mask is None else torch.tensor(mask), **kwargs)
        np.testing.assert_allclose(y.detach().numpy(), t.detach().numpy(), rtol=1e-9, atol=1e-11)
        upstream = rng(9).standard_normal(t.shape)
        (y * bp.tensor(upstream)).sum().backward()
        (t * torch.tensor(upstream)).sum().backward()
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-11)
    blocked = F.scaled_dot_product_attention(bp.tensor(q), bp.tensor(k), bp.tensor(v), attn_mask=bp.tensor(allowed))
    assert not blocked.numpy()[:, :, 1].any() and np.isfinite(blocked.numpy()).all()


def test_sdpa_dropout_is_always_on():
    bp.manual_seed(0)
    q = bp.randn(2, 3, 5, 4)
    a = nn.functional.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    b = nn.functional.scaled_dot_product_attention(q, q, q)
    assert a.shape == b.shape and not np.allclose(a.numpy(), b.numpy())


def test_mha_fully_padded_sequence_without_weights():
    ours, theirs = mha(batch_first=True)
    padding = np.zeros((N, S), bool)
    padding[1] = True  # sequence 1 has no key at all: zero attention output, then out_proj's bias (torch's)
    q, k, v = qkv(batch_first=True)
    out = compare_module(ours, theirs, [q, k, v, padding], dtype="float64",
                         forward=lambda m, q, k, v, p: m(q, k, v, key_padding_mask=p, need_weights=False)[0])[0]
    np.testing.assert_allclose(out.detach().numpy()[1], np.broadcast_to(ours.out_proj.bias.detach().numpy(), (L, E)))
