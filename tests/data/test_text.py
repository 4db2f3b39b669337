import collections
import inspect
import json

import numpy as np
import pytest

import backprop as bp
from backprop.data import text


def _entropy(ids):
    p = np.bincount(ids) / len(ids)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


# --- the character corpus -----------------------------------------------------------------------------------
def test_docstrings_are_built_again_the_same():
    first = text.docstrings()
    text._corpus.cache_clear()
    assert text.docstrings() == first
    assert text.docstrings(max_chars=500) == first[:500]


def test_docstrings_hold_the_modules_docstrings_in_order():
    corpus = text.docstrings()
    assert len(corpus) > 100_000
    starts = [corpus.index(inspect.cleandoc(m.__doc__)) for m in (collections, json)]
    assert starts[0] == 0 and starts[1] > starts[0]  # collections first, json after it
    assert inspect.cleandoc(collections.OrderedDict.__doc__) in corpus  # a class
    assert inspect.cleandoc(json.dumps.__doc__) in corpus  # a function
    assert inspect.cleandoc(collections.Counter.most_common.__doc__) in corpus  # a method
    assert corpus.count(inspect.cleandoc(json.dumps.__doc__)) == 1


def test_docstrings_are_a_real_text():
    corpus = text.docstrings()
    vocab = text.CharVocab(corpus)
    assert 60 <= vocab.size <= 200
    # English prose: a word-level check and a character-level one (English has about 4.1 bits = 2.9 nats
    # per character under unigram frequencies; code and punctuation add a little)
    assert corpus.count(" the ") > 500
    assert 2.8 < _entropy(vocab.encode(corpus).numpy()) < np.log(vocab.size)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError)])
def test_docstrings_refuse_a_bad_max_chars(bad, error):
    with pytest.raises(error, match="max_chars must be a positive int"):
        text.docstrings(max_chars=bad)


# --- vocabularies --------------------------------------------------------------------------------------------
def test_char_vocab_round_trips_the_corpus():
    corpus = text.docstrings()
    vocab = text.CharVocab(corpus)
    ids = vocab.encode(corpus)
    assert ids.dtype == np.int64 and ids.shape == (len(corpus),)
    assert vocab.decode(ids) == corpus
    assert vocab.decode(ids.numpy().tolist()) == corpus
    assert all(vocab.stoi[c] == i for i, c in enumerate(vocab.itos)) and len(vocab) == vocab.size


def test_char_vocab_by_hand():
    vocab = text.CharVocab("banana")
    assert vocab.itos == ["a", "b", "n"] and vocab.stoi == {"a": 0, "b": 1, "n": 2}
    assert vocab.encode("nab").tolist() == [2, 0, 1]


def test_char_vocab_errors():
    with pytest.raises(ValueError, match="non-empty str"):
        text.CharVocab("")
    vocab = text.CharVocab("ab")
    with pytest.raises(ValueError, match=r"not in the vocabulary: \['z'\]"):
        vocab.encode("abz")
    with pytest.raises(ValueError, match=r"ids must be in \[0, 1\], got 0 to 2"):
        vocab.decode([0, 2])
    with pytest.raises(ValueError, match="1-D sequence of integer ids"):
        vocab.decode([[0, 1]])


def test_word_vocab():
    vocab = text.WordVocab(["The film was good", "the film was good", "a rare word"], min_freq=2)
    assert vocab.itos == ["<pad>", "<unk>", "film", "good", "the", "was"]
    assert vocab.encode("the rare film") == [4, vocab.unk_id, 2]
    assert vocab.decode(text.pad_batch([vocab.encode("the film")], length=4)[0]) == "the film"
    with pytest.raises(ValueError, match="list of texts"):
        text.WordVocab("the film")
    with pytest.raises(TypeError, match="tokenize: expected a str, got int 3"):
        text.WordVocab(["the film", 3])
    with pytest.raises(TypeError, match="tokenize: expected a str, got NoneType"):
        vocab.encode(None)


def test_pad_batch():
    batch = text.pad_batch([[3, 4], np.array([5]), bp.tensor([6, 7, 8])], pad_id=9, length=4)
    assert batch.dtype == np.int64 and batch.tolist() == [[3, 4, 9, 9], [5, 9, 9, 9], [6, 7, 8, 9]]
    with pytest.raises(ValueError, match="3 ids, more than length=2"):
        text.pad_batch([[1, 2, 3]], length=2)
    with pytest.raises(ValueError, match="at least one sequence"):
        text.pad_batch([])


def test_bag_of_words_forgets_order():
    a, b = text.bag_of_words([[1, 2, 3, 3], [3, 2, 3, 1]], size=5).numpy()
    np.testing.assert_array_equal(a, [0, 1, 1, 2, 0])
    np.testing.assert_array_equal(a, b)


