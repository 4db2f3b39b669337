"""lrp: conservation, a net computed by hand, LRP-0 = gradient x input, BatchNorm folding, errors."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.explain import lrp
from nn.twin import copy_weights

from . import cnn_twins

RULES = ["epsilon", "z_plus", "alpha_beta"]


def _scores(net, x):
    net.eval()
    with bp.no_grad():
        return net(bp.tensor(x)).numpy()


def _trained_batchnorm(net, shape):
    """Running statistics of a random batch (as after training: about half the units active after each
    ReLU) and affine parameters away from 1 and 0, so that folding them matters."""
    norms = [m for m in net.modules() if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))]
    for norm in norms:
        norm.momentum = 1.0  # running statistics = this batch's
        norm.weight.data[:] = np.random.rand(norm.num_features) + 0.5
        norm.bias.data[:] = 0.1 * np.random.randn(norm.num_features)
    net.train()
    with bp.no_grad():
        net(bp.tensor(np.random.randn(64, *shape[1:])))
    return net


def mlp(bias=True):
    return nn.Sequential(nn.Linear(20, 32, bias=bias), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.5),
                         nn.Sequential(nn.Linear(32, 32, bias=bias), nn.ReLU()), nn.Linear(32, 4, bias=bias))


def cnn(bias=True):
    return nn.Sequential(
        nn.Conv2d(6, 16, 3, padding=1, bias=bias), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Sequential(nn.Conv2d(16, 16, 3, stride=2, padding=1, groups=2, bias=bias), nn.ReLU()),
        nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Identity(), nn.Linear(16, 4, bias=bias))


NETS = {"mlp": (mlp, (5, 20)), "cnn": (cnn, (5, 6, 8, 8))}


def _net_and_input(name, bias=True):
    make, shape = NETS[name]
    net = _trained_batchnorm(make(bias).double(), shape)
    return net, np.random.randn(*shape)


# ---------------------------------------------------------------- conservation
@pytest.mark.parametrize("name", NETS)
@pytest.mark.parametrize("rule", ["z_plus", "alpha_beta"])
def test_z_plus_and_alpha_beta_conserve_relevance_with_biases(name, rule):
    # The rules conserve where every unit with relevance has positive and negative contributions: wide enough
    # layers (>= 20 inputs to a unit, about half of them nonzero after a ReLU) make that all but certain.
    net, x = _net_and_input(name)
    y = _scores(net, x)
    relevance = lrp(net, x, rule=rule, epsilon=0.0, keep_channels=True)
    assert relevance.shape == x.shape
    np.testing.assert_allclose(relevance.reshape(len(x), -1).sum(1), y.max(1), rtol=1e-10)


@pytest.mark.parametrize("name", NETS)
def test_epsilon_conserves_relevance_without_biases(name):
    net, x = _net_and_input(name, bias=False)
    for module in net.modules():  # a BatchNorm's shift is a bias too
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            module.running_mean.data[:] = 0
            module.bias.data[:] = 0
    y = _scores(net, x)
    relevance = lrp(net, x, rule="epsilon", epsilon=0.0)
    np.testing.assert_allclose(relevance.reshape(len(x), -1).sum(1), y.max(1), rtol=1e-10)
    # a small eps takes a little relevance, of the order of eps / z
    small_eps = lrp(net, x, rule="epsilon", epsilon=1e-6)
    np.testing.assert_allclose(small_eps.reshape(len(x), -1).sum(1), y.max(1), rtol=1e-3)


@pytest.mark.parametrize("name", NETS)
def test_epsilon_with_biases_does_not_conserve(name):
    net, x = _net_and_input(name)
    y = _scores(net, x)
    total = lrp(net, x, rule="epsilon", epsilon=0.0).reshape(len(x), -1).sum(1)
    assert np.all(np.abs(total - y.max(1)) > 1e-3 * np.abs(y.max(1)))  # the biases absorbed some


# ---------------------------------------------------------------- by hand
W1, B1 = np.array([[1.0, -2.0, -0.5], [0.5, 1.0, 1.0]]), np.array([0.1, -0.2])
W2, B2 = np.array([[1.0, -1.0], [-0.5, 2.0]]), np.array([0.3, -0.1])
X = np.array([2.0, 0.5, -1.0])


def _small_net():
    net = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 2)).double()
    for layer, w, b in ((net[0], W1, B1), (net[2], W2, B2)):
        layer.weight.data[:], layer.bias.data[:] = w, b
    return net


def _share(a, w, b, relevance, rule, eps=0.0, alpha=2.0, beta=1.0):
    """R_i = sum_j q_ij R_j for one linear layer, z_ij = a_i w_ji as an (in, out) matrix."""
    z = a[:, None] * w.T
    pos, neg = np.maximum(z, 0), np.minimum(z, 0)
    if rule == "epsilon":
        z_j = z.sum(0) + b
        return z / (z_j + eps * np.sign(z_j)) @ relevance
    if rule == "z_plus":
        return _fractions(pos) @ relevance
    return (alpha * _fractions(pos) - beta * _fractions(neg)) @ relevance


def _fractions(side):
    """Each contribution over its unit's sum on this side; a unit with an empty side (sum 0) hands down nothing."""
    total = side.sum(0)
    return side / np.where(total == 0, 1, total)


