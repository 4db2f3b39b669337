# A sequence-to-sequence GRU that learns to reverse digit strings of unequal lengths: the source batch is padded
# with pad_sequence, packed with pack_padded_sequence(enforce_sorted=False) for the encoder, unpacked with
# pad_packed_sequence for a masked dot-product attention; the decoder is trained with teacher forcing (the coin is
# Python's random, seeded) and the padded target positions are ignored by the loss (ignore_index).
# compare: loss rel=0.3 floor=0.3
# expect: sequence accuracy >= 0.5
import argparse
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

PAD, SOS, EOS = 0, 1, 2
DIGITS = 10  # tokens 3..12 are the digits 0..9
VOCAB = 3 + DIGITS


def make_pairs(n, seed, min_len=2, max_len=5):
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        digits = [3 + rng.randrange(DIGITS) for _ in range(rng.randint(min_len, max_len))]
        pairs.append((torch.tensor(digits), torch.tensor(digits[::-1] + [EOS])))
    return pairs


class EncoderRNN(nn.Module):
    def __init__(self, vocab, hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab, hidden_size, padding_idx=PAD)
        self.gru = nn.GRU(hidden_size, hidden_size)

    def forward(self, padded, lengths):
        embedded = self.embedding(padded)                     # (T, B, H)
        packed = pack_padded_sequence(embedded, lengths, enforce_sorted=False)
        packed_outputs, hidden = self.gru(packed)
        outputs, output_lengths = pad_packed_sequence(packed_outputs)  # (T, B, H), zeros past each length
        return outputs, output_lengths, hidden


class AttnDecoderRNN(nn.Module):
    def __init__(self, vocab, hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab, hidden_size, padding_idx=PAD)
        self.gru = nn.GRU(hidden_size, hidden_size)
        self.concat = nn.Linear(2 * hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, vocab)

    def forward(self, token, hidden, encoder_outputs, mask):
        embedded = self.embedding(token).unsqueeze(0)         # (1, B, H)
        output, hidden = self.gru(embedded, hidden)
        scores = torch.einsum("bh,tbh->bt", output[0], encoder_outputs)
        scores = scores.masked_fill(~mask, float("-inf"))
        weights = F.softmax(scores, dim=1)
        context = torch.bmm(weights.unsqueeze(1), encoder_outputs.transpose(0, 1)).squeeze(1)
        combined = torch.tanh(self.concat(torch.cat((output[0], context), dim=1)))
        return F.log_softmax(self.out(combined), dim=1), hidden


def run_batch(encoder, decoder, pairs, teacher_forcing_ratio, rng):
    sources = [src for src, _ in pairs]
    lengths = torch.tensor([len(src) for src in sources])
    padded = pad_sequence(sources, padding_value=PAD)            # (T, B)
    targets = pad_sequence([tgt for _, tgt in pairs], padding_value=PAD)
    encoder_outputs, output_lengths, hidden = encoder(padded, lengths)
    assert output_lengths.tolist() == lengths.tolist()
    mask = torch.arange(encoder_outputs.size(0)).unsqueeze(0) < lengths.unsqueeze(1)  # (B, T)
    token = torch.full((len(pairs),), SOS, dtype=torch.long)
    use_teacher_forcing = rng.random() < teacher_forcing_ratio
    outputs = []
    for t in range(targets.size(0)):
        log_probs, hidden = decoder(token, hidden, encoder_outputs, mask)
        outputs.append(log_probs)
        token = targets[t] if use_teacher_forcing else log_probs.argmax(dim=1).detach()
    outputs = torch.stack(outputs)                              # (T, B, V)
    loss = F.nll_loss(outputs.view(-1, VOCAB), targets.view(-1), ignore_index=PAD)
    return loss, outputs.argmax(dim=2), targets


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--teacher-forcing", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    train, test = make_pairs(256, seed=1), make_pairs(64, seed=2)

    example = [src for src, _ in train[:3]]
    print("lengths:", [len(s) for s in example])
    print("padded:", pad_sequence(example, batch_first=True).tolist())
    packed = pack_padded_sequence(pad_sequence(example), torch.tensor([len(s) for s in example]),
                                  enforce_sorted=False)
    print("batch sizes:", packed.batch_sizes.tolist(), "sorted indices:", packed.sorted_indices.tolist())

    encoder, decoder = EncoderRNN(VOCAB, args.hidden), AttnDecoderRNN(VOCAB, args.hidden)
    params = list(encoder.parameters()) + list(decoder.parameters())
    optimizer = torch.optim.Adam(params, lr=1e-2)
    for epoch in range(1, args.epochs + 1):
        rng.shuffle(train)
        total = 0.0
        for i in range(0, len(train), args.batch_size):
            optimizer.zero_grad()
            loss, _, _ = run_batch(encoder, decoder, train[i:i + args.batch_size], args.teacher_forcing, rng)
            loss.backward()
            nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            total += loss.item()
        if epoch % 2 == 0:
            print(f"epoch {epoch} loss {total / (len(train) // args.batch_size):.4f}")

    encoder.eval()
    decoder.eval()
    with torch.no_grad():
        loss, predictions, targets = run_batch(encoder, decoder, test, 0.0, rng)
    correct = ((predictions == targets) | (targets == PAD)).all(dim=0)
    print(f"sequence accuracy: {correct.float().mean().item():.3f}")
    print(f"final loss: {loss.item():.4f}")


if __name__ == "__main__":
    main()
