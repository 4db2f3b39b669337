"""What the experiments share: the digits subsets, the training loop, evaluation, slopes."""
import math

import numpy
import pytest

import backprop as bp
from backprop import nn
from backprop.experiments import common


def test_digits_subset_is_stratified_seeded_and_sized():
    x, y = common.digits(size=16, n=320, seed=1)
    assert tuple(x.shape) == (320, 1, 16, 16) and x.dtype == bp.float32
    assert numpy.bincount(y.numpy(), minlength=10).tolist() == [32] * 10
    again, _ = common.digits(size=16, n=320, seed=1)
    other, _ = common.digits(size=16, n=320, seed=2)
    assert (again.numpy() == x.numpy()).all() and not (other.numpy() == x.numpy()).all()
    with pytest.raises(ValueError, match="asked for n=5000 examples, the test set has 360"):
        common.digits(train=False, n=5000)


def test_evaluate_is_the_cross_entropy_and_accuracy_by_hand():
    layer = nn.Sequential(nn.Flatten(), nn.Linear(2, 2, bias=False))
    layer[1].weight.data[...] = [[1.0, 0.0], [0.0, 1.0]]
    x = bp.tensor([[[[2.0, 0.0]]], [[[0.0, 1.0]]]])
    loss, accuracy = common.evaluate(layer, x, bp.tensor([0, 0]))
    by_hand = (-math.log(math.exp(2) / (math.exp(2) + 1)) - math.log(1 / (1 + math.e))) / 2
    assert loss == pytest.approx(by_hand, rel=1e-5) and accuracy == 0.5


def test_fit_full_batch_is_gradient_descent_by_hand():
    # one weight w, L = mean (w x - t)^2 over x = (1, 2), t = (2, 4): dL/dw = mean 2 x (w x - t) = -10 at w = 0
    model = nn.Linear(1, 1, bias=False)
    model.weight.data[...] = 0.0
    losses = common.fit(model, bp.optim.SGD(model.parameters(), lr=0.01), nn.MSELoss(),
                        bp.tensor([[1.0], [2.0]]), bp.tensor([[2.0], [4.0]]), epochs=2)
    # w1 = 0 + 0.01 * 10 = 0.1; at w1 L = (1.9^2 + 3.8^2) / 2 = 9.025, dL/dw = mean(-3.8, -15.2) = -9.5
    assert losses == pytest.approx([10.0, 9.025], rel=1e-5)
    assert model.weight.item() == pytest.approx(0.1 + 0.01 * 9.5, rel=1e-5)


def test_fit_stops_when_after_epoch_says_so():
    model = nn.Linear(1, 1)
    seen = []
    losses = common.fit(model, bp.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), bp.randn(8, 1),
                        bp.randn(8, 1), epochs=10, batch_size=3, after_epoch=lambda e, loss: seen.append(e) or e == 3)
    assert seen == [1, 2, 3] and len(losses) == 3


def test_log_slope_of_power_laws():
    units = [1, 10, 100, 1000]
    assert common.log_slope(units, [1 / math.sqrt(k) for k in units]) == pytest.approx(-0.5)
    assert common.log_slope(units, [3.0 * u ** -2 for u in units]) == pytest.approx(-2)
    assert common.log_slope(units, [0.1] * 4) == pytest.approx(0, abs=1e-12)


def test_he_init_draws_weights_of_variance_two_over_fan_in_and_zero_biases():
    bp.manual_seed(0)
    model = common.he_init_(nn.Sequential(nn.Linear(400, 300), nn.ReLU(), nn.Linear(300, 200)))
    for layer, fan_in in ((model[0], 400), (model[2], 300)):
        assert layer.weight.detach().numpy().var() == pytest.approx(2 / fan_in, rel=0.05)
        assert (layer.bias.detach().numpy() == 0).all()


def test_fit_gives_the_model_its_mode_back_and_refuses_bad_counts():
    model = nn.Sequential(nn.Linear(1, 1), nn.Dropout(0.5)).eval()
    seen = []
    common.fit(model, bp.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), bp.randn(4, 1), bp.randn(4, 1),
               epochs=1, after_epoch=lambda e, loss: seen.append(model.training))
    assert seen == [True] and not model.training  # trained in training mode, back to eval afterwards
    for bad, error in ((0, ValueError), (2.0, TypeError)):
        with pytest.raises(error, match="fit: epochs must be a positive int"):
            common.fit(model, bp.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), bp.randn(4, 1),
                       bp.randn(4, 1), epochs=bad)
    with pytest.raises(ValueError, match="fit: got no examples"):
        common.fit(model, bp.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), bp.randn(0, 1), bp.randn(0, 1),
                   epochs=1)
