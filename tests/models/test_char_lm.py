import warnings

import numpy as np
import pytest
import torch

import backprop as bp
from backprop.data import text
from backprop.models import CharLSTM, evaluate_char_lm, sample, sample_next, train_char_lm
from nn.twin import compare_module


class TorchCharLSTM(torch.nn.Module):
    """Embedding, a batch-first LSTM, a Linear head on every step's hidden state."""

    def __init__(self, vocab_size, embed_dim, hidden_size, num_layers):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab_size, embed_dim)
        self.lstm = torch.nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = torch.nn.Linear(hidden_size, vocab_size)

    def forward(self, ids):
        return self.head(self.lstm(self.embedding(ids))[0])


def _unigram_entropy(ids):
    """H = -sum_c p(c) log p(c) in nats, p the character frequencies."""
    p = np.bincount(ids) / len(ids)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


@pytest.fixture(scope="module")
def trained():
    """A CharLSTM trained for three short epochs on 20,000 characters of the corpus, the vocabulary, the
    per-epoch losses, and the unigram entropies of the training text and of the 5,000 characters after it."""
    corpus = text.docstrings()
    vocab = text.CharVocab(corpus)
    train_ids, test_ids = vocab.encode(corpus[:20_000]), vocab.encode(corpus[20_000:25_000])
    bp.manual_seed(0)
    model = CharLSTM(vocab.size, hidden_size=64)
    history = train_char_lm(model, train_ids, epochs=3, seq_len=32, batch_size=32, lr=1e-2, seed=0)
    return dict(model=model, vocab=vocab, history=history, test_ids=test_ids,
                train_entropy=_unigram_entropy(train_ids.numpy()), test_entropy=_unigram_entropy(test_ids.numpy()))


def test_char_lstm_matches_its_torch_twin():
    torch.manual_seed(0)
    ours, theirs = CharLSTM(7, embed_dim=5, hidden_size=6, num_layers=2), TorchCharLSTM(7, 5, 6, 2)
    ids = np.random.default_rng(0).integers(0, 7, (3, 9))
    out, _ = compare_module(ours, theirs, [ids], dtype="float64")
    assert out.shape == (3, 9, 7)


