# RNN, LSTM and GRU layers (and their cells) on a fixed sequence with fixed weights: outputs, states, gradients.
# compare: close rtol=1e-4 atol=1e-5
import argparse

import torch
from torch import nn


def fill_(module, scale=0.3):
    with torch.no_grad():
        for i, p in enumerate(module.parameters()):
            p.copy_(scale * torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 0.7 + i).reshape(p.shape))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seq-len", type=int, default=5)
    args = parser.parse_args()
    torch.manual_seed(0)
    x = torch.cos(torch.arange(args.seq_len * 2 * 3, dtype=torch.float32)).reshape(args.seq_len, 2, 3)
    for cls in (nn.RNN, nn.LSTM, nn.GRU):
        layer = cls(input_size=3, hidden_size=4, num_layers=2)
        fill_(layer)
        output, state = layer(x)
        h = state[0] if isinstance(state, tuple) else state
        print(f"{cls.__name__}: output {tuple(output.shape)} last {output[-1].detach()}")
        print(f"{cls.__name__}: h_n {h.detach().sum(dim=-1)}")
        output.sum().backward()
        print(f"{cls.__name__}: grad of weight_ih_l0 sum {layer.weight_ih_l0.grad.sum().item():.5f}")
        print("parameter names:", [n for n, _ in layer.named_parameters()][:4])

    bi = nn.LSTM(3, 2, batch_first=True, bidirectional=True)
    fill_(bi)
    out, (h, c) = bi(x.transpose(0, 1))
    print("bidirectional batch_first:", tuple(out.shape), tuple(h.shape), out[:, 0].detach())

    cells = [nn.RNNCell(3, 4), nn.LSTMCell(3, 4), nn.GRUCell(3, 4)]
    for cell in cells:
        fill_(cell, 0.5)
    hx = torch.zeros(2, 4)
    lstm_state = (torch.zeros(2, 4), torch.zeros(2, 4))
    gx = torch.zeros(2, 4)
    for t in range(args.seq_len):
        hx = cells[0](x[t], hx)
        lstm_state = cells[1](x[t], lstm_state)
        gx = cells[2](x[t], gx)
    print("cells:", hx.detach()[0], lstm_state[0].detach()[0], gx.detach()[0])

    h0 = torch.full((2, 2, 4), 0.1)
    gru = nn.GRU(3, 4, num_layers=2, dropout=0.0)
    fill_(gru)
    out, hn = gru(x, h0)
    print("with h0:", hn.detach()[1])


if __name__ == "__main__":
    main()
