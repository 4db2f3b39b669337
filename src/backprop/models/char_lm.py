"""A character-level language model: an LSTM reads a text one character at a time and predicts the next.

At step t the model embeds character x_t, updates its state (h_t, c_t) with
the LSTM's gates and scores every character c of the vocabulary, z_t = W h_t + b.
Trained to minimise the cross-entropy -(1/n) sum_t log softmax(z_t)[x_{t+1}]
(nats per character), it generates text by sampling one character at a time
from

    p(c) = exp(z_c / T) / sum_c' exp(z_c' / T)

and feeding it back in. The temperature T shapes the distribution: T = 1 is
the model's own, T > 1 flattens it (more surprising text), T -> 0 sharpens it
to the argmax (greedy decoding, often repetitive).

>>> import backprop as bp
>>> from backprop.data import text
>>> vocab = text.CharVocab("abcabc")
>>> _ = bp.manual_seed(0)
>>> model = CharLSTM(vocab.size, embed_dim=4, hidden_size=8)
>>> model(vocab.encode("abca").unsqueeze(0)).shape
backprop.Size([1, 4, 3])
>>> len(sample(model, vocab, "ab", length=5))
7
"""
import math

import numpy

from backprop import backend, creation, nn, optim
from backprop.checks import check_int, check_number
from backprop.data.text import as_ids, char_batches, check_ids, numpy_generator
from backprop.ops.loss import cross_entropy
from backprop.tensor import Tensor
from backprop.nn.utils import device_of, evaluating

__all__ = ["CharLSTM", "evaluate_char_lm", "sample", "sample_next", "train_char_lm"]


class CharLSTM(nn.Module):
    """ids (N, T) -> ``embedding`` (N, T, embed_dim) -> ``lstm`` (batch first) -> ``head`` logits (N, T, V):
    the scores of the character after each position.

    ``forward(ids, state=None, return_state=False)``: ``state`` = (h, c), each (num_layers, N, hidden_size),
    carries the LSTM on from an earlier call (zeros when None); with ``return_state`` the call returns
    (logits, state).
    """

    def __init__(self, vocab_size, embed_dim=32, hidden_size=128, num_layers=1):
        super().__init__()
        self.vocab_size = check_int("CharLSTM vocab_size", vocab_size, at_least=1)
        hidden_size = check_int("CharLSTM hidden_size", hidden_size, at_least=1)
        num_layers = check_int("CharLSTM num_layers", num_layers, at_least=1)
        self.embedding = nn.Embedding(vocab_size, check_int("CharLSTM embed_dim", embed_dim, at_least=1))
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids, state=None, return_state=False):
        check_ids(ids, self.vocab_size, "CharLSTM")
        out, state = self.lstm(self.embedding(ids), state)
        logits = self.head(out)
        return (logits, state) if return_state else logits


def _batches(model, ids, seq_len, batch_size, seed):
    """``char_batches`` on the model's device."""
    device = device_of(model)
    for inputs, targets in char_batches(ids, seq_len, batch_size, seed=seed):
        yield inputs.to(device=device), targets.to(device=device)


