import numpy as np
import pytest
import torch

import backprop as bp
from backprop.data import text
from backprop.models import TextCNN
from nn.twin import compare_module


class TorchTextCNN(torch.nn.Module):
    """Kim (2014): embeddings, one Conv1d per width, ReLU, max over time, concatenation, dropout, Linear."""

    def __init__(self, vocab_size, embed_dim, num_filters, widths, num_classes):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.convs = torch.nn.ModuleList([torch.nn.Conv1d(embed_dim, num_filters, k) for k in widths])
        self.fc = torch.nn.Linear(num_filters * len(widths), num_classes)

    def forward(self, ids):
        x = self.embedding(ids).transpose(1, 2)
        return self.fc(torch.cat([torch.relu(conv(x)).amax(dim=2) for conv in self.convs], dim=1))


def sentence_split(n=1000, train=800, seed=0):
    """The generated sentences, a word vocabulary of the training part, padded ids and labels of both parts."""
    texts, labels = text.sentences(n, seed=seed)
    vocab = text.WordVocab(texts[:train])
    ids = text.pad_batch([vocab.encode(s) for s in texts])
    return dict(vocab=vocab, texts=texts, train=(ids[:train], labels[:train]), test=(ids[train:], labels[train:]))


def fit_classifier(model, data, epochs, lr):
    """Adam on the training part with the Trainer; returns the held-out accuracy after the last epoch."""
    loader = bp.data.DataLoader(bp.data.TensorDataset(*data["train"]), batch_size=32, shuffle=True, seed=0)
    trainer = bp.train.Trainer(model, bp.optim.Adam(model.parameters(), lr=lr), bp.nn.CrossEntropyLoss(), loader,
                               bp.data.DataLoader(bp.data.TensorDataset(*data["test"]), batch_size=256),
                               epochs=epochs)
    return trainer.fit()[-1]["val_accuracy"]


def test_text_cnn_matches_its_torch_twin():
    torch.manual_seed(0)
    ours = TextCNN(11, embed_dim=5, num_filters=4, widths=(2, 3), num_classes=3, dropout=0.0)
    theirs = TorchTextCNN(11, 5, 4, (2, 3), 3)
    ids = np.random.default_rng(0).integers(1, 11, (4, 7))
    ids[1, 4:] = 0  # padding
    ids[2, 5:] = 0
    out, _ = compare_module(ours, theirs, [ids], dtype="float64")  # outputs and every gradient
    assert out.shape == (4, 3)


def test_max_over_time_by_hand():
    # one embedding dimension with e(w) = w, one filter of width 2 with weights (1, -1) and no bias:
    # c_t = relu(e(w_t) - e(w_{t+1})), the feature max_t c_t: the largest drop between neighbours
    model = TextCNN(5, embed_dim=1, num_filters=1, widths=(2,), dropout=0.0)
    model.load_state_dict({"embedding.weight": np.arange(5.0).reshape(5, 1),
                           "convs.0.weight": np.array([[[1.0, -1.0]]]), "convs.0.bias": np.zeros(1),
                           "fc.weight": np.ones((2, 1)), "fc.bias": np.zeros(2)})
    features = model.features(bp.tensor([[4, 1, 3, 2], [1, 2, 3, 4], [2, 4, 1, 0]])).detach().numpy()
    # drops: (3, -2, 1) -> 3; (-1, -1, -1) -> 0; (-2, 3, 1) -> 3 (the last pair ends on padding, e = 0)
    np.testing.assert_allclose(features, [[3.0], [0.0], [3.0]])
    # wherever the phrase stands, the feature is the same
    np.testing.assert_allclose(model.features(bp.tensor([[1, 2, 4, 1]])).detach().numpy(), [[3.0]])


def test_text_cnn_pads_short_sentences_to_its_widest_filter():
    model = TextCNN(6, widths=(2, 3, 4)).eval()
    short = model(bp.tensor([[3, 5]]))
    padded = model(bp.tensor([[3, 5, 0, 0]]))
    np.testing.assert_allclose(short.detach().numpy(), padded.detach().numpy(), rtol=1e-6)


def test_text_cnn_errors():
    with pytest.raises(ValueError, match="widths must be a non-empty tuple"):
        TextCNN(5, widths=())
    with pytest.raises(ValueError, match="TextCNN width must be a positive int, got 0"):
        TextCNN(5, widths=(2, 0))
    with pytest.raises(ValueError, match=r"TextCNN: token ids must be in \[0, 4\], got 1 to 7"):
        TextCNN(5)(bp.tensor([[1, 7]]))
    for bad, error in ((5, ValueError), (None, TypeError), (True, TypeError)):
        with pytest.raises(error, match=r"TextCNN: pad_id must be an int in \[0, 4\], got"):
            TextCNN(5, pad_id=bad)


def test_text_cnn_learns_what_a_bag_of_words_cannot():
    from sklearn.linear_model import LogisticRegression

    data = sentence_split()
    bp.manual_seed(0)
    cnn = fit_classifier(TextCNN(data["vocab"].size), data, epochs=8, lr=1e-2)
    assert cnn > 0.9

    # logistic regression on word counts, trained to convergence: order is lost, "not good" and
    # "good but dull" cannot be told from "good" and "dull but good"
    (x_train, y_train), (x_test, y_test) = data["train"], data["test"]

    def bags(ids):
        return text.bag_of_words([row[row != 0] for row in ids.numpy()], data["vocab"].size).numpy()

    bow = LogisticRegression(C=100.0, max_iter=5000).fit(bags(x_train), y_train.numpy())
    assert bow.score(bags(x_train), y_train.numpy()) < 0.8  # not even the training sentences
    assert bow.score(bags(x_test), y_test.numpy()) < cnn - 0.15
