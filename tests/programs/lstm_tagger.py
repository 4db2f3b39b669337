# Part-of-speech tagging with an LSTM as the NLP tutorial does: word and tag indices, prepare_sequence, an
# embedding, an LSTM over the sentence, log_softmax tag scores, NLLLoss and SGD for a few hundred steps.
# compare: loss rel=0.3 floor=0.05
# expect: tag accuracy == 1.0
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


def prepare_sequence(seq, to_ix):
    idxs = [to_ix[w] for w in seq]
    return torch.tensor(idxs, dtype=torch.long)


class LSTMTagger(nn.Module):
    def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim)
        self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

    def forward(self, sentence):
        embeds = self.word_embeddings(sentence)
        lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
        tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
        return F.log_softmax(tag_space, dim=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=150)
    args = parser.parse_args()
    torch.manual_seed(1)
    training_data = [
        ("The dog ate the apple".split(), ["DET", "NN", "V", "DET", "NN"]),
        ("Everybody read that book".split(), ["NN", "V", "DET", "NN"]),
        ("The cat saw a bird".split(), ["DET", "NN", "V", "DET", "NN"]),
    ]
    word_to_ix = {}
    for sent, tags in training_data:
        for word in sent:
            if word not in word_to_ix:
                word_to_ix[word] = len(word_to_ix)
    print(word_to_ix)
    tag_to_ix = {"DET": 0, "NN": 1, "V": 2}
    model = LSTMTagger(6, 6, len(word_to_ix), len(tag_to_ix))
    loss_function = nn.NLLLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.2)
    with torch.no_grad():
        print("before training:", model(prepare_sequence(training_data[0][0], word_to_ix)).shape)
    for epoch in range(args.epochs):
        total = 0.0
        for sentence, tags in training_data:
            model.zero_grad()
            sentence_in = prepare_sequence(sentence, word_to_ix)
            targets = prepare_sequence(tags, tag_to_ix)
            tag_scores = model(sentence_in)
            loss = loss_function(tag_scores, targets)
            loss.backward()
            optimizer.step()
            total += loss.item()
        if epoch % 50 == 49:
            print(f"epoch {epoch + 1}: loss {total / len(training_data):.4f}")
    correct = count = 0
    with torch.no_grad():
        for sentence, tags in training_data:
            predicted = model(prepare_sequence(sentence, word_to_ix)).argmax(dim=1)
            correct += (predicted == prepare_sequence(tags, tag_to_ix)).sum().item()
            count += len(tags)
    print(f"tag accuracy: {correct / count:.1f}")
    print(f"final loss: {total / len(training_data):.4f}")


if __name__ == "__main__":
    main()
