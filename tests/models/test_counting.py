"""count_parameters and count_links against counts made by hand from the layers' definitions."""
import pytest

import backprop as bp
from backprop import models, nn


def test_count_parameters_skips_frozen_and_counts_shared_once():
    shared = nn.Linear(4, 4)
    net = nn.Sequential(shared, nn.ReLU(), shared, nn.Linear(4, 2))
    assert models.count_parameters(net) == 20 + 10
    net[3].requires_grad_(False)
    assert models.count_parameters(net) == 20


def test_count_links_by_layer_kind():
    # Linear on (L, F) features: each of the L x out units has F weights + a bias
    assert models.count_links(nn.Linear(5, 3), (7, 2, 5)) == 7 * 2 * 3 * 6
    # Conv1d with groups: 6 maps of 10 units, each 2 channels x 3 taps + a bias
    assert models.count_links(nn.Conv1d(4, 6, 3, padding=1, groups=2), (4, 10)) == 6 * 10 * 7
    # Conv2d without bias, stride 2: 3 maps of 4x4 units, 2 x 3 x 3 weights each
    assert models.count_links(nn.Conv2d(2, 3, 3, stride=2, padding=1, bias=False), (2, 8, 8)) == 3 * 16 * 18
    local = nn.LocallyConnected2d(2, 3, 6, 3)
    assert models.count_links(local, (2, 6, 6)) == 3 * 16 * 19
    assert models.count_parameters(local) == 3 * 16 * 19  # nothing is shared


def test_lenet5_links():
    c1 = 6 * 28 * 28 * (25 + 1)  # 122,304, as in LeCun et al. 1998
    c3 = 16 * 10 * 10 * (6 * 25 + 1)  # all six S2 maps (the paper's table connects fewer)
    fc = 120 * (400 + 1) + 84 * (120 + 1) + 10 * (84 + 1)
    assert c1 == 122304
    assert models.count_links(models.lenet5(), (1, 28, 28)) == c1 + c3 + fc


def test_count_links_restores_the_model():
    net = models.lecun1989_net5()
    net.train()
    net[0].eval()
    models.count_links(net, (1, 16, 16))
    assert net.training and not net[0].training and net[2].training
    assert all("forward" not in m.__dict__ for m in net.modules())


def test_count_links_rejects_layers_without_links():
    with pytest.raises(TypeError, match="the model has parameters in BatchNorm2d"):
        models.count_links(models.cnn(), (1, 8, 8))
    with pytest.raises(TypeError, match="parameters in LSTM"):
        models.count_links(models.lstm(), (1, 28, 28))
    assert models.count_links(nn.Sequential(nn.Flatten(), nn.ReLU()), (1, 2, 2)) == 0
