"""activations: the 10-layer nets, their initialisations, and per-layer gradient norms against torch."""
import math

import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.experiments import activations, common


def _linears(model):
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def test_deep_net_has_ten_weight_layers_of_the_asked_activation():
    model = activations.deep_net("tanh")
    layers = _linears(model)
    assert len(layers) == 10
    assert [(l.in_features, l.out_features) for l in layers] == [(64, 64)] * 9 + [(64, 10)]
    assert sum(isinstance(m, nn.Tanh) for m in model.modules()) == 9


def test_he_initialisation_has_variance_two_over_fan_in_and_zero_biases():
    bp.manual_seed(0)
    layers = _linears(activations.deep_net("relu", "he", width=256))
    weights = np.concatenate([l.weight.detach().numpy().ravel() for l in layers[1:-1]])
    assert weights.std() == pytest.approx(math.sqrt(2 / 256), rel=0.02)
    assert all(not l.bias.detach().numpy().any() for l in layers)


def test_default_initialisation_is_torchs_uniform_bound():
    bp.manual_seed(0)
    weights = _linears(activations.deep_net("relu", width=128))[1].weight.detach().numpy()
    bound = 1 / math.sqrt(128)
    assert np.abs(weights).max() <= bound and np.abs(weights).max() > 0.95 * bound


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="init must be one of"):
        activations.deep_net("relu", "xavier")
    with pytest.raises(ValueError, match="depth counts weight layers"):
        activations.deep_net("relu", depth=1)


@pytest.mark.parametrize("activation", activations.ACTIVATIONS)
def test_gradient_norms_equal_torchs(activation):
    bp.manual_seed(1)
    model = activations.deep_net(activation, "he", depth=4, width=16)
    rng = np.random.default_rng(0)
    x = rng.random((20, 1, 8, 8), dtype=np.float32)
    y = rng.integers(0, 10, 20)
    ours = common.gradient_norms(model, bp.tensor(x), bp.tensor(y))

    layers = []
    for layer in _linears(model):
        twin = torch.nn.Linear(layer.in_features, layer.out_features)
        twin.weight.data = torch.tensor(layer.weight.detach().numpy())
        twin.bias.data = torch.tensor(layer.bias.detach().numpy())
        layers += [twin, {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[activation]()]
    theirs = torch.nn.Sequential(torch.nn.Flatten(), *layers[:-1])
    torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y)).backward()
    expected = [m.weight.grad.norm().item() for m in theirs if isinstance(m, torch.nn.Linear)]
    np.testing.assert_allclose(ours, expected, rtol=1e-4)
    assert all(p.grad is None for p in model.parameters())  # the measurement leaves no gradients behind


@pytest.mark.parametrize("activation, slope", [("sigmoid", 0.25), ("tanh", 1.0), ("relu", 1.0)])
def test_each_layer_down_shrinks_the_error_signal_by_at_most_the_largest_slope(activation, slope):
    # one example: dL/db_l = delta_l = g'(z_l) * (W_{l+1}^T delta_{l+1}), so
    # ||delta_l|| <= max g' * ||W_{l+1}||_2 * ||delta_{l+1}|| (s' <= 1/4, tanh' <= 1, ReLU' <= 1)
    bp.manual_seed(2)
    model = activations.deep_net(activation, "he", depth=5, width=32)
    x, y = bp.rand(1, 1, 8, 8), bp.tensor([3])
    nn.CrossEntropyLoss()(model(x), y).backward()
    layers = _linears(model)
    for below, above in zip(layers[:-1], layers[1:]):
        delta_below = np.linalg.norm(below.bias.grad.numpy())
        bound = slope * np.linalg.norm(above.weight.detach().numpy(), 2) * np.linalg.norm(above.bias.grad.numpy())
        assert delta_below <= bound * (1 + 1e-5)
