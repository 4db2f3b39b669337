# Word embeddings learned by an N-gram language model (the NLP tutorial's trigram model): context words to
# embeddings, concatenated, a hidden layer, log-probabilities over the vocabulary; the loss falls each epoch.
# compare: loss rel=0.15
# expect: loss fell == 1
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

CONTEXT_SIZE = 2
EMBEDDING_DIM = 10
TEXT = """When forty winters shall besiege thy brow,
And dig deep trenches in thy beauty's field,
Thy youth's proud livery so gazed on now,
Will be a totter'd weed of small worth held:
Then being asked, where all thy beauty lies,
Where all the treasure of thy lusty days""".split()


class NGramLanguageModeler(nn.Module):
    def __init__(self, vocab_size, embedding_dim, context_size):
        super().__init__()
        self.embeddings = nn.Embedding(vocab_size, embedding_dim)
        self.linear1 = nn.Linear(context_size * embedding_dim, 64)
        self.linear2 = nn.Linear(64, vocab_size)

    def forward(self, inputs):
        embeds = self.embeddings(inputs).view((1, -1))
        out = F.relu(self.linear1(embeds))
        return F.log_softmax(self.linear2(out), dim=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args()
    torch.manual_seed(1)
    ngrams = [([TEXT[i - j - 1] for j in range(CONTEXT_SIZE)], TEXT[i]) for i in range(CONTEXT_SIZE, len(TEXT))]
    print(ngrams[:3])
    vocab = set(TEXT)
    word_to_ix = {word: i for i, word in enumerate(sorted(vocab))}
    losses = []
    loss_function = nn.NLLLoss()
    model = NGramLanguageModeler(len(vocab), EMBEDDING_DIM, CONTEXT_SIZE)
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    for epoch in range(args.epochs):
        total_loss = 0
        for context, target in ngrams:
            context_idxs = torch.tensor([word_to_ix[w] for w in context], dtype=torch.long)
            model.zero_grad()
            log_probs = model(context_idxs)
            loss = loss_function(log_probs, torch.tensor([word_to_ix[target]], dtype=torch.long))
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
        losses.append(total_loss)
    print("losses:", [round(v, 2) for v in losses])
    print(f"loss fell: {int(all(b < a for a, b in zip(losses, losses[1:])))}")
    print("embedding of 'beauty':", tuple(model.embeddings.weight[word_to_ix["beauty"]].shape))
    print(f"final loss: {losses[-1] / len(ngrams):.4f}")


if __name__ == "__main__":
    main()
