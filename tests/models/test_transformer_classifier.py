import numpy as np
import pytest
import torch

import backprop as bp
from backprop.data import text
from backprop.models import TransformerClassifier
from models.test_text_cnn import fit_classifier, sentence_split
from nn.twin import compare_module


class TorchTransformerClassifier(torch.nn.Module):
    """Token plus learnt position embeddings, batch-first encoder layers with a key padding mask, the mean of
    the outputs at the tokens (padding left out), a Linear head."""

    def __init__(self, vocab_size, d_model, nhead, num_layers, num_classes, max_len, dim_feedforward):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab_size, d_model, padding_idx=0)
        self.position = torch.nn.Embedding(max_len, d_model)
        self.layers = torch.nn.ModuleList([
            torch.nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=0.0, batch_first=True)
            for _ in range(num_layers)])
        self.head = torch.nn.Linear(d_model, num_classes)

    def forward(self, ids):
        padding = ids == 0
        x = self.embedding(ids) + self.position(torch.arange(ids.shape[1]))
        for layer in self.layers:
            x = layer(x, src_key_padding_mask=padding)
        x = x.masked_fill(padding.unsqueeze(-1), 0.0)
        return self.head(x.sum(dim=1) / (~padding).sum(dim=1, keepdim=True))


def _small(**kw):
    return dict(vocab_size=13, d_model=8, nhead=2, num_layers=2, num_classes=3, max_len=10, dim_feedforward=16) | kw


def test_transformer_classifier_matches_its_torch_twin():
    torch.manual_seed(0)
    ours = TransformerClassifier(**_small(), dropout=0.0)
    theirs = TorchTransformerClassifier(**_small())
    ids = np.random.default_rng(0).integers(1, 13, (4, 6))
    ids[1, 3:] = 0  # padding
    ids[3, 1:] = 0  # one token only
    out, _ = compare_module(ours, theirs, [ids], dtype="float64")  # outputs and every gradient
    assert out.shape == (4, 3)


def test_padding_does_not_change_the_output():
    model = TransformerClassifier(**_small()).eval()
    sentences = [[5, 3, 9], [7, 2, 2, 11, 4]]
    alone = np.concatenate([model(bp.tensor([s])).detach().numpy() for s in sentences])
    for length in (5, 8, 10):
        batch = model(text.pad_batch(sentences, length=length)).detach().numpy()
        np.testing.assert_allclose(batch, alone, rtol=1e-5, atol=1e-6)


def test_positions_make_order_matter():
    model = TransformerClassifier(**_small()).eval()
    forward, backward = model(bp.tensor([[5, 3, 9], [9, 3, 5]])).detach().numpy()
    assert np.abs(forward - backward).max() > 1e-3


def test_transformer_classifier_errors():
    model = TransformerClassifier(**_small())
    with pytest.raises(ValueError, match="longer than max_len=10"):
        model(bp.ones(1, 11, dtype=bp.int64))
    with pytest.raises(ValueError, match="all padding"):
        model(bp.tensor([[3, 4], [0, 0]]))
    with pytest.raises(ValueError, match=r"TransformerClassifier: expected integer token ids \(N, T\)"):
        model(bp.zeros(2, 3))
    with pytest.raises(ValueError, match="divisible by num_heads"):
        TransformerClassifier(**_small(nhead=3))
    # None and 0.5 failed on a comparison or reached nn.Embedding
    for bad, error in ((13, ValueError), (-1, ValueError), (None, TypeError), (True, TypeError), (0.5, TypeError)):
        with pytest.raises(error, match=r"TransformerClassifier: pad_id must be an int in \[0, 12\], got"):
            TransformerClassifier(**_small(), pad_id=bad)


def test_transformer_classifier_learns_the_sentences():
    data = sentence_split()
    bp.manual_seed(0)
    model = TransformerClassifier(data["vocab"].size, d_model=32, nhead=4, num_layers=1, dim_feedforward=64,
                                  max_len=16)
    assert fit_classifier(model, data, epochs=8, lr=1e-2) > 0.85  # chance is 0.5, a bag of words about 0.6
