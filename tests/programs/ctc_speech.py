# A tiny speech-recognition-style model trained with CTC: "utterances" are sequences of feature frames in which
# each symbol of the transcript lasts a few frames (lengths vary), a Conv1d front end, a bidirectional GRU, a linear
# layer to the symbols plus the blank, log_softmax over (T, N, C) and nn.CTCLoss with input and target lengths;
# greedy decoding collapses repeats and drops blanks. Data, frame lengths and weights come from NumPy's generator,
# so both frameworks take the same steps.
# compare: close rtol=2e-3 atol=1e-4
# expect: decoded exactly >= 0.5
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BLANK, SYMBOLS, FEATURES = 0, 5, 8


def make_utterances(n, rng, prototypes):
    utterances, transcripts = [], []
    for _ in range(n):
        transcript = rng.integers(1, SYMBOLS + 1, size=rng.integers(2, 5))
        frames = []
        for symbol in transcript:
            frames += [prototypes[symbol]] * int(rng.integers(2, 4))
            frames += [prototypes[0]] * int(rng.integers(0, 2))   # short silences between symbols
        noisy = np.stack(frames) + 0.3 * rng.normal(size=(len(frames), FEATURES)).astype(np.float32)
        utterances.append(torch.from_numpy(noisy.astype(np.float32)))
        transcripts.append(torch.from_numpy(transcript.astype(np.int64)))
    return utterances, transcripts


class AcousticModel(nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.conv = nn.Conv1d(FEATURES, hidden, kernel_size=3, padding=1)
        self.rnn = nn.GRU(hidden, hidden, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, SYMBOLS + 1)

    def forward(self, x):                                   # x: (T, N, FEATURES)
        x = F.relu(self.conv(x.permute(1, 2, 0))).permute(2, 0, 1)
        x, _ = self.rnn(x)
        return F.log_softmax(self.fc(x), dim=2)             # (T, N, C)


def batch(utterances, transcripts):
    inputs = nn.utils.rnn.pad_sequence(utterances)
    input_lengths = torch.tensor([len(u) for u in utterances])
    targets = torch.cat(transcripts)                       # the concatenated form of the targets
    target_lengths = torch.tensor([len(t) for t in transcripts])
    return inputs, input_lengths, targets, target_lengths


def greedy_decode(log_probs, lengths):
    best = log_probs.argmax(dim=2).T.tolist()
    decoded = []
    for path, length in zip(best, lengths.tolist()):
        out, previous = [], BLANK
        for symbol in path[:length]:
            if symbol != previous and symbol != BLANK:
                out.append(symbol)
            previous = symbol
        decoded.append(out)
    return decoded


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    prototypes = rng.normal(size=(SYMBOLS + 1, FEATURES)).astype(np.float32)   # one feature vector per symbol
    train = make_utterances(96, rng, prototypes)
    test = make_utterances(24, rng, prototypes)
    model = AcousticModel()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.3, 0.3, size=tuple(p.shape)).astype(np.float32)))
    ctc_loss = nn.CTCLoss(blank=BLANK, zero_infinity=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for epoch in range(1, args.epochs + 1):
        total = 0.0
        for i in range(0, len(train[0]), args.batch_size):
            inputs, input_lengths, targets, target_lengths = batch(train[0][i:i + args.batch_size],
                                                                   train[1][i:i + args.batch_size])
            optimizer.zero_grad()
            loss = ctc_loss(model(inputs), targets, input_lengths, target_lengths)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            total += loss.item()
        if epoch % 3 == 0:
            print(f"epoch {epoch}: ctc loss {total / (len(train[0]) // args.batch_size):.5f}")
    model.eval()
    with torch.no_grad():
        inputs, input_lengths, targets, target_lengths = batch(*test)
        log_probs = model(inputs)
        test_loss = ctc_loss(log_probs, targets, input_lengths, target_lengths).item()
        decoded = greedy_decode(log_probs, input_lengths)
    exact = sum(d == t.tolist() for d, t in zip(decoded, test[1])) / len(decoded)
    for d, t in list(zip(decoded, test[1]))[:3]:
        print("transcript", t.tolist(), "decoded", d)
    print(f"decoded exactly: {exact:.3f}")
    print(f"final loss: {test_loss:.5f}")


if __name__ == "__main__":
    main()
