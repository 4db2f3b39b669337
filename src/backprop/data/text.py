"""Text for sequence models, shipped with Python itself: a character corpus and a labelled sentence set.

A language model predicts each symbol from the ones before it. Trained on a
text x_1 ... x_n it minimises the mean cross-entropy in nats per character,

    J = -(1/n) sum_t log p(x_t | x_1, ..., x_{t-1}),

and the first yardstick it must beat is the unigram model p(x_t) = c(x_t) / n,
whose cross-entropy is the entropy of the character frequencies,
H = -sum_c p(c) log p(c). ``docstrings()`` is such a text that needs no
download: the documentation strings of a fixed list of standard-library
modules, in a fixed order (the same text for the same Python version).

``sentences(n, seed)`` is a small sentiment set built from templates, in
which word order matters: "the film was not good" is negative, "the film
was dull but fun" positive and "the film was fun but dull" negative. A bag
of words (counts, order thrown away) cannot separate these: the last two
have the same bag, and no linear weights give good > 0, not + good < 0,
bad < 0 and not + bad > 0 at once.

>>> text = docstrings(max_chars=200)
>>> vocab = CharVocab(text)
>>> vocab.decode(vocab.encode(text)) == text
True
>>> texts, labels = sentences(4, seed=0)
>>> len(texts), tuple(labels.shape)
(4, (4,))
"""
import functools
import importlib
import inspect
import sys

import numpy

from backprop import creation
from backprop.checks import check_int
from backprop.tensor import Tensor

__all__ = ["CharVocab", "MODULES", "WordVocab", "as_ids", "bag_of_words", "char_batches", "check_ids",
           "check_pad_id", "docstrings", "numpy_generator", "pad_batch", "sentences", "tokenize"]

MODULES = ("collections", "json", "textwrap", "string", "functools", "itertools", "re", "heapq", "bisect",
           "fractions", "statistics", "random", "contextlib", "dataclasses", "copy", "difflib", "shlex", "csv",
           "argparse", "enum", "abc", "operator")
"""The modules whose docstrings make the corpus (platform-independent ones: os.path would differ by OS)."""


def _doc(obj):
    doc = getattr(obj, "__doc__", None)
    return inspect.cleandoc(doc) if isinstance(doc, str) and doc.strip() else None


def _defined_in(module):
    """The public classes and functions that ``module`` itself defines, by name, each object once."""
    seen = set()
    for name, obj in sorted(vars(module).items()):
        if name.startswith("_") or not (inspect.isclass(obj) or inspect.isroutine(obj)):
            continue
        if getattr(obj, "__module__", None) != module.__name__ or id(obj) in seen:
            continue
        seen.add(id(obj))
        yield obj


def _methods(cls):
    """The public methods a class defines itself (not inherited), by name."""
    for name, attribute in sorted(vars(cls).items()):
        if isinstance(attribute, (classmethod, staticmethod)):
            attribute = attribute.__func__
        if not name.startswith("_") and inspect.isroutine(attribute):
            yield attribute


def _module_docstrings(name):
    module = importlib.import_module(name)
    yield _doc(module)
    for obj in _defined_in(module):
        yield _doc(obj)
        if inspect.isclass(obj):
            yield from (_doc(method) for method in _methods(obj))


@functools.lru_cache(maxsize=1)
def _corpus():
    if sys.flags.optimize >= 2:
        raise RuntimeError("docstrings: Python runs with -OO, which strips every docstring; run without it")
    docs = [doc for name in MODULES for doc in _module_docstrings(name) if doc]
    return "\n\n".join(docs) + "\n"


def docstrings(max_chars=None):
    """The corpus: the module, class and method docstrings of ``MODULES``, each cleaned of its indentation,
    separated by blank lines; about 119,000 characters (Python 3.11), the first ``max_chars`` of them if given.

    >>> docstrings(max_chars=33)
    'This module implements specialize'
    """
    text = _corpus()
    if max_chars is None:
        return text
    return text[:check_int("docstrings max_chars", max_chars, at_least=1)]


