# A character-level LSTM language model on a short text: train on random windows, then generate greedily.
# compare: loss rel=0.25 floor=0.3
# expect: final loss < 1.5
# free: sample:
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

TEXT = ("the quick brown fox jumps over the lazy dog. " * 4 +
        "a stitch in time saves nine. " * 3 +
        "all that glitters is not gold. " * 3)


class CharModel(nn.Module):
    def __init__(self, vocab, embed, hidden):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        out, state = self.lstm(self.embed(x), state)
        return self.head(out), state


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--seq-len", type=int, default=24)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    torch.manual_seed(0)
    chars = sorted(set(TEXT))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in TEXT], dtype=torch.long)
    print(f"{len(TEXT)} characters, vocabulary {len(chars)}")
    model = CharModel(len(chars), 16, 64)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for step in range(1, args.steps + 1):
        starts = torch.randint(0, len(data) - args.seq_len - 1, (args.batch_size,))
        x = torch.stack([data[s:s + args.seq_len] for s in starts.tolist()])
        y = torch.stack([data[s + 1:s + args.seq_len + 1] for s in starts.tolist()])
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, len(chars)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 50 == 0:
            print(f"step {step}: loss {loss.item():.3f}")
    model.eval()
    with torch.no_grad():
        prompt = "the quick"
        x = torch.tensor([[stoi[c] for c in prompt]])
        logits, state = model(x)
        out = prompt
        for _ in range(20):
            nxt = logits[0, -1].argmax().item()
            out += chars[nxt]
            logits, state = model(torch.tensor([[nxt]]), state)
        full = model(data[:-1].unsqueeze(0))[0]
        final = F.cross_entropy(full[0], data[1:]).item()
    print("sample:", repr(out))
    print(f"final loss: {final:.4f}")


if __name__ == "__main__":
    main()
