# Attention layers on fixed inputs and weights: nn.MultiheadAttention with batch_first, kdim/vdim, add_bias_kv,
# add_zero_attn, key_padding_mask, boolean and float attn_mask, per-head weights; F.scaled_dot_product_attention
# with masks, is_causal and scale; Transformer encoder and decoder layers (post- and pre-norm, gelu, batch_first)
# in train and eval mode with masks; a full nn.Transformer with custom sizes. Outputs, attention weights and input
# gradients summarised. Weights come from NumPy's generator; dropout is 0.
# compare: close rtol=1e-4 atol=1e-5
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

RNG = np.random.default_rng(0)


def tensor(*shape, scale=1.0):
    return torch.from_numpy((scale * RNG.normal(size=shape)).astype(np.float32))


def fill_(module, scale=0.3):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(tensor(*p.shape, scale=scale))
    return module


def s(t):
    return f"{tuple(t.shape)} sum {t.sum().item():.5f} abs {t.abs().sum().item():.5f}"


def grads_of(out, *inputs):
    weights = torch.cos(torch.arange(out.numel(), dtype=torch.float32)).view_as(out)
    return torch.autograd.grad((out * weights).sum(), inputs)


def main():
    parser = argparse.ArgumentParser()
    parser.parse_args()
    torch.manual_seed(0)
    q, k, v = tensor(2, 5, 8).requires_grad_(), tensor(2, 7, 6).requires_grad_(), tensor(2, 7, 4).requires_grad_()
    padding = torch.tensor([[False] * 7, [False] * 5 + [True] * 2])

    print("-- MultiheadAttention")
    mha = fill_(nn.MultiheadAttention(8, 2, batch_first=True, kdim=6, vdim=4))
    print(mha, [(n, tuple(p.shape)) for n, p in mha.named_parameters()])
    out, attn = mha(q, k, v, key_padding_mask=padding)
    gq, gk, gv = grads_of(out, q, k, v)
    print("kdim/vdim:", s(out), "| weights", s(attn), "| grads", s(gq), s(gk), s(gv))
    out, attn = mha(q, k, v, key_padding_mask=padding, average_attn_weights=False)
    print("per-head weights:", s(attn))

    x = tensor(5, 2, 8).requires_grad_()   # (L, N, E)
    mha2 = fill_(nn.MultiheadAttention(8, 4, add_bias_kv=True, add_zero_attn=True))
    causal = torch.triu(torch.ones(5, 5, dtype=torch.bool), diagonal=1)
    out, attn = mha2(x, x, x, attn_mask=causal)
    (gx,) = grads_of(out, x)
    print("bias_kv zero_attn bool mask:", s(out), "| weights", s(attn), "| grad", s(gx))
    float_mask = tensor(5, 5, scale=0.5)
    out, attn = mha2(x, x, x, attn_mask=float_mask, need_weights=False)
    print("float mask, need_weights=False:", s(out), attn)
    mha3 = fill_(nn.MultiheadAttention(8, 2))
    out, _ = mha3(x, x, x, attn_mask=torch.cat([causal, causal]).view(2, 5, 5).repeat(2, 1, 1))
    print("3-d mask:", s(out))
    unbatched, weights = mha3(x[:, 0], x[:, 0], x[:, 0])
    print("unbatched:", s(unbatched), s(weights))

    print("-- scaled_dot_product_attention")
    Q, K, V = tensor(2, 3, 4, 8).requires_grad_(), tensor(2, 3, 6, 8).requires_grad_(), tensor(2, 3, 6, 5)
    out = F.scaled_dot_product_attention(Q, K, V)
    print("plain:", s(out), "| grads", *(s(g) for g in grads_of(out, Q, K)))
    bool_mask = torch.ones(4, 6, dtype=torch.bool).tril(diagonal=2)
    out = F.scaled_dot_product_attention(Q, K, V, attn_mask=bool_mask)
    print("bool mask:", s(out), "| grads", *(s(g) for g in grads_of(out, Q, K)))
    out = F.scaled_dot_product_attention(Q, K, V, attn_mask=tensor(2, 1, 4, 6), scale=0.2)
    print("float mask, scale:", s(out))
    Qs = tensor(2, 3, 6, 8)
    out = F.scaled_dot_product_attention(Qs, K, V, is_causal=True)
    print("is_causal:", s(out))

    print("-- Transformer layers")
    src = tensor(2, 6, 16).requires_grad_()
    tgt = tensor(2, 4, 16).requires_grad_()
    src_pad = torch.tensor([[False] * 6, [False] * 4 + [True] * 2])
    for norm_first in (False, True):
        layer = fill_(nn.TransformerEncoderLayer(16, 4, dim_feedforward=24, dropout=0.0, activation="gelu",
                                                 batch_first=True, norm_first=norm_first), scale=0.2)
        out = layer(src, src_key_padding_mask=src_pad)
        (g,) = grads_of(out, src)
        print(f"encoder layer norm_first={norm_first}:", s(out), "| grad", s(g))
        layer.eval()
        with torch.no_grad():
            print("  eval, no_grad:", s(layer(src, src_key_padding_mask=src_pad)[0]),
                  s(layer(src, src_mask=nn.Transformer.generate_square_subsequent_mask(6), is_causal=True)))
        dec = fill_(nn.TransformerDecoderLayer(16, 4, dim_feedforward=24, dropout=0.0, batch_first=True,
                                               norm_first=norm_first), scale=0.2)
        out = dec(tgt, src, tgt_mask=nn.Transformer.generate_square_subsequent_mask(4),
                  memory_key_padding_mask=src_pad)
        g_tgt, g_src = grads_of(out, tgt, src)
        print(f"decoder layer norm_first={norm_first}:", s(out), "| grads", s(g_tgt), s(g_src))
    encoder = nn.TransformerEncoder(fill_(nn.TransformerEncoderLayer(16, 2, 32, 0.0, batch_first=True), 0.2), 2,
                                    norm=nn.LayerNorm(16), enable_nested_tensor=False)
    print("encoder stack:", s(encoder(src, src_key_padding_mask=src_pad)),
          "layers share weights:", encoder.layers[0].linear1.weight is encoder.layers[1].linear1.weight)
    model = fill_(nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=2,
                                 dim_feedforward=20, dropout=0.0, batch_first=True), scale=0.2)
    out = model(src, tgt, tgt_mask=model.generate_square_subsequent_mask(4), src_key_padding_mask=src_pad,
                memory_key_padding_mask=src_pad)
    print("nn.Transformer:", s(out), "| grads", *(s(g) for g in grads_of(out, src, tgt)))
    print("state_dict keys:", len(model.state_dict()), list(model.state_dict())[:4])


if __name__ == "__main__":
    main()