def test_char_lstm_carries_its_state_between_calls():
    model = CharLSTM(5, embed_dim=4, hidden_size=8)
    ids = bp.randint(0, 5, (2, 10))
    whole = model(ids)
    first, state = model(ids[:, :6], return_state=True)
    second = model(ids[:, 6:], state)
    np.testing.assert_allclose(bp.cat([first, second], dim=1).detach().numpy(), whole.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    h, c = state
    assert h.shape == c.shape == (1, 2, 8)


def test_char_lstm_refuses_bad_ids():
    model = CharLSTM(5, embed_dim=4, hidden_size=8)
    with pytest.raises(ValueError, match=r"CharLSTM: expected integer token ids \(N, T\)"):
        model(bp.zeros(2, 3))
    with pytest.raises(ValueError, match=r"CharLSTM: token ids must be in \[0, 4\], got 0 to 5"):
        model(bp.tensor([[0, 5]]))


def test_training_loss_falls_below_the_unigram_entropy(trained):
    history, log_v = trained["history"], np.log(trained["vocab"].size)
    assert len(history) == 3 and history[0] > history[-1]
    # the unigram model (character frequencies alone) is beaten: the LSTM uses the characters before
    assert history[-1] < trained["train_entropy"] < log_v
    # ... on text it has not seen as well
    assert evaluate_char_lm(trained["model"], trained["test_ids"]) < trained["test_entropy"]


def _cross_entropy_by_hand(model, ids, seq_len):
    """-mean log p(x_t | the window's ids before it) over every t >= 2, windows of seq_len inputs from the start,
    each read alone, log-softmax in NumPy."""
    losses = []
    for start in range(0, len(ids) - 1, seq_len):
        window = ids[start:start + seq_len + 1]
        z = model(bp.tensor([window[:-1]])).detach().numpy()[0].astype(np.float64)
        log_p = z - z.max(axis=1, keepdims=True)
        log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
        losses += [-log_p[t, window[t + 1]] for t in range(len(window) - 1)]
    assert len(losses) == len(ids) - 1
    return float(np.mean(losses))


@pytest.mark.parametrize("seq_len", [7, 10, 49, 300])
def test_evaluate_char_lm_predicts_every_character_but_the_first(seq_len):
    """50 ids: 7 windows of 7 exactly, 4 of 10 and a last one of 9, one of 49, one window shorter than seq_len."""
    bp.manual_seed(1)
    model = CharLSTM(6, embed_dim=3, hidden_size=5)
    ids = np.random.default_rng(4).integers(0, 6, 50)
    assert evaluate_char_lm(model, ids, seq_len=seq_len, batch_size=3) == pytest.approx(
        _cross_entropy_by_hand(model, ids, seq_len), rel=1e-5)


def test_evaluate_char_lm_errors():
    with pytest.raises(ValueError, match="at least 2 ids"):
        evaluate_char_lm(CharLSTM(3, 2, 2), [1])
    with pytest.raises(ValueError, match="seq_len must be a positive int"):
        evaluate_char_lm(CharLSTM(3, 2, 2), [1, 2], seq_len=0)


def test_train_char_lm_stops_after_max_steps():
    model = CharLSTM(3, embed_dim=2, hidden_size=4)
    before = model.head.bias.detach().numpy().copy()
    history = train_char_lm(model, [0, 1, 2] * 30, epochs=5, seq_len=4, batch_size=2, max_steps=3, seed=0)
    assert len(history) == 1 and not np.array_equal(before, model.head.bias.detach().numpy())


def test_sampling_at_temperature_zero_is_greedy_decoding(trained):
    model, vocab = trained["model"], trained["vocab"]
    greedy = "Return "
    for _ in range(20):  # argmax decoding by hand: the whole text so far through the model, no state kept
        logits = model(vocab.encode(greedy).unsqueeze(0))
        greedy += vocab.itos[int(logits[0, -1].argmax().item())]
    assert sample(model, vocab, "Return ", 20, temperature=0) == greedy
    assert sample(model, vocab, "Return ", 20, temperature=1e-3) == greedy  # the limit T -> 0


def test_sampling_is_seeded_and_keeps_the_prompt(trained):
    model, vocab = trained["model"], trained["vocab"]
    bp.manual_seed(3)
    a = sample(model, vocab, "The ", 40, temperature=1.0)
    bp.manual_seed(3)
    assert sample(model, vocab, "The ", 40, temperature=1.0) == a
    assert a.startswith("The ") and len(a) == 44
    assert sample(model, vocab, "The ", 0) == "The "
    assert model.training  # the mode is restored


def _chi_square(counts, p):
    expected = len(p) and counts.sum() * p
    return float(((counts - expected) ** 2 / expected).sum())


@pytest.mark.parametrize("temperature", [1.0, 0.5, 2.0])
def test_sample_next_draws_from_the_softmax_at_the_temperature(temperature):
    z = np.array([2.0, 1.0, 0.5, -1.0, 0.0])
    p = np.exp(z / temperature) / np.exp(z / temperature).sum()
    draws = sample_next(bp.tensor(np.tile(z, (20_000, 1))), temperature)
    counts = np.bincount(draws, minlength=5)
    # chi-square with 4 degrees of freedom: P(X > 18.47) = 0.001 when the draws follow p
    assert _chi_square(counts, p) < 18.47
    other = np.exp(z) / np.exp(z).sum() if temperature != 1.0 else np.exp(z / 2) / np.exp(z / 2).sum()
    assert _chi_square(counts, other) > 100  # and the test can tell another temperature apart


def test_sample_next_shapes_and_errors():
    assert isinstance(sample_next(bp.tensor([0.0, 1.0])), int)
    assert sample_next(bp.tensor([[0.0, 9.0], [9.0, 0.0]]), temperature=0).tolist() == [1, 0]
    with pytest.raises(ValueError, match="sample_next: temperature must be a number >= 0, got -1"):
        sample_next(bp.tensor([0.0, 1.0]), temperature=-1)
    with pytest.raises(ValueError, match="sample_next: temperature must be a finite number, got inf"):
        sample_next(bp.tensor([0.0, 1.0]), temperature=float("inf"))
    with pytest.raises(ValueError, match=r"expected logits \(V,\) or \(N, V\)"):
        sample_next(bp.zeros(2, 2, 2))
    for bad in ([0.0, float("nan")], [-np.inf, -np.inf], [0.0, np.inf]):
        with pytest.raises(ValueError, match="NaN, or a row has no finite largest score"):
            sample_next(bp.tensor(bad))
    assert sample_next(bp.tensor([-np.inf, 0.0, -np.inf])) == 1  # -inf: probability 0, the rest still drawn


def test_a_tiny_temperature_is_the_argmax_without_overflow_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (z - max) / T overflows to -inf for T = 1e-310: exp gives 0, silently
        assert sample_next(bp.tensor([0.0, 5.0, 1.0]), temperature=1e-310) == 1


def test_sample_checks_the_temperature_even_for_no_characters():
    with pytest.raises(ValueError, match="sample: temperature must be a number >= 0, got -1"):
        sample(CharLSTM(2, 2, 2), text.CharVocab("ab"), "a", 0, temperature=-1)


@pytest.mark.parametrize("kwargs, message", [
    (dict(max_steps=0), "max_steps must be a positive int, got 0"),
    (dict(clip=0), r"clip \(the largest gradient norm, or None\) must be a positive number, got 0"),
    (dict(clip=float("nan")), "clip .* must be a positive number, got nan"),
])
def test_train_char_lm_refuses_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        train_char_lm(CharLSTM(3, 2, 2), [0, 1, 2] * 10, seq_len=4, batch_size=2, **kwargs)


def test_sample_refuses_an_empty_prompt():
    vocab = text.CharVocab("ab")
    with pytest.raises(ValueError, match="prompt must be a non-empty str"):
        sample(CharLSTM(2, 2, 2), vocab, "", 5)
