"""A Transformer-encoder classifier of token sequences (Vaswani et al. 2017's encoder, BERT-style use).

Each token w_t becomes x_t = E[w_t] + P[t], a learnt embedding of the token plus
a learnt embedding of its position t (attention itself ignores order: without P
the sentence would be a bag of words). Encoder layers then let every position
attend to every other non-padding position,

    A = softmax(Q K^T / sqrt(d) + M),   M = -inf on padding keys, 0 elsewhere,

in ``nhead`` heads of width d = d_model / nhead, whose outputs A V are
concatenated, followed by a position-wise feed-forward net; attention and the
feed-forward net each have a residual connection and layer norm. The sentence is the mean of its non-padding outputs,
s = (1 / |{t : w_t != pad}|) sum_{t : w_t != pad} h_t, and a linear head scores
the classes. Padding thus changes nothing: neither attention nor the mean sees it.

>>> import backprop as bp
>>> model = TransformerClassifier(vocab_size=10, d_model=8, nhead=2, num_layers=1)
>>> model(bp.tensor([[4, 5, 6, 0], [7, 8, 0, 0]])).shape
backprop.Size([2, 2])
"""
from backprop import creation, nn
from backprop.checks import check_int
from backprop.data.text import check_ids, check_pad_id

__all__ = ["TransformerClassifier"]


class TransformerClassifier(nn.Module):
    """ids (N, T) (padded with ``pad_id``) -> ``embedding`` + ``position`` -> dropout -> ``layers``
    (``num_layers`` post-norm ``nn.TransformerEncoderLayer``s, batch first, padding masked) -> mean over the
    non-padding positions -> ``head`` logits (N, num_classes). T may be at most ``max_len``; every sequence
    needs at least one token that is not padding.
    """

    def __init__(self, vocab_size, d_model=64, nhead=4, num_layers=2, num_classes=2, max_len=64,
                 dim_feedforward=128, dropout=0.1, pad_id=0):
        super().__init__()
        self.vocab_size = check_int("TransformerClassifier vocab_size", vocab_size, at_least=1)
        self.max_len = check_int("TransformerClassifier max_len", max_len, at_least=1)
        self.pad_id = check_pad_id(pad_id, self.vocab_size, "TransformerClassifier")
        d_model = check_int("TransformerClassifier d_model", d_model, at_least=1)
        nhead = check_int("TransformerClassifier nhead", nhead, at_least=1)
        dim_feedforward = check_int("TransformerClassifier dim_feedforward", dim_feedforward, at_least=1)
        if d_model % nhead:  # nn.MultiheadAttention asserts this (as torch); a model option is a usage error
            raise ValueError(f"TransformerClassifier: d_model must be divisible by num_heads (nhead), got "
                             f"d_model={d_model} and nhead={nhead}")
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=self.pad_id)
        self.position = nn.Embedding(max_len, d_model)
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.ModuleList([
            nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=dim_feedforward, dropout=dropout,
                                       batch_first=True)
            for _ in range(check_int("TransformerClassifier num_layers", num_layers, at_least=1))])
        self.head = nn.Linear(d_model, check_int("TransformerClassifier num_classes", num_classes, at_least=1))

    def forward(self, ids):
        check_ids(ids, self.vocab_size, "TransformerClassifier")
        n, length = ids.shape
        if length > self.max_len:
            raise ValueError(f"TransformerClassifier: sequences of {length} tokens are longer than max_len="
                             f"{self.max_len}")
        padding = ids == self.pad_id  # (N, T), True where there is no token
        keep = (ids != self.pad_id).unsqueeze(-1)  # (N, T, 1), True on tokens
        tokens = keep.sum(dim=1)  # (N, 1)
        if n and int(tokens.min().item()) == 0:
            raise ValueError("TransformerClassifier: a sequence is all padding (it needs at least one token)")
        x = self.dropout(self.embedding(ids) + self.position(creation.arange(length, device=ids.device)))
        for layer in self.layers:
            x = layer(x, src_key_padding_mask=padding)
        return self.head((x * keep.to(x.dtype)).sum(dim=1) / tokens.to(x.dtype))