@pytest.mark.parametrize("rule, by_hand", [
    # z1 = W1 x + b1 = (1.6, 0.3) = a1, y = W2 a1 + b2 = (1.6, -0.3): class 0, R = (1.6, 0); a1_j w_0j = (1.6, -0.3).
    # LRP-0: R1 = (1.6, -0.3) / 1.6 * 1.6 = (1.6, -0.3); unit 1 shares (2, -1, 0.5) / 1.6 * 1.6, unit 2
    # (1, 0.5, -1) / 0.3 * -0.3: (1, -1.5, 1.5), summing to 1, not 1.6: the biases took the rest.
    ("epsilon", [1.0, -1.5, 1.5]),
    # z+: R1 = (1.6, 0); unit 1's positive parts (2, 0, 0.5), the last one a^- w^- -> 1.6 (0.8, 0, 0.2).
    ("z_plus", [1.28, 0.0, 0.32]),
    # alpha=2, beta=1: R1 = (2 * 1.6, -1.6); unit 1: 3.2 (2 (0.8, 0, 0.2) - (0, 1, 0)) = (5.12, -3.2, 1.28);
    # unit 2: -1.6 (2 (2/3, 1/3, 0) - (0, 0, 1)) = (-32/15, -16/15, 1.6).
    ("alpha_beta", [5.12 - 32 / 15, -3.2 - 16 / 15, 2.88]),
])
def test_one_hidden_layer_by_hand(rule, by_hand):
    net = _small_net()
    relevance = lrp(net, X[None], rule=rule, epsilon=0.0)
    np.testing.assert_allclose(relevance[0], by_hand, atol=1e-12)
    # and the same by the matrix formulas, for both classes and a nonzero eps
    a1 = np.maximum(W1 @ X + B1, 0)
    y = W2 @ a1 + B2
    for target in (0, 1):
        for eps in (0.0, 0.1):
            r2 = np.eye(2)[target] * y[target]
            r0 = _share(X, W1, B1, _share(a1, W2, B2, r2, rule, eps), rule, eps)
            got = lrp(net, X[None], target=target, rule=rule, epsilon=eps)
            np.testing.assert_allclose(got[0], r0, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- LRP-0 = gradient x input
def _strided_twins():
    """A ReLU CNN with max pooling, a strided, dilated, grouped convolution and biases, in backprop and torch."""
    def layers(nn):
        return [nn.Conv2d(2, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(6, 8, 3, stride=2, padding=2, dilation=2, groups=2), nn.ReLU(), nn.Flatten(),
                nn.Linear(8 * 2 * 2, 16), nn.ReLU(), nn.Linear(16, 3)]
    theirs = torch.nn.Sequential(*layers(torch.nn)).double()
    ours = nn.Sequential(*layers(nn)).double()
    copy_weights(theirs, ours)
    return ours, theirs


@pytest.mark.parametrize("twins", [_strided_twins, cnn_twins], ids=["strided-grouped", "batchnorm"])
def test_lrp_0_is_gradient_times_input(twins):
    ours, theirs = twins()
    theirs.eval()
    x = np.random.randn(4, 2, 8, 8)
    target = [0, 1, 2, 1]
    leaf = torch.from_numpy(x).requires_grad_()
    theirs(leaf)[torch.arange(4), torch.tensor(target)].sum().backward()
    expected = (leaf.grad * leaf).detach().numpy()
    relevance = lrp(ours, x, target=target, rule="epsilon", epsilon=0.0, keep_channels=True)
    np.testing.assert_allclose(relevance, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(lrp(ours, x, target=target, rule="epsilon", epsilon=0.0), expected.sum(1),
                               rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- BatchNorm folding
@pytest.mark.parametrize("rule", RULES)
def test_batchnorm_is_folded_into_the_conv_before(rule):
    net = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 32),
                        nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 3)).double()
    _trained_batchnorm(net, (3, 2, 6, 6))
    folded = nn.Sequential(nn.Conv2d(2, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(64, 32), nn.ReLU(),
                           nn.Linear(32, 3)).double()
    for layer, norm, twin in ((net[0], net[1], folded[0]), (net[4], net[5], folded[3])):
        k = norm.weight.array / np.sqrt(norm.running_var.array + norm.eps)  # gamma / sqrt(var + eps)
        twin.weight.data[:] = layer.weight.array * k.reshape(-1, *[1] * (layer.weight.ndim - 1))
        twin.bias.data[:] = (layer.bias.array - norm.running_mean.array) * k + norm.bias.array
    folded[5].weight.data[:], folded[5].bias.data[:] = net[7].weight.data, net[7].bias.data
    x = np.random.randn(3, 2, 6, 6)
    np.testing.assert_allclose(_scores(folded, x), _scores(net, x), rtol=1e-12)
    np.testing.assert_allclose(lrp(net, x, rule=rule), lrp(folded, x, rule=rule), rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- errors and conventions
def test_rejects_what_it_cannot_explain():
    with pytest.raises(TypeError, match="Sequential"):
        lrp(nn.Linear(3, 2), np.ones((1, 3)))
    with pytest.raises(TypeError, match="LayerNorm.*supported: Linear, Conv2d"):
        lrp(nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.Linear(4, 2)), np.ones((1, 3)))
    with pytest.raises(TypeError, match="Softmax"):
        lrp(nn.Sequential(nn.Linear(3, 2), nn.Softmax(dim=1)), np.ones((1, 3)))
    with pytest.raises(ValueError, match="BatchNorm1d.*after ReLU"):
        lrp(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.BatchNorm1d(4), nn.Linear(4, 2)), np.ones((1, 3)))
    with pytest.raises(ValueError, match="BatchNorm1d.*after nothing"):
        lrp(nn.Sequential(nn.BatchNorm1d(3), nn.Linear(3, 2)), np.ones((1, 3)))
    with pytest.raises(ValueError, match="alpha - beta = 1"):
        lrp(nn.Sequential(nn.Linear(3, 2)), np.ones((1, 3)), rule="alpha_beta", alpha=2.0, beta=0.5)
    with pytest.raises(ValueError, match="rule"):
        lrp(nn.Sequential(nn.Linear(3, 2)), np.ones((1, 3)), rule="gamma")
    with pytest.raises(ValueError, match="beta >= 0.*alpha=0.5, beta=-0.5"):
        lrp(nn.Sequential(nn.Linear(3, 2)), np.ones((1, 3)), rule="alpha_beta", alpha=0.5, beta=-0.5)
    for rule in RULES:  # eps also stabilises the pooling layers under every rule
        with pytest.raises(ValueError, match="epsilon must be >= 0, got -0.1"):
            lrp(nn.Sequential(nn.Linear(3, 2)), np.ones((1, 3)), rule=rule, epsilon=-0.1)


class Residual(nn.Sequential):
    """x + f(x): a Sequential with a forward of its own, which flattening its layers would lose."""

    def forward(self, x):
        return x + super().forward(x)


class DoubledReLU(nn.ReLU):
    def forward(self, x):
        return 2 * super().forward(x)


def test_rejects_subclasses_that_compute_something_else():
    # Flattened, Residual would be read as Linear - ReLU: the map would explain another function, silently.
    inner = Residual(nn.Linear(4, 4), nn.ReLU())
    with pytest.raises(TypeError, match="Residual.*own forward"):
        lrp(nn.Sequential(nn.Linear(4, 4), inner, nn.Linear(4, 2)), np.ones((1, 4)))
    with pytest.raises(TypeError, match=r"without a forward of its own\), got Residual"):
        lrp(Residual(nn.Linear(4, 4)), np.ones((1, 4)))
    with pytest.raises(TypeError, match="DoubledReLU"):
        lrp(nn.Sequential(nn.Linear(4, 4), DoubledReLU(), nn.Linear(4, 2)), np.ones((1, 4)))


def test_restores_the_mode_and_leaves_parameters_alone():
    net, x = _net_and_input("cnn")
    weights = [p.array.copy() for p in net.parameters()]
    net.train()
    lrp(net, x, rule="alpha_beta")
    assert net.training and all(m.training for m in net.modules())
    net.eval()
    lrp(net, x)
    assert not any(m.training for m in net.modules())
    assert all(np.array_equal(p.data, w) and p.grad is None for p, w in zip(net.parameters(), weights))


def test_target_none_explains_the_predicted_class():
    net, x = _net_and_input("mlp")
    predicted = _scores(net, x).argmax(1)
    np.testing.assert_array_equal(lrp(net, x), lrp(net, x, target=predicted))
    other = (predicted + 1) % 4
    assert not np.allclose(lrp(net, x), lrp(net, x, target=other))


def test_shapes_and_float32():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 3 * 3, 2))
    x = bp.randn(2, 3, 5, 5)
    assert lrp(net, x).shape == (2, 5, 5)
    relevance = lrp(net, x, rule="z_plus", keep_channels=True)
    assert relevance.shape == (2, 3, 5, 5) and relevance.dtype == np.float32
    assert isinstance(relevance, np.ndarray)
