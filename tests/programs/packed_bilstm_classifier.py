# A sequence classifier over sentences of unequal lengths: Embedding(padding_idx=0), a two-layer bidirectional
# LSTM fed a PackedSequence (pack_sequence with enforce_sorted=False, and pack_padded_sequence from a padded batch
# with its lengths), the last hidden states of both directions concatenated, a linear head; plus an LSTM with
# proj_size and a GRU over the same packed batch. Weights are drawn from Python's random, there is no dropout and
# no shuffling, so both frameworks take the same steps.
# compare: close rtol=1e-4 atol=1e-6
# expect: accuracy >= 0.9
import argparse
import random

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pack_sequence, pad_packed_sequence, pad_sequence


def make_data(n, seed):
    """Token sequences of length 2..7 over tokens 1..9; the class says whether token 9 occurs before token 8
    (0: neither occurs, 1: 9 first, 2: 8 first or only 8)."""
    rng = random.Random(seed)
    seqs, labels = [], []
    for _ in range(n):
        seq = [rng.randint(1, 9) for _ in range(rng.randint(2, 7))]
        first = next((t for t in seq if t in (8, 9)), None)
        seqs.append(torch.tensor(seq))
        labels.append(0 if first is None else 1 if first == 9 else 2)
    return seqs, torch.tensor(labels)


def seeded_(module, seed):
    rng = random.Random(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.tensor([rng.uniform(-0.3, 0.3) for _ in range(p.numel())]).view_as(p))


class Classifier(nn.Module):
    def __init__(self, vocab=10, embed=8, hidden=12, classes=3):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed, padding_idx=0)
        self.lstm = nn.LSTM(embed, hidden, num_layers=2, bidirectional=True)
        self.head = nn.Linear(2 * hidden, classes)

    def forward(self, packed_tokens):
        embedded = nn.utils.rnn.PackedSequence(self.embedding(packed_tokens.data), packed_tokens.batch_sizes,
                                               packed_tokens.sorted_indices, packed_tokens.unsorted_indices)
        _, (h_n, _) = self.lstm(embedded)
        # h_n: (num_layers * 2, batch, hidden), already in the batch's original order
        return self.head(torch.cat([h_n[-2], h_n[-1]], dim=1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    torch.manual_seed(0)
    seqs, labels = make_data(160, seed=1)
    test_seqs, test_labels = make_data(60, seed=2)

    packed = pack_sequence(seqs[:4], enforce_sorted=False)
    print("lengths:", [len(s) for s in seqs[:4]])
    print("batch_sizes:", packed.batch_sizes.tolist(), "sorted:", packed.sorted_indices.tolist(),
          "unsorted:", packed.unsorted_indices.tolist())
    padded, lengths = pad_packed_sequence(packed, batch_first=True)
    print("padded:", padded.tolist(), "lengths:", lengths.tolist())

    model = Classifier()
    seeded_(model, seed=3)
    with torch.no_grad():
        model.embedding.weight[0].zero_()
    print(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(1, args.epochs + 1):
        total = 0.0
        for i in range(0, len(seqs), args.batch_size):
            batch = pack_sequence(seqs[i:i + args.batch_size], enforce_sorted=False)
            optimizer.zero_grad()
            loss = criterion(model(batch), labels[i:i + args.batch_size])
            loss.backward()
            optimizer.step()
            total += loss.item()
        if epoch % 2 == 0:
            print(f"epoch {epoch}: loss {total / (len(seqs) // args.batch_size):.5f}")

    with torch.no_grad():
        padded_test = pad_sequence(test_seqs)
        test_lengths = torch.tensor([len(s) for s in test_seqs])
        logits = model(pack_padded_sequence(padded_test, test_lengths, enforce_sorted=False))
        accuracy = (logits.argmax(1) == test_labels).float().mean().item()
        print("padding row of the embedding stays zero:", model.embedding.weight[0].abs().sum().item() == 0)

        # the same packed batch through an LSTM with projections and a GRU: outputs padded back, states' shapes
        embedded = pack_padded_sequence(model.embedding(padded_test), test_lengths, enforce_sorted=False)
        proj = nn.LSTM(8, 12, proj_size=5, batch_first=False)
        gru = nn.GRU(8, 6, num_layers=2)
        seeded_(proj, seed=4)
        seeded_(gru, seed=5)
        out, (h, c) = proj(embedded)
        out, out_lengths = pad_packed_sequence(out, total_length=8)
        print("proj LSTM:", tuple(out.shape), tuple(h.shape), tuple(c.shape), out_lengths.tolist()[:6])
        print("proj output past the end is zero:", out[7:, test_lengths < 8].abs().sum().item() == 0)
        print("proj sums:", round(out.sum().item(), 5), round(h.sum().item(), 5), round(c.sum().item(), 5))
        out, h = gru(embedded)
        print("GRU:", tuple(pad_packed_sequence(out)[0].shape), tuple(h.shape), round(h.sum().item(), 5))
    print(f"accuracy: {accuracy:.3f}")
    print(f"final loss: {total / (len(seqs) // args.batch_size):.5f}")


if __name__ == "__main__":
    main()
