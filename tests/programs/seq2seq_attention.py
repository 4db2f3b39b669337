# An encoder-decoder GRU with dot-product attention that learns to reverse short digit sequences (teacher forcing).
# compare: loss rel=0.3 floor=0.5
# expect: token accuracy >= 0.4
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

SOS, VOCAB = 10, 11


class Encoder(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, hidden)
        self.gru = nn.GRU(hidden, hidden, batch_first=True)

    def forward(self, src):
        return self.gru(self.embedding(src))


class AttnDecoder(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, hidden)
        self.gru = nn.GRU(2 * hidden, hidden, batch_first=True)
        self.out = nn.Linear(hidden, VOCAB)

    def step(self, token, hidden, keys):
        embedded = self.embedding(token)                      # (B, 1, H)
        query = hidden.permute(1, 0, 2)                       # (B, 1, H)
        scores = torch.bmm(query, keys.transpose(1, 2))       # (B, 1, T)
        weights = F.softmax(scores, dim=-1)
        context = torch.bmm(weights, keys)                    # (B, 1, H)
        output, hidden = self.gru(torch.cat((embedded, context), dim=2), hidden)
        return self.out(output), hidden, weights

    def forward(self, keys, hidden, targets):
        token = torch.full((keys.size(0), 1), SOS, dtype=torch.long)
        outputs = []
        for t in range(targets.size(1)):
            logits, hidden, _ = self.step(token, hidden, keys)
            outputs.append(logits)
            token = targets[:, t].unsqueeze(1)
        return torch.cat(outputs, dim=1)

    def greedy(self, keys, hidden, length):
        token = torch.full((keys.size(0), 1), SOS, dtype=torch.long)
        result = []
        for _ in range(length):
            logits, hidden, _ = self.step(token, hidden, keys)
            token = logits.argmax(-1)
            result.append(token)
        return torch.cat(result, dim=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--length", type=int, default=4)
    parser.add_argument("--hidden", type=int, default=24)
    args = parser.parse_args()
    torch.manual_seed(0)
    encoder, decoder = Encoder(args.hidden), AttnDecoder(args.hidden)
    params = list(encoder.parameters()) + list(decoder.parameters())
    optimizer = torch.optim.Adam(params, lr=0.01)
    for step in range(1, args.steps + 1):
        src = torch.randint(0, 10, (24, args.length))
        tgt = src.flip(1)
        keys, hidden = encoder(src)
        logits = decoder(keys, hidden, tgt)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), tgt.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 50 == 0:
            print(f"step {step}: loss {loss.item():.3f}")
    with torch.no_grad():
        src = torch.randint(0, 10, (64, args.length))
        keys, hidden = encoder(src)
        pred = decoder.greedy(keys, hidden, args.length)
        accuracy = (pred == src.flip(1)).float().mean().item()
        final = F.cross_entropy(decoder(keys, hidden, src.flip(1)).reshape(-1, VOCAB), src.flip(1).reshape(-1))
    print(f"token accuracy: {accuracy:.3f}")
    print(f"final loss: {final.item():.4f}")


if __name__ == "__main__":
    main()
