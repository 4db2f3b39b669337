"""The dropout_ensemble experiment's parts: the exact expectation, the committee, its two means, the rate."""
import math

import numpy
import pytest

import backprop as bp
from backprop import nn
from backprop.experiments import dropout_ensemble as D


def linear(weight, bias):
    layer = nn.Linear(len(weight[0]), len(weight))
    layer.weight.data[...] = weight
    layer.bias.data[...] = bias
    return layer


def test_linear_expectation_by_hand():
    # p = 1/2, x = (1, 2), w = (1, 1), b = 0: the four masks give 0, 2, 1, 3, each with probability 1/4
    expected, scaled = D.linear_expectation(linear([[1.0, 1.0]], [0.0]), [1.0, 2.0], p=0.5)
    assert expected.tolist() == [1.5] and scaled.tolist() == [1.5]


@pytest.mark.parametrize("p", [0.0, 0.3, 0.8])
def test_linear_expectation_is_weight_scaling_for_any_p(p):
    bp.manual_seed(2)
    layer = nn.Linear(6, 3)
    x = numpy.random.default_rng(0).standard_normal(6)
    expected, scaled = D.linear_expectation(layer, x, p)
    by_hand = layer.weight.detach().numpy() @ ((1 - p) * x) + layer.bias.detach().numpy()
    assert numpy.allclose(expected, by_hand, atol=1e-5) and numpy.allclose(scaled, by_hand, atol=1e-5)


def test_linear_expectation_rejects_a_batch():
    with pytest.raises(ValueError, match="one input vector of at most 16 units, got shape \\(2, 3\\)"):
        D.linear_expectation(nn.Linear(3, 1), numpy.ones((2, 3)), 0.5)


def test_the_lectures_dropout_and_the_inverted_one_differ_by_1_minus_p_in_training_and_at_test():
    z = bp.rand(4, 50) + 1
    bp.manual_seed(5)
    lecture = nn.Dropout(0.3, scale_at_test=True)(z).numpy()
    bp.manual_seed(5)
    inverted = nn.Dropout(0.3)(z).numpy()  # the same mask
    assert numpy.allclose(inverted * 0.7, lecture, atol=1e-6)
    assert numpy.allclose(nn.Dropout(0.3, scale_at_test=True).eval()(z).numpy(), 0.7 * z.numpy())


def test_committee_draws_a_fresh_mask_per_net_and_keeps_the_mode():
    bp.manual_seed(0)
    model = D.network(8, dropout_layers=1).eval()
    x = bp.rand(3, 1, 8, 8)
    logits = D.committee_logits(model, x, k=7, chunk=3)
    assert logits.shape == (7, 3, 10) and not model.training
    assert not numpy.allclose(logits[0], logits[1])
    # without dropout every member is the same net
    model[3].p = 0.0
    same = D.committee_logits(model, x, k=4)
    assert numpy.allclose(same, same[0]) and numpy.allclose(same[0], model(x).detach().numpy(), atol=1e-6)


def test_one_dropout_layer_mean_logits_tend_to_the_weight_scaled_logits():
    bp.manual_seed(1)
    model = D.network(32, dropout_layers=1)
    x = bp.rand(4, 1, 8, 8)
    logits = D.committee_logits(model, x, k=4000)
    scaled = model.eval()(x).detach().numpy()
    spread = logits.std(axis=0) / math.sqrt(4000)  # the Monte Carlo error of the mean
    assert numpy.all(numpy.abs(logits.mean(axis=0) - scaled) < 5 * spread + 1e-6)


def test_softmax_by_hand():
    assert numpy.allclose(D.softmax(numpy.array([0.0, math.log(3)])), [0.25, 0.75])


def test_compare_by_hand():
    def sigmoid(t):
        return 1 / (1 + math.exp(-t))
    logits = numpy.array([[[0.0, 1.0]], [[2.0, -1.0]]])  # K = 2 nets, one example, two classes
    reference = D.softmax(numpy.array([[1.0, 0.0]]))  # softmax of the mean logits: p(class 0) = sigmoid(1)
    found = D.compare(logits, reference, numpy.array([1]), ks=[1, 2])
    # K = 1: p(class 0) = sigmoid(-1), off by sigmoid(1) - sigmoid(-1) in both classes, and the other class
    assert found["arithmetic"]["difference"][0] == pytest.approx(sigmoid(1) - sigmoid(-1))
    assert found["arithmetic"]["agreement"][0] == 0.0 and found["arithmetic"]["accuracy"][0] == 1.0
    # K = 2: the arithmetic mean (sigmoid(-1) + sigmoid(3)) / 2 is off by Jensen's gap; the geometric one is exact
    arithmetic = (sigmoid(-1) + sigmoid(3)) / 2
    assert found["arithmetic"]["difference"][1] == pytest.approx(abs(arithmetic - sigmoid(1)))
    assert found["geometric"]["difference"][1] == pytest.approx(0, abs=1e-12)
    assert found["arithmetic"]["agreement"][1] == found["geometric"]["agreement"][1] == 1.0
    assert found["geometric"]["accuracy"] == [1.0, 0.0]


