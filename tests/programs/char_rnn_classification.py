# Classify words by their language of origin with a character-level RNN, one-hot letters, as the names tutorial does,
# on a tiny built-in word list.
# compare: loss rel=0.5 floor=0.3
# expect: train accuracy >= 0.7
# free: yamada is
import argparse
import random
import string
import time

import torch
import torch.nn as nn

WORDS = {
    "English": ["smith", "johnson", "williams", "brown", "taylor", "walker", "wright", "thompson", "white", "hughes"],
    "Italian": ["rossi", "russo", "ferrari", "esposito", "bianchi", "romano", "colombo", "ricci", "marino", "greco"],
    "Japanese": ["sato", "suzuki", "takahashi", "tanaka", "watanabe", "ito", "yamamoto", "nakamura", "kobayashi",
                 "kato"],
    "Polish": ["nowak", "kowalski", "wisniewski", "wojcik", "kowalczyk", "kaminski", "lewandowski", "zielinski",
               "szymanski", "wozniak"],
}
ALL_LETTERS = string.ascii_lowercase
N_LETTERS = len(ALL_LETTERS)


def line_to_tensor(line):
    tensor = torch.zeros(len(line), 1, N_LETTERS)
    for li, letter in enumerate(line):
        tensor[li][0][ALL_LETTERS.find(letter)] = 1
    return tensor


class CharRNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.rnn = nn.RNN(input_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, line_tensor):
        rnn_out, hidden = self.rnn(line_tensor)
        return self.softmax(self.h2o(hidden[0]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=32)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = random.Random(0)
    categories = list(WORDS)
    data = [(word, categories.index(lang)) for lang, words in WORDS.items() for word in words]
    tensors = [(line_to_tensor(w), torch.tensor([c], dtype=torch.long)) for w, c in data]
    print("letter tensor of 'ito':", line_to_tensor("ito").size())
    model = CharRNN(N_LETTERS, args.hidden, len(categories))
    criterion = nn.NLLLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    start = time.time()
    for epoch in range(1, args.epochs + 1):
        rng.shuffle(tensors)
        total = 0.0
        for line, label in tensors:
            optimizer.zero_grad()
            loss = criterion(model(line), label)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 3)
            optimizer.step()
            total += loss.item()
        if epoch % 4 == 0:
            print(f"epoch {epoch}: mean loss {total / len(tensors):.4f}")
    assert time.time() - start >= 0
    model.eval()
    correct = 0
    with torch.no_grad():
        for line, label in tensors:
            output = model(line)
            top_n, top_i = output.topk(1)
            correct += int(top_i[0].item() == label.item())
        guess = categories[model(line_to_tensor("yamada")).argmax(1).item()]
    print(f"train accuracy: {correct / len(tensors):.3f}")
    print("yamada is", guess)
    print(f"final loss: {total / len(tensors):.4f}")


if __name__ == "__main__":
    main()
