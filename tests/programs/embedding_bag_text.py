# Text classification as the text-sentiment tutorial writes it: a vocabulary from the tokens, collate_batch giving
# one flat tensor of token ids with offsets (torch.cumsum), nn.EmbeddingBag (mean mode) into a linear layer,
# init_weights with uniform_, SGD with lr=5, StepLR(1, gamma=0.1) when validation accuracy stops improving,
# clip_grad_norm_(0.1), random_split for a validation set. The "news" is generated from topic word lists.
# compare: loss rel=0.3 floor=0.1
# expect: test accuracy >= 0.85
import argparse
import random
import time
from collections import Counter

import torch
from torch import nn
from torch.utils.data import DataLoader
from torch.utils.data.dataset import random_split

TOPICS = {
    "World": "minister election border treaty embassy summit refugees parliament",
    "Sports": "match goal season coach league striker tournament referee",
    "Business": "shares profit market investors quarterly merger revenue bank",
    "Sci/Tec": "software chip researchers launch satellite network startup code",
}
FILLER = "the a of in on and to with after new said today report".split()


def make_news(n, seed):
    rng = random.Random(seed)
    labels = list(TOPICS)
    items = []
    for _ in range(n):
        label = rng.randrange(4)
        words = TOPICS[labels[label]].split()
        other = TOPICS[labels[rng.randrange(4)]].split()
        text = [rng.choice(words) for _ in range(rng.randint(2, 4))] + [rng.choice(other)] + \
               [rng.choice(FILLER) for _ in range(rng.randint(3, 8))]
        rng.shuffle(text)
        items.append((label + 1, " ".join(text)))
    return items


class Vocab:
    def __init__(self, counter, specials=("<unk>",)):
        self.itos = list(specials) + sorted(w for w in counter if w not in specials)
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    def __call__(self, tokens):
        return [self.stoi.get(t, 0) for t in tokens]

    def __len__(self):
        return len(self.itos)


class TextClassificationModel(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super(TextClassificationModel, self).__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
        self.fc = nn.Linear(embed_dim, num_class)
        self.init_weights()

    def init_weights(self):
        initrange = 0.5
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.fc.weight.data.uniform_(-initrange, initrange)
        self.fc.bias.data.zero_()

    def forward(self, text, offsets):
        embedded = self.embedding(text, offsets)
        return self.fc(embedded)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--lr", type=float, default=5.0)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    torch.manual_seed(1)

    train_iter, test_iter = make_news(480, seed=1), make_news(120, seed=2)
    tokenizer = str.split
    vocab = Vocab(Counter(tok for _, text in train_iter for tok in tokenizer(text)))
    text_pipeline = lambda x: vocab(tokenizer(x))  # noqa: E731 (the tutorial's lambdas)
    label_pipeline = lambda x: int(x) - 1  # noqa: E731
    print("vocabulary:", len(vocab), "example:", text_pipeline("market goal unknownword"))

    def collate_batch(batch):
        label_list, text_list, offsets = [], [], [0]
        for _label, _text in batch:
            label_list.append(label_pipeline(_label))
            processed_text = torch.tensor(text_pipeline(_text), dtype=torch.int64)
            text_list.append(processed_text)
            offsets.append(processed_text.size(0))
        label_list = torch.tensor(label_list, dtype=torch.int64)
        offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
        text_list = torch.cat(text_list)
        return label_list, text_list, offsets

    model = TextClassificationModel(len(vocab), 16, len(TOPICS))
    print(model)
    bag = nn.EmbeddingBag(5, 2, mode="sum")
    with torch.no_grad():
        bag.weight.copy_(torch.arange(10.0).view(5, 2))
    print("EmbeddingBag sum:", bag(torch.tensor([1, 2, 4, 4]), torch.tensor([0, 3])).tolist(),
          "max:", nn.EmbeddingBag.from_pretrained(bag.weight, mode="max")(torch.tensor([[0, 3], [2, 1]])).tolist())

    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)
    num_train = int(len(train_iter) * 0.9)
    split_train_, split_valid_ = random_split(train_iter, [num_train, len(train_iter) - num_train],
                                              generator=torch.Generator().manual_seed(0))
    train_dataloader = DataLoader(split_train_, batch_size=args.batch_size, shuffle=True, collate_fn=collate_batch)
    valid_dataloader = DataLoader(split_valid_, batch_size=args.batch_size, shuffle=True, collate_fn=collate_batch)
    test_dataloader = DataLoader(test_iter, batch_size=args.batch_size, shuffle=True, collate_fn=collate_batch)

    def train(dataloader):
        model.train()
        for idx, (label, text, offsets) in enumerate(dataloader):
            optimizer.zero_grad()
            predicted_label = model(text, offsets)
            loss = criterion(predicted_label, label)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            optimizer.step()

    def evaluate(dataloader):
        model.eval()
        total_acc, total_count, total_loss = 0, 0, 0.0
        with torch.no_grad():
            for idx, (label, text, offsets) in enumerate(dataloader):
                predicted_label = model(text, offsets)
                total_loss += criterion(predicted_label, label).item() * label.size(0)
                total_acc += (predicted_label.argmax(1) == label).sum().item()
                total_count += label.size(0)
        return total_acc / total_count, total_loss / total_count

    total_accu = None
    for epoch in range(1, args.epochs + 1):
        epoch_start_time = time.time()
        train(train_dataloader)
        accu_val, _ = evaluate(valid_dataloader)
        if total_accu is not None and total_accu > accu_val:
            scheduler.step()
        else:
            total_accu = accu_val
        elapsed = time.time() - epoch_start_time
        assert elapsed >= 0
        print("| end of epoch {:3d} | valid accuracy {:8.3f} ".format(epoch, accu_val))
    accu_test, test_loss = evaluate(test_dataloader)
    print("test accuracy: {:8.3f}".format(accu_test))
    print("final loss: {:.4f}".format(test_loss))


if __name__ == "__main__":
    main()