def as_ids(ids, name, size=None):
    """``ids`` (a Tensor, array or list of ints) as a 1-D NumPy int64 array, each in [0, ``size``) if given;
    else a ValueError naming ``name``.

    >>> as_ids([2, 0, 1], "decode", size=3).tolist()
    [2, 0, 1]
    """
    array = numpy.asarray(ids.numpy() if isinstance(ids, Tensor) else ids)
    if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        raise ValueError(f"{name}: expected a 1-D sequence of integer ids, got shape {tuple(array.shape)} of {array.dtype}")
    if size is not None and array.size and (array.min() < 0 or array.max() >= size):
        raise ValueError(f"{name}: ids must be in [0, {size - 1}], got {array.min()} to {array.max()}")
    return array.astype(numpy.int64)


class _Vocab:
    """A numbering of tokens: ``itos[i]`` is token i, ``stoi[token]`` its id; ``size`` of them."""

    def __init__(self, itos):
        self.itos = list(itos)
        self.stoi = {token: i for i, token in enumerate(self.itos)}

    @property
    def size(self):
        return len(self.itos)

    def __len__(self):
        return self.size

    def tokens(self, ids):
        """The tokens of ``ids`` (a 1-D Tensor, array or list of ints)."""
        return [self.itos[i] for i in as_ids(ids, f"{type(self).__name__}.decode", self.size)]

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size})"


class CharVocab(_Vocab):
    """The characters of ``text``, sorted: ``itos[i]`` is character i, ``stoi[c]`` its id; ``size`` of them.

    >>> vocab = CharVocab("hello")
    >>> vocab.itos, vocab.encode("hell").tolist(), vocab.decode([2, 3])
    (['e', 'h', 'l', 'o'], [1, 0, 2, 2], 'lo')
    """

    def __init__(self, text):
        if not isinstance(text, str) or not text:
            raise ValueError(f"CharVocab: expected a non-empty str, got {type(text).__name__} {text!r:.40}")
        super().__init__(sorted(set(text)))

    def encode(self, text):
        """The ids of the characters of ``text``: a 1-D int64 Tensor."""
        unknown = sorted(set(text) - self.stoi.keys())
        if unknown:
            raise ValueError(f"CharVocab.encode: characters not in the vocabulary: {unknown[:10]}")
        return creation.tensor(numpy.array([self.stoi[c] for c in text], dtype=numpy.int64))

    def decode(self, ids):
        """The text of ``ids`` (a 1-D Tensor, array or list of ints)."""
        return "".join(self.tokens(ids))


def numpy_generator(seed):
    """NumPy's generator for ``seed`` (an int, or a Generator, returned as it is); backprop's when None, so that
    ``bp.manual_seed`` decides.

    >>> int(numpy_generator(0).integers(10)) == int(numpy.random.default_rng(0).integers(10))
    True
    """
    return creation.generator() if seed is None else numpy.random.default_rng(seed)