# --- character batches ----------------------------------------------------------------------------------------
def test_char_batches_are_windows_of_the_text_with_next_char_targets():
    ids = np.random.default_rng(0).permutation(1000)  # distinct ids: a window is found by its first id
    starts = []
    for inputs, targets in text.char_batches(ids, seq_len=10, batch_size=8, seed=3):
        assert inputs.dtype == targets.dtype == np.int64 and inputs.shape[1] == 10 and inputs.shape == targets.shape
        for x, y in zip(inputs.numpy(), targets.numpy()):
            s = int(np.flatnonzero(ids == x[0])[0])
            np.testing.assert_array_equal(x, ids[s:s + 10])
            np.testing.assert_array_equal(y, ids[s + 1:s + 11])
            starts.append(s)
    starts = np.sort(starts)
    assert np.all(np.diff(starts) == 10) and starts[0] < 10  # non-overlapping, from an offset in [0, seq_len)
    assert len(starts) == (len(ids) - 1 - starts[0]) // 10  # the whole text (but the ragged end) once


def test_char_batches_start_at_every_offset_below_seq_len():
    offsets = {min(x[:, 0].min().item() for x, _ in text.char_batches(np.arange(40), seq_len=4, batch_size=64,
                                                                      seed=seed)) for seed in range(60)}
    assert offsets == {0, 1, 2, 3}


def test_char_batches_are_shuffled_by_the_seed():
    ids = np.arange(500)

    def first_ids(**kw):
        return [x[:, 0].tolist() for x, _ in text.char_batches(ids, seq_len=5, batch_size=4, **kw)]

    assert first_ids(seed=1) == first_ids(seed=1)
    assert first_ids(seed=1) != first_ids(seed=2)
    bp.manual_seed(5)
    a = first_ids()
    bp.manual_seed(5)
    assert first_ids() == a
    assert [len(b) for b in first_ids(seed=1)][-1] <= 4  # the last batch may be smaller


def test_char_batches_errors():
    with pytest.raises(ValueError, match=r"text \(5 ids\) must be longer than seq_len \(5\)"):
        next(text.char_batches([0, 1, 2, 3, 4], seq_len=5, batch_size=2))
    with pytest.raises(ValueError, match="seq_len must be a positive int"):
        next(text.char_batches([0, 1, 2], seq_len=0, batch_size=2))
    with pytest.raises(ValueError, match="1-D sequence of integer ids"):
        next(text.char_batches(np.zeros((3, 3), dtype=int), seq_len=1, batch_size=2))


# --- labelled sentences ----------------------------------------------------------------------------------------
POSITIVE = {"good", "great", "fun", "lovely", "brilliant", "wonderful", "charming", "superb"}
NEGATIVE = {"bad", "dull", "awful", "boring", "terrible", "poor", "bland", "weak"}


def _label_by_reading(sentence):
    """The sentiment a reader gives: the last sentiment word decides, flipped by a negation before it."""
    words = sentence.split()
    adjectives = [w for w in words if w in POSITIVE | NEGATIVE]
    polarity = adjectives[-1] in POSITIVE
    negated = "but" not in words and ("not" in words or "never" in words)
    return int(polarity != negated)


def test_sentences_are_labelled_as_a_reader_would():
    texts, labels = text.sentences(600, seed=0)
    assert len(texts) == 600 and labels.dtype == np.int64 and labels.shape == (600,)
    assert [_label_by_reading(s) for s in texts] == labels.tolist()
    assert 0.4 < labels.numpy().mean() < 0.6
    forms = collections.Counter("but" if " but " in s else "negated" if " not " in f" {s} " or "never" in s
                                else "plain" for s in texts)
    assert min(forms.values()) > 150  # all three templates, about a third each


def test_sentences_need_word_order():
    # the same bag of words with both labels: no classifier of bags can get both right
    texts, labels = text.sentences(2000, seed=0)
    by_bag = collections.defaultdict(set)
    for s, y in zip(texts, labels.tolist()):
        by_bag[tuple(sorted(s.split()))].add(y)
    assert sum(len(ys) == 2 for ys in by_bag.values()) >= 5


def test_sentences_are_seeded():
    assert text.sentences(50, seed=4)[0] == text.sentences(50, seed=4)[0]
    assert text.sentences(50, seed=4)[0] != text.sentences(50, seed=5)[0]
    with pytest.raises(ValueError, match="sentences n must be a positive int"):
        text.sentences(0)
    bp.manual_seed(7)  # seed None: backprop's generator, like char_batches
    first = text.sentences(50, seed=None)[0]
    bp.manual_seed(7)
    assert text.sentences(50, seed=None)[0] == first


def test_check_ids():
    text.check_ids(bp.tensor([[0, 2]]), 3, "M")
    with pytest.raises(ValueError, match=r"M: expected integer token ids \(N, T\)"):
        text.check_ids(bp.tensor([0, 2]), 3, "M")
    with pytest.raises(ValueError, match=r"M: expected integer token ids \(N, T\)"):
        text.check_ids(bp.tensor([[0.0, 2.0]]), 3, "M")
    with pytest.raises(ValueError, match=r"M: token ids must be in \[0, 2\], got -1 to 2"):
        text.check_ids(bp.tensor([[-1, 2]]), 3, "M")
