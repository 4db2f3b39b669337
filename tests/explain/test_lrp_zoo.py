"""lrp through the zoo's models that are no plain Sequential: residual blocks (ResNet), the row LSTM (Arras et
al. 2017), UntiedBiasConv2d and LocallyConnected2d (LeCun 1989's nets). References: torch's gradient x input
(LRP-0 of a ReLU net), an LSTM computed by hand, and equivalent plain convolutions."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import models, nn
from backprop.explain import lrp
from backprop.models.resnet import BasicBlock
from models import twins
from models.test_zoo import _randomize_batch_norm
from nn.twin import copy_weights

from .test_lrp import RULES, _scores, _share

rng = np.random.default_rng(21)


def _sums(relevance):
    return relevance.reshape(len(relevance), -1).sum(1)


# ---------------------------------------------------------------- residual blocks
def _resnet_twins(shape=(2, 8, 8)):
    """ResNet-8 (identity and projection shortcuts) in backprop and torch, float64, batch norms away from 0 and 1."""
    torch.manual_seed(0)
    theirs = _randomize_batch_norm(twins.ResNet(shape, num_classes=4, depth=8).double()).eval()
    ours = models.resnet(shape, 4, depth=8).double()
    copy_weights(theirs, ours)
    return ours, theirs


def test_resnet_lrp_0_is_torchs_gradient_times_input():
    # LRP-0 equals gradient x input for a ReLU net, also through a sum: R_F = z_F / z R = z_F dy/dz is the
    # gradient times the branch's output, and the two paths' gradients add up at the block's input.
    ours, theirs = _resnet_twins()
    x, target = rng.standard_normal((3, 2, 8, 8)), [0, 3, 1]
    leaf = torch.from_numpy(x).requires_grad_()
    theirs(leaf)[torch.arange(3), torch.tensor(target)].sum().backward()
    expected = (leaf.grad * leaf).detach().detach().numpy()
    relevance = lrp(ours, x, target=target, rule="epsilon", epsilon=0.0, keep_channels=True)
    np.testing.assert_allclose(relevance, expected, rtol=1e-9, atol=1e-12)


def test_resnet_epsilon_conserves_relevance_without_biases():
    ours, _ = _resnet_twins()
    for module in ours.modules():  # the batch norms' shifts are the only biases but fc's
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.data[:] = 0
            module.bias.data[:] = 0
    ours.fc.bias.data[:] = 0
    x = rng.standard_normal((3, 2, 8, 8))
    np.testing.assert_allclose(_sums(lrp(ours, x, epsilon=0.0)), _scores(ours, x).max(1), rtol=1e-10)


def test_a_residual_block_splits_relevance_by_hand():
    # One block on a 1x1 image of one channel, fresh batch norms (scale k = 1 / sqrt(1 + eps) in eval mode):
    # z_1 = w1 k a = 3k, z_F = w2 k relu(z_1) = -1.5 k^2, z_S = a = 2, z = z_F + z_S ~ 0.5, y = v relu(z) ~ 1.
    # The sum shares R = y as R_F = z_F / z y ~ -3 and R_S = z_S / z y ~ 4.
    block = BasicBlock(1, 1)
    net = nn.Sequential(block, nn.Flatten(), nn.Linear(1, 1, bias=False)).double().eval()
    w1, w2, v, a = 1.5, -0.5, 2.0, 2.0
    block.conv1.weight.data[:], block.conv2.weight.data[:], net[2].weight.data[:] = w1, w2, v
    k = 1 / np.sqrt(1 + block.bn1.eps)
    z_branch, z_shortcut = w2 * k * (w1 * k * a), a
    y = v * (z_branch + z_shortcut)
    r_branch, r_shortcut = z_branch / (z_branch + z_shortcut) * y, z_shortcut / (z_branch + z_shortcut) * y
    x = np.full((1, 1, 1, 1), a)
    np.testing.assert_allclose(_scores(net, x), [[y]], rtol=1e-12)
    by_hand = {
        "epsilon": r_branch + r_shortcut,  # each path has one contribution per unit: all of its share reaches a
        "z_plus": r_shortcut,  # conv2's one contribution is negative: no positive side, the branch's share is lost
        # alpha = 2, beta = 1: a layer whose one contribution is positive hands down alpha R (fc: R = 2y at the
        # sum, so both shares double), one whose contribution is negative -beta R (conv2), then conv1 alpha of it
        "alpha_beta": 2 * r_shortcut + 2 * (-1 * 2 * r_branch),
    }
    for rule, expected in by_hand.items():
        np.testing.assert_allclose(lrp(net, x, rule=rule, epsilon=0.0), [[[expected]]], rtol=1e-12)
    assert by_hand["alpha_beta"] == pytest.approx(20, abs=1e-3)  # R_S ~ 4, R_F ~ -3: 8 + 12


# ---------------------------------------------------------------- the row LSTM (Arras et al. 2017)
def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _lstm_lrp_by_hand(model, image, target, rule, eps):
    """Arras et al.'s LRP of one image, unit by unit: h_t = o_t tanh(c_t) gives all of R_h to c_t;
    c_t = f_t c_{t-1} + i_t g_t splits R_c in proportion to the two terms; i_t g_t gives all to g_t; g_t's linear
    map of (x_t, h_{t-1}) shares by the rule. Returns (R (C, H, W), y)."""
    lstm = model.lstm
    w_ih, w_hh = lstm.weight_ih_l0.detach().numpy(), lstm.weight_hh_l0.detach().numpy()
    b = lstm.bias_ih_l0.detach().numpy() + lstm.bias_hh_l0.detach().numpy()
    size = lstm.hidden_size
    channels, height, width = image.shape
    rows = image.transpose(1, 0, 2).reshape(height, channels * width)  # row t: the C W values of image row t
    h, c, saved = np.zeros(size), np.zeros(size), []
    for x_t in rows:
        z = w_ih @ x_t + w_hh @ h + b
        i, f, o = _sigmoid(z[:size]), _sigmoid(z[size:2 * size]), _sigmoid(z[3 * size:])
        g = np.tanh(z[2 * size:3 * size])
        saved.append((np.concatenate([x_t, h]), f * c, i * g, f * c + i * g))
        c = f * c + i * g
        h = o * np.tanh(c)
    w_fc, b_fc = model.fc.weight.detach().numpy(), model.fc.bias.detach().numpy()
    y = w_fc @ h + b_fc
    r_h = _share(h, w_fc, b_fc, np.eye(len(y))[target] * y[target], rule, eps)
    r_c, result = np.zeros(size), []
    g_rows = slice(2 * size, 3 * size)
    w_g = np.concatenate([w_ih[g_rows], w_hh[g_rows]], axis=1)
    for xh, kept, written, c_t in reversed(saved):
        r_c = r_c + r_h
        share = r_c / (c_t + eps * np.sign(c_t))
        r_c, r_g = kept * share, written * share
        r_xh = _share(xh, w_g, b[g_rows], r_g, rule, eps)
        result.insert(0, r_xh[:channels * width])
        r_h = r_xh[channels * width:]
    return np.array(result).reshape(height, channels, width).transpose(1, 0, 2), y


@pytest.mark.parametrize("rule", RULES)
def test_row_lstm_matches_arras_lrp_by_hand(rule):
    bp.manual_seed(0)
    model = models.lstm((2, 5, 3), num_classes=3, hidden_size=6).double()  # 5 rows of 2 x 3 values
    x = rng.standard_normal((2, 2, 5, 3))
    for eps in (0.0, 0.01):
        relevance = lrp(model, x, target=[1, 2], rule=rule, epsilon=eps, keep_channels=True)
        for image, target, got in zip(x, [1, 2], relevance):
            expected, y = _lstm_lrp_by_hand(model, image, target, rule, eps)
            np.testing.assert_allclose(y, _scores(model, image[None])[0], rtol=1e-12)
            np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_lstm_conserves_relevance():
    bp.manual_seed(1)
    model = models.lstm((1, 6, 4), num_classes=5, hidden_size=8, num_layers=2).double()
    x = rng.standard_normal((3, 1, 6, 4))
    for name, parameter in model.named_parameters():
        if "bias" in name:
            parameter.data[:] = 0
    y = _scores(model, x).max(1)
    np.testing.assert_allclose(_sums(lrp(model, x, rule="epsilon", epsilon=0.0)), y, rtol=1e-10)
    np.testing.assert_allclose(_sums(lrp(model, x, rule="epsilon", epsilon=1e-9)), y, rtol=1e-4)


def test_gates_get_no_relevance():
    # The input rows reach the output through the gates too; LRP gives those paths nothing: an image whose
    # rows move only the gates (the weights into g are zero) gets a map of zeros.
    bp.manual_seed(2)
    model = models.lstm((1, 4, 4), num_classes=2, hidden_size=5).double()
    size = model.lstm.hidden_size
    model.lstm.weight_ih_l0.data[2 * size:3 * size] = 0
    relevance = lrp(model, rng.standard_normal((2, 1, 4, 4)), rule="epsilon")
    assert relevance.shape == (2, 4, 4) and not relevance.any()


def test_lrp_refuses_an_lstm_it_cannot_read():
    model = models.lstm((1, 4, 4), num_classes=2, hidden_size=5)
    model.lstm = nn.LSTM(4, 5, batch_first=True, bidirectional=True)
    with pytest.raises(TypeError, match="one-way nn.LSTM"):
        lrp(model, np.ones((1, 1, 4, 4)))


# ---------------------------------------------------------------- untied biases, unshared weights
@pytest.mark.parametrize("rule", RULES)
def test_untied_and_locally_connected_convs_are_the_conv_they_equal(rule):
    # An untied bias that is the same at every position, and unshared weights that are all the same kernel, make
    # the layer a Conv2d: lrp must give the Conv2d's map (the bias a bias like any other).
    conv = nn.Conv2d(2, 3, 3, stride=2, padding=1).double()
    untied = models.untied.UntiedBiasConv2d(2, 3, 6, 3, stride=2, padding=1).double()
    local = nn.LocallyConnected2d(2, 3, 6, 3, stride=2, padding=1).double()
    untied.weight.data[:] = conv.weight.data
    untied.bias.data[:] = conv.bias.detach().numpy()[:, None, None]
    local.weight.data[:] = conv.weight.detach().numpy()[None, None]
    local.bias.data[:] = conv.bias.detach().numpy()[:, None, None]
    head = nn.Linear(3 * 3 * 3, 4).double()
    x = rng.standard_normal((2, 2, 6, 6))
    expected = lrp(nn.Sequential(conv, nn.Tanh(), nn.Flatten(), head), x, rule=rule)
    for layer in (untied, local):
        net = nn.Sequential(layer, nn.Tanh(), nn.Flatten(), head)
        np.testing.assert_allclose(lrp(net, x, rule=rule), expected, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name", ["lecun1989_net3", "lecun1989_net4", "lecun1989_net5"])
def test_lecun_nets_conserve_relevance_without_biases(name):
    bp.manual_seed(3)
    net = models.get(name).double()
    x = rng.standard_normal((2, 1, 16, 16))
    with_biases = lrp(net, x, rule="epsilon", epsilon=0.0)
    for parameter_name, parameter in net.named_parameters():
        if "bias" in parameter_name:
            parameter.data[:] = 0
    y = _scores(net, x).max(1)
    np.testing.assert_allclose(_sums(lrp(net, x, rule="epsilon", epsilon=0.0)), y, rtol=1e-10)
    assert not np.allclose(with_biases, lrp(net, x, rule="epsilon", epsilon=0.0))  # the untied biases counted


def test_a_batch_norm_after_an_untied_conv_is_refused():
    net = nn.Sequential(models.untied.UntiedBiasConv2d(1, 2, 4, 3), nn.BatchNorm2d(2), nn.Flatten(),
                        nn.Linear(8, 2))
    with pytest.raises(ValueError, match="into the Linear or Conv2d just before it, but it comes after "
                                         "UntiedBiasConv2d"):
        lrp(net, np.ones((1, 1, 4, 4)))
