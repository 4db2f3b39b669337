"""A convolutional sentence classifier (Kim 2014): convolutions over word embeddings, max-over-time pooling.

A sentence of T words becomes T embedding vectors x_1 ... x_T (a 1-D signal with
embed_dim channels). A filter of width k is a feature detector for k-word
phrases ("not good", "but really fun"): at each position t it computes

    c_t = relu(w . [x_t, ..., x_{t+k-1}] + b),

and max-over-time pooling keeps its strongest response, c^ = max_t c_t: whether
the phrase occurs anywhere, whatever the sentence's length. The c^ of all
filters of all widths, concatenated, pass dropout and a linear layer to the
class scores. Word order counts within a window of k words, not beyond.

Sentences shorter than the widest filter are padded with ``pad_id`` to its
width; padding positions take part in the convolution as zero vectors (the
padding row of the embedding stays zero), as in Kim's code, which pads every
sentence to the longest.

>>> import backprop as bp
>>> model = TextCNN(vocab_size=10, embed_dim=4, num_filters=3, widths=(2, 3))
>>> model(bp.tensor([[4, 5, 6, 0], [7, 8, 0, 0]])).shape
backprop.Size([2, 2])
"""
from backprop import nn
from backprop.checks import check_int
from backprop.data.text import check_ids, check_pad_id
from backprop.ops.join import cat
from backprop.ops.join import pad as pad_tensor

__all__ = ["TextCNN"]


class TextCNN(nn.Module):
    """ids (N, T) -> ``embedding`` (N, T, embed_dim) -> for each width k a ``convs`` Conv1d(embed_dim,
    num_filters, k), ReLU, max over time (N, num_filters) -> concatenated (N, len(widths) num_filters) ->
    ``dropout`` -> ``fc`` logits (N, num_classes).
    """

    def __init__(self, vocab_size, embed_dim=32, num_filters=32, widths=(2, 3, 4), num_classes=2, dropout=0.5,
                 pad_id=0):
        super().__init__()
        self.vocab_size = check_int("TextCNN vocab_size", vocab_size, at_least=1)
        if not isinstance(widths, (tuple, list)) or not widths:
            raise ValueError(f"TextCNN: widths must be a non-empty tuple of filter widths, got {widths!r}")
        self.widths = tuple(check_int("TextCNN width", k, at_least=1) for k in widths)
        self.pad_id = check_pad_id(pad_id, self.vocab_size, "TextCNN")
        embed_dim = check_int("TextCNN embed_dim", embed_dim, at_least=1)
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=self.pad_id)
        num_filters = check_int("TextCNN num_filters", num_filters, at_least=1)
        self.convs = nn.ModuleList([nn.Conv1d(embed_dim, num_filters, k) for k in self.widths])
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(num_filters * len(self.widths), check_int("TextCNN num_classes", num_classes, at_least=1))

    def features(self, ids):
        """The max-over-time features (N, len(widths) num_filters), before dropout and ``fc``."""
        check_ids(ids, self.vocab_size, "TextCNN")
        short = max(self.widths) - ids.shape[1]
        if short > 0:
            ids = pad_tensor(ids, (0, short), value=self.pad_id)
        x = self.embedding(ids).transpose(1, 2)  # (N, embed_dim, T): embedding dimensions are the channels
        return cat([conv(x).relu().max(dim=2)[0] for conv in self.convs], dim=1)

    def forward(self, ids):
        return self.fc(self.dropout(self.features(ids)))
