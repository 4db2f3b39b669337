# A small Transformer encoder language model: sinusoidal positional encoding as a buffer, a causal mask,
# nn.TransformerEncoderLayer blocks, trained to continue a repeating token pattern.
# compare: loss rel=0.3 floor=0.1
# expect: final loss < 1.0
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=64):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)

    def forward(self, x):
        return x + self.pe[:x.size(0)]


class TransformerModel(nn.Module):
    def __init__(self, ntoken, d_model, nhead, d_hid, nlayers, dropout=0.0):
        super().__init__()
        self.pos_encoder = PositionalEncoding(d_model)
        self.layers = nn.ModuleList(nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout)
                                    for _ in range(nlayers))
        self.embedding = nn.Embedding(ntoken, d_model)
        self.d_model = d_model
        self.linear = nn.Linear(d_model, ntoken)

    def forward(self, src, src_mask):
        x = self.pos_encoder(self.embedding(src) * math.sqrt(self.d_model))
        for layer in self.layers:
            x = layer(x, src_mask=src_mask)
        return self.linear(x)


def causal_mask(size):
    return torch.triu(torch.full((size, size), float("-inf")), diagonal=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=80)
    parser.add_argument("--seq-len", type=int, default=12)
    args = parser.parse_args()
    torch.manual_seed(0)
    ntokens = 8
    model = TransformerModel(ntokens, d_model=32, nhead=4, d_hid=64, nlayers=2)
    print("parameters:", sum(p.numel() for p in model.parameters()))
    print("mask:", causal_mask(3))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 40, gamma=0.5)
    mask = causal_mask(args.seq_len)
    for step in range(1, args.steps + 1):
        offsets = torch.randint(0, ntokens, (1, 16))
        seq = (torch.arange(args.seq_len + 1).unsqueeze(1) * 3 + offsets) % ntokens   # (T+1, B)
        data, targets = seq[:-1], seq[1:]
        output = model(data, mask)
        loss = F.cross_entropy(output.view(-1, ntokens), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
        scheduler.step()
        if step % 20 == 0:
            print(f"step {step}: loss {loss.item():.3f} lr {scheduler.get_last_lr()[0]:.4f}")
    print(f"final loss: {loss.item():.4f}")


if __name__ == "__main__":
    main()