def char_batches(ids, seq_len, batch_size, seed=None):
    """One epoch of mini-batches (inputs, targets) from the text ``ids``, each two int64 Tensors
    (batch_size, seq_len) with targets[:, t] = inputs[:, t + 1]: the next character is the target.

    The text is cut into windows of ``seq_len`` + 1 characters, from a random offset in [0, seq_len) so
    that each epoch cuts it differently; the windows come in random order, the last batch may be smaller.
    ``seed``: an int, a NumPy Generator, or None to draw from backprop's generator (``bp.manual_seed``).

    >>> x, y = next(char_batches(list(range(10)), seq_len=4, batch_size=1, seed=0))
    >>> bool((x[0, 1:] == y[0, :-1]).all()), (y - x).tolist()
    (True, [[1, 1, 1, 1]])
    """
    ids = as_ids(ids, "char_batches")
    seq_len = check_int("char_batches seq_len", seq_len, at_least=1)
    batch_size = check_int("char_batches batch_size", batch_size, at_least=1)
    if len(ids) < seq_len + 1:
        raise ValueError(f"char_batches: the text ({len(ids)} ids) must be longer than seq_len ({seq_len})")
    rng = numpy_generator(seed)
    offset = int(rng.integers(0, min(seq_len - 1, len(ids) - 1 - seq_len) + 1))  # leaves at least one window
    starts = offset + seq_len * numpy.arange((len(ids) - 1 - offset) // seq_len)
    starts = starts[rng.permutation(len(starts))]
    steps = numpy.arange(seq_len + 1)
    for first in range(0, len(starts), batch_size):
        windows = ids[starts[first:first + batch_size, None] + steps]
        yield creation.tensor(windows[:, :-1]), creation.tensor(windows[:, 1:])


def check_ids(ids, vocab_size, model):
    """Check that ``ids`` is an integer Tensor (N, T) of ids in [0, ``vocab_size``), the input of a model of
    token sequences; else raise a ValueError naming ``model``.

    >>> check_ids(creation.tensor([[1, 2]]), 3, "TextCNN")
    >>> check_ids(creation.tensor([[1, 3]]), 3, "TextCNN")
    Traceback (most recent call last):
    ...
    ValueError: TextCNN: token ids must be in [0, 2], got 1 to 3
    """
    if not isinstance(ids, Tensor) or ids.ndim != 2 or ids.dtype.kind not in "iu":
        raise ValueError(f"{model}: expected integer token ids (N, T) as a Tensor, got "
                         f"{getattr(ids, 'shape', type(ids).__name__)} {getattr(ids, 'dtype', '')}")
    if ids.numel() and (int(ids.min().item()) < 0 or int(ids.max().item()) >= vocab_size):
        raise ValueError(f"{model}: token ids must be in [0, {vocab_size - 1}], got {int(ids.min().item())} to "
                         f"{int(ids.max().item())}")


def check_pad_id(pad_id, vocab_size, model):
    """``pad_id`` as an int if it is an id of the vocabulary, in [0, ``vocab_size``); else an error naming
    ``model``.

    >>> check_pad_id(0, 5, "TextCNN")
    0
    """
    return check_int(f"{model}: pad_id", pad_id, at_least=0, at_most=vocab_size - 1)


# --- a labelled sentence set --------------------------------------------------------------------------------
SUBJECTS = ("the film", "the movie", "the book", "the play", "the show", "the song", "the meal", "the story",
            "the game", "the hotel")
VERBS = ("was", "is", "seemed", "felt", "looked")
INTENSIFIERS = ("really", "very", "quite", "so", "truly")
NEGATED_VERBS = ("was not", "is not", "was never", "is never", "did not seem", "did not look", "never seemed",
                 "never felt")
ADJECTIVES = {1: ("good", "great", "fun", "lovely", "brilliant", "wonderful", "charming", "superb"),
              0: ("bad", "dull", "awful", "boring", "terrible", "poor", "bland", "weak")}
"""Positive (label 1) and negative (label 0) adjectives."""


def _adjective(rng, polarity, intensify=True):
    word = ADJECTIVES[polarity][rng.integers(len(ADJECTIVES[polarity]))]
    if intensify and rng.random() < 0.5:
        word = f"{INTENSIFIERS[rng.integers(len(INTENSIFIERS))]} {word}"
    return word


def _sentence(rng):
    """One sentence and its label (1 positive, 0 negative), from one of three templates, equally likely:
    plain "the film was (really) good"; negated "the film did not seem good" (the adjective's opposite);
    contrast "the film was dull but (really) fun" (the clause after "but" decides)."""
    label, form = int(rng.integers(2)), rng.integers(3)
    subject = SUBJECTS[rng.integers(len(SUBJECTS))]
    if form == 1:
        verb = NEGATED_VERBS[rng.integers(len(NEGATED_VERBS))]
        return f"{subject} {verb} {_adjective(rng, 1 - label, intensify=False)}", label
    start = f"{subject} {VERBS[rng.integers(len(VERBS))]}"
    if form == 0:
        return f"{start} {_adjective(rng, label)}", label
    return f"{start} {_adjective(rng, 1 - label)} but {_adjective(rng, label)}", label


def sentences(n, seed=0):
    """``n`` generated sentiment sentences and their labels (an int64 Tensor, 1 positive, 0 negative).

    Three templates, equally likely, half of each positive: plain ("the film was really good"),
    negated ("the book is never fun": negative) and contrast ("the song seemed dull but lovely": positive,
    the clause after "but" decides). Word order matters: a bag of words sees the same words in
    "dull but lovely" and "lovely but dull", and cannot weigh "not" against both "good" and "bad".
    ``seed``: an int, a NumPy Generator, or None to draw from backprop's generator (``bp.manual_seed``).

    >>> import backprop as bp
    >>> texts, labels = sentences(3, seed=1)
    >>> all(isinstance(t, str) for t in texts), labels.dtype == bp.int64
    (True, True)
    """
    n = check_int("sentences n", n, at_least=1)
    rng = numpy_generator(seed)
    pairs = [_sentence(rng) for _ in range(n)]
    return [text for text, _ in pairs], creation.tensor(numpy.array([label for _, label in pairs],
                                                                     dtype=numpy.int64))


def tokenize(text):
    """Lower-case words split on white space.

    >>> tokenize("The film  was GOOD")
    ['the', 'film', 'was', 'good']
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize: expected a str, got {type(text).__name__} {text!r:.40}")
    return text.lower().split()


class WordVocab(_Vocab):
    """The words of ``texts`` (those seen at least ``min_freq`` times), sorted, after two special tokens:
    ``<pad>`` (id ``pad_id`` = 0, to fill short sequences) and ``<unk>`` (id ``unk_id`` = 1, unseen words).

    >>> vocab = WordVocab(["the film was good", "the film was bad"])
    >>> vocab.itos[2:], vocab.encode("the film was great"), vocab.decode([5, 4, 0])
    (['bad', 'film', 'good', 'the', 'was'], [5, 3, 6, 1], 'the good')
    """
    PAD, UNK = "<pad>", "<unk>"
    pad_id, unk_id = 0, 1

    def __init__(self, texts, min_freq=1):
        if isinstance(texts, str):
            raise ValueError("WordVocab: expected a list of texts, got one str (wrap it in a list)")
        min_freq = check_int("WordVocab min_freq", min_freq, at_least=1)
        counts = {}
        for text in texts:
            for word in tokenize(text):
                counts[word] = counts.get(word, 0) + 1
        super().__init__([self.PAD, self.UNK] + sorted(w for w, c in counts.items() if c >= min_freq))

    def encode(self, text):
        """The ids of the words of ``text`` (a list of ints; ``unk_id`` for unknown words)."""
        return [self.stoi.get(word, self.unk_id) for word in tokenize(text)]

    def decode(self, ids):
        """The words of ``ids``, padding left out, joined by spaces."""
        return " ".join(token for token in self.tokens(ids) if token != self.PAD)


def pad_batch(sequences, pad_id=0, length=None):
    """Sequences of ids (lists, arrays or 1-D Tensors) as one int64 Tensor (N, T), each filled up with
    ``pad_id`` on the right to T = ``length`` (default: the longest). A longer sequence is refused.

    >>> pad_batch([[5, 6, 7], [8]]).tolist()
    [[5, 6, 7], [8, 0, 0]]
    """
    rows = [as_ids(s, "pad_batch") for s in sequences]
    if not rows:
        raise ValueError("pad_batch: expected at least one sequence, got none")
    longest = max(len(r) for r in rows)
    length = longest if length is None else check_int("pad_batch length", length, at_least=1)
    if longest > length:
        raise ValueError(f"pad_batch: a sequence has {longest} ids, more than length={length}")
    batch = numpy.full((len(rows), length), pad_id, dtype=numpy.int64)
    for i, row in enumerate(rows):
        batch[i, :len(row)] = row
    return creation.tensor(batch)


def bag_of_words(sequences, size):
    """Counts (N, ``size``) float32: entry (i, w) is how often id w occurs in sequence i (order thrown away).

    >>> bag_of_words([[2, 3, 2], [1]], size=4).tolist()
    [[0.0, 0.0, 2.0, 1.0], [0.0, 1.0, 0.0, 0.0]]
    """
    size = check_int("bag_of_words size", size, at_least=1)
    counts = numpy.zeros((len(sequences), size), dtype=numpy.float32)
    for i, sequence in enumerate(sequences):
        numpy.add.at(counts[i], as_ids(sequence, "bag_of_words", size), 1)
    return creation.tensor(counts)
