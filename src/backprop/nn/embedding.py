"""Embedding layers: a learnable lookup table of vectors, one per token id (Embedding), and bags of them
summed, averaged or max-pooled (EmbeddingBag)."""
from backprop import autograd
from backprop import creation
from backprop.nn import init
from backprop.nn.module import Module
from backprop.nn.parameter import Parameter
from backprop.ops import embedding as E

__all__ = ["Embedding", "EmbeddingBag"]


def _table_(module, num_embeddings, embedding_dim, padding_idx, sparse, _weight, freeze, device, dtype):
    """Check the options and register ``weight`` (num_embeddings, embedding_dim): N(0, 1) with a zero
    padding row, or a copy of ``_weight``."""
    name = type(module).__name__
    if sparse:
        raise NotImplementedError(f"{name}: sparse=True (sparse gradients) is not supported; use sparse=False")
    if padding_idx is not None:
        if not -num_embeddings <= padding_idx < num_embeddings:
            raise ValueError(f"{name}: padding_idx must be within [-{num_embeddings}, {num_embeddings - 1}], "
                             f"got {padding_idx}")
        padding_idx %= num_embeddings
    module.num_embeddings, module.embedding_dim, module.padding_idx = num_embeddings, embedding_dim, padding_idx
    module.sparse = False
    if _weight is None:
        module.weight = Parameter(creation.zeros(num_embeddings, embedding_dim, dtype=dtype, device=device),
                                  requires_grad=not freeze)
        module.reset_parameters()
    else:
        if tuple(_weight.shape) != (num_embeddings, embedding_dim):
            raise ValueError(f"{name}: expected _weight of shape ({num_embeddings}, {embedding_dim}), "
                             f"got {tuple(_weight.shape)}")
        module.weight = Parameter(creation.tensor(_weight, dtype=dtype, device=device), requires_grad=not freeze)


class Embedding(Module):
    """y = W[idx]: ``num_embeddings`` vectors of size ``embedding_dim``, indexed by integers.

    ``weight`` (num_embeddings, embedding_dim) is initialised N(0, 1) as in
    torch; the ``padding_idx`` row starts at zero and gets no gradient, so it
    stays zero under training. ``max_norm``: rows looked up are first rescaled
    in place to at most that ``norm_type``-norm; ``scale_grad_by_freq``: a
    row's gradient is divided by its count in the batch.

    >>> import backprop as bp
    >>> Embedding(10, 3)(bp.tensor([[1, 2], [3, 4]])).shape
    backprop.Size([2, 2, 3])
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        _table_(self, num_embeddings, embedding_dim, padding_idx, sparse, _weight, _freeze, device, dtype)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with autograd.no_grad():
                self.weight[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """An Embedding whose weight is a copy of the 2-D ``embeddings``; frozen unless ``freeze=False``."""
        if embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: expected 2-D embeddings, got shape {tuple(embeddings.shape)}")
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse, _weight=embeddings,
                   _freeze=freeze)

    def forward(self, input):
        return E.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text + _options_repr(self)


def _options_repr(module):
    text = f", max_norm={module.max_norm}" if module.max_norm is not None else ""
    text += f", norm_type={module.norm_type}" if module.norm_type != 2 else ""
    return text + (f", scale_grad_by_freq={module.scale_grad_by_freq}" if module.scale_grad_by_freq else "")


class EmbeddingBag(Module):
    """Bags of embeddings reduced to one vector each (``mode`` "sum", "mean" or "max"), as a lookup
    followed by a sum, mean or max per bag, without the intermediate (bags, length, dim) tensor.

    ``forward(input, offsets=None, per_sample_weights=None)``: a 2-D input is one bag per row; a 1-D input
    is cut into bags at ``offsets``. See ``backprop.nn.functional.embedding_bag``.

    >>> import backprop as bp
    >>> EmbeddingBag(10, 3, mode="sum")(bp.tensor([1, 2, 4, 5, 4]), bp.tensor([0, 2])).shape
    backprop.Size([2, 3])
    """

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                 mode="mean", sparse=False, _weight=None, include_last_offset=False, padding_idx=None, device=None,
                 dtype=None):
        super().__init__()
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"EmbeddingBag: mode has to be one of sum, mean or max, got {mode!r}")
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        self.mode, self.include_last_offset = mode, include_last_offset
        _table_(self, num_embeddings, embedding_dim, padding_idx, sparse, _weight, False, device, dtype)

    reset_parameters = Embedding.reset_parameters

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                        mode="mean", sparse=False, include_last_offset=False, padding_idx=None):
        """An EmbeddingBag whose weight is a copy of the 2-D ``embeddings``; frozen unless ``freeze=False``."""
        if embeddings.ndim != 2:
            raise ValueError(f"EmbeddingBag.from_pretrained: expected 2-D embeddings, got shape "
                             f"{tuple(embeddings.shape)}")
        rows, cols = embeddings.shape
        bag = cls(rows, cols, max_norm, norm_type, scale_grad_by_freq, mode, sparse, embeddings, include_last_offset,
                  padding_idx)
        bag.weight.requires_grad = not freeze
        return bag

    def forward(self, input, offsets=None, per_sample_weights=None):
        return E.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq,
                               self.mode, False, per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}" + _options_repr(self) + f", mode={self.mode!r}"
        return text + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")
