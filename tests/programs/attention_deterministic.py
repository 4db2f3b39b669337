# Attention with fixed weights: scaled_dot_product_attention against its formula, nn.MultiheadAttention
# (self-attention, key padding mask, attention weights) and a TransformerEncoderLayer's output.
# compare: close rtol=1e-4 atol=1e-5
import argparse
import math

import torch
import torch.nn.functional as F
from torch import nn


def fill_(module):
    with torch.no_grad():
        for i, p in enumerate(module.parameters()):
            p.copy_(0.2 * torch.cos(torch.arange(p.numel(), dtype=torch.float32) * 0.37 + i).reshape(p.shape))


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)
    q = torch.sin(torch.arange(2 * 3 * 4, dtype=torch.float32)).reshape(2, 3, 4)
    k = torch.cos(torch.arange(2 * 5 * 4, dtype=torch.float32)).reshape(2, 5, 4)
    v = torch.linspace(-1, 1, 2 * 5 * 4).reshape(2, 5, 4)
    out = F.scaled_dot_product_attention(q, k, v)
    by_hand = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(4), dim=-1) @ v
    print("sdpa:", out[0])
    print("matches the formula:", torch.allclose(out, by_hand, atol=1e-6))
    causal = F.scaled_dot_product_attention(q, q, q, is_causal=True)
    print("causal first row equals v:", torch.allclose(causal[:, 0], q[:, 0]))

    mha = nn.MultiheadAttention(embed_dim=4, num_heads=2, batch_first=True)
    fill_(mha)
    attn_output, attn_weights = mha(q, q, q)
    print("mha output:", attn_output.detach()[1])
    print("mha weights:", attn_weights.detach()[0], attn_weights.sum(-1))
    padding = torch.tensor([[False, False, True], [False, False, False]])
    masked, weights = mha(q, q, q, key_padding_mask=padding)
    print("masked weights:", weights.detach()[0])
    print("per-head weights:", mha(q, q, q, average_attn_weights=False)[1].shape)

    layer = nn.TransformerEncoderLayer(d_model=4, nhead=2, dim_feedforward=8, dropout=0.0, batch_first=True)
    fill_(layer)
    layer.eval()
    with torch.no_grad():
        print("encoder layer:", layer(q)[0])
    layer2 = nn.TransformerEncoderLayer(d_model=4, nhead=2, dim_feedforward=8, dropout=0.0, norm_first=True,
                                        activation="gelu")
    fill_(layer2)
    y = layer2(q.transpose(0, 1))
    y.sum().backward()
    print("norm_first gelu:", y.detach()[0], "grad:", layer2.linear1.weight.grad.sum().item())


if __name__ == "__main__":
    main()
