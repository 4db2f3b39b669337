"""A decoder-only Transformer language model (GPT: Radford et al. 2018, 2019), at toy scale.

Token w_t at position t becomes x_t = E[w_t] + P[t], a learnt embedding of the
token plus a learnt embedding of its position. ``n_layer`` pre-norm blocks then
update every position,

    x = x + SA(LN_1(x)),   x = x + MLP(LN_2(x)),   MLP(u) = W_2 gelu(W_1 u + b_1) + b_2,

where SA is multi-head self-attention with the causal mask

    A = softmax(Q K^T / sqrt(d) + M),   M[t, s] = -inf for s > t, 0 otherwise:

position t sees positions 1..t only, so its output can be trained to predict
w_{t+1} without seeing it. A final LayerNorm and a linear head give the scores
z_t of the next token; training minimises -(1/T) sum_t log softmax(z_t)[w_{t+1}]
at every position of a window at once (the LSTM reads the same window one step at
a time). With ``tie_weights`` the head is the token embedding itself, z_t = E h_t
(Press and Wolf 2017). Generation feeds sampled tokens back in, the context cropped
to the last ``block_size`` tokens (the learnt positions go no further).

``GPT`` follows ``CharLSTM``'s calling convention (``state`` = the ids read so
far, ``return_state``), so ``train_char_lm``, ``evaluate_char_lm`` (with
``seq_len`` at most ``block_size``) and ``sample`` work with it unchanged.

>>> import backprop as bp
>>> _ = bp.manual_seed(0)
>>> model = GPT(vocab_size=5, block_size=8, n_layer=1, n_head=2, n_embd=8)
>>> model(bp.tensor([[1, 2, 3]])).shape
backprop.Size([1, 3, 5])
>>> model.generate(bp.tensor([[1, 2]]), 4).shape
backprop.Size([1, 6])
"""
from backprop import autograd, creation, nn
from backprop.checks import check_int, check_number
from backprop.data.text import check_ids
from backprop.models.char_lm import sample_next
from backprop.nn.utils import evaluating
from backprop.ops.join import cat

__all__ = ["GPT"]


class GPT(nn.Module):
    """ids (N, T) -> ``token_embedding`` + ``position_embedding`` -> ``drop`` -> ``blocks`` (``n_layer``
    pre-norm ``nn.TransformerEncoderLayer``s, batch first, GELU, feed-forward width 4 ``n_embd``, causal mask)
    -> ``ln_f`` -> ``head`` (no bias) logits (N, T, vocab_size): the scores of the token after each position.
    T may be at most ``block_size``.

    ``forward(ids, state=None, return_state=False)``: ``state`` (N, S) are ids read before ``ids`` (the
    context; None: none); the scores are those of ``ids``'s positions, each seeing the context and the ids
    before it, the whole cropped to its last ``block_size`` tokens (T itself at most ``block_size``). With
    ``return_state`` the call returns (logits, the last ``block_size`` - 1 ids read), the state for the next call.
    """

    def __init__(self, vocab_size, block_size, n_layer, n_head, n_embd, dropout=0.0, tie_weights=False):
        super().__init__()
        self.vocab_size = check_int("GPT vocab_size", vocab_size, at_least=1)
        self.block_size = check_int("GPT block_size", block_size, at_least=1)
        n_layer = check_int("GPT n_layer", n_layer, at_least=1)
        n_head = check_int("GPT n_head", n_head, at_least=1)
        n_embd = check_int("GPT n_embd", n_embd, at_least=1)
        check_number("GPT dropout", dropout, at_least=0, at_most=1)
        if n_embd % n_head:
            raise ValueError(f"GPT: n_embd must be divisible by n_head, got n_embd={n_embd} and n_head={n_head}")
        self.token_embedding = nn.Embedding(vocab_size, n_embd)
        self.position_embedding = nn.Embedding(block_size, n_embd)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([
            nn.TransformerEncoderLayer(n_embd, n_head, dim_feedforward=4 * n_embd, dropout=dropout,
                                       activation=nn.GELU(approximate="tanh"), batch_first=True, norm_first=True)
            for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.head = nn.Linear(n_embd, vocab_size, bias=False)
        with autograd.no_grad():  # GPT-2's scale: N(0, 0.02) embeddings (nn.Embedding's N(0, 1) swamps the blocks)
            nn.init.normal_(self.token_embedding.weight, std=0.02)
            nn.init.normal_(self.position_embedding.weight, std=0.02)
        self.tie_weights = bool(tie_weights)
        if self.tie_weights:
            self.head.weight = self.token_embedding.weight

    def forward(self, ids, state=None, return_state=False):
        check_ids(ids, self.vocab_size, "GPT")
        new = ids.shape[1]
        if new > self.block_size:
            raise ValueError(f"GPT: sequences of {new} tokens are longer than block_size={self.block_size}")
        if state is not None:
            check_ids(state, self.vocab_size, "GPT (state)")
            ids = cat([state, ids], dim=1)[:, -self.block_size:]
        length = ids.shape[1]
        positions = creation.arange(length, device=ids.device)
        x = self.drop(self.token_embedding(ids) + self.position_embedding(positions))
        mask = creation.ones(length, length, dtype="bool", device=ids.device).triu(1)  # True: may not look
        for block in self.blocks:
            x = block(x, src_mask=mask, is_causal=True)
        logits = self.head(self.ln_f(x[:, length - new:]))
        if not return_state:
            return logits
        return logits, ids[:, max(0, length - (self.block_size - 1)):]  # the context the next token will see

    def generate(self, ids, max_new_tokens, temperature=1.0, generator=None):
        """``ids`` (N, T) followed by ``max_new_tokens`` tokens, each drawn by ``sample_next`` from the scores
        after the last ``block_size`` tokens so far at ``temperature`` (0: the most likely token) and fed back
        in; eval mode, no graph. Draws from backprop's generator unless given a NumPy ``generator``."""
        max_new_tokens = check_int("GPT.generate max_new_tokens", max_new_tokens, at_least=0)
        check_ids(ids, self.vocab_size, "GPT.generate")
        with evaluating(self):
            for _ in range(max_new_tokens):
                logits = self(ids[:, -self.block_size:])[:, -1]
                nxt = sample_next(logits, temperature, generator)
                ids = cat([ids, creation.tensor(nxt, device=ids.device).reshape(-1, 1).to(ids.dtype)], dim=1)
        return ids
