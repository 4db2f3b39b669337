"""The gpt experiment's parts: the counted bigram, the parameter match, the schedule, the shared batch stream."""
import math

import numpy as np
import pytest
import torch

from backprop.experiments import gpt as G
from backprop.models import CharLSTM, count_parameters


def test_bigram_counts_by_hand():
    counts = G.bigram_counts([0, 1, 1, 2, 0, 1], 3)
    expected = np.zeros((3, 3))
    for a, b in [(0, 1), (1, 1), (1, 2), (2, 0), (0, 1)]:
        expected[a, b] += 1
    np.testing.assert_array_equal(counts, expected)


@pytest.mark.parametrize("alpha", [0.01, 1.0])
def test_bigram_loss_is_the_cross_entropy_of_the_smoothed_log_counts(alpha):
    rng = np.random.default_rng(0)
    train, val = rng.integers(0, 5, 400), rng.integers(0, 5, 100)
    counts = G.bigram_counts(train, 5)
    # torch's cross-entropy with the scores log(c(a, .) + alpha) of the character before each one
    scores = torch.log(torch.tensor(counts[val[:-1]]) + alpha)
    expected = torch.nn.functional.cross_entropy(scores, torch.tensor(val[1:])).item()
    assert G.bigram_loss(counts, val, alpha) == pytest.approx(expected, rel=1e-12)
    # alpha large: every character equally likely
    assert G.bigram_loss(counts, val, 1e9) == pytest.approx(math.log(5), rel=1e-6)


def test_a_text_that_repeats_has_a_near_zero_bigram_loss():
    ids = [0, 1, 2, 3] * 50
    assert G.bigram_loss(G.bigram_counts(ids, 4), ids, 1e-3) < 1e-3


@pytest.mark.parametrize("params, vocab, embed", [(20_000, 60, 16), (116_480, 96, 32)])
def test_lstm_hidden_for_gives_the_nearest_parameter_count(params, vocab, embed):
    hidden = G.lstm_hidden_for(params, vocab, embed)
    counts = {h: count_parameters(CharLSTM(vocab, embed_dim=embed, hidden_size=h)) for h in (hidden - 1, hidden,
                                                                                             hidden + 1)}
    assert abs(counts[hidden] - params) <= min(abs(counts[hidden - 1] - params), abs(counts[hidden + 1] - params))
    assert abs(counts[hidden] - params) / params < 0.02


def test_schedule_warms_up_linearly_then_decays_to_the_floor():
    factor = G.schedule(100)
    values = [factor(s) for s in range(100)]
    assert values[0] == pytest.approx(0.1) and values[9] == pytest.approx(1.0)  # warm-up: 10 steps
    assert all(a < b for a, b in zip(values[:9], values[1:10]))
    assert all(a >= b for a, b in zip(values[9:], values[10:]))
    assert values[-1] == pytest.approx(G.FLOOR + (1 - G.FLOOR) * 0.5 * (1 + math.cos(math.pi * 89 / 90)))


def test_batch_stream_is_the_same_for_the_same_seed_and_goes_on_past_an_epoch():
    ids = np.arange(100) % 7
    first, second = G.batch_stream(ids, 9, 4, seed=3), G.batch_stream(ids, 9, 4, seed=3)
    batches = [next(first) for _ in range(12)]  # 10 or 11 windows (3 batches) an epoch: several epochs
    for x, y in batches:
        other_x, other_y = next(second)
        assert x.tolist() == other_x.tolist() and y.tolist() == other_y.tolist()
        assert ((x.numpy() + 1) % 7 == y.numpy()).all()


def test_split_keeps_the_order():
    train, val = G.split(np.arange(10))
    assert train.tolist() == list(range(9)) and val.tolist() == [9]