def _flat_cross_entropy(logits, targets):
    """The mean cross-entropy of logits (N, T, V) against targets (N, T), in nats."""
    return cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def train_char_lm(model, ids, *, epochs=1, seq_len=64, batch_size=32, lr=3e-3, clip=1.0, seed=None,
                  max_steps=None):
    """Train ``model`` (ids (N, T) -> logits (N, T, V)) on the text ``ids`` with Adam, one step a batch of
    ``char_batches``, gradients clipped to norm ``clip``; at most ``max_steps`` steps in all if given.
    Returns the history: the mean training loss (nats per character) of each epoch.

    >>> import backprop as bp
    >>> _ = bp.manual_seed(0)
    >>> model = CharLSTM(3, embed_dim=4, hidden_size=8)
    >>> history = train_char_lm(model, [0, 1, 2] * 20, epochs=2, seq_len=8, batch_size=4, seed=0)
    >>> len(history), history[1] < history[0] < math.log(3) + 0.1
    (2, True)
    """
    epochs = check_int("train_char_lm epochs", epochs, at_least=1)
    if max_steps is not None:
        max_steps = check_int("train_char_lm max_steps", max_steps, at_least=1)
    if clip is not None:
        check_number("train_char_lm: clip (the largest gradient norm, or None)", clip, above=0)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    rng = numpy_generator(seed)  # one generator for all epochs: each epoch cuts and shuffles the text anew
    history, steps = [], 0
    model.train()
    for _ in range(epochs):
        total, count = 0.0, 0
        for inputs, targets in _batches(model, ids, seq_len, batch_size, rng):
            loss = _flat_cross_entropy(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            if clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            total, count, steps = total + loss.item() * targets.numel(), count + targets.numel(), steps + 1
            if max_steps is not None and steps >= max_steps:
                break
        history.append(total / count)
        if max_steps is not None and steps >= max_steps:
            break
    return history


def evaluate_char_lm(model, ids, seq_len=256, batch_size=64):
    """The mean cross-entropy (nats per character) of ``model`` on the text ``ids`` = x_1 ... x_n, every
    character but the first predicted from those before it in its window,

        J = -(1/(n - 1)) sum_{t=2..n} log p(x_t | x_s, ..., x_{t-1}),

    the windows being consecutive runs of ``seq_len`` inputs from the start (x_s the first of the window of
    x_{t-1}; the last window may be shorter; the state starts at zero in each). In eval mode without a graph.

    >>> import backprop as bp
    >>> model = CharLSTM(4, embed_dim=2, hidden_size=3)
    >>> for p in model.head.parameters():
    ...     p.data[...] = 0  # scores 0: every character has probability 1/4
    >>> bool(abs(evaluate_char_lm(model, [0, 1, 2, 3, 0]) - math.log(4)) < 1e-6)
    True
    """
    ids = as_ids(ids, "evaluate_char_lm")
    seq_len = check_int("evaluate_char_lm seq_len", seq_len, at_least=1)
    batch_size = check_int("evaluate_char_lm batch_size", batch_size, at_least=1)
    if len(ids) < 2:
        raise ValueError(f"evaluate_char_lm: expected a text of at least 2 ids (one read, one predicted), got "
                         f"{len(ids)}")
    device, total = device_of(model), 0.0
    with evaluating(model):
        for windows in _consecutive_windows(ids, seq_len, batch_size):
            windows = creation.tensor(windows, device=device)
            targets = windows[:, 1:]
            total += _flat_cross_entropy(model(windows[:, :-1]), targets).item() * targets.numel()
    return total / (len(ids) - 1)


def _consecutive_windows(ids, seq_len, batch_size):
    """Windows of ``seq_len`` + 1 ids starting at 0, seq_len, 2 seq_len, ... (each the inputs and, shifted by
    one, the targets), ``batch_size`` at a time as arrays (B, seq_len + 1); last, alone, the shorter window
    that ends the text if it does not fill one. Together they predict every id but the first once."""
    starts = numpy.arange(0, len(ids) - 1, seq_len)
    full = starts[starts + seq_len < len(ids)]
    for first in range(0, len(full), batch_size):
        yield ids[full[first:first + batch_size, None] + numpy.arange(seq_len + 1)]
    if len(full) < len(starts):
        yield ids[None, starts[-1]:]


def _check_temperature(temperature, who):
    check_number(f"{who}: temperature", temperature, at_least=0)


def sample_next(logits, temperature=1.0, generator=None):
    """One id per row of ``logits`` (V,) or (N, V), drawn from softmax(logits / temperature); temperature 0
    is the argmax. Draws from backprop's generator (``bp.manual_seed``) unless given a NumPy ``generator``.

    >>> import backprop as bp
    >>> sample_next(bp.tensor([0.0, 5.0, 1.0]), temperature=0)
    1
    """
    _check_temperature(temperature, "sample_next")
    z = numpy.asarray(backend.to_numpy(logits._data) if isinstance(logits, Tensor) else logits, dtype=numpy.float64)
    if z.ndim not in (1, 2) or z.shape[-1] == 0:
        raise ValueError(f"sample_next: expected logits (V,) or (N, V), got shape {tuple(z.shape)}")
    rows = z.reshape(-1, z.shape[-1])
    if numpy.isnan(rows).any() or not numpy.isfinite(rows.max(axis=1, initial=-math.inf)).all():
        raise ValueError("sample_next: the logits hold NaN, or a row has no finite largest score (all -inf, or +inf)")
    if temperature == 0:
        ids = rows.argmax(axis=1)
    else:
        with numpy.errstate(over="ignore"):  # a tiny temperature sends all but the largest score to -inf: p = 0
            scaled = (rows - rows.max(axis=1, keepdims=True)) / temperature  # shifting by the max keeps exp finite
        p = numpy.exp(scaled)
        cdf = numpy.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
        u = (generator or creation.generator()).random((len(rows), 1))
        ids = numpy.minimum((cdf < u).sum(axis=1), z.shape[-1] - 1)  # inverse CDF: the first c with F(c) >= u
    return int(ids[0]) if z.ndim == 1 else ids


def sample(model, vocab, prompt, length, temperature=1.0):
    """The ``prompt`` followed by ``length`` characters generated one at a time: each drawn by
    ``sample_next`` from the model's scores after the text so far, at ``temperature``, and fed back in.
    The model must take ``state`` and ``return_state`` as ``CharLSTM`` does."""
    if not isinstance(prompt, str) or not prompt:
        raise ValueError(f"sample: the prompt must be a non-empty str (the model needs a character to start "
                         f"from), got {prompt!r}")
    length = check_int("sample length", length, at_least=0)
    _check_temperature(temperature, "sample")
    device = device_of(model)
    out = []
    with evaluating(model):
        logits, state = model(vocab.encode(prompt).unsqueeze(0).to(device=device), return_state=True)
        for _ in range(length):
            out.append(sample_next(logits[0, -1], temperature))
            logits, state = model(creation.tensor([[out[-1]]], device=device), state, return_state=True)
    return prompt + vocab.decode(out)
