# Text classification with a bag of embeddings: a vocabulary built from tokens, padded batches through a
# collate_fn, mean pooling over the non-padding tokens, a linear classifier.
# compare: loss rel=0.3 floor=0.5
# expect: accuracy >= 0.75
# free: vocabulary:
import argparse

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

POSITIVE = ["good", "great", "fine", "lovely", "happy", "excellent", "nice"]
NEGATIVE = ["bad", "awful", "poor", "sad", "terrible", "horrible", "nasty"]
FILLER = ["the", "movie", "was", "really", "a", "plot", "and", "acting", "very", "it"]


def make_corpus(n, seed):
    g = torch.Generator().manual_seed(seed)
    samples = []
    for i in range(n):
        label = i % 2
        words = [FILLER[j] for j in torch.randint(0, len(FILLER), (int(torch.randint(3, 8, (1,), generator=g)),),
                                                   generator=g).tolist()]
        pool = POSITIVE if label else NEGATIVE
        words.insert(int(torch.randint(0, len(words), (1,), generator=g)), pool[i % len(pool)])
        samples.append((" ".join(words), label))
    return samples


class TextDataset(Dataset):
    def __init__(self, samples, vocab):
        self.samples, self.vocab = samples, vocab

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, idx):
        text, label = self.samples[idx]
        return torch.tensor([self.vocab[w] for w in text.split()], dtype=torch.long), label


def collate_batch(batch):
    lengths = [len(t) for t, _ in batch]
    padded = torch.zeros(len(batch), max(lengths), dtype=torch.long)
    for i, (tokens, _) in enumerate(batch):
        padded[i, :len(tokens)] = tokens
    return padded, torch.tensor([label for _, label in batch]), torch.tensor(lengths)


class BagOfEmbeddings(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.fc = nn.Linear(embed_dim, num_class)

    def forward(self, tokens, lengths):
        summed = self.embedding(tokens).sum(dim=1)
        return self.fc(summed / lengths.unsqueeze(1).float())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    torch.manual_seed(0)
    train, test = make_corpus(160, 1), make_corpus(60, 2)
    vocab = {"<pad>": 0}
    for text, _ in train + test:
        for word in text.split():
            vocab.setdefault(word, len(vocab))
    print("vocabulary:", len(vocab), "example:", train[0])
    train_loader = DataLoader(TextDataset(train, vocab), batch_size=args.batch_size, shuffle=True,
                              collate_fn=collate_batch)
    test_loader = DataLoader(TextDataset(test, vocab), batch_size=args.batch_size, collate_fn=collate_batch)
    model = BagOfEmbeddings(len(vocab), 16, 2)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=2.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 5, gamma=0.5)
    for epoch in range(1, args.epochs + 1):
        model.train()
        for tokens, labels, lengths in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(tokens, lengths), labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            optimizer.step()
        scheduler.step()
    model.eval()
    correct, total, loss_sum = 0, 0, 0.0
    with torch.no_grad():
        for tokens, labels, lengths in test_loader:
            logits = model(tokens, lengths)
            loss_sum += criterion(logits, labels).item() * len(labels)
            correct += (logits.argmax(1) == labels).sum().item()
            total += labels.size(0)
    print(f"accuracy: {correct / total:.3f}")
    print(f"final loss: {loss_sum / total:.4f}")


if __name__ == "__main__":
    main()
